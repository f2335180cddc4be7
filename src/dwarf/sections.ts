/**
 * The DWARF and CFI sections of one ELF file, decompressed when SHF_COMPRESSED (zlib) and, for
 * relocatable objects, with their RELA relocations applied so offsets into .debug_str and addresses
 * of .text are real values (in a .o file those fields hold 0 and the value lives in the relocation).
 */
import { lazyModule } from "../lazy-module.js";
import type { ElfFile, SectionHeader } from "../elf/reader.js";
import * as C from "../elf/constants.js";
import type { ErrorWhere } from "../errors.js";
import { DwarfError, hex } from "./errors.js";

export interface DwarfSection {
  readonly name: string;
  readonly data: Uint8Array;
  /** Load address of the section (sh_addr, or what SectionsOptions.sectionAddress says). */
  readonly address: bigint;
}

export interface SectionsOptions {
  /**
   * Where each allocated section is (or will be) loaded. Defaults to sh_addr. For relocatable objects
   * every sh_addr is 0; pass the final placement to get load addresses in line tables and DIEs.
   * Called for SHF_ALLOC sections only.
   */
  sectionAddress?: (section: SectionHeader) => bigint;
}

export const DWARF_SECTION_NAMES = [
  ".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets", ".debug_addr",
  ".debug_line", ".debug_rnglists", ".debug_ranges", ".debug_loclists", ".debug_loc", ".debug_aranges",
  ".debug_frame", ".eh_frame", ".eh_frame_hdr", ".debug_types",
] as const;
export type DwarfSectionName = (typeof DWARF_SECTION_NAMES)[number];

/** x86-64 relocation types that appear in debug and unwind sections of gcc/clang objects. */
const RELOCS: Record<number, { name: string; size: 4 | 8; pcrel: boolean; signed: boolean }> = {
  [C.R_X86_64_64]: { name: "R_X86_64_64", size: 8, pcrel: false, signed: false },
  [C.R_X86_64_PC32]: { name: "R_X86_64_PC32", size: 4, pcrel: true, signed: true },
  [C.R_X86_64_32]: { name: "R_X86_64_32", size: 4, pcrel: false, signed: false },
  [C.R_X86_64_32S]: { name: "R_X86_64_32S", size: 4, pcrel: false, signed: true },
  [C.R_X86_64_DTPOFF64]: { name: "R_X86_64_DTPOFF64", size: 8, pcrel: false, signed: false },
  [C.R_X86_64_DTPOFF32]: { name: "R_X86_64_DTPOFF32", size: 4, pcrel: false, signed: true },
  [C.R_X86_64_PC64]: { name: "R_X86_64_PC64", size: 8, pcrel: true, signed: true },
};

export class DwarfSections {
  private readonly map = new Map<string, DwarfSection>();

  private constructor(readonly path: string) {}

  static fromElf(elf: ElfFile, opts: SectionsOptions = {}): DwarfSections {
    const out = new DwarfSections(elf.path);
    // Only allocated sections have load addresses; offsets into debug sections are relative to 0.
    const custom = opts.sectionAddress ?? ((s: SectionHeader) => s.addr);
    const addrOf = (s: SectionHeader): bigint => (s.flags & C.SHF_ALLOC ? custom(s) : 0n);
    for (const sec of elf.sections) {
      const name = sec.name.startsWith(".zdebug_") ? `.debug_${sec.name.slice(8)}` : sec.name;
      if (!(DWARF_SECTION_NAMES as readonly string[]).includes(name)) continue;
      if (sec.type === C.SHT_NOBITS) continue;
      let data = decompress(elf, sec);
      if (elf.isRelocatable) data = applyRelocations(elf, sec, data, addrOf);
      out.map.set(name, { name, data, address: addrOf(sec) });
    }
    return out;
  }

  /** For tests and synthetic input: sections given directly. */
  static fromMap(path: string, sections: Record<string, Uint8Array>, addresses: Record<string, bigint> = {}): DwarfSections {
    const out = new DwarfSections(path);
    for (const [name, data] of Object.entries(sections)) out.map.set(name, { name, data, address: addresses[name] ?? 0n });
    return out;
  }

  get(name: DwarfSectionName): DwarfSection | undefined {
    return this.map.get(name);
  }

