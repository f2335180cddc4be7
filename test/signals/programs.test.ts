/**
 * Signal programs (test/fixtures/signals) against their native runs, gcc in the three build kinds:
 * handlers by raise/kill/sigqueue with siginfo and nesting, masks and flags (SA_NODEFER, sa_mask,
 * delivery once on unblock, sigsuspend, sigpending, SIG_IGN, default-ignored signals,
 * SA_RESETHAND), blocking calls interrupted with and without SA_RESTART and sigtimedwait, stack
 * overflow on sigaltstack, signals between threads, FP state across handlers.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

const PROGRAMS = ["handlers", "masks", "restart", "altstack", "threads", "fpstate", "pending_waits"];


describe("signal programs match their native runs", () => {
  for (const p of PROGRAMS) {
    for (const kind of BUILD_KINDS) {
      it(`gcc ${kind}: ${p}`, () => {
        expectNativeEqual(buildSignals(p, { kind, cc: "gcc" }));
      });
    }
  }
});
