/**
 * Test support for dynamically linked programs: libdynlib.so (test/fixtures/eval/dynlib.c, -g -O0)
 * in a directory named by its content hash, and dynprobe.c with printf twins, a plain PIE
 * (gcc -g -O0) linked to it through DT_NEEDED and found through DT_RUNPATH.
 */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { buildSharedLibrary, compileSource, fixturesDir } from "../helpers/compile.js";
import { twinStatements, type Case } from "./fixture.js";

const dir = join(fixturesDir, "eval");

export function buildDynlib(): { dir: string; path: string } {
  return buildSharedLibrary("eval/dynlib.c", "libdynlib.so", ["-O0", "-g"]);
}

/** dynprobe.c with twins of `cases` after BREAK1, linked to libdynlib.so. -fno-builtin: the twins call libc's own strlen/memcmp/strcmp, as the console does. */
export function buildDynprobe(cases: Case[]): { exe: string; src: string; lib: { dir: string; path: string } } {
  const lib = buildDynlib();
  const src = readFileSync(join(dir, "dynprobe.c"), "utf8").replace("/*TWINS*/", twinStatements(cases));
  const exe = compileSource(src, { flags: ["-g", "-O0", "-fno-builtin", `-I${dir}`, "-Wl,--no-as-needed", `-L${lib.dir}`, `-Wl,-rpath,${lib.dir}`, "-ldynlib"] }, "dynprobe");
  return { exe, src, lib };
}

/** The file name compileSource gave the generated source. */
export function dynprobeName(src: string): string {
  return `dynprobe-${createHash("sha256").update(src).digest("hex").slice(0, 16)}.c`;
}
