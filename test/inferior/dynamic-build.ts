/** Builds the dynamic fixtures: libshape.so in a directory of its own, and programs linked to it. */
import { join } from "node:path";
import { buildSharedLibrary, compileFixture, fixturesDir } from "../helpers/compile.js";

export const DYNAMIC = ["-O1", "-g"];
const dir = join(fixturesDir, "dynamic");

/** libshape.so (soname libshape.so), alone in a directory named by its content hash. */
export function buildLibshape(): { dir: string; path: string } {
  return buildSharedLibrary("dynamic/libshape.c", "libshape.so", ["-O1", "-g"]);
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
