/**
 * src/elf/reader.ts (and dynamicEntries) read what binutils reads: on a static, a static-pie and a
 * dynamic executable and a shared library built at test time, the section headers, program headers,
 * symbol tables (names, values, sizes, types, bindings, visibility, section indices) and dynamic
 * entries equal what `readelf -W -S -l -s -d` prints, and each symbol's nm class letter (worked out
 * from its binding, type and section) and size equal `nm -S`'s, for .symtab and (nm -D) .dynsym.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dynamicEntries, dynamicInfo, fileOffsetOf } from "../../src/elf/dynamic.js";
import { cString, ElfFile, type ElfSymbol, type SectionHeader } from "../../src/elf/reader.js";
import { buildSharedLibrary, compileFixture } from "../helpers/compile.js";

const readelf = (args: string[], path: string): string => execFileSync("readelf", ["-W", ...args, path], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
const nm = (args: string[], path: string): string => execFileSync("nm", [...args, path], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });

// readelf's names of the numbers the reader gives.
const SECTION_TYPES: Record<number, string> = {
  0: "NULL", 1: "PROGBITS", 2: "SYMTAB", 3: "STRTAB", 4: "RELA", 5: "HASH", 6: "DYNAMIC", 7: "NOTE", 8: "NOBITS", 9: "REL", 11: "DYNSYM",
  14: "INIT_ARRAY", 15: "FINI_ARRAY", 16: "PREINIT_ARRAY", 17: "GROUP", 18: "SYMTAB_SECTION_INDICES",
  0x6ffffff6: "GNU_HASH", 0x6ffffffd: "VERDEF", 0x6ffffffe: "VERNEED", 0x6fffffff: "VERSYM", 0x70000001: "X86_64_UNWIND",
};
const SECTION_FLAGS: Record<string, number> = { W: 0x1, A: 0x2, X: 0x4, M: 0x10, S: 0x20, I: 0x40, L: 0x80, O: 0x100, G: 0x200, T: 0x400, C: 0x800, R: 0x200000, l: 0x10000000, E: 0x80000000 };
const SEGMENT_TYPES: Record<number, string> = {
  0: "NULL", 1: "LOAD", 2: "DYNAMIC", 3: "INTERP", 4: "NOTE", 6: "PHDR", 7: "TLS",
  0x6474e550: "GNU_EH_FRAME", 0x6474e551: "GNU_STACK", 0x6474e552: "GNU_RELRO", 0x6474e553: "GNU_PROPERTY",
};
const SYMBOL_TYPES: Record<number, string> = { 0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS", 10: "IFUNC" };
const SYMBOL_BINDS: Record<number, string> = { 0: "LOCAL", 1: "GLOBAL", 2: "WEAK", 10: "UNIQUE" };
const VISIBILITIES = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;

const hex = (s: string): bigint => BigInt(s.startsWith("0x") ? s : `0x${s}`);
const name = (table: Record<number, string>, n: number): string => table[n] ?? `unknown ${n.toString(16)}`;

interface Build {
  label: string;
  path: string;
}

function builds(): Build[] {
  const lib = buildSharedLibrary("elf/elfcheck_lib.c", "libelfcheck.so", ["-O1"]);
  return [
    { label: "static executable", path: compileFixture("elf/elfcheck.c", { flags: ["-O1", "-static"] }) },
    { label: "static-pie executable", path: compileFixture("elf/elfcheck.c", { flags: ["-O1", "-static-pie"] }) },
    { label: "dynamic executable", path: compileFixture("elf/elfcheck.c", { flags: ["-O1", "-DWITH_LIB", `-Wl,-rpath,${lib.dir}`], extraSources: [lib.path] }) },
    { label: "shared library", path: lib.path },
  ];
}

// ---- what readelf prints, parsed into the reader's terms ----

/** `readelf -S`: [Nr] Name Type Address Off Size ES Flg Lk Inf Al (Name and Flg may be empty). */
function readelfSections(path: string): Omit<SectionHeader, "index">[] {
  const out: Omit<SectionHeader, "index">[] = [];
  for (const line of readelf(["-S"], path).split("\n")) {
    const m = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(line);
    if (!m) continue;
    const t = m[2]!.trim().split(/\s+/);
    const at = t.findIndex((x) => /^[0-9a-f]{16}$/.test(x)); // Address: the one 16-digit column
    const [addr, off, size, es, ...tail] = t.slice(at);
    const flags = tail.length === 4 ? tail.shift()! : "";
    const [lk, inf, al] = tail;
    out.push({
      name: t.slice(0, at - 1).join(" "),
      type: Number(Object.entries(SECTION_TYPES).find(([, n]) => n === t[at - 1])?.[0] ?? NaN),
      addr: hex(addr!),
      offset: Number(hex(off!)),
      size: Number(hex(size!)),
      entsize: Number(hex(es!)),
      flags: [...flags].reduce((f, c) => f | (SECTION_FLAGS[c] ?? NaN), 0) >>> 0,
      link: Number(lk),
      info: Number(inf),
      addralign: Number(al),
    });
  }
  return out;
}

