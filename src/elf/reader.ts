/**
 * ELF64 little-endian reader for x86-64 executables, shared objects and relocatable objects.
 * Every header field that points into the file is checked, so a truncated or corrupt file gives
 * one ElfError naming what is wrong instead of a wild read later.
 */
import { JitdbgError, type ErrorCode, type ErrorWhere } from "../errors.js";
import * as C from "./constants.js";

export type ElfErrorCode = Extract<ErrorCode, `ELF_${string}`>;

export class ElfError extends JitdbgError {
  /** The place is in `where` (at least the file); the message is describeWhere(where) + text. */
  constructor(code: ElfErrorCode, where: ErrorWhere, text: string) {
    super(code, where, text);
    this.name = "ElfError";
  }
}

/** Whether `e` reports an ELF file jitdbg cannot use (an ELF_ code), as opposed to a debugger bug. */
export function isElfError(e: unknown): e is JitdbgError & { readonly code: ElfErrorCode } {
  return e instanceof JitdbgError && e.code.startsWith("ELF_");
}

export interface ElfHeader {
  type: number;
  machine: number;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
  memsz: bigint;
  align: bigint;
}

export interface SectionHeader {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: bigint;
  size: bigint;
  bind: number;
  type: number;
  visibility: number;
  shndx: number;
}

/** A symbol-table entry with its name left in the string table (SymbolEntries.name reads it). */
export type SymbolEntry = Omit<ElfSymbol, "name"> & { nameOffset: number };

/** A symbol table's entries without their names, and the reader of one entry's name. */
export interface SymbolEntries {
  entries: SymbolEntry[];
  /** The entry's name ("" when it has none). */
  name(entry: SymbolEntry): string;
  /** Whether the entry has a non-empty name, without decoding it. */
  named(entry: SymbolEntry): boolean;
  /** Whether the entry's name is `name`, compared where it lies (an ASCII name without decoding one). */
  nameIs(entry: SymbolEntry, name: string): boolean;
}

export interface ElfRelocation {
  offset: bigint;
  type: number;
  symbolIndex: number;
  addend: bigint;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const RELA_SIZE = 24;

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

export class ElfFile {
  readonly header: ElfHeader;
  readonly segments: ProgramHeader[];
  readonly sections: SectionHeader[];
  private readonly view: DataView;
  private symtabCache?: ElfSymbol[];
  private dynsymCache?: ElfSymbol[];
  private readonly entriesCache = new Map<number, SymbolEntries>();

  private constructor(
    readonly bytes: Uint8Array,
    readonly path: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = this.readHeader();
    this.segments = this.readSegments();
    this.sections = this.readSections();
  }

  /** Parses and validates; throws ElfError with the path and the offending field. */
  static parse(bytes: Uint8Array, path = "<memory>"): ElfFile {
    return new ElfFile(bytes, path);
  }

  get isRelocatable(): boolean {
    return this.header.type === C.ET_REL;
  }

