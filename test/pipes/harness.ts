/**
 * The pipe suite's programs (test/fixtures/pipes), built at test time by gcc in the three build
 * kinds, and their runs natively (the oracle) and in the emulator. Status as a shell shows it
 * (128 + signal for a program a signal ended).
 */
import { spawnSync } from "node:child_process";
import { constants } from "node:os";
import { expect } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { BUILD_KINDS, emulate, requireCompiler, type BuildKind, type ThreadRun } from "../threads/harness.js";

export { BUILD_KINDS, type BuildKind };

const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };

export function buildPipes(name: string, kind: BuildKind): string {
  requireCompiler("gcc");
  return compileFixture(`pipes/${name}.c`, { cc: "gcc", flags: ["-O1", "-Wall", "-pthread", ...KIND_FLAGS[kind]] });
}

export interface ShellRun {
  stdout: string;
  stderr: string;
  status: number;
}

/** The native run, with no environment; a program a signal ended gets 128 + its number, as in a shell. */
export function native(exe: string, args: string[] = []): ShellRun {
  const r = spawnSync(exe, args, { env: {}, encoding: "latin1", timeout: 60_000 });
  if (r.error) throw r.error;
  const status = r.signal ? 128 + constants.signals[r.signal] : (r.status ?? -1);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

/** Expects the emulated run to print and end as the native one does, with no warning; returns the native run. */
export function expectLikeNative(exe: string, args: string[] = [], r: Omit<ThreadRun, "args"> = {}): ShellRun {
  const n = native(exe, args);
  const e = emulate(exe, { ...r, args });
  expect(e.stdout).toBe(n.stdout);
  expect(e.stderr).toBe(n.stderr);
  expect(e.status).toBe(n.status);
  expect(e.warnings).toEqual([]);
  return n;
}
