/**
 * One loaded relocatable object: which of its sections occupy memory (SHF_ALLOC, PROGBITS or
 * NOBITS, TLS), its symbols, its relocations, the GOT entries and stubs they need, and the code
 * model its relocations imply. Parsing decides all of this without touching the inferior; the
 * linker then allocates, relocates and finalizes.
 */
import { isAscii } from "node:buffer";
import * as C from "../elf/constants.js";
import { cString, ElfFile, type SectionHeader } from "../elf/reader.js";
import { JitdbgError, symbolWhere } from "../errors.js";
import { GotTable, StubTable } from "./got-plt.js";
import type { Placement, ProtGroup } from "./memory-manager.js";
import { relocKind, relocTypeName, type RelocKind } from "./relocations/x86_64.js";
import type { TlsBlock } from "./tls.js";
import { RelocationTable } from "./relocation-table.js";

export type SectionGroup = ProtGroup | "tls";

export interface JitSection {
  /** ELF section index, or a synthetic index past the object's sections (COMMON, GOT, stubs). */
  index: number;
  name: string;
  group: SectionGroup;
  size: number;
  align: number;
  nobits: boolean;
  /** Target address (TLS sections: the main thread's copy). */
  address: bigint;
  /** The bytes as they are now; zero-fill sections get a buffer only when someone asks for one. */
  local: Uint8Array | undefined;
  /** Offset in the module's TLS block (TLS sections only). */
  tlsOffset: number;
  relocations: RelocationTable;
  /** Moved with mapSectionAddress. */
  moved: boolean;
  /** .init_array/.fini_array priority (65536 for the unsuffixed section). */
  initPriority?: number;
  initKind?: "init" | "fini";
}

/** One relocation, materialized from a RelocationTable for the slow paths (errors, BigInt math). */
export interface JitRelocation {
  offset: number;
  kind: RelocKind;
  symbol: number;
  /** The addend as a double (exact: compilers' addends are small); bigAddend when it is not. */
  addend: number;
  bigAddend?: bigint;
  /** The two bytes before the field as the compiler wrote them (relaxable GOT loads). */
  original?: number;
  /** May resolve outside this module (undefined, weak or common symbol). */
  external: boolean;
}

export const SYM_UNDEF = -1;
export const SYM_ABS = -2;
export const SYM_DISCARDED = -3;

export interface JitSymbol {
  name: string;
  bind: number;
  type: number;
  /** Index into the module's sections, or SYM_UNDEF / SYM_ABS / SYM_DISCARDED. */
  section: number;
  /** Offset in its section (COMMON: in the synthetic COMMON section). */
  value: number;
  size: number;
  /** The full value of an SHN_ABS symbol. */
  absValue?: bigint;
}

/** Entry i of a relocation table as an object (for errors and the exact BigInt path). */
export function relocationAt(t: RelocationTable, i: number): JitRelocation {
  const r: JitRelocation = { offset: t.offsets[i]!, kind: relocKind(t.types[i]!)!, symbol: t.symbols[i]!, addend: t.addends[i]!, external: t.isExternal(i) };
  const big = t.bigAddend(i);
  if (big !== undefined) r.bigAddend = big;
  const original = t.original(i);
  if (original !== undefined) r.original = original;
  return r;
}

/** The section's bytes as they are now; a zero-fill section gets its buffer on first use. */
export function localBytes(s: JitSection): Uint8Array {
  s.local ??= new Uint8Array(s.size);
  return s.local;
}

export type ModuleState = "loaded" | "relocated" | "finalized" | "removed";

export class JitModule {
  readonly sections = new Map<number, JitSection>();
  symbols: JitSymbol[] = [];
  readonly got = new GotTable();
  readonly stubs = new StubTable();
  gotSection: JitSection | undefined;
  stubSection: JitSection | undefined;
  needsGot = false;
  placement: Placement = "anywhere";
  tls: TlsBlock | undefined;
  state: ModuleState = "loaded";
  /** Names this module resolved into other modules at its last link, per module. */
  readonly dependencies = new Map<JitModule, Set<string>>();
  /** COMDAT signatures this module's copy provides. */
  readonly comdats: string[] = [];
  /** Global and weak definitions: name → symbol index. */
  readonly exports = new Map<string, number>();
  relocationCount = 0;
  /** Whether external relocations were kept at finalization (replaceModule can re-link it). */
  keptExternal = true;
  /** Which COMMON symbols this module allocated (they yield to a later strong definition). */
  readonly commons = new Set<number>();
  /** The parsed object, kept only until its bytes are copied into the local buffers. */
  source: ElfFile | undefined;
  /** Key of the module's memory reservation (names may repeat across replacements). */
  get key(): string {
    return `${this.name}#${this.id}`;
  }

