/** Unit headers of .debug_info (DWARF 2–5), read without touching any DIE. */
import { ByteReader } from "./byte-reader.js";
import { DW_UT } from "./constants.js";
import { DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";

export interface UnitHeader {
  /** Offset of the header in .debug_info. */
  readonly offset: number;
  /** Offset just past the unit. */
  readonly end: number;
  readonly is64: boolean;
  readonly version: number;
  readonly unitType: number;
  readonly addressSize: number;
  readonly abbrevOffset: number;
  /** Offset of the first DIE. */
  readonly dieOffset: number;
  readonly dwoId?: bigint;
  readonly typeSignature?: bigint;
  readonly typeOffset?: number;
}

/**
 * Reads the unit's length first; returns the end even when the rest is bad so the next unit can be
 * found. `place` is the section (and file); `what` names the record in messages ("unit", "line
 * program", "set").
 */
export function readUnitLength(data: Uint8Array, offset: number, place: DwarfPlace, what = "unit"): { is64: boolean; end: number; contentStart: number } {
  const at = whereAt(place, offset);
  const r = new ByteReader(data, { ...place, record: `${what} at ${hex(offset)}` }, offset);
  let len = r.u32();
  let is64 = false;
  if (len === 0xffffffff) {
    is64 = true;
    const l64 = r.u64();
    if (l64 > BigInt(data.length)) {
      throw new DwarfError("DWARF_BAD_UNIT_LENGTH", at, `${what} at ${hex(offset)} has length ${hex(l64)}, past the end of the section (size ${hex(data.length)})`);
    }
    len = Number(l64);
  } else if (len >= 0xfffffff0) {
    throw new DwarfError("DWARF_BAD_UNIT_LENGTH", at, `${what} at ${hex(offset)} has reserved length value ${hex(len)}`);
  }
  const end = r.pos + len;
  if (end > data.length) {
    throw new DwarfError("DWARF_BAD_UNIT_LENGTH", at, `${what} at ${hex(offset)} has length ${hex(len)}, ending at ${hex(end)} past the end of the section (size ${hex(data.length)}); the ${what} length is corrupt`);
  }
  return { is64, end, contentStart: r.pos };
}

/** The header of the unit at `offset` of .debug_info (`place`: the section and its file). */
export function parseUnitHeader(data: Uint8Array, offset: number, place: DwarfPlace): UnitHeader {
  const { is64, end, contentStart } = readUnitLength(data, offset, place);
  const r = new ByteReader(data, { ...place, record: `unit at ${hex(offset)}` }, contentStart, end);
  const versionAt = r.pos;
  const version = r.u16();
  if (version < 2 || version > 5) {
    throw new DwarfError("DWARF_UNSUPPORTED_VERSION", r.whereAt(versionAt), `unit at ${hex(offset)} has DWARF version ${version}; jitdbg reads versions 2 to 5`);
  }
  let unitType: number = DW_UT.compile;
  let addressSize: number;
  let abbrevOffset: number;
  let dwoId: bigint | undefined;
  let typeSignature: bigint | undefined;
  let typeOffset: number | undefined;
  const typeAt = r.pos;
  if (version >= 5) {
    unitType = r.u8();
    addressSize = r.u8();
    abbrevOffset = r.offset(is64);
    switch (unitType) {
      case DW_UT.compile:
      case DW_UT.partial:
        break;
      case DW_UT.skeleton:
      case DW_UT.split_compile:
        dwoId = r.u64();
        break;
      case DW_UT.type:
      case DW_UT.split_type:
        typeSignature = r.u64();
        typeOffset = r.offset(is64);
        break;
      default:
        throw new DwarfError("DWARF_UNSUPPORTED_UNIT", r.whereAt(typeAt), `unit at ${hex(offset)} has unknown unit type ${hex(unitType)}`);
    }
  } else {
    abbrevOffset = r.offset(is64);
    addressSize = r.u8();
  }
  if (addressSize !== 8 && addressSize !== 4) {
    throw new DwarfError("DWARF_UNSUPPORTED", whereAt(place, offset), `unit at ${hex(offset)} has address size ${addressSize}; expected 8 (x86-64) or 4`);
  }
  return { offset, end, is64, version, unitType, addressSize, abbrevOffset, dieOffset: r.pos, dwoId, typeSignature, typeOffset };
}
