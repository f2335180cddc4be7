/**
 * Timers that send signals (test/fixtures/signals/timers.c): alarm + pause, a periodic
 * setitimer(ITIMER_REAL) ticking while main computes, timer_create/timer_settime periodic and
 * one-shot with timer_getoverrun; gcc in the three build kinds.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

/**
 * KNOWN FAILURE, marked it.fails until fixed (then make it `it`): all of it matches but the
 * overrun count of a timer blocked across ~20 periods. The program spins ~61 ms by reading the
 * clock (host time plus skipped idle time), while timers expire on the scheduler's clock (block
 * entries x 10 ns, deterministic); the emulator runs slower than that, so fewer periods pass in
 * those 61 ms than natively (and overruns counted while the signal is pending are not yet kept).
 * Making readings follow the scheduler's clock would fix it, and change what every program sees
 * of time: a decision for the time-travel issue, which needs a deterministic clock anyway.
 */
describe("signal timers match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    it.fails(`gcc ${kind}: timers`, () => {
      expectNativeEqual(buildSignals("timers", { kind, cc: "gcc" }));
    });
  }
});
