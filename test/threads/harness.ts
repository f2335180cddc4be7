/**
 * The thread suite's programs (test/fixtures/threads), built at test time in the three build
 * kinds with gcc or clang, and their runs: native (the oracle) and emulated.
 */
import { expect } from "vitest";
import { buildSharedLibrary, compileFixture, hasCompiler, runNative } from "../helpers/compile.js";
import { runEmulated, type EmulatedRun } from "../helpers/emulate.js";
import type { SchedulerOptions } from "../../src/inferior/scheduler.js";

export type BuildKind = "dynamic" | "static" | "static-pie";
export const BUILD_KINDS: readonly BuildKind[] = ["dynamic", "static", "static-pie"];
const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };

export interface Build {
  kind: BuildKind;
  cc: string;
}

/** Fails (never skips) when a compiler the suite needs is missing: the README's test command installs both. */
export function requireCompiler(cc: string): void {
  if (!hasCompiler(cc)) throw new Error(`${cc} is not installed: the thread suite builds its programs with it (Debian package ${cc})`);
}

/**
 * Builds test/fixtures/threads/<name>.c. tls.c also needs libtlscount.c: a shared library of its
 * own (found through DT_RUNPATH) in the dynamic build, linked in as a plain source otherwise.
 */
export function buildThreads(name: string, b: Build): string {
  requireCompiler(b.cc);
  const flags = ["-O1", "-pthread", ...KIND_FLAGS[b.kind]];
  const extraSources: string[] = [];
  if (name === "tls") {
    if (b.kind === "dynamic") {
      const lib = buildSharedLibrary("threads/libtlscount.c", "libtlscount.so", ["-O1"]);
      flags.push(`-Wl,-rpath,${lib.dir}`);
      extraSources.push(lib.path);
    } else extraSources.push("threads/libtlscount.c");
  }
  return compileFixture(`threads/${name}.c`, { cc: b.cc, flags, extraSources });
}

export interface ThreadRun {
  args?: string[];
  scheduler?: SchedulerOptions;
  seed?: bigint;
}

/** The emulated run, with no environment (as the native run gets). */
export function emulate(exe: string, r: ThreadRun = {}): EmulatedRun {
  return runEmulated(exe, { args: r.args, argv0: exe, env: [], scheduler: r.scheduler, seed: r.seed });
}

/**
 * Runs `exe` natively and in the emulator and expects the same stdout, stderr and status, and no
 * warning. The programs check themselves too, so the native run must exit 0. Returns the emulated run.
 */
export function expectNativeEqual(exe: string, r: ThreadRun = {}): EmulatedRun {
  const native = runNative(exe, r.args ?? [], {});
  expect(native.signal, "native run killed").toBeNull();
  expect(native.status, `native run failed: ${native.stdout}${native.stderr}`).toBe(0);
  const emu = emulate(exe, r);
  expect(emu.stdout).toBe(native.stdout);
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.status).toBe(native.status);
  expect(emu.warnings).toEqual([]);
  return emu;
}
