/**
 * Builds the JIT corpus (test/fixtures/jit/corpus) with a compiler and flag set, natively (system
 * linker, run on the host) and as objects for the JIT, plus the bare host executable the objects
 * link against (its function and its __thread variable).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { compileFixture, runNative } from "../helpers/compile.js";
import { JitdbgError } from "../../src/errors.js";
import { JitSession, type JitSessionOptions } from "../../src/jit/session.js";

export const CORPUS = ["main.c", "ops.c", "data.c", "tls.c", "tls_use.c", "ctor.c"];

export const FLAG_SETS: string[][] = [
  ["-O0", "-fno-pic"],
  ["-O2", "-fPIC"],
  ["-O2", "-mcmodel=medium"],
  ["-O1", "-mcmodel=large"],
  ["-O2", "-fPIC", "-mcmodel=large"],
];

const COMMON_FLAGS = ["-fcommon", "-fno-asynchronous-unwind-tables", "-fno-stack-protector"];

export function corpusObjects(cc: string, flags: string[]): string[] {
  return CORPUS.map((f) => compileFixture(`jit/corpus/${f}`, { cc, object: true, flags: [...flags, ...COMMON_FLAGS, "-funwind-tables"] }));
}

export function hostExecutable(): string {
  return compileFixture("jit/corpus/host.c", { cc: "gcc", flags: ["-O1", "-static", "-nostdlib", "-no-pie", "-fno-pic"], extraSources: ["jit/corpus/host_start.c"] });
}

/** stdout of the same sources linked by the system linker: "<checksum>|<out buffer>". */
export function nativeResult(cc: string, flags: string[]): string {
  const exe = compileFixture("jit/corpus/main.c", {
    cc,
    flags: [...flags, ...COMMON_FLAGS, "-no-pie"],
    extraSources: [...CORPUS.filter((f) => f !== "main.c").map((f) => `jit/corpus/${f}`), "jit/corpus/host.c", "jit/corpus/native_main.c"],
  });
  const r = runNative(exe);
  if (r.status !== 0) throw new Error(`native corpus run failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function openSession(opts: JitSessionOptions = {}): JitSession {
  return JitSession.create({ host: { path: hostExecutable(), mode: "bare" }, ...opts });
}

export function loadAll(s: JitSession, objects: string[]): void {
  for (const o of objects) s.linker.addObject(readFileSync(o), basename(o));
}

/** Runs test_main and formats like native_main.c. */
export function runCorpus(s: JitSession): string {
  const r = Number(BigInt.asIntN(32, s.call("test_main")));
  const out = s.read("out", 512);
  const end = out.indexOf(0);
  return `${r}|${Buffer.from(out.subarray(0, end < 0 ? out.length : end)).toString("latin1")}`;
}

/** A fixture of test/fixtures/jit compiled to an object file, as bytes for addObject. */
export function fixtureObject(name: string, flags: string[], cc = "gcc"): Uint8Array {
  return readFileSync(compileFixture(`jit/${name}`, { cc, object: true, flags }));
}

/** The JitdbgError `fn` throws (anything else is rethrown; not throwing fails). */
export function caught(fn: () => unknown): JitdbgError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JitdbgError) return e;
    throw e;
  }
  throw new Error("expected a JitdbgError");
}
