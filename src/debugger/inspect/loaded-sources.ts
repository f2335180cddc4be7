/**
 * The program's own source files, for the debugger's "loaded sources" view: every C source or
 * header a line table names that is the compilation unit's own file or lies under its
 * compilation directory — what the user built, not the system headers it included — and that
 * exists on the host, so opening it works.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { ImageInfo } from "../image-info.js";

const C_FILE = /\.(c|h)$/;

export function loadedSources(images: readonly ImageInfo[]): string[] {
  const files = new Set<string>();
  for (const image of images) {
    const d = image.dwarf;
    if (!d) continue;
    for (const u of d.units) {
      const dir = u.compDir;
      const own = u.name !== undefined ? (isAbsolute(u.name) || !dir ? u.name : join(dir, u.name)) : undefined;
      for (const f of d.lineTable(u)?.files() ?? []) {
        if (!C_FILE.test(f)) continue;
        const underDir = dir !== undefined && !relative(dir, f).startsWith("..") && isAbsolute(f);
        if ((f === own || underDir) && existsSync(f)) files.add(f);
      }
    }
  }
  return [...files].sort();
}