  sectionByName(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section's bytes (a view into the file); NOBITS sections have none. */
  sectionData(section: SectionHeader): Uint8Array {
    if (section.type === C.SHT_NOBITS) return new Uint8Array(0);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  segmentData(segment: ProgramHeader): Uint8Array {
    return this.bytes.subarray(segment.offset, segment.offset + segment.filesz);
  }

  /** PT_INTERP's path, when the executable asks for a dynamic loader. */
  interpreter(): string | undefined {
    const seg = this.segments.find((p) => p.type === C.PT_INTERP);
    if (!seg) return undefined;
    return cString(this.segmentData(seg), 0);
  }

  /** Symbols of .symtab (empty when stripped). */
  symbols(): ElfSymbol[] {
    this.symtabCache ??= this.readSymbolTable(C.SHT_SYMTAB);
    return this.symtabCache;
  }

  /** Symbols of .dynsym (empty for static executables). */
  dynamicSymbols(): ElfSymbol[] {
    this.dynsymCache ??= this.readSymbolTable(C.SHT_DYNSYM);
    return this.dynsymCache;
  }

  /**
   * The entries of .symtab (or .dynsym) with names not decoded: an address look-up needs a name
   * only for the symbol it finds (decoding a static program's ~2,000 names was a large part of a
   * session's first stack trace).
   */
  symbolEntries(dynamic = false): SymbolEntries {
    const type = dynamic ? C.SHT_DYNSYM : C.SHT_SYMTAB;
    let kept = this.entriesCache.get(type);
    if (!kept) this.entriesCache.set(type, (kept = this.readSymbolEntries(type)));
    return kept;
  }

  /** Number of entries in .symtab (0 when stripped), without reading them. */
  symbolCount(): number {
    const sec = this.sections.find((s) => s.type === C.SHT_SYMTAB);
    return sec ? Math.floor(sec.size / SYM_SIZE) : 0;
  }

  /** Symbols of a specific symbol-table section (for relocation sections that link to it). */
  symbolsOf(section: SectionHeader): ElfSymbol[] {
    if (section.type === C.SHT_SYMTAB) return this.symbols();
    if (section.type === C.SHT_DYNSYM) return this.dynamicSymbols();
    throw this.error("ELF_BAD_LINK", "the section is not a symbol table", { section: section.name });
  }

  /** Entries of a SHT_RELA section. */
  relocations(section: SectionHeader): ElfRelocation[] {
    if (section.type !== C.SHT_RELA) {
      throw this.error("ELF_UNSUPPORTED", `the section has type ${section.type}; only SHT_RELA relocations are supported on x86-64`, { section: section.name });
    }
    const count = Math.floor(section.size / RELA_SIZE);
    const out: ElfRelocation[] = new Array(count);
    const v = this.view;
    for (let i = 0; i < count; i++) {
      const at = section.offset + i * RELA_SIZE;
      const info = v.getBigUint64(at + 8, true);
      out[i] = {
        offset: v.getBigUint64(at, true),
        type: Number(info & 0xffffffffn),
        symbolIndex: Number(info >> 32n),
        addend: v.getBigInt64(at + 16, true),
      };
    }
    return out;
  }

  /** A NUL-terminated string from a string-table section. */
  stringAt(strtab: SectionHeader, offset: number): string {
    if (offset >= strtab.size) {
      throw this.error("ELF_CORRUPT", `the string offset is outside the ${strtab.name ? "section" : "string table"} (size ${strtab.size})`, { section: strtab.name || undefined, offset });
    }
    return cString(this.bytes, strtab.offset + offset, strtab.offset + strtab.size);
  }

  error(code: ElfErrorCode, what: string, where?: Omit<ErrorWhere, "file">): ElfError {
    return new ElfError(code, { file: this.path, ...where }, what);
  }

  private readHeader(): ElfHeader {
    const b = this.bytes;
    if (b.length < 4 || C.ELF_MAGIC.some((m, i) => b[i] !== m)) {
      throw this.error("ELF_NOT_ELF", "not an ELF file (no \\x7fELF magic)");
    }
    if (b.length < EHDR_SIZE) throw this.error("ELF_TRUNCATED", `file is truncated: ${b.length} bytes, the ELF header alone needs ${EHDR_SIZE}`);
    if (b[C.EI_CLASS] === C.ELFCLASS32) throw this.error("ELF_CLASS", "32-bit ELF; jitdbg runs only 64-bit x86-64 programs (build with -m64)");
    if (b[C.EI_CLASS] !== C.ELFCLASS64) throw this.error("ELF_CORRUPT", `bad ELF class byte ${b[C.EI_CLASS]} (expected ${C.ELFCLASS64} for ELF64)`);
    if (b[C.EI_DATA] !== C.ELFDATA2LSB) throw this.error("ELF_ENDIAN", "big-endian ELF; jitdbg runs only little-endian x86-64 programs");
    if (b[C.EI_VERSION] !== C.EV_CURRENT) throw this.error("ELF_CORRUPT", `bad ELF version byte ${b[C.EI_VERSION]} (expected ${C.EV_CURRENT})`);
    const v = this.view;
    const h: ElfHeader = {
      type: v.getUint16(16, true),
      machine: v.getUint16(18, true),
      entry: v.getBigUint64(24, true),
      phoff: safeOffset(v.getBigUint64(32, true)),
      shoff: safeOffset(v.getBigUint64(40, true)),
      flags: v.getUint32(48, true),
      ehsize: v.getUint16(52, true),
      phentsize: v.getUint16(54, true),
      phnum: v.getUint16(56, true),
      shentsize: v.getUint16(58, true),
      shnum: v.getUint16(60, true),
      shstrndx: v.getUint16(62, true),
    };
    if (h.machine !== C.EM_X86_64) {
      throw this.error("ELF_MACHINE", `ELF machine ${h.machine} (${machineName(h.machine)}) is not x86-64; jitdbg emulates only x86-64`);
    }
    if (h.type !== C.ET_REL && h.type !== C.ET_EXEC && h.type !== C.ET_DYN) {
      throw this.error("ELF_TYPE", `unsupported ELF type ${h.type} (expected an executable, shared object or relocatable object)`);
    }
    if (h.phnum > 0) {
      if (h.phentsize !== PHDR_SIZE) throw this.error("ELF_CORRUPT", `program header entry size is ${h.phentsize}, expected ${PHDR_SIZE}`);
      if (h.phoff + h.phnum * PHDR_SIZE > b.length) {
        throw this.error("ELF_TRUNCATED", `program headers (offset ${hex(h.phoff)}, ${h.phnum} entries) run past the end of the file (${b.length} bytes)`);
      }
    }
    if (h.shnum > 0) {
      if (h.shentsize !== SHDR_SIZE) throw this.error("ELF_CORRUPT", `section header entry size is ${h.shentsize}, expected ${SHDR_SIZE}`);
      if (h.shoff + h.shnum * SHDR_SIZE > b.length) {
        throw this.error("ELF_TRUNCATED", `section headers (offset ${hex(h.shoff)}, ${h.shnum} entries) run past the end of the file (${b.length} bytes)`);
      }
      if (h.shstrndx >= h.shnum) throw this.error("ELF_CORRUPT", `section name table index ${h.shstrndx} is out of range (${h.shnum} sections)`);
    }
    if (h.type !== C.ET_REL && h.phnum === 0) throw this.error("ELF_CORRUPT", "executable has no program headers");
    return h;
  }

  private readSegments(): ProgramHeader[] {
    const out: ProgramHeader[] = [];
    const v = this.view;
    for (let i = 0; i < this.header.phnum; i++) {
      const at = this.header.phoff + i * PHDR_SIZE;
      const p: ProgramHeader = {
        index: i,
        type: v.getUint32(at, true),
        flags: v.getUint32(at + 4, true),
        offset: safeOffset(v.getBigUint64(at + 8, true)),
        vaddr: v.getBigUint64(at + 16, true),
        filesz: safeOffset(v.getBigUint64(at + 32, true)),
        memsz: v.getBigUint64(at + 40, true),
        align: v.getBigUint64(at + 48, true),
      };
      if (p.type !== C.PT_NULL && p.type !== C.PT_GNU_STACK && p.offset + p.filesz > this.bytes.length) {
        throw this.error("ELF_SEGMENT_BOUNDS", `segment ${i} (${segmentTypeName(p.type)}) covers file bytes ${hex(p.offset)}..${hex(p.offset + p.filesz)}, past the end of the file (${this.bytes.length} bytes)`);
      }
      if (p.type === C.PT_LOAD && BigInt(p.filesz) > p.memsz) {
        throw this.error("ELF_CORRUPT", `segment ${i} (PT_LOAD) has file size ${hex(p.filesz)} larger than its memory size ${hex(p.memsz)}`);
      }
      out.push(p);
    }
    const loads = out.filter((p) => p.type === C.PT_LOAD).sort((a, b) => (a.vaddr < b.vaddr ? -1 : 1));
    for (let i = 1; i < loads.length; i++) {
      const prev = loads[i - 1]!;
      const cur = loads[i]!;
      if (prev.vaddr + prev.memsz > cur.vaddr) {
        throw this.error("ELF_SEGMENT_OVERLAP", `loadable segments ${prev.index} (${hex(prev.vaddr)}..${hex(prev.vaddr + prev.memsz)}) and ${cur.index} (from ${hex(cur.vaddr)}) overlap in memory`);
      }
    }
    return out;
  }

  private readSections(): SectionHeader[] {
    const h = this.header;
    const v = this.view;
    const raw: Omit<SectionHeader, "name">[] = [];
    const nameOffsets: number[] = [];
    for (let i = 0; i < h.shnum; i++) {
      const at = h.shoff + i * SHDR_SIZE;
      nameOffsets.push(v.getUint32(at, true));
      const s = {
        index: i,
        type: v.getUint32(at + 4, true),
        flags: v.getUint32(at + 8, true),
        addr: v.getBigUint64(at + 16, true),
        offset: u64(v, at + 24),
        size: u64(v, at + 32),
        link: v.getUint32(at + 40, true),
        info: v.getUint32(at + 44, true),
        addralign: u64(v, at + 48),
        entsize: u64(v, at + 56),
      };
      if (s.type !== C.SHT_NOBITS && s.type !== C.SHT_NULL && s.offset + s.size > this.bytes.length) {
        throw this.error("ELF_SECTION_BOUNDS", `its header says it covers file bytes ${hex(s.offset)}..${hex(s.offset + s.size)}, past the end of the file (${this.bytes.length} bytes)`, { section: String(i) });
      }
      if (s.link >= h.shnum && s.link !== 0) throw this.error("ELF_CORRUPT", `links to section ${s.link}, which does not exist`, { section: String(i) });
      raw.push(s);
    }
    if (h.shnum === 0) return [];
    const strtab = raw[h.shstrndx]!;
    if (strtab.type !== C.SHT_STRTAB) throw this.error("ELF_CORRUPT", `section name table (section ${h.shstrndx}) is not a string table`);
    return raw.map((s, i) => {
      const off = nameOffsets[i]!;
      if (off >= strtab.size) throw this.error("ELF_CORRUPT", `its name offset ${off} is outside the section name table`, { section: String(i) });
      const name = cString(this.bytes, strtab.offset + off, strtab.offset + strtab.size);
      return { index: s.index, name, type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, info: s.info, addralign: s.addralign, entsize: s.entsize };
    });
  }

  private readSymbolTable(type: number): ElfSymbol[] {
    const { entries, name } = this.symbolEntries(type === C.SHT_DYNSYM);
    const out: ElfSymbol[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      out[i] = { index: e.index, name: name(e), value: e.value, size: e.size, bind: e.bind, type: e.type, visibility: e.visibility, shndx: e.shndx };
    }
    return out;
  }

  private readSymbolEntries(type: number): SymbolEntries {
    const sec = this.sections.find((s) => s.type === type);
    if (!sec) return { entries: [], name: () => "", named: () => false, nameIs: () => false };
    const strtab = this.sections[sec.link];
    if (!strtab || strtab.type !== C.SHT_STRTAB) throw this.error("ELF_CORRUPT", "the symbol table has no string table", { section: sec.name });
    const xindexSec = this.sections.find((s) => s.type === C.SHT_SYMTAB_SHNDX && s.link === sec.index);
    const count = Math.floor(sec.size / SYM_SIZE);
    const entries: SymbolEntry[] = new Array(count);
    const v = this.view;
    for (let i = 0; i < count; i++) {
      const at = sec.offset + i * SYM_SIZE;
      const info = v.getUint8(at + 4);
      let shndx = v.getUint16(at + 6, true);
      if (shndx === C.SHN_XINDEX && xindexSec) shndx = v.getUint32(xindexSec.offset + i * 4, true);
      entries[i] = {
        index: i,
        nameOffset: v.getUint32(at, true),
        value: v.getBigUint64(at + 8, true),
        size: v.getBigUint64(at + 16, true),
        bind: info >> 4,
        type: info & 0xf,
        visibility: v.getUint8(at + 5) & 3,
        shndx,
      };
    }
    const bytes = this.bytes;
    const strEnd = strtab.offset + strtab.size;
    return {
      entries,
      name: (e) => (e.nameOffset === 0 || e.nameOffset >= strtab.size ? "" : cString(bytes, strtab.offset + e.nameOffset, strEnd)),
      named: (e) => e.nameOffset !== 0 && e.nameOffset < strtab.size && bytes[strtab.offset + e.nameOffset] !== 0,
      nameIs: (e, name) => {
        if (name === "" || e.nameOffset === 0 || e.nameOffset + name.length >= strtab.size) return false;
        const at = strtab.offset + e.nameOffset;
        for (let k = 0; k < name.length; k++) {
          const c = name.charCodeAt(k);
          if (c >= 0x80) return cString(bytes, at, strEnd) === name;
          if (bytes[at + k] !== c) return false;
        }
        return bytes[at + name.length] === 0;
      },
    };
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safeOffset(n: bigint): number {
  // Offsets beyond 2^53 cannot be inside any file we hold; clamp so the bounds checks reject them.
  return n > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** An unsigned 64-bit field as a number, clamped as safeOffset does (no BigInt made). */
function u64(v: DataView, at: number): number {
  const hi = v.getUint32(at + 4, true);
  return hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 4294967296 + v.getUint32(at, true);
}

/** A Buffer over each ArrayBuffer strings are read from: one wrapper per file, not one per string. */
const stringViews = new WeakMap<ArrayBufferLike, Buffer>();

export function cString(bytes: Uint8Array, start: number, end = bytes.length): string {
  let nul = bytes.indexOf(0, start);
  if (nul < 0 || nul > end) nul = end;
  let view = stringViews.get(bytes.buffer);
  if (!view && nul - start <= 32 && bytes.buffer.byteLength <= 0x10000) {
    // A small file's short ASCII names (a JIT object's sections and symbols) without a Buffer: one
    // per new object costs more than its names. A large file's names go through one Buffer.
    let s = "";
    for (let i = start; i < nul; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) {
        s = "";
        break;
      }
      s += String.fromCharCode(c);
      if (i === nul - 1) return s;
    }
    if (nul === start) return "";
  }
  if (!view) {
    view = Buffer.from(bytes.buffer);
    stringViews.set(bytes.buffer, view);
  }
  return view.toString("utf8", bytes.byteOffset + start, bytes.byteOffset + nul);
}

function machineName(m: number): string {
  const names: Record<number, string> = { 3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 183: "AArch64", 243: "RISC-V" };
  return names[m] ?? "unknown";
}

export function segmentTypeName(t: number): string {
  const names: Record<number, string> = {
    [C.PT_LOAD]: "PT_LOAD", [C.PT_DYNAMIC]: "PT_DYNAMIC", [C.PT_INTERP]: "PT_INTERP", [C.PT_NOTE]: "PT_NOTE",
    [C.PT_PHDR]: "PT_PHDR", [C.PT_TLS]: "PT_TLS", [C.PT_GNU_EH_FRAME]: "PT_GNU_EH_FRAME", [C.PT_GNU_RELRO]: "PT_GNU_RELRO",
  };
  return names[t] ?? hex(t);
}
