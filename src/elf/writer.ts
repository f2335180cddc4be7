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

/** Names as text until the file is written (one pass, no buffer per name); UTF-8 where not ASCII. */
class StringTable {
  private readonly parts: (string | Uint8Array)[] = [];
  private size = 1;
  private readonly index = new Map<string, number>();
  add(s: string): number {
    if (s === "") return 0;
    const hit = this.index.get(s);
    if (hit !== undefined) return hit;
    const at = this.size;
    let ascii = true;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) { ascii = false; break; }
    const part = ascii ? s : Buffer.from(s, "utf8");
    this.parts.push(part);
    this.size += part.length + 1;
    this.index.set(s, at);
    return at;
  }
  get length(): number {
    return this.size;
  }
  /** Writes the table (a NUL first, then each name and its NUL) at `at`. */
  writeTo(buf: Uint8Array, at: number): void {
    let o = at + 1;
    for (const p of this.parts) {
      if (typeof p === "string") for (let i = 0; i < p.length; i++) buf[o + i] = p.charCodeAt(i);
      else buf.set(p, o);
      o += p.length + 1;
    }
  }
}

interface OutSection {
  name: string;
  type: number;
  flags: number;
  /** Contents (or, for a RELA or symbol table, filled in at `offset` when the file is written). */
  data: Uint8Array | undefined;
  size: number;
  align: number;
  entsize: number;
  link: number;
  info: number;
  offset: number;
  /** The section whose relocations this RELA section holds. */
  relocsOf?: WriterSection;
  /** A string table's names. */
  strings?: StringTable;
}

const TWO32 = 4294967296;

/** A 64-bit little-endian field from a number (exact below 2^53) or a bigint. */
function put64(dv: DataView, at: number, v: number | bigint): void {
  if (typeof v === "bigint") {
    dv.setBigUint64(at, BigInt.asUintN(64, v), true);
    return;
  }
  dv.setUint32(at, v % TWO32 >>> 0, true);
  dv.setUint32(at + 4, Math.floor(v / TWO32) >>> 0, true);
}

