/**
 * One loaded relocatable object: which of its sections occupy memory (SHF_ALLOC, PROGBITS or
 * NOBITS, TLS), its symbols, its relocations, the GOT entries and stubs they need, and the code
 * model its relocations imply. Parsing decides all of this without touching the inferior; the
 * linker then allocates, relocates and finalizes.
 */
import * as C from "../elf/constants.js";
import { ElfFile } from "../elf/reader.js";
import { JitdbgError } from "../errors.js";
import { GotTable, StubTable } from "./got-plt.js";
import type { Placement, ProtGroup } from "./memory-manager.js";
import { relocKind, relocTypeName, type RelocKind } from "./relocations/x86_64.js";
import type { TlsBlock } from "./tls.js";

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
  relocations: JitRelocation[];
  /** Moved with mapSectionAddress. */
  moved: boolean;
  /** .init_array/.fini_array priority (65536 for the unsuffixed section). */
  initPriority?: number;
  initKind?: "init" | "fini";
}

export interface JitRelocation {
  offset: number;
  kind: RelocKind;
  symbol: number;
  addend: bigint;
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
  value: bigint;
  size: bigint;
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
    if (s.section === SYM_ABS) return s.value;
    const sec = this.sections.get(s.section);
    return sec ? sec.address + s.value : undefined;
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
    throw new JitdbgError("JIT_NOT_RELOCATABLE", `${name}: not a relocatable object (ELF type ${elf.header.type}); the JIT links .o files (compile with -c)`);
  }
  const m = new JitModule(name, id);
  const symtabSec = elf.sections.find((s) => s.type === C.SHT_SYMTAB);
  const elfSyms = symtabSec ? elf.symbols() : [];

  // COMDAT: one copy per signature across modules; later copies' sections are dropped.
  const discarded = new Set<number>();
  for (const g of elf.sections) {
    if (g.type !== C.SHT_GROUP) continue;
    const words = new DataView(bytes.buffer, bytes.byteOffset + g.offset, g.size);
    if ((words.getUint32(0, true) & C.GRP_COMDAT) === 0) continue;
    const sig = elfSyms[g.info]?.name ?? "";
    const sigName = sig !== "" ? sig : (elf.sections[elfSyms[g.info]?.shndx ?? 0]?.name ?? g.name);
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
      throw new JitdbgError("JIT_SECTION_TYPE", `${name}: section ${s.name} has type ${hex(s.type)}, which the JIT linker does not load`);
    }
    if (s.flags & C.SHF_COMPRESSED) throw new JitdbgError("JIT_SECTION_TYPE", `${name}: allocated section ${s.name} is compressed`);
    const group: SectionGroup = s.flags & C.SHF_TLS ? "tls" : s.flags & C.SHF_EXECINSTR ? "code" : s.flags & C.SHF_WRITE ? "data" : "rodata";
    const sec: JitSection = {
      index: s.index, name: s.name, group, size: s.size, align: Math.max(s.addralign, 1), nobits: s.type === C.SHT_NOBITS,
      address: 0n, local: undefined, tlsOffset: 0, relocations: [], moved: false,
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
  m.symbols = elfSyms.map((s): JitSymbol => {
    let section: number;
    let value = s.value;
    const symName = s.type === C.STT_SECTION ? (elf.sections[s.shndx]?.name ?? "") : s.name;
    if (s.type === C.STT_GNU_IFUNC && s.shndx !== C.SHN_UNDEF) {
      const where = elf.sections[s.shndx]?.name ?? `section ${s.shndx}`;
      throw new JitdbgError("JIT_IFUNC", `${name}: symbol "${s.name}" at ${where}+${hex(s.value)} is an STT_GNU_IFUNC (indirect function); the JIT linker does not run resolvers — compile without ifunc/target_clones`);
    }
    if (s.shndx === C.SHN_UNDEF) section = SYM_UNDEF;
    else if (s.shndx === C.SHN_ABS) section = SYM_ABS;
    else if (s.shndx === C.SHN_COMMON) {
      if (ctx.hasDefinition(s.name)) section = SYM_UNDEF;
      else {
        const align = Math.max(Number(s.value), 1);
        commonSize = Math.ceil(commonSize / align) * align;
        value = BigInt(commonSize);
        commonSize += Number(s.size);
        commonAlign = Math.max(commonAlign, align);
        section = commonIndex;
        m.commons.add(s.index);
      }
    } else if (discarded.has(s.shndx)) section = s.bind === C.STB_LOCAL ? SYM_DISCARDED : SYM_UNDEF;
    else section = m.sections.has(s.shndx) ? s.shndx : SYM_DISCARDED;
    return { name: symName, bind: s.bind, type: s.type, section, value, size: s.size };
  });
  if (commonSize > 0) {
    m.sections.set(commonIndex, {
      index: commonIndex, name: "COMMON", group: "data", size: commonSize, align: commonAlign, nobits: true,
      address: 0n, local: undefined, tlsOffset: 0, relocations: [], moved: false,
    });
  }
  m.symbols.forEach((s, i) => {
    if (s.bind !== C.STB_LOCAL && s.name && s.section !== SYM_UNDEF && s.section !== SYM_DISCARDED) m.exports.set(s.name, i);
  });

  // Relocations, and what they need: GOT entries, stubs, and a placement window.
  let small = false;
  let large = false;
  for (const rs of elf.sections) {
    if (rs.type === C.SHT_REL && m.sections.has(rs.info)) {
      throw new JitdbgError("JIT_RELOC_FORMAT", `${name}: ${rs.name} uses SHT_REL; x86-64 objects carry SHT_RELA relocations`);
    }
    if (rs.type !== C.SHT_RELA) continue;
    const target = m.sections.get(rs.info);
    if (!target) continue; // debug info, discarded COMDAT members
    const isEhFrame = target.name === ".eh_frame";
    for (const r of elf.relocations(rs)) {
      const kind = relocKind(r.type);
      if (!kind) {
        throw new JitdbgError("JIT_RELOC_UNSUPPORTED", `${name}: unsupported relocation ${relocTypeName(r.type)} at ${target.name}+${hex(r.offset)} (against "${m.symbols[r.symbolIndex]?.name ?? "?"}"); rebuild without TLS descriptors (-mtls-dialect=gnu) or report the type`);
      }
      const sym = m.symbols[r.symbolIndex];
      if (!sym) throw new JitdbgError("JIT_RELOC_SYMBOL", `${name}: relocation at ${target.name}+${hex(r.offset)} names symbol ${r.symbolIndex}, which does not exist`);
      const offset = Number(r.offset);
      if (offset + kind.width > target.size) {
        throw new JitdbgError("JIT_RELOC_BOUNDS", `${name}: ${kind.name} at ${target.name}+${hex(offset)} patches past the end of the section (size ${hex(target.size)})`);
      }
      const undefinedHere = sym.section === SYM_UNDEF;
      const external = undefinedHere || sym.bind === C.STB_WEAK;
      const rel: JitRelocation = { offset, kind, symbol: r.symbolIndex, addend: r.addend, external };
      if (kind.got) m.got.add(kind.got, r.symbolIndex);
      if (kind.got || kind.usesGotBase) m.needsGot = true;
      if (kind.plt && external) m.stubs.add(r.symbolIndex);
      // Any 32-bit field outside .eh_frame means the small or medium code model; 64-bit forms in
      // code (movabs of addresses, GOTOFF64, PLTOFF64...) mean the large model.
      if (!isEhFrame && kind.width === 4 && !kind.tls) small = true;
      if (kind.width === 8 && target.group === "code") large = true;
      target.relocations.push(rel);
      m.relocationCount++;
    }
  }
  // Only large-model code goes above 2 GiB by default: a module with no code relocations at all
  // might still be reached by other modules' 32-bit fields, so it stays low too.
  m.placement = large && !small ? "anywhere" : "low";
  m.source = elf;
  return m;
}
