/**
 * The signal suite's programs (test/fixtures/signals), built at test time in the three build kinds
 * with gcc or clang, and compared with their native runs: stdout, stderr and exit status, where a
 * native death by signal n is status 128+n, as a shell (and `jitdbg run`) shows it.
 */
import { constants } from "node:os";
import { expect } from "vitest";
import { compileFixture, runNative } from "../helpers/compile.js";
import { BUILD_KINDS, emulate, requireCompiler, type Build, type BuildKind } from "../threads/harness.js";
import type { EmulatedRun } from "../helpers/emulate.js";

export { BUILD_KINDS, type Build, type BuildKind };

const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };

/** Builds test/fixtures/signals/<name>.c (-O1: loops stay loops, handlers stay calls). */
export function buildSignals(name: string, b: Build): string {
  requireCompiler(b.cc);
  return compileFixture(`signals/${name}.c`, { cc: b.cc, flags: ["-O1", "-pthread", ...KIND_FLAGS[b.kind]] });
}

/** The status a shell shows for a native run: its exit status, or 128+signal. */
function shellStatus(r: ReturnType<typeof runNative>): number {
  if (r.signal === null) return r.status;
  const n = constants.signals[r.signal];
  if (n === undefined) throw new Error(`native run ended by ${r.signal}, which node does not number`);
  return 128 + n;
}

/**
 * Runs `exe` natively and in the emulator and expects the same stdout, stderr and status, and no
 * warning. `status` is what the native run must end with (the program's own checks pass: 0; a
 * default action: 128+n), so a program that stops doing what it tests fails here first.
 */
export function expectNativeEqual(exe: string, args: string[] = [], status = 0): EmulatedRun {
  const native = runNative(exe, args, {});
  expect(shellStatus(native), `native run: ${native.stdout}${native.stderr}`).toBe(status);
  const emu = emulate(exe, { args });
  expect(emu.stdout).toBe(native.stdout);
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.status).toBe(status);
  expect(emu.warnings).toEqual([]);
  return emu;
}