/** `readelf -l`: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align (Flg may hold spaces: "R E"). */
function readelfSegments(path: string): { entry: bigint; interpreter?: string; segments: { type: string; offset: number; vaddr: bigint; filesz: number; memsz: bigint; flags: number; align: bigint }[] } {
  const text = readelf(["-l"], path);
  const segments = [];
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/);
    if (t.length < 8 || !/^0x[0-9a-f]+$/.test(t[1] ?? "") || !/^0x[0-9a-f]{16}$/.test(t[2] ?? "")) continue;
    const flg = t.slice(6, -1).join("");
    segments.push({
      type: t[0]!,
      offset: Number(hex(t[1]!)),
      vaddr: hex(t[2]!),
      filesz: Number(hex(t[4]!)),
      memsz: hex(t[5]!),
      flags: (flg.includes("R") ? 4 : 0) | (flg.includes("W") ? 2 : 0) | (flg.includes("E") ? 1 : 0),
      align: hex(t[t.length - 1]!),
    });
  }
  return { entry: hex(/Entry point (0x[0-9a-f]+)/.exec(text)![1]!), interpreter: /\[Requesting program interpreter: (.*)\]/.exec(text)?.[1], segments };
}

interface ReadelfSymbol {
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** `readelf -s`: each table's entry count and rows (Num: Value Size Type Bind Vis Ndx Name). */
function readelfSymbols(path: string): Map<string, { count: number; rows: ReadelfSymbol[] }> {
  const tables = new Map<string, { count: number; rows: ReadelfSymbol[] }>();
  let current: { count: number; rows: ReadelfSymbol[] } | undefined;
  let dynamic = false;
  for (const line of readelf(["-s"], path).split("\n")) {
    const head = /^Symbol table '([^']+)' contains (\d+) entr(?:y|ies):/.exec(line);
    if (head) {
      current = { count: Number(head[2]), rows: [] };
      tables.set(head[1]!, current);
      dynamic = head[1] === ".dynsym";
      continue;
    }
    const m = /^\s*\d+: ([0-9a-f]{16})\s+(\S+) (\S+)\s+(\S+)\s+(\S+)\s+(\S+) ?(.*)$/.exec(line);
    if (!m || !current) continue;
    // .dynsym names carry the version readelf found in .gnu.version: name@VER (n) or name@@VER.
    const symName = dynamic ? m[7]!.replace(/@@?[^@ ]+( \(\d+\))?$/, "") : m[7]!;
    current.rows.push({ value: hex(m[1]!), size: m[2]!.startsWith("0x") ? hex(m[2]!) : BigInt(m[2]!), type: m[3]!, bind: m[4]!, vis: m[5]!, ndx: m[6]!, name: symName });
  }
  return tables;
}

/** `readelf -d`: tag and its Name/Value column, the DT_NULL that ends the table left out. */
function readelfDynamic(path: string): { tag: bigint; type: string; value: string }[] {
  const out = [];
  for (const line of readelf(["-d"], path).split("\n")) {
    const m = /^\s*(0x[0-9a-f]+) \((\w+)\)\s+(.*)$/.exec(line);
    if (m && m[2] !== "NULL") out.push({ tag: hex(m[1]!), type: m[2]!, value: m[3]!.trim() });
  }
  return out;
}

// ---- the reader's view, in readelf's and nm's words ----

function ndxOf(s: ElfSymbol): string {
  if (s.shndx === SHN_UNDEF) return "UND";
  if (s.shndx === SHN_ABS) return "ABS";
  if (s.shndx === SHN_COMMON) return "COM";
  return String(s.shndx);
}

/** readelf names a nameless section symbol after its section. */
function displayName(elf: ElfFile, s: ElfSymbol): string {
  return s.type === 3 && s.name === "" ? (elf.sections[s.shndx]?.name ?? "") : s.name;
}

