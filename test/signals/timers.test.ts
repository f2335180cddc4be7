/**
 * Timers that send signals (test/fixtures/signals/timers.c): alarm + pause, a periodic
 * setitimer(ITIMER_REAL) ticking while main computes, timer_create/timer_settime periodic and
 * one-shot with timer_getoverrun; gcc in the three build kinds.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

/**
 * KNOWN FAILURE, marked it.fails until fixed (then make it `it`): a thread that computes without
 * a syscall runs its whole slice (alone, with no block budget at all under runToEnd), and timers
 * fire only when the scheduler next runs, so the setitimer ticks never land inside the loop (the
 * program gives up after 2 s and says so). The fix belongs in Process.run (src/inferior/process.ts):
 * cap each cpu.run at the next timer expiry (see the signal suite's report).
 */
describe("signal timers match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    it.fails(`gcc ${kind}: timers`, () => {
      expectNativeEqual(buildSignals("timers", { kind, cc: "gcc" }));
    });
  }
});
