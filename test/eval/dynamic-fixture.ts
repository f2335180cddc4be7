/**
 * Test support for dynamically linked programs: libdynlib.so (test/fixtures/eval/dynlib.c, -g -O0)
 * in a directory named by its content hash, and dynprobe.c with printf twins, a plain PIE
 * (gcc -g -O0) linked to it through DT_NEEDED and found through DT_RUNPATH.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compileFixture, compileSource, fixturesDir, repoRoot } from "../helpers/compile.js";
import { twinStatements, type Case } from "./fixture.js";

const dir = join(fixturesDir, "eval");

export function buildDynlib(): { dir: string; path: string } {
  const built = compileFixture("eval/dynlib.c", { flags: ["-shared", "-fPIC", "-O0", "-g", "-Wl,-soname,libdynlib.so"] });
  const hash = createHash("sha256").update(readFileSync(built)).digest("hex").slice(0, 16);
  const libDir = join(repoRoot, ".cache", "dynamic", `dynlib-${hash}`);
  const path = join(libDir, "libdynlib.so");
  if (!existsSync(path)) {
    mkdirSync(libDir, { recursive: true });
    const tmp = `${path}.tmp${process.pid}`;
    copyFileSync(built, tmp);
    renameSync(tmp, path);
  }
  return { dir: libDir, path };
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