  constructor(
    readonly name: string,
    readonly id: number,
  ) {}

  section(name: string): JitSection | undefined {
    for (const s of this.sections.values()) if (s.name === name) return s;
    return undefined;
  }

  /** Where the symbol lives in the target (TLS: in the main thread's block). */
  symbolLoadAddress(index: number): bigint | undefined {
    const s = this.symbols[index];
    if (!s) return undefined;
    if (s.section === SYM_ABS) return s.absValue ?? BigInt(s.value);
    const sec = this.sections.get(s.section);
    return sec ? sec.address + BigInt(s.value) : undefined;
  }

  /** Code ranges (for invalidation and the unwinder registry). */
  codeRanges(): { start: bigint; end: bigint }[] {
    const out: { start: bigint; end: bigint }[] = [];
    for (const s of this.sections.values()) if (s.group === "code" && s.size > 0) out.push({ start: s.address, end: s.address + BigInt(s.size) });
    return out;
  }
}

export interface LoadContext {
  /** Whether another module already provides this COMDAT group. */
  comdatTaken(signature: string): boolean;
  /** Whether a non-weak definition of the name already exists (a COMMON symbol then just refers to it). */
  hasDefinition(name: string): boolean;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

function initPriority(name: string): number {
  const m = /^\.(?:init|fini)_array\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 65536;
}

/** Parses an ET_REL object into a module whose sections are sized but not yet placed. */
export function parseObject(bytes: Uint8Array, name: string, id: number, ctx: LoadContext): JitModule {
  const elf = ElfFile.parse(bytes, name);
  if (!elf.isRelocatable) {
    throw new JitdbgError("JIT_NOT_RELOCATABLE", { file: name }, `not a relocatable object (ELF type ${elf.header.type}); the JIT links .o files (compile with -c)`);
  }
  const m = new JitModule(name, id);
  const symtabSec = elf.sections.find((s) => s.type === C.SHT_SYMTAB);
  const syms = symtabSec ? new SymtabView(bytes, elf, symtabSec) : undefined;

  // COMDAT: one copy per signature across modules; later copies' sections are dropped.
  const discarded = new Set<number>();
  for (const g of elf.sections) {
    if (g.type !== C.SHT_GROUP) continue;
    const words = new DataView(bytes.buffer, bytes.byteOffset + g.offset, g.size);
    if ((words.getUint32(0, true) & C.GRP_COMDAT) === 0) continue;
    const known = syms !== undefined && g.info < syms.count;
    const sig = known ? syms.name(g.info) : "";
    const sigName = sig !== "" ? sig : (elf.sections[known ? syms.shndx(g.info) : 0]?.name ?? g.name);
    if (ctx.comdatTaken(sigName) || m.comdats.includes(sigName)) {
      for (let i = 4; i + 4 <= g.size; i += 4) discarded.add(words.getUint32(i, true));
    } else {
      m.comdats.push(sigName);
    }
  }

  for (const s of elf.sections) {
    if ((s.flags & C.SHF_ALLOC) === 0 || discarded.has(s.index)) continue;
    if (s.type === C.SHT_NOTE || s.type === C.SHT_GROUP) continue;
    if (s.type !== C.SHT_PROGBITS && s.type !== C.SHT_NOBITS && s.type !== C.SHT_INIT_ARRAY && s.type !== C.SHT_FINI_ARRAY && s.type !== C.SHT_PREINIT_ARRAY && s.type !== C.SHT_X86_64_UNWIND) {
      throw new JitdbgError("JIT_SECTION_TYPE", { file: name, section: s.name }, `the section has type ${hex(s.type)}, which the JIT linker does not load`);
    }
    if (s.flags & C.SHF_COMPRESSED) throw new JitdbgError("JIT_SECTION_TYPE", { file: name, section: s.name }, "the allocated section is compressed, which the JIT linker does not load");
    const group: SectionGroup = s.flags & C.SHF_TLS ? "tls" : s.flags & C.SHF_EXECINSTR ? "code" : s.flags & C.SHF_WRITE ? "data" : "rodata";
    const sec: JitSection = {
      index: s.index, name: s.name, group, size: s.size, align: Math.max(s.addralign, 1), nobits: s.type === C.SHT_NOBITS,
      address: 0n, local: undefined, tlsOffset: 0, relocations: new RelocationTable(), moved: false,
    };
    if (s.type === C.SHT_INIT_ARRAY || s.type === C.SHT_PREINIT_ARRAY || s.name.startsWith(".init_array")) {
      sec.initKind = "init";
      sec.initPriority = initPriority(s.name);
    } else if (s.type === C.SHT_FINI_ARRAY || s.name.startsWith(".fini_array")) {
      sec.initKind = "fini";
      sec.initPriority = initPriority(s.name);
    }
    m.sections.set(s.index, sec);
  }

  // Symbols: COMMON ones get space in a synthetic section unless someone already defines the name.
  const commonIndex = elf.sections.length;
  let commonSize = 0;
  let commonAlign = 1;
  // One object per symbol, read straight from the table (no intermediate record), exports noted as we go.
  const symCount = syms?.count ?? 0;
  const symbols: JitSymbol[] = new Array(symCount);
  for (let i = 0; i < symCount; i++) {
    const v = syms!;
    const info = v.info(i);
    const bind = info >> 4;
    const type = info & 0xf;
    const shndx = v.shndx(i);
    const rawName = v.name(i);
    let section: number;
    let value = v.value(i);
    const size = v.size(i);
    let absValue: bigint | undefined;
    const symName = type === C.STT_SECTION ? (elf.sections[shndx]?.name ?? "") : rawName;
    if (type === C.STT_GNU_IFUNC && shndx !== C.SHN_UNDEF) {
      const where = elf.sections[shndx]?.name ?? String(shndx);
      throw new JitdbgError("JIT_IFUNC", { file: name, section: where, offset: value, symbol: rawName }, `symbol "${rawName}" is an STT_GNU_IFUNC (indirect function); the JIT linker does not run resolvers — compile without ifunc/target_clones`);
    }
    if (shndx === C.SHN_UNDEF) section = SYM_UNDEF;
    else if (shndx === C.SHN_ABS) {
      section = SYM_ABS;
      absValue = v.bigValue(i) ?? BigInt(value);
    }
    else if (shndx === C.SHN_COMMON) {
      if (ctx.hasDefinition(rawName)) section = SYM_UNDEF;
      else {
        const align = Math.max(value, 1);
        commonSize = Math.ceil(commonSize / align) * align;
        value = commonSize;
        commonSize += size;
        commonAlign = Math.max(commonAlign, align);
        section = commonIndex;
        m.commons.add(i);
      }
    } else if (discarded.has(shndx)) section = bind === C.STB_LOCAL ? SYM_DISCARDED : SYM_UNDEF;
    else section = m.sections.has(shndx) ? shndx : SYM_DISCARDED;
    const out: JitSymbol = { name: symName, bind, type, section, value, size };
    if (absValue !== undefined) out.absValue = absValue;
    symbols[i] = out;
    if (bind !== C.STB_LOCAL && symName && section !== SYM_UNDEF && section !== SYM_DISCARDED) m.exports.set(symName, i);
  }
  m.symbols = symbols;
  if (commonSize > 0) {
    m.sections.set(commonIndex, {
      index: commonIndex, name: "COMMON", group: "data", size: commonSize, align: commonAlign, nobits: true,
      address: 0n, local: undefined, tlsOffset: 0, relocations: new RelocationTable(), moved: false,
    });
  }

  // Relocations, and what they need: GOT entries, stubs, and a placement window.
  let small = false;
  let large = false;
  for (const rs of elf.sections) {
    if (rs.type === C.SHT_REL && m.sections.has(rs.info)) {
      throw new JitdbgError("JIT_RELOC_FORMAT", { file: name, section: rs.name }, "the relocation section uses SHT_REL; x86-64 objects carry SHT_RELA relocations");
    }
    if (rs.type !== C.SHT_RELA) continue;
    const target = m.sections.get(rs.info);
    if (!target) continue; // debug info, discarded COMDAT members
    const isEhFrame = target.name === ".eh_frame";
    // Read Elf64_Rela records directly: numbers, not BigInts, keep loading allocation-light; as
    // 32-bit words, not DataView calls (a call per field was a third of the loop, 12,000 records
    // in a 3,000-function object, in the interpreter a short-lived process runs this loop in).
    const words = littleWords(bytes, rs.offset, rs.size - (rs.size % 24));
    if (target.relocations.length === 0) target.relocations = new RelocationTable(words.length / 6);
    for (let w = 0; w < words.length; w += 6) {
      // Fields as locals, no record per relocation.
      const offset = words[w]! + words[w + 1]! * 4294967296;
      const type = words[w + 2]!;
      const symbolIndex = words[w + 3]!;
      const addLo = words[w + 4]!;
      const addHi = words[w + 5]! | 0;
      const kind = relocKind(type);
      if (!kind) {
        throw new JitdbgError("JIT_RELOC_UNSUPPORTED", { file: name, section: target.name, offset, ...symbolWhere(m.symbols[symbolIndex]?.name) }, `unsupported relocation ${relocTypeName(type)} against "${m.symbols[symbolIndex]?.name ?? "?"}"; rebuild without TLS descriptors (-mtls-dialect=gnu) or report the type`);
      }
      const sym = m.symbols[symbolIndex];
      if (!sym) throw new JitdbgError("JIT_RELOC_SYMBOL", { file: name, section: target.name, offset }, `a relocation names symbol ${symbolIndex}, which does not exist`);
      if (offset + kind.width > target.size) {
        throw new JitdbgError("JIT_RELOC_BOUNDS", { file: name, section: target.name, offset, ...symbolWhere(sym.name) }, `${kind.name} patches past the end of the section (size ${hex(target.size)})`);
      }
      const undefinedHere = sym.section === SYM_UNDEF;
      const external = undefinedHere || sym.bind === C.STB_WEAK;
      const t = target.relocations;
      const i = t.push(offset, type, symbolIndex, addHi * 4294967296 + addLo, external);
      if (addHi > 0x1fffff || addHi < -0x200000) t.setBigAddend(i, BigInt(addHi) * 4294967296n + BigInt(addLo));
      if (kind.got) m.got.add(kind.got, symbolIndex);
      if (kind.got || kind.usesGotBase) m.needsGot = true;
      if (kind.plt && external) m.stubs.add(symbolIndex);
      // Any 32-bit field outside .eh_frame means the small or medium code model; 64-bit forms in
      // code (movabs of addresses, GOTOFF64, PLTOFF64...) mean the large model.
      if (!isEhFrame && kind.width === 4 && !kind.tls) small = true;
      if (kind.width === 8 && target.group === "code") large = true;
      m.relocationCount++;
    }
  }
  // Only large-model code goes above 2 GiB by default: a module with no code relocations at all
  // might still be reached by other modules' 32-bit fields, so it stays low too.
  m.placement = large && !small ? "anywhere" : "low";
  m.source = elf;
  return m;
}

/**
 * The object's .symtab read in place, with numbers instead of BigInts and names sliced from one
 * decoded string table: loading a 3,000-function object is dominated by this, so nothing is
 * allocated per symbol but its name.
 */
class SymtabView {
  readonly count: number;
  /** The table as 32-bit words, six an entry (st_name; st_info, st_other, st_shndx; st_value; st_size). */
  private readonly words: Uint32Array;
  private readonly strBytes: Uint8Array;
  private readonly str: string | undefined;
  private readonly xindex: readonly { shndx: number }[] | undefined;

