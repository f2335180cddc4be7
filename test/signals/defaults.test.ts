/**
 * Default actions (test/fixtures/signals/defaults.c, one per run): the status is 128+n as the
 * native run's, the output written before is kept and stdio's unflushed buffer is lost alike.
 */
import { describe, it } from "vitest";
import { BUILD_KINDS, buildSignals, expectNativeEqual } from "./harness.js";

/** Mode → the status the native run must end with (128 + the signal's number). */
const MODES: Record<string, number> = {
  term: 143,
  kill: 140,
  abort: 134,
  "abort-handler": 134,
  segv: 139,
  resethand: 138,
  unmask: 143,
  timer: 142,
};

describe("default actions match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    for (const [mode, status] of Object.entries(MODES)) {
      it(`gcc ${kind}: ${mode} → ${status}`, () => {
        expectNativeEqual(buildSignals("defaults", { kind, cc: "gcc" }), [mode], status);
      });
    }
  }
});
