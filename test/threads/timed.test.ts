/**
 * Time in threads: pthread_cond_timedwait that times out and one signalled in time (realtime and
 * monotonic clocks), sem_timedwait, and sleepers (nanosleep, usleep, clock_nanosleep relative and
 * absolute) waking in the order of their sleeps while another thread computes. Idle waits are
 * skipped by the emulated clock, but no program sees less time pass than it waited for.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildThreads, expectNativeEqual } from "./harness.js";

const PROGRAMS = ["condtimed", "sleepers"];

describe("timed waits and sleeps in threads match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    for (const p of PROGRAMS) {
      it(`gcc ${kind}: ${p}`, () => {
        expectNativeEqual(buildThreads(p, { kind, cc: "gcc" }));
      });
    }
  }
  for (const p of PROGRAMS) {
    it(`gcc static, chaos scheduling: ${p}`, () => {
      expectNativeEqual(buildThreads(p, { kind: "static", cc: "gcc" }), { scheduler: { chaos: true }, seed: 7n });
    });
  }
});