  constructor(bytes: Uint8Array, elf: ElfFile, symtab: SectionHeader) {
    const strtab = elf.sections[symtab.link];
    if (!strtab || strtab.type !== C.SHT_STRTAB) throw elf.error("ELF_CORRUPT", `symbol table ${symtab.name} has no string table`);
    this.strBytes = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
    this.str = isAscii(this.strBytes) ? Buffer.from(this.strBytes.buffer, this.strBytes.byteOffset, this.strBytes.length).toString("latin1") : undefined;
    this.xindex = elf.sections.some((s) => s.type === C.SHT_SYMTAB_SHNDX) ? elf.symbols() : undefined;
    this.words = littleWords(bytes, symtab.offset, symtab.size - (symtab.size % 24));
    this.count = this.words.length / 6;
  }

  name(i: number): string {
    const nameOff = this.words[i * 6]!;
    if (nameOff === 0 || nameOff >= this.strBytes.length) return "";
    if (this.str === undefined) return cString(this.strBytes, nameOff);
    const end = this.str.indexOf("\0", nameOff);
    return this.str.slice(nameOff, end < 0 ? this.str.length : end);
  }

  info(i: number): number {
    return this.words[i * 6 + 1]! & 0xff;
  }

  shndx(i: number): number {
    return this.xindex ? this.xindex[i]!.shndx : this.words[i * 6 + 1]! >>> 16;
  }

  /** st_value as a double (exact below 2^53). */
  value(i: number): number {
    return this.words[i * 6 + 3]! * 4294967296 + this.words[i * 6 + 2]!;
  }

  /** st_value when it does not fit a double exactly (absolute symbols only, in practice). */
  bigValue(i: number): bigint | undefined {
    const hi = this.words[i * 6 + 3]!;
    return hi > 0x1fffff ? BigInt(hi) * 4294967296n + BigInt(this.words[i * 6 + 2]!) : undefined;
  }

  size(i: number): number {
    return this.words[i * 6 + 4]! + this.words[i * 6 + 5]! * 4294967296;
  }
}

/**
 * `size` bytes at `offset` of a little-endian file as 32-bit words: a view of the file's own bytes
 * where they are aligned for it on a little-endian host, else a copy read field by field.
 */
function littleWords(bytes: Uint8Array, offset: number, size: number): Uint32Array {
  const start = bytes.byteOffset + offset;
  if (LITTLE_HOST && start % 4 === 0) return new Uint32Array(bytes.buffer, start, size / 4);
  const dv = new DataView(bytes.buffer, start, size);
  const out = new Uint32Array(size / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}

const LITTLE_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
