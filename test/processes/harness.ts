/**
 * The process suite's programs (test/fixtures/processes), built at test time by gcc in the three
 * build kinds, and their runs natively (the oracle) and in the emulator, compared byte for byte.
 */
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { compileFixture, repoRoot } from "../helpers/compile.js";
import { runEmulated, type EmulatedRun } from "../helpers/emulate.js";
import type { ProcessOptions } from "../../src/inferior/process.js";
import { native, type ShellRun } from "../pipes/harness.js";
import { BUILD_KINDS, requireCompiler, type BuildKind } from "../threads/harness.js";

/** The fixtures' directory (scripts the programs execute live there). */
export const FIXTURES = join(repoRoot, "test", "fixtures", "processes");

export { BUILD_KINDS, type BuildKind };

const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };

export function buildProcesses(name: string, kind: BuildKind): string {
  requireCompiler("gcc");
  return compileFixture(`processes/${name}.c`, { cc: "gcc", flags: ["-O1", "-Wall", ...KIND_FLAGS[kind]] });
}

/** The emulated run, with no environment (as the native run gets), reading the program's and the fixtures' directories. */
export function emulate(exe: string, args: string[] = [], allow: string[] = [], more: Pick<ProcessOptions, "scheduler" | "seed"> = {}): EmulatedRun {
  return runEmulated(exe, { args, argv0: exe, env: [], allowedPaths: [dirname(exe), FIXTURES, ...allow], ...more });
}

/** Expects the emulated run to print and end as the native one does, with no warning; returns the native run. */
export function expectLikeNative(exe: string, args: string[] = [], allow: string[] = [], more: Pick<ProcessOptions, "scheduler" | "seed"> = {}): ShellRun {
  const n = native(exe, args);
  const e = emulate(exe, args, allow, more);
  expect(e.stdout).toBe(n.stdout);
  expect(e.stderr).toBe(n.stderr);
  expect(e.status).toBe(n.status);
  expect(e.warnings).toEqual([]);
  return n;
}
