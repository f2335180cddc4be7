/**
 * ELF64 little-endian writer for x86-64 relocatable objects (ET_REL): the caller's sections, their
 * RELA sections, .symtab/.strtab/.shstrtab, with section symbols made automatically. Symbols are
 * ordered locals first, as the gABI requires (sh_info of .symtab = first global).
 */
import * as C from "./constants.js";

export interface WriterReloc {
  offset: number;
  type: number;
  /** A named symbol (defined or undefined), or a section through its section symbol. */
  target: { symbol: string } | { section: string };
  addend: bigint;
}

export interface WriterSection {
  name: string;
  type: number;
  flags: number;
  /** Contents; for SHT_NOBITS only the length counts. */
  data: Uint8Array;
  align: number;
  entsize?: number;
  relocations?: WriterReloc[];
}

export interface WriterSymbol {
  name: string;
  bind: number;
  type: number;
  /** The defining section's name; undefined for an undefined symbol. */
  section: string | undefined;
  value: bigint;
  size: bigint;
  visibility?: number;
}

export interface RelocatableObject {
  sections: WriterSection[];
  symbols: WriterSymbol[];
  /** STT_FILE symbol, for tools that print where a symbol came from. */
  fileName?: string;
}

const EHDR = 64;
const SHDR = 64;
const SYM = 24;
const RELA = 24;