/** The value readelf prints for a dynamic entry, worked out from the tag and the reader's value. */
function dynamicValue(elf: ElfFile, tag: number, value: bigint): string {
  const strtab = dynamicEntries(elf).find((e) => e.tag === 5n)!;
  const str = (): string => cString(elf.bytes, fileOffsetOf(elf, strtab.value)! + Number(value));
  const flags = (names: Record<number, string>): string =>
    Object.entries(names)
      .filter(([bit]) => (value & BigInt(bit)) !== 0n)
      .map(([, n]) => n)
      .join(" ");
  switch (tag) {
    case 1: return `Shared library: [${str()}]`;
    case 14: return `Library soname: [${str()}]`;
    case 15: return `Library rpath: [${str()}]`;
    case 29: return `Library runpath: [${str()}]`;
    case 2: case 8: case 9: case 10: case 11: case 18: case 19: case 27: case 28: case 33: case 35:
      return `${value} (bytes)`; // the *SZ and *ENT entries
    case 20: return value === 7n ? "RELA" : value === 17n ? "REL" : String(value);
    case 30: return flags({ 1: "ORIGIN", 2: "SYMBOLIC", 4: "TEXTREL", 8: "BIND_NOW", 16: "STATIC_TLS" });
    case 0x6ffffffb: return `Flags: ${flags({ 1: "NOW", 2: "GLOBAL", 4: "GROUP", 8: "NODELETE", 0x80: "ORIGIN", 0x8000000: "PIE" })}`;
    case 0x6ffffff9: case 0x6ffffffa: case 0x6fffffff: case 0x6ffffffd: return String(value); // RELACOUNT, RELCOUNT, VERNEEDNUM, VERDEFNUM
    default: return `0x${value.toString(16)}`;
  }
}

/** nm's class letter (binutils' bfd_decode_symclass over the ELF section's flags). */
function nmLetter(elf: ElfFile, s: ElfSymbol): string {
  const weak = s.bind === 2;
  const object = s.type === 1;
  if (s.shndx === SHN_COMMON) return "C";
  if (s.shndx === SHN_UNDEF) return weak ? (object ? "v" : "w") : "U";
  if (s.type === 10) return "i";
  if (weak) return object ? "V" : "W";
  if (s.bind === 10) return "u";
  let c: string;
  if (s.shndx === SHN_ABS) c = "a";
  else c = sectionLetter(elf.sections[s.shndx]!);
  return s.bind === 1 ? c.toUpperCase() : c;
}

function sectionLetter(sec: SectionHeader): string {
  const byName: [string, string][] = [[".bss", "b"], [".data", "d"], [".rodata", "r"], [".text", "t"]];
  for (const [prefix, c] of byName) if (sec.name.startsWith(prefix) && ["", ".", "$", ..."0123456789"].includes(sec.name[prefix.length] ?? "")) return c;
  const alloc = (sec.flags & 0x2) !== 0;
  const contents = sec.type !== 8;
  if (sec.flags & 0x4) return "t";
  if (alloc && contents) return sec.flags & 0x1 ? "d" : "r";
  if (!contents) return "b";
  return sec.flags & 0x1 ? "?" : "n";
}

/** nm's lines (-S): "value size letter name", value and size blank where nm leaves them out. */
function nmRows(args: string[], path: string, dynamic: boolean): string[] {
  return nm(["-S", ...args], path)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const t = l.trim().split(/\s+/);
      const [value, size, letter, n] = t.length === 4 ? t : t.length === 3 ? [t[0], "", t[1], t[2]] : ["", "", t[0], t[1]];
      return [value ? BigInt(`0x${value}`) : "", size ? BigInt(`0x${size}`) : "", letter, dynamic ? n!.replace(/@@?[^@]+$/, "") : n].join(" ");
    })
    .sort();
}

function readerNmRows(elf: ElfFile, symbols: ElfSymbol[]): string[] {
  return symbols
    .filter((s) => s.index !== 0 && s.type !== 3 && s.type !== 4) // nm leaves out section and file symbols
    .map((s) => {
      const undefined_ = s.shndx === SHN_UNDEF;
      return [undefined_ ? "" : s.value, undefined_ || s.size === 0n ? "" : s.size, nmLetter(elf, s), s.name].join(" ");
    })
    .sort();
}

