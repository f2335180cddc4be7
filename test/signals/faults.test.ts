/**
 * Synchronous faults delivered to handlers (test/fixtures/signals/faults.c), against their native
 * runs: SIGSEGV (si_addr, MAPERR/ACCERR, trapno/err/cr2; siglongjmp, fixing the page, skipping the
 * instruction through REG_RIP), SIGFPE, SIGILL, SIGTRAP; gcc in the three build kinds, clang too.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

/**
 * KNOWN FAILURE, marked it.fails until fixed (then make it `it`): Unicorn never clears its
 * "exception in flight" (env->old_exception) when an interrupt hook takes an exception, so the
 * second #DE of a run becomes a double fault (interrupt 8) and the third a triple fault
 * (unicorn-engine/unicorn#1883): the first SIGFPE is right, the next ones arrive as SIGSEGV
 * SI_KERNEL. The fix belongs in src/emu/unicorn.ts (see the signal suite's report).
 */
const KNOWN_FAILING = new Set(["fpe"]);

describe("faults delivered to handlers match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    for (const mode of ["segv", "ill", "trap", "fpe"]) {
      (KNOWN_FAILING.has(mode) ? it.fails : it)(`gcc ${kind}: ${mode}`, () => {
        expectNativeEqual(buildSignals("faults", { kind, cc: "gcc" }), [mode]);
      });
    }
  }
  it("clang static: segv, ill, trap", () => {
    const exe = buildSignals("faults", { kind: "static", cc: "clang" });
    for (const mode of ["segv", "ill", "trap"]) expectNativeEqual(exe, [mode]);
  });
  it.fails("clang static: all faults in one run (SIGFPE repeated: the known failure above)", () => {
    expectNativeEqual(buildSignals("faults", { kind: "static", cc: "clang" }), ["all"]);
  });
});
