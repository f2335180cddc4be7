/**
 * The assembly fixtures of test/fixtures/jit/reloc/, assembled at test time with binutils `as`
 * (cached by a hash of the source, the assembler's version and the flags), and the relocation
 * types each object really carries, as `readelf -rW` lists them (not as the linker's reader sees
 * them), by type number from src/elf/constants.ts.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { R_X86_64_NAMES } from "../../src/elf/constants.js";
import { buildCached, fixturesDir } from "../helpers/compile.js";

const sourceDir = join(fixturesDir, "jit", "reloc");

/** Assembles test/fixtures/jit/reloc/<name> with `as <flags>`; returns the object's path. */
export function assemble(name: string, flags: string[] = []): string {
  const src = join(sourceDir, name);
  return buildCached({ tool: "as", key: flags, inputs: [src], stem: `reloc-${name.replace(/\.s$/, "")}`, suffix: ".o" }, (out) => [...flags, "-o", out, src]);
}

export interface ListedRelocation {
  section: string;
  offset: number;
  type: number;
  name: string;
  symbol: string;
}

const NUMBER_OF = new Map(Object.entries(R_X86_64_NAMES).map(([n, name]) => [name, Number(n)]));

const listed = new Map<string, ListedRelocation[]>();

/** The object's relocations as `readelf -rW` prints them. */
export function readelfRelocations(path: string): ListedRelocation[] {
  let out = listed.get(path);
  if (!out) listed.set(path, (out = runReadelf(path)));
  return out;
}

function runReadelf(path: string): ListedRelocation[] {
  const text = execFileSync("readelf", ["-rW", path], { encoding: "utf8" });
  const out: ListedRelocation[] = [];
  let section = "";
  for (const line of text.split("\n")) {
    const head = /^Relocation section '([^']+)'/.exec(line);
    if (head) {
      section = head[1]!.replace(/^\.rela/, "");
      continue;
    }
    const m = /^([0-9a-f]{16})\s+[0-9a-f]{16}\s+(R_X86_64_\w+)\s+[0-9a-f]{16}\s+(\S+)/.exec(line);
    if (!m) continue;
    const type = NUMBER_OF.get(m[2]!);
    if (type === undefined) throw new Error(`${path}: readelf lists ${m[2]}, which src/elf/constants.ts does not name`);
    out.push({ section, offset: parseInt(m[1]!, 16), type, name: m[2]!, symbol: m[3]! });
  }
  return out;
}
