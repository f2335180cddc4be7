/**
 * Cancellation and thread-directed signals, compared with their native runs in the three build
 * kinds: pthread_cancel of threads in pthread_cond_wait, nanosleep and pthread_testcancel (cleanup
 * handlers run, join gets PTHREAD_CANCELED, a thread with cancellation disabled finishes), and
 * pthread_kill running a SIGUSR1 handler on the target thread (EINTR from its sleep; a blocked
 * signal delivered on unblock).
 *
 * Both go through signal delivery: glibc cancels with SIGCANCEL (32) sent by tgkill and taken by
 * its own handler, and pthread_kill is tgkill too (written while signals were not delivered yet,
 * to be enabled when they were: they were, in f8c0ddb).
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildThreads, expectNativeEqual } from "./harness.js";

describe("cancellation and pthread_kill match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    for (const p of ["cancel", "thread_kill"]) {
      it(`gcc ${kind}: ${p}`, () => {
        expectNativeEqual(buildThreads(p, { kind, cc: "gcc" }));
      });
    }
  }
  it("gcc static, chaos scheduling: cancel", () => {
    expectNativeEqual(buildThreads("cancel", { kind: "static", cc: "gcc" }), { scheduler: { chaos: true }, seed: 11n });
  });
});
