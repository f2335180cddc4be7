/**
 * Synchronous faults delivered to handlers (test/fixtures/signals/faults.c), against their native
 * runs: SIGSEGV (si_addr, MAPERR/ACCERR, trapno/err/cr2; siglongjmp, fixing the page, skipping the
 * instruction through REG_RIP), SIGFPE, SIGILL, SIGTRAP; gcc in the three build kinds, clang too.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

describe("faults delivered to handlers match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    for (const mode of ["segv", "ill", "trap", "fpe"]) {
      it(`gcc ${kind}: ${mode}`, () => {
        expectNativeEqual(buildSignals("faults", { kind, cc: "gcc" }), [mode]);
      });
    }
  }
  it("clang static: segv, ill, trap", () => {
    const exe = buildSignals("faults", { kind: "static", cc: "clang" });
    for (const mode of ["segv", "ill", "trap"]) expectNativeEqual(exe, [mode]);
  });
  // Every fault one after another: a divide error after others used to become a double fault
  // (Unicorn never cleared its exception in flight; src/emu/exception-reset.ts does).
  it("clang static: all faults in one run, SIGFPE repeated", () => {
    expectNativeEqual(buildSignals("faults", { kind: "static", cc: "clang" }), ["all"]);
  });
});