describe.each(builds())("the ELF reader agrees with readelf and nm: $label", ({ path }) => {
  const elf = ElfFile.parse(new Uint8Array(readFileSync(path)), path);

  it("section headers (readelf -S)", () => {
    const theirs = readelfSections(path);
    expect(theirs.length).toBeGreaterThan(20);
    expect(elf.sections.length).toBe(theirs.length);
    expect(elf.sections.map(({ index: _index, ...s }) => s)).toEqual(theirs);
  });

  it("program headers, entry point and interpreter (readelf -l)", () => {
    const theirs = readelfSegments(path);
    expect(elf.header.entry).toBe(theirs.entry);
    expect(elf.interpreter()).toBe(theirs.interpreter);
    expect(elf.segments.length).toBe(elf.header.phnum);
    expect(elf.segments.map((p) => ({ type: name(SEGMENT_TYPES, p.type), offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, memsz: p.memsz, flags: p.flags, align: p.align }))).toEqual(theirs.segments);
  });

  it("symbol tables: names, values, sizes, types, bindings, visibility and sections (readelf -s)", () => {
    const theirs = readelfSymbols(path);
    const ours = new Map([
      [".symtab", elf.symbols()],
      [".dynsym", elf.dynamicSymbols()],
    ]);
    for (const [table, symbols] of ours) if (symbols.length === 0) ours.delete(table);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect(ours.get(".symtab")!.length).toBeGreaterThan(30);
    for (const [table, symbols] of ours) {
      const t = theirs.get(table)!;
      expect(symbols.length, table).toBe(t.count);
      const mine = symbols.map((s) => ({ value: s.value, size: s.size, type: name(SYMBOL_TYPES, s.type), bind: name(SYMBOL_BINDS, s.bind), vis: VISIBILITIES[s.visibility]!, ndx: ndxOf(s), name: displayName(elf, s) }));
      expect(mine, table).toEqual(t.rows);
    }
  });

  it("every kind of symbol the fixtures define is there", () => {
    const kinds = new Set(elf.symbols().map((s) => `${name(SYMBOL_TYPES, s.type)} ${name(SYMBOL_BINDS, s.bind)}`));
    for (const k of ["FUNC GLOBAL", "FUNC LOCAL", "FUNC WEAK", "OBJECT GLOBAL", "OBJECT LOCAL", "TLS GLOBAL", "FILE LOCAL"]) expect(kinds).toContain(k);
  });

  it("a name compared where it lies (nameIs) matches exactly the entries whose decoded name it is", () => {
    for (const dynamic of [false, true]) {
      const table = elf.symbolEntries(dynamic);
      const names = table.entries.map((e) => table.name(e));
      // Each distinct name, a prefix of one and one a character longer: only whole names match.
      for (const n of [...new Set(names)].filter((x) => x.length > 1).slice(0, 400)) {
        const hits = table.entries.filter((e) => table.nameIs(e, n)).map((e) => e.index);
        expect(hits).toEqual(table.entries.filter((_, i) => names[i] === n).map((e) => e.index));
        for (const other of [n.slice(0, -1), `${n}x`]) if (!names.includes(other)) expect(table.entries.some((e) => table.nameIs(e, other))).toBe(false);
      }
      expect(table.entries.some((e) => table.nameIs(e, ""))).toBe(false);
    }
  });

  it("symbol classes and sizes equal nm -S's (and nm -D's for .dynsym)", () => {
    expect(readerNmRows(elf, elf.symbols())).toEqual(nmRows([], path, false));
    if (elf.dynamicSymbols().length > 1) expect(readerNmRows(elf, elf.dynamicSymbols())).toEqual(nmRows(["-D"], path, true));
  });

  it("dynamic entries (readelf -d), and the strings dynamicInfo names through DT_STRTAB", () => {
    const theirs = readelfDynamic(path);
    const ours = dynamicEntries(elf);
    expect(ours.map((e) => e.tag)).toEqual(theirs.map((e) => e.tag));
    expect(ours.map((e) => dynamicValue(elf, Number(e.tag), e.value))).toEqual(theirs.map((e) => e.value));
    const info = dynamicInfo(elf);
    const strings = (prefix: string) => theirs.filter((e) => e.value.startsWith(prefix)).map((e) => /\[(.*)\]/.exec(e.value)![1]!);
    expect(info.needed).toEqual(strings("Shared library:"));
    expect(info.soname).toBe(strings("Library soname:")[0]);
    expect(info.runpath).toEqual(strings("Library runpath:").flatMap((r) => r.split(":")));
  });
});

describe("the builds cover each kind of file", () => {
  it("static has no dynamic section; static-pie, dynamic and the library do; only dynamic asks for a loader", () => {
    const [st, spie, dyn, lib] = builds().map((b) => ElfFile.parse(new Uint8Array(readFileSync(b.path)), b.path));
    expect(dynamicEntries(st!)).toEqual([]);
    expect(readelf(["-d"], builds()[0]!.path)).toMatch(/There is no dynamic section in this file/);
    for (const f of [spie!, dyn!, lib!]) expect(dynamicEntries(f).length).toBeGreaterThan(10);
    expect([st, spie, dyn, lib].map((f) => f!.header.type)).toEqual([2, 3, 3, 3]); // ET_EXEC, then ET_DYN
    expect([st, spie, dyn, lib].map((f) => f!.interpreter() !== undefined)).toEqual([false, false, true, false]);
    expect(dynamicInfo(lib!).soname).toBe("libelfcheck.so");
    expect(dynamicInfo(dyn!).needed).toContain("libelfcheck.so");
  });
});