class StringTable {
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;
  private readonly index = new Map<string, number>();
  add(s: string): number {
    if (s === "") return 0;
    const hit = this.index.get(s);
    if (hit !== undefined) return hit;
    const at = this.size;
    const b = Buffer.from(`${s}\0`, "utf8");
    this.parts.push(b);
    this.size += b.length;
    this.index.set(s, at);
    return at;
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

interface OutSection {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  align: number;
  entsize: number;
  link: number;
  info: number;
  offset: number;
}

export function writeRelocatable(obj: RelocatableObject): Uint8Array {
  const out: OutSection[] = [{ name: "", type: C.SHT_NULL, flags: 0, data: new Uint8Array(0), align: 0, entsize: 0, link: 0, info: 0, offset: 0 }];
  const sectionIndex = new Map<string, number>();
  const relaFor: { rela: number; of: WriterSection }[] = [];
  for (const s of obj.sections) {
    if (sectionIndex.has(s.name)) throw new Error(`writeRelocatable: duplicate section ${s.name}`);
    sectionIndex.set(s.name, out.length);
    out.push({ name: s.name, type: s.type, flags: s.flags, data: s.data, align: s.align, entsize: s.entsize ?? 0, link: 0, info: 0, offset: 0 });
    if (s.relocations && s.relocations.length > 0) {
      relaFor.push({ rela: out.length, of: s });
      out.push({ name: `.rela${s.name}`, type: C.SHT_RELA, flags: C.SHF_INFO_LINK, data: new Uint8Array(0), align: 8, entsize: RELA, link: 0, info: out.length - 1, offset: 0 });
    }
  }
  const symtabIdx = out.length;
  const strtabIdx = symtabIdx + 1;
  const shstrtabIdx = symtabIdx + 2;

  // Symbols: null, file, section symbols, locals, then globals.
  const strtab = new StringTable();
  const syms: Buffer[] = [];
  const symIndex = new Map<string, number>();
  const sectionSym = new Map<string, number>();
  const putSym = (name: string, info: number, other: number, shndx: number, value: bigint, size: bigint): number => {
    const b = Buffer.alloc(SYM);
    b.writeUInt32LE(strtab.add(name), 0);
    b.writeUInt8(info, 4);
    b.writeUInt8(other, 5);
    b.writeUInt16LE(shndx, 6);
    b.writeBigUInt64LE(value, 8);
    b.writeBigUInt64LE(size, 16);
    syms.push(b);
    return syms.length - 1;
  };
  putSym("", 0, 0, 0, 0n, 0n);
  if (obj.fileName) putSym(obj.fileName, (C.STB_LOCAL << 4) | C.STT_FILE, 0, C.SHN_ABS, 0n, 0n);
  for (const s of obj.sections) {
    if (!(s.flags & C.SHF_ALLOC)) continue;
    sectionSym.set(s.name, putSym("", (C.STB_LOCAL << 4) | C.STT_SECTION, 0, sectionIndex.get(s.name)!, 0n, 0n));
  }
  const shndxOf = (sym: WriterSymbol): number => {
    if (sym.section === undefined) return C.SHN_UNDEF;
    const i = sectionIndex.get(sym.section);
    if (i === undefined) throw new Error(`writeRelocatable: symbol ${sym.name} is in unknown section ${sym.section}`);
    return i;
  };
  const ordered = [...obj.symbols.filter((s) => s.bind === C.STB_LOCAL), ...obj.symbols.filter((s) => s.bind !== C.STB_LOCAL)];
  for (const s of ordered) {
    symIndex.set(s.name, putSym(s.name, (s.bind << 4) | s.type, s.visibility ?? 0, shndxOf(s), s.value, s.size));
  }
  const firstGlobal = syms.length - ordered.filter((s) => s.bind !== C.STB_LOCAL).length;

  // Relocation records.
  for (const { rela, of } of relaFor) {
    const b = Buffer.alloc(of.relocations!.length * RELA);
    of.relocations!.forEach((r, i) => {
      let sym: number | undefined;
      if ("symbol" in r.target) sym = symIndex.get(r.target.symbol);
      else sym = sectionSym.get(r.target.section);
      if (sym === undefined) throw new Error(`writeRelocatable: relocation in ${of.name} refers to unknown ${JSON.stringify(r.target)}`);
      b.writeBigUInt64LE(BigInt(r.offset), i * RELA);
      b.writeBigUInt64LE((BigInt(sym) << 32n) | BigInt(r.type), i * RELA + 8);
      b.writeBigInt64LE(r.addend, i * RELA + 16);
    });
    out[rela]!.data = b;
    out[rela]!.link = symtabIdx;
  }

  const shstrtab = new StringTable();
  out.push({ name: ".symtab", type: C.SHT_SYMTAB, flags: 0, data: Buffer.concat(syms), align: 8, entsize: SYM, link: strtabIdx, info: firstGlobal, offset: 0 });
  out.push({ name: ".strtab", type: C.SHT_STRTAB, flags: 0, data: strtab.bytes(), align: 1, entsize: 0, link: 0, info: 0, offset: 0 });
  out.push({ name: ".shstrtab", type: C.SHT_STRTAB, flags: 0, data: new Uint8Array(0), align: 1, entsize: 0, link: 0, info: 0, offset: 0 });
  const nameOffsets = out.map((s) => shstrtab.add(s.name));
  out[shstrtabIdx]!.data = shstrtab.bytes();

  // Layout: header, section contents (aligned), section header table.
  let off = EHDR;
  for (const s of out) {
    if (s.type === C.SHT_NULL) continue;
    const a = Math.max(1, s.align);
    off = Math.ceil(off / a) * a;
    s.offset = off;
    if (s.type !== C.SHT_NOBITS) off += s.data.length;
  }
  const shoff = Math.ceil(off / 8) * 8;
  const total = shoff + out.length * SHDR;
  const buf = Buffer.alloc(total);

  // ELF header.
  buf.set([...C.ELF_MAGIC, C.ELFCLASS64, C.ELFDATA2LSB, C.EV_CURRENT, C.ELFOSABI_SYSV], 0);
  buf.writeUInt16LE(C.ET_REL, 16);
  buf.writeUInt16LE(C.EM_X86_64, 18);
  buf.writeUInt32LE(1, 20);
  buf.writeBigUInt64LE(0n, 24); // entry
  buf.writeBigUInt64LE(0n, 32); // phoff
  buf.writeBigUInt64LE(BigInt(shoff), 40);
  buf.writeUInt32LE(0, 48); // flags
  buf.writeUInt16LE(EHDR, 52);
  buf.writeUInt16LE(0, 54); // phentsize
  buf.writeUInt16LE(0, 56); // phnum
  buf.writeUInt16LE(SHDR, 58);
  buf.writeUInt16LE(out.length, 60);
  buf.writeUInt16LE(shstrtabIdx, 62);

  out.forEach((s, i) => {
    if (s.type !== C.SHT_NOBITS && s.type !== C.SHT_NULL) buf.set(s.data, s.offset);
    const h = shoff + i * SHDR;
    buf.writeUInt32LE(nameOffsets[i]!, h);
    buf.writeUInt32LE(s.type, h + 4);
    buf.writeBigUInt64LE(BigInt(s.flags), h + 8);
    buf.writeBigUInt64LE(0n, h + 16); // addr
    buf.writeBigUInt64LE(BigInt(s.offset), h + 24);
    buf.writeBigUInt64LE(BigInt(s.data.length), h + 32);
    buf.writeUInt32LE(s.link, h + 40);
    buf.writeUInt32LE(s.info, h + 44);
    buf.writeBigUInt64LE(BigInt(s.align), h + 48);
    buf.writeBigUInt64LE(BigInt(s.entsize), h + 56);
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
