/**
 * The assembly fixtures of test/fixtures/jit/reloc/, assembled at test time with binutils `as`
 * (cached by a hash of the source, the assembler's version and the flags), and the relocation
 * types each object really carries, as `readelf -rW` lists them (not as the linker's reader sees
 * them), by type number from src/elf/constants.ts.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { R_X86_64_NAMES } from "../../src/elf/constants.js";
import { fixturesDir, repoRoot } from "../helpers/compile.js";

const cacheDir = join(repoRoot, ".cache", "fixtures");
const sourceDir = join(fixturesDir, "jit", "reloc");
let asVersion: string | undefined;

/** Assembles test/fixtures/jit/reloc/<name> with `as <flags>`; returns the object's path. */
export function assemble(name: string, flags: string[] = []): string {
  asVersion ??= execFileSync("as", ["--version"], { encoding: "utf8" });
  const src = join(sourceDir, name);
  const h = createHash("sha256").update(asVersion).update(JSON.stringify(flags)).update(readFileSync(src)).digest("hex").slice(0, 16);
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `reloc-${name.replace(/\.s$/, "")}-${h}.o`);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp${process.pid}`;
  execFileSync("as", [...flags, "-o", tmp, src], { stdio: ["ignore", "pipe", "pipe"] });
  renameSync(tmp, out); // atomic: parallel test files may assemble the same source
  return out;
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