  has(name: DwarfSectionName): boolean {
    return this.map.has(name);
  }

  /** The section, or DWARF_MISSING_SECTION at the missing section saying who needed it ("the unit at 0x0 (DW_FORM_strp)"). */
  require(name: DwarfSectionName, neededBy: string): DwarfSection {
    const s = this.map.get(name);
    if (!s) {
      throw new DwarfError("DWARF_MISSING_SECTION", { file: this.path, section: name }, `${neededBy} needs section ${name}, which the file does not have (was it stripped or built without -g?)`);
    }
    return s;
  }
}

function decompress(elf: ElfFile, sec: SectionHeader): Uint8Array {
  const raw = elf.sectionData(sec);
  const where = { file: elf.path, section: sec.name };
  if (sec.flags & C.SHF_COMPRESSED) {
    if (raw.length < 24) throw new DwarfError("DWARF_CORRUPT", where, "the section is compressed but too short for its compression header");
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const type = v.getUint32(0, true);
    if (type !== C.ELFCOMPRESS_ZLIB) {
      throw new DwarfError("DWARF_UNSUPPORTED", where, `the section is compressed with ELF compression type ${type}; only zlib (1) is supported — relink with --compress-debug-sections=zlib or none`);
    }
    return inflate(raw.subarray(24), where);
  }
  if (sec.name.startsWith(".zdebug_")) {
    if (raw.length < 12 || Buffer.from(raw.subarray(0, 4)).toString("latin1") !== "ZLIB") {
      throw new DwarfError("DWARF_CORRUPT", where, 'the section has no "ZLIB" header');
    }
    return inflate(raw.subarray(12), where);
  }
  return raw;
}

function inflate(data: Uint8Array, where: ErrorWhere): Uint8Array {
  try {
    return new Uint8Array(zlib().inflateSync(data));
  } catch (e) {
    // zlib reports bad data as Z_DATA_ERROR, Z_BUF_ERROR, ...; anything else is not the data's fault.
    if (!(e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("Z_"))) throw e;
    throw new DwarfError("DWARF_CORRUPT", where, `zlib data is corrupt (${e.message})`);
  }
}

function applyRelocations(elf: ElfFile, sec: SectionHeader, data: Uint8Array, addrOf: (s: SectionHeader) => bigint): Uint8Array {
  const relSecs = elf.sections.filter((s) => s.type === C.SHT_RELA && s.info === sec.index);
  if (relSecs.length === 0) return data;
  const out = new Uint8Array(data); // copy: never patch the file's bytes
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const base = addrOf(sec);
  for (const rs of relSecs) {
    const symtab = elf.sections[rs.link];
    const syms = symtab ? elf.symbolsOf(symtab) : [];
    for (const r of elf.relocations(rs)) {
      if (r.type === C.R_X86_64_NONE) continue;
      const kind = RELOCS[r.type];
      const where = { file: elf.path, section: rs.name, offset: r.offset };
      if (!kind) {
        throw new DwarfError("DWARF_UNSUPPORTED_RELOCATION", where, `relocation type ${r.type} in a debug section is not supported (supported: ${Object.values(RELOCS).map((k) => k.name).join(", ")})`);
      }
      const sym = syms[r.symbolIndex];
      let s = 0n;
      if (sym) {
        s = sym.value;
        const target = sym.shndx > 0 && sym.shndx < C.SHN_LORESERVE ? elf.sections[sym.shndx] : undefined;
        const isTls = r.type === C.R_X86_64_DTPOFF64 || r.type === C.R_X86_64_DTPOFF32;
        if (target && !isTls) s += addrOf(target);
      }
      let value = s + r.addend;
      if (kind.pcrel) value -= base + r.offset;
      const off = Number(r.offset);
      if (off + kind.size > out.length) {
        throw new DwarfError("DWARF_CORRUPT", where, `the relocation patches bytes past the end of ${sec.name} (size ${hex(out.length)})`);
      }
      if (kind.size === 8) view.setBigUint64(off, BigInt.asUintN(64, value), true);
      else view.setUint32(off, Number(BigInt.asUintN(32, value)), true);
    }
  }
  return out;
}

/** node:zlib, loaded when a section is compressed (few programs have one). */
const zlib = lazyModule<typeof import("node:zlib")>("node:zlib");
