/** CIE and FDE records of .eh_frame and .debug_frame. */
import { ByteReader } from "./byte-reader.js";
import { DW_EH_PE, readEncodedPointer, readEncodedValue, type PointerBases } from "./cfi-pointer.js";
import { DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";

export type FrameSectionKind = ".eh_frame" | ".debug_frame";

export interface Cie {
  readonly offset: number;
  readonly section: FrameSectionKind;
  readonly version: number;
  readonly augmentation: string;
  readonly addressSize: number;
  readonly codeAlign: bigint;
  readonly dataAlign: bigint;
  readonly returnAddressRegister: number;
  /** DW_EH_PE_* encoding of FDE addresses ('R'); absptr when absent. */
  readonly fdeEncoding: number;
  readonly lsdaEncoding: number;
  readonly personality?: bigint;
  /** 'S': the frame is a signal trampoline; the pc is not a return address. */
  readonly signalFrame: boolean;
  readonly hasAugmentationData: boolean;
  readonly initialInstructions: Uint8Array;
  /** Section offset of the initial instructions, for errors. */
  readonly instructionsOffset: number;
}

export interface Fde {
  readonly offset: number;
  readonly cie: Cie;
  readonly pcBegin: bigint;
  /** One past the last covered address. */
  readonly pcEnd: bigint;
  readonly lsda?: bigint;
  readonly instructions: Uint8Array;
  /** Section offset of the instructions, for errors. */
  readonly instructionsOffset: number;
}

export interface FrameParseResult {
  readonly fdes: Fde[];
  readonly cies: Cie[];
  /** Records that could not be read; the rest of the section still is. */
  readonly errors: DwarfError[];
}

/**
 * Parses every CIE and FDE of one section. `bases.sectionAddress` is where the section is loaded
 * (needed for pcrel pointers in .eh_frame).
 */
export function parseFrameSection(data: Uint8Array, kind: FrameSectionKind, bases: PointerBases, file: string, addressSize = 8): FrameParseResult {
  const cies = new Map<number, Cie>();
  const fdes: Fde[] = [];
  const errors: DwarfError[] = [];
  const section: DwarfPlace = { file, section: kind };
  let off = 0;
  while (off + 4 <= data.length) {
    let record: FrameRecord;
    try {
      record = readRecord(data, off, section, kind, bases, addressSize, cies);
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      errors.push(e.error);
      if (e.end === undefined) break; // the section's framing itself is broken
      off = e.end;
      continue;
    }
    if (record.fde) fdes.push(record.fde);
    off = record.end;
  }
  return { fdes, cies: [...cies.values()], errors };
}

/**
 * The FDE at `off` of the section (its CIE read as well, or taken from `cies`), for a look-up
 * through .eh_frame_hdr's table; undefined when the record is no FDE. A damaged record throws its
 * DwarfError.
 */
export function parseFdeAt(data: Uint8Array, off: number, kind: FrameSectionKind, bases: PointerBases, file: string, cies: Map<number, Cie>, addressSize = 8): Fde | undefined {
  try {
    return readRecord(data, off, { file, section: kind }, kind, bases, addressSize, cies).fde;
  } catch (e) {
    if (e instanceof RecordError) throw e.error;
    throw e;
  }
}

/** An FDE as the record headers tell it: what it covers and where it is. */
export interface FdeSpan {
  readonly start: bigint;
  readonly end: bigint;
  readonly offset: number;
}

/**
 * Every FDE's span, from the record headers alone (length, CIE pointer, initial location and
 * range; CIEs are read as FDEs name them, into `cies`): far cheaper than reading every record, so
 * a look-up reads only the FDEs it meets. Undefined when any record cannot be read so (a damaged
 * one, 64-bit lengths): the section is then read whole, which reports what is wrong.
 */
export function scanFdes(data: Uint8Array, kind: FrameSectionKind, bases: PointerBases, file: string, cies: Map<number, Cie>, addressSize = 8): FdeSpan[] | undefined {
  const eh = kind === ".eh_frame";
  const section: DwarfPlace = { file, section: kind };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const r = new ByteReader(data, section);
  const out: FdeSpan[] = [];
  try {
    let off = 0;
    while (off + 4 <= data.length) {
      const length = view.getUint32(off, true);
      if (length === 0) {
        off += 4;
        continue;
      }
      const body = off + 4;
      const end = body + length;
      if (length === 0xffffffff || length < 4 || end > data.length) return undefined;
      const id = view.getUint32(body, true);
      if (id !== (eh ? 0 : 0xffffffff)) {
        const cieOff = eh ? body - id : id;
        let cie = cies.get(cieOff);
        if (!cie) cies.set(cieOff, (cie = parseCieAt(data, cieOff, section, kind, bases, addressSize, off)));
        if (cie.fdeEncoding === PCREL_SDATA4 && body + 12 <= end) {
          // What gcc and clang write (nearly every FDE): read in place, no reader or pointer objects.
          const start = BigInt.asUintN(cie.addressSize === 8 ? 64 : 32, bases.sectionAddress + BigInt(body + 4 + view.getInt32(body + 4, true)));
          out.push({ start, end: start + BigInt(view.getInt32(body + 8, true)), offset: off });
          off = end;
          continue;
        }
        r.pos = body + 4;
        r.end = end;
        const begin = readEncodedPointer(r, cie.fdeEncoding, bases, cie.addressSize);
        if (!begin) return undefined;
        out.push({ start: begin.value, end: begin.value + readEncodedValue(r, cie.fdeEncoding, cie.addressSize), offset: off });
      }
      off = end;
    }
  } catch (e) {
    if (!(e instanceof DwarfError) && !(e instanceof RangeError)) throw e;
    return undefined;
  }
  return out;
}

const PCREL_SDATA4 = DW_EH_PE.pcrel | DW_EH_PE.sdata4;

interface FrameRecord {
  /** Section offset after the record. */
  end: number;
  fde?: Fde;
}

/** A record that could not be read, and where the next one starts (undefined: nowhere to go on from). */
class RecordError extends Error {
  constructor(
    readonly error: DwarfError,
    readonly end: number | undefined,
  ) {
    super(error.message);
  }
}

/** One CIE (kept in `cies`) or FDE at `off`. */
function readRecord(data: Uint8Array, off: number, section: DwarfPlace, kind: FrameSectionKind, bases: PointerBases, addressSize: number, cies: Map<number, Cie>): FrameRecord {
  const eh = kind === ".eh_frame";
  const r = new ByteReader(data, { ...section, record: `record at ${hex(off)}` }, off);
  let length = r.u32();
  if (length === 0) return { end: off + 4 }; // .eh_frame terminator (or padding); keep going like readelf does
  let is64 = false;
  if (length === 0xffffffff) {
    is64 = true;
    const l = r.u64();
    if (l > BigInt(data.length)) throw new RecordError(new DwarfError("DWARF_CORRUPT", whereAt(section, off), `record at ${hex(off)} has length ${hex(l)} past the end of the section`), undefined);
    length = Number(l);
  }
  const end = r.pos + length;
  if (end > data.length) throw new RecordError(new DwarfError("DWARF_CORRUPT", whereAt(section, off), `record at ${hex(off)} has length ${hex(length)}, running past the end of the section (size ${hex(data.length)})`), undefined);
  try {
    const head = new ByteReader(data, r.place, r.pos, end);
    const idAt = head.pos;
    const id = is64 ? head.u64() : BigInt(head.u32());
    const isCie = eh ? id === 0n : id === (is64 ? 0xffff_ffff_ffff_ffffn : 0xffffffffn);
    const rec = new ByteReader(data, { ...section, record: `${isCie ? "CIE" : "FDE"} at ${hex(off)}` }, head.pos, end);
    if (isCie) {
      if (!cies.has(off)) cies.set(off, parseCie(rec, off, kind, bases, addressSize));
      return { end };
    }
    const cieOff = eh ? idAt - Number(id) : Number(id);
    let cie = cies.get(cieOff);
    if (!cie) {
      cie = parseCieAt(data, cieOff, section, kind, bases, addressSize, off);
      cies.set(cieOff, cie);
    }
    return { end, fde: parseFde(rec, off, cie, bases) };
  } catch (e) {
    if (!(e instanceof DwarfError) && !(e instanceof RangeError)) throw e; // a reader bug, not damaged data
    throw new RecordError(e instanceof DwarfError ? e : new DwarfError("DWARF_CORRUPT", whereAt(section, off), `record at ${hex(off)}: ${String(e)}`), end);
  }
}

function parseCieAt(data: Uint8Array, off: number, section: DwarfPlace, kind: FrameSectionKind, bases: PointerBases, addressSize: number, fdeAt: number): Cie {
  if (off < 0 || off >= data.length) throw new DwarfError("DWARF_CORRUPT", whereAt(section, fdeAt), `the FDE at ${hex(fdeAt)} points to a CIE at ${hex(off)}, outside the section`);
  const place: DwarfPlace = { ...section, record: `CIE at ${hex(off)}` };
  const r = new ByteReader(data, place, off);
  let length = r.u32();
  let is64 = false;
  if (length === 0xffffffff) {
    is64 = true;
    length = Number(r.u64());
  }
  const rec = new ByteReader(data, place, r.pos, r.pos + length);
  if (is64) rec.u64();
  else rec.u32();
  return parseCie(rec, off, kind, bases, addressSize);
}

function parseCie(r: ByteReader, offset: number, section: FrameSectionKind, bases: PointerBases, defaultAddressSize: number): Cie {
  const versionAt = r.pos;
  const version = r.u8();
  if (version !== 1 && version !== 3 && version !== 4) {
    throw new DwarfError("DWARF_UNSUPPORTED_VERSION", r.whereAt(versionAt), `CIE at ${hex(offset)} has version ${version} (supported: 1, 3, 4)`);
  }
  const augmentation = r.cstr();
  let addressSize = defaultAddressSize;
  if (augmentation.includes("eh")) r.skip(addressSize);
  if (version === 4) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const codeAlign = r.uleb();
  const dataAlign = r.sleb();
  const returnAddressRegister = version === 1 ? r.u8() : r.ulebNum();
  let fdeEncoding: number = DW_EH_PE.absptr;
  let lsdaEncoding: number = DW_EH_PE.omit;
  let personality: bigint | undefined;
  let signalFrame = false;
  const hasAugmentationData = augmentation.startsWith("z");
  if (hasAugmentationData) {
    const len = r.ulebNum();
    const aug = r.sub(len);
    r.skip(len);
    for (const ch of augmentation.slice(1)) {
      switch (ch) {
        case "R": fdeEncoding = aug.u8(); break;
        case "L": lsdaEncoding = aug.u8(); break;
        case "P": {
          const enc = aug.u8();
          personality = readEncodedPointer(aug, enc, bases, addressSize)?.value;
          break;
        }
        case "S": signalFrame = true; break;
        case "B": case "G": break;
        default:
          // Unknown letters: the length told us where the data ends, so stop interpreting.
          break;
      }
    }
  } else if (augmentation !== "" && augmentation !== "eh") {
    throw new DwarfError("DWARF_UNSUPPORTED", r.whereAt(versionAt + 1), `CIE at ${hex(offset)} has augmentation "${augmentation}" without 'z'; its layout is unknown`);
  }
  const instructionsOffset = r.pos;
  return {
    offset, section, version, augmentation, addressSize, codeAlign, dataAlign, returnAddressRegister, fdeEncoding,
    lsdaEncoding, personality, signalFrame, hasAugmentationData, initialInstructions: r.bytes(r.remaining), instructionsOffset,
  };
}

function parseFde(r: ByteReader, offset: number, cie: Cie, bases: PointerBases): Fde {
  const beginAt = r.pos;
  const begin = readEncodedPointer(r, cie.fdeEncoding, bases, cie.addressSize);
  if (!begin) throw new DwarfError("DWARF_CORRUPT", r.whereAt(beginAt), `FDE at ${hex(offset)} has an omitted initial location`);
  const range = readEncodedValue(r, cie.fdeEncoding, cie.addressSize);
  let lsda: bigint | undefined;
  if (cie.hasAugmentationData) {
    const len = r.ulebNum();
    const aug = r.sub(len);
    r.skip(len);
    if (cie.lsdaEncoding !== DW_EH_PE.omit && len > 0) lsda = readEncodedPointer(aug, cie.lsdaEncoding, { ...bases, funcBase: begin.value }, cie.addressSize)?.value;
  }
  const instructionsOffset = r.pos;
  return { offset, cie, pcBegin: begin.value, pcEnd: begin.value + range, lsda, instructions: r.bytes(r.remaining), instructionsOffset };
}