export function writeRelocatable(obj: RelocatableObject): Uint8Array {
  const out: OutSection[] = [{ name: "", type: C.SHT_NULL, flags: 0, data: undefined, size: 0, align: 0, entsize: 0, link: 0, info: 0, offset: 0 }];
  const sectionIndex = new Map<string, number>();
  for (const s of obj.sections) {
    if (sectionIndex.has(s.name)) throw new Error(`writeRelocatable: duplicate section ${s.name}`);
    sectionIndex.set(s.name, out.length);
    out.push({ name: s.name, type: s.type, flags: s.flags, data: s.data, size: s.data.length, align: s.align, entsize: s.entsize ?? 0, link: 0, info: 0, offset: 0 });
    if (s.relocations && s.relocations.length > 0) {
      out.push({ name: `.rela${s.name}`, type: C.SHT_RELA, flags: C.SHF_INFO_LINK, data: undefined, size: s.relocations.length * RELA, align: 8, entsize: RELA, link: 0, info: out.length - 1, offset: 0, relocsOf: s });
    }
  }
  const symtabIdx = out.length;
  const strtabIdx = symtabIdx + 1;
  const shstrtabIdx = symtabIdx + 2;

  const strtab = new StringTable();
  const symIndex = new Map<string, number>();
  const sectionSym = new Map<string, number>();
  const shndxOf = (sym: WriterSymbol): number => {
    if (sym.section === undefined) return C.SHN_UNDEF;
    const i = sectionIndex.get(sym.section);
    if (i === undefined) throw new Error(`writeRelocatable: symbol ${sym.name} is in unknown section ${sym.section}`);
    return i;
  };
  let locals = 0;
  for (const s of obj.symbols) if (s.bind === C.STB_LOCAL) locals++;
  const ordered: WriterSymbol[] = new Array(obj.symbols.length);
  let nl = 0;
  let ng = locals;
  for (const s of obj.symbols) ordered[s.bind === C.STB_LOCAL ? nl++ : ng++] = s;
  let allocated = 0;
  for (const s of obj.sections) if (s.flags & C.SHF_ALLOC) allocated++;
  const symCount = 1 + (obj.fileName ? 1 : 0) + allocated + ordered.length;
  const firstGlobal = symCount - (ordered.length - locals);
  out.push({ name: ".symtab", type: C.SHT_SYMTAB, flags: 0, data: undefined, size: symCount * SYM, align: 8, entsize: SYM, link: strtabIdx, info: firstGlobal, offset: 0 });
  out.push({ name: ".strtab", type: C.SHT_STRTAB, flags: 0, data: undefined, size: 0, align: 1, entsize: 0, link: 0, info: 0, offset: 0 });
  out.push({ name: ".shstrtab", type: C.SHT_STRTAB, flags: 0, data: undefined, size: 0, align: 1, entsize: 0, link: 0, info: 0, offset: 0 });
  for (const s of out) if (s.type === C.SHT_RELA) s.link = symtabIdx;

  // Names first (the string table's size decides the layout); records are written in place below.
  const names: number[] = new Array(symCount).fill(0);
  if (obj.fileName) names[1] = strtab.add(obj.fileName);
  const firstOwn = symCount - ordered.length;
  for (let k = 0; k < ordered.length; k++) names[firstOwn + k] = strtab.add(ordered[k]!.name);
  out[strtabIdx]!.strings = strtab;
  out[strtabIdx]!.size = strtab.length;

  const shstrtab = new StringTable();
  const nameOffsets = out.map((s) => shstrtab.add(s.name));
  out[shstrtabIdx]!.strings = shstrtab;
  out[shstrtabIdx]!.size = shstrtab.length;

  // Layout: header, section contents (aligned), section header table.
  let off = EHDR;
  for (const s of out) {
    if (s.type === C.SHT_NULL) continue;
    const a = Math.max(1, s.align);
    off = Math.ceil(off / a) * a;
    s.offset = off;
    if (s.type !== C.SHT_NOBITS) off += s.size;
  }
  const shoff = Math.ceil(off / 8) * 8;
  const total = shoff + out.length * SHDR;
  // From Node's shared pool when small (no ArrayBuffer of its own to allocate and collect),
  // zeroed by the typed array's fill (Buffer's own took 60-100 µs the first time in a process).
  const pooled = Buffer.allocUnsafe(total);
  const buf = new Uint8Array(pooled.buffer, pooled.byteOffset, total).fill(0);
  const dv = new DataView(buf.buffer, buf.byteOffset, total);

  // ELF header.
  buf.set(C.ELF_MAGIC, 0);
  buf[4] = C.ELFCLASS64;
  buf[5] = C.ELFDATA2LSB;
  buf[6] = C.EV_CURRENT;
  buf[7] = C.ELFOSABI_SYSV;
  dv.setUint16(16, C.ET_REL, true);
  dv.setUint16(18, C.EM_X86_64, true);
  dv.setUint32(20, 1, true);
  put64(dv, 40, shoff);
  dv.setUint16(52, EHDR, true);
  dv.setUint16(58, SHDR, true);
  dv.setUint16(60, out.length, true);
  dv.setUint16(62, shstrtabIdx, true);

  // Symbols: null, file, section symbols, locals, then globals.
  const symtab = out[symtabIdx]!.offset;
  let nsym = 0;
  const putSym = (info: number, other: number, shndx: number, value: bigint, size: bigint): number => {
    const at = symtab + nsym * SYM;
    dv.setUint32(at, names[nsym]!, true);
    buf[at + 4] = info;
    buf[at + 5] = other;
    dv.setUint16(at + 6, shndx, true);
    if (value !== 0n) put64(dv, at + 8, value);
    if (size !== 0n) put64(dv, at + 16, size);
    return nsym++;
  };
  putSym(0, 0, 0, 0n, 0n);
  if (obj.fileName) putSym((C.STB_LOCAL << 4) | C.STT_FILE, 0, C.SHN_ABS, 0n, 0n);
  for (const s of obj.sections) {
    if (!(s.flags & C.SHF_ALLOC)) continue;
    sectionSym.set(s.name, putSym((C.STB_LOCAL << 4) | C.STT_SECTION, 0, sectionIndex.get(s.name)!, 0n, 0n));
  }
  for (const s of ordered) symIndex.set(s.name, putSym((s.bind << 4) | s.type, s.visibility ?? 0, shndxOf(s), s.value, s.size));

  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s.relocsOf) {
      // Relocation records, straight into the file.
      const relocs = s.relocsOf.relocations!;
      for (let k = 0; k < relocs.length; k++) {
        const r = relocs[k]!;
        const sym = "symbol" in r.target ? symIndex.get(r.target.symbol) : sectionSym.get(r.target.section);
        if (sym === undefined) throw new Error(`writeRelocatable: relocation in ${s.relocsOf.name} refers to unknown ${JSON.stringify(r.target)}`);
        const at = s.offset + k * RELA;
        put64(dv, at, r.offset);
        dv.setUint32(at + 8, r.type, true);
        dv.setUint32(at + 12, sym, true);
        dv.setBigInt64(at + 16, r.addend, true);
      }
    } else if (s.strings) s.strings.writeTo(buf, s.offset);
    else if (s.data && s.type !== C.SHT_NOBITS && s.type !== C.SHT_NULL) buf.set(s.data, s.offset);
    const h = shoff + i * SHDR;
    dv.setUint32(h, nameOffsets[i]!, true);
    dv.setUint32(h + 4, s.type, true);
    put64(dv, h + 8, s.flags);
    put64(dv, h + 24, s.offset);
    put64(dv, h + 32, s.size);
    dv.setUint32(h + 40, s.link, true);
    dv.setUint32(h + 44, s.info, true);
    put64(dv, h + 48, s.align);
    put64(dv, h + 56, s.entsize);
  }
  return buf;
}
