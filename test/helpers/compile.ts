/**
 * Compiles C fixtures with the machine's real compilers at test time, cached by a hash of the
 * source, the compiler's version and the flags, so no binary is ever committed and reruns are fast.
 */
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../src/project-root.js";

/** The repository root, whether this runs from test/ or from dist/test/. */
export const repoRoot = projectRoot();
export const fixturesDir = join(repoRoot, "test", "fixtures");
const cacheDir = join(repoRoot, ".cache", "fixtures");

const versionCache = new Map<string, string>();
function compilerVersion(cc: string): string {
  let v = versionCache.get(cc);
  if (v === undefined) {
    v = execFileSync(cc, ["--version"], { encoding: "utf8" });
    versionCache.set(cc, v);
  }
  return v;
}

export function hasCompiler(cc: string): boolean {
  try {
    compilerVersion(cc);
    return true;
  } catch {
    return false;
  }
}

export interface CompileOptions {
  cc?: string; // default gcc
  flags?: string[]; // e.g. ["-static", "-O2", "-g"]
  /** Produce an object file (-c) instead of an executable. */
  object?: boolean;
  /** Extra source files (paths relative to test/fixtures or absolute). */
  extraSources?: string[];
}

/** Compiles test/fixtures/<name> (or an absolute path, or inline source via `compileSource`). */
export function compileFixture(name: string, opts: CompileOptions = {}): string {
  const path = name.startsWith("/") ? name : join(fixturesDir, name);
  return compileFiles([path, ...(opts.extraSources ?? []).map((s) => (s.startsWith("/") ? s : join(fixturesDir, s)))], opts);
}

/** Compiles inline C source text. */
export function compileSource(source: string, opts: CompileOptions = {}, stem = "inline"): string {
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  mkdirSync(cacheDir, { recursive: true });
  const src = join(cacheDir, `${stem}-${hash}.c`);
  if (!existsSync(src)) writeFileSync(src, source);
  return compileFiles([src], opts);
}

function compileFiles(paths: string[], opts: CompileOptions): string {
  const cc = opts.cc ?? "gcc";
  const flags = opts.flags ?? [];
  const h = createHash("sha256");
  h.update(compilerVersion(cc)).update(JSON.stringify(flags)).update(opts.object ? "obj" : "exe");
  for (const p of paths) h.update(p.split("/").pop()!).update(readFileSync(p));
  const stem = paths[0]!.split("/").pop()!.replace(/\.c$/, "");
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${stem}-${cc.replace(/[^a-z0-9]/gi, "")}-${h.digest("hex").slice(0, 16)}${opts.object ? ".o" : ""}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp${process.pid}`;
  const args = [...flags, ...(opts.object ? ["-c"] : []), "-o", tmp, ...paths, ...(opts.object ? [] : ["-lm"])];
  execFileSync(cc, args, { stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, out); // atomic: parallel test files may compile the same fixture
  return out;
}

export interface NativeRun {
  stdout: string;
  stderr: string;
  status: number;
  signal: NodeJS.Signals | null;
}

/** Runs a binary natively on the host, for comparison with the emulated run. */
export function runNative(exe: string, args: string[] = [], env: Record<string, string> = {}, input?: string): NativeRun {
  const r = spawnSync(exe, args, { env, input, encoding: "latin1" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? -1, signal: r.signal ?? null };
}

/**
 * A shared library built from a fixture and placed, under its soname, alone in a directory named by
 * its content hash (so a program can find it through -rpath and tests never share a stale copy).
 */
export function buildSharedLibrary(fixture: string, soname: string, flags: string[]): { dir: string; path: string } {
  const built = compileFixture(fixture, { flags: ["-shared", "-fPIC", ...flags, `-Wl,-soname,${soname}`] });
  const hash = createHash("sha256").update(readFileSync(built)).digest("hex").slice(0, 16);
  const libDir = join(repoRoot, ".cache", "dynamic", `${soname}-${hash}`);
  const path = join(libDir, soname);
  if (!existsSync(path)) {
    mkdirSync(libDir, { recursive: true });
    const tmp = `${path}.tmp${process.pid}`;
    copyFileSync(built, tmp);
    renameSync(tmp, path); // atomic: parallel test files may place the same library
  }
  return { dir: libDir, path };
}
