/** Builds the dynamic fixtures: libshape.so in a directory of its own, and programs linked to it. */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { compileFixture, fixturesDir, repoRoot } from "../helpers/compile.js";

export const DYNAMIC = ["-O1", "-g"];
const dir = join(fixturesDir, "dynamic");

/** libshape.so (soname libshape.so), alone in a directory named by its content hash. */
export function buildLibshape(): { dir: string; path: string } {
  const built = compileFixture("dynamic/libshape.c", { flags: ["-shared", "-fPIC", "-O1", "-g", "-Wl,-soname,libshape.so"] });
  const hash = createHash("sha256").update(readFileSync(built)).digest("hex").slice(0, 16);
  const libDir = join(repoRoot, ".cache", "dynamic", hash);
  const path = join(libDir, "libshape.so");
  if (!existsSync(path)) {
    mkdirSync(libDir, { recursive: true });
    const tmp = `${path}.tmp${process.pid}`;
    copyFileSync(built, tmp);
    renameSync(tmp, path);
  }
  return { dir: libDir, path };
}

/** A program linked against libshape through DT_NEEDED, found at run time through DT_RUNPATH. */
export function buildWithLibshape(fixture: string): { exe: string; lib: { dir: string; path: string } } {
  const lib = buildLibshape();
  const exe = compileFixture(fixture, {
    flags: [...DYNAMIC, `-I${dir}`, "-Wl,--no-as-needed", `-Wl,-rpath,${lib.dir}`],
    extraSources: [lib.path],
  });
  return { exe, lib };
}
