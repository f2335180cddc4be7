/** Shared helpers for the DWARF tests: build fixtures, open them, and read what binutils says about them. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ElfFile } from "../../src/elf/reader.js";
import { Dwarf, type SectionsOptions } from "../../src/dwarf/index.js";
import { compileFixture, hasCompiler, type CompileOptions } from "../helpers/compile.js";

export interface Variant {
  readonly label: string;
  readonly flags: string[];
  readonly object?: boolean;
  /** Compiler (default gcc). */
  readonly cc?: string;
}

/** The build variants every structural test runs over. */
export const VARIANTS: readonly Variant[] = [
  { label: "-g -O0 static (DWARF 5 default)", flags: ["-g", "-O0", "-static"] },
  { label: "-gdwarf-4 -O0 static", flags: ["-gdwarf-4", "-O0", "-static"] },
  { label: "-gdwarf-5 -O2 static", flags: ["-gdwarf-5", "-O2", "-static"] },
  { label: "-gdwarf-4 -O2 static", flags: ["-gdwarf-4", "-O2", "-static"] },
  { label: "-g -O0 object", flags: ["-g", "-O0"], object: true },
  { label: "-gdwarf-4 -O2 object", flags: ["-gdwarf-4", "-O2"], object: true },
  ...(hasCompiler("clang")
    ? [
        { label: "clang -g -O0 static (DWARF 5: strx, addrx, line_strp, MD5)", flags: ["-g", "-O0", "-static"], cc: "clang" },
        { label: "clang -gdwarf-5 -O2 static (rnglistx, loclistx)", flags: ["-gdwarf-5", "-O2", "-static"], cc: "clang" },
        { label: "clang -gdwarf-4 -O2 object", flags: ["-gdwarf-4", "-O2"], object: true, cc: "clang" },
      ]
    : []),
];

export function build(name: string, v: Variant, extra: Partial<CompileOptions> = {}): string {
  return compileFixture(`dwarf/${name}`, { flags: v.flags, object: v.object, cc: v.cc, ...extra });
}

export function open(path: string, opts: SectionsOptions = {}): { elf: ElfFile; dwarf: Dwarf; bytes: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(path));
  const elf = ElfFile.parse(bytes, path);
  return { elf, dwarf: Dwarf.fromElf(elf, opts), bytes };
}

export function openBytes(bytes: Uint8Array, path: string): { elf: ElfFile; dwarf: Dwarf } {
  const elf = ElfFile.parse(bytes, path);
  return { elf, dwarf: Dwarf.fromElf(elf) };
}

const nmTables = new Map<string, Map<string, bigint>>();

/** A symbol's value as binutils' `nm` lists it: the expectation comes from outside our own ELF reader. */
export function symbol(elf: ElfFile, name: string): bigint {
  let table = nmTables.get(elf.path);
  if (!table) {
    table = new Map();
    for (const line of execFileSync("nm", [elf.path], { encoding: "utf8", maxBuffer: 64 << 20 }).split("\n")) {
      const m = /^([0-9a-f]+) \S (\S+)$/.exec(line);
      if (m && !table.has(m[2]!)) table.set(m[2]!, BigInt(`0x${m[1]}`));
    }
    nmTables.set(elf.path, table);
  }
  const v = table.get(name);
  if (v === undefined) throw new Error(`nm lists no symbol ${name} in ${elf.path}`);
  return v;
}

export interface ObjdumpRow {
  file: string;
  line: number | undefined; // undefined: end of sequence
  address: bigint;
  isStmt: boolean;
}

/** Rows of `objdump --dwarf=decodedline`. */
export function objdumpLines(path: string): ObjdumpRow[] {
  const out = execFileSync("objdump", ["--dwarf=decodedline", path], { encoding: "utf8", maxBuffer: 256 << 20 });
  const rows: ObjdumpRow[] = [];
  const re = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+(\d+))?\s*(x)?\s*$/;
  for (const line of out.split("\n")) {
    const m = re.exec(line);
    if (!m) continue;
    rows.push({ file: m[1]!, line: m[2] === "-" ? undefined : Number(m[2]), address: BigInt(m[3]!), isStmt: m[5] === "x" });
  }
  return rows;
}

export interface ReadelfRow {
  loc: bigint;
  cfa: string;
  regs: Map<string, string>;
}

export interface ReadelfFde {
  section: string;
  pcBegin: bigint;
  pcEnd: bigint;
  rows: ReadelfRow[];
}

/** FDE tables of `readelf --debug-dump=frames-interp` for .eh_frame and .debug_frame. */
export function readelfFrames(path: string): ReadelfFde[] {
  const out = execFileSync("readelf", ["-wF", path], { encoding: "utf8", maxBuffer: 256 << 20 });
  const fdes: ReadelfFde[] = [];
  let section = "";
  let cur: ReadelfFde | undefined;
  let columns: string[] = [];
  for (const line of out.split("\n")) {
    const sec = /^Contents of the (\S+) section/.exec(line);
    if (sec) {
      section = sec[1]!.replace(/:$/, "");
      continue;
    }
    const fde = /FDE cie=\w+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (fde) {
      cur = { section, pcBegin: BigInt(`0x${fde[1]}`), pcEnd: BigInt(`0x${fde[2]}`), rows: [] };
      fdes.push(cur);
      continue;
    }
    if (/^\s+LOC\s+CFA/.test(line)) {
      columns = line.trim().split(/\s+/).slice(2);
      continue;
    }
    const row = /^([0-9a-f]{16}) (.*)$/.exec(line);
    if (row && cur) {
      const cells = row[2]!.trim().split(/\s+/);
      const regs = new Map<string, string>();
      columns.forEach((c, i) => regs.set(c, cells[i + 1] ?? ""));
      cur.rows.push({ loc: BigInt(`0x${row[1]}`), cfa: cells[0]!, regs });
      continue;
    }
    if (line.trim() === "" || /CIE/.test(line)) cur = line.includes("FDE") ? cur : undefined;
  }
  return fdes;
}

/** The line number of the first source line containing `needle`. */
export function lineOf(path: string, needle: string): number {
  const lines = readFileSync(path, "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${path}`);
  return i + 1;
}
