/**
 * Separate debug files (`objcopy --only-keep-debug`, Debian's *-dbg packages) found by GNU
 * build-id under a debug directory, as gdb does: <dir>/.build-id/ab/cdef….debug. They carry the
 * .symtab (and DWARF) a stripped system library lacks, at the same link-time addresses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildId } from "./dynamic.js";
import { isHostError } from "../errors.js";
import { ElfFile, isElfError } from "./reader.js";

export const DEFAULT_DEBUG_DIRECTORIES = ["/usr/lib/debug"];

/** The debug file for `file`, or undefined when there is none (or it does not parse). */
export function findDebugFile(file: ElfFile, directories: readonly string[] = DEFAULT_DEBUG_DIRECTORIES): ElfFile | undefined {
  const id = buildId(file);
  if (!id || id.length < 4) return undefined;
  for (const dir of directories) {
    const path = join(dir, ".build-id", id.slice(0, 2), `${id.slice(2)}.debug`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if (!isHostError(e)) throw e;
      continue; // no such debug file (or not readable): try the next directory
    }
    try {
      const dbg = ElfFile.parse(bytes, path);
      if (buildId(dbg) === id) return dbg;
    } catch (e) {
      if (!isElfError(e)) throw e;
      continue; // a corrupt debug file is as good as none: symbols fall back to .dynsym
    }
  }
  return undefined;
}
