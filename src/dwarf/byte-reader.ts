/**
 * Bounds-checked little-endian cursor over one DWARF section. Every read that would run past the end
 * throws DWARF_TRUNCATED whose `where` is the file, section and offset, so corrupt input never reads
 * garbage.
 */
import type { ErrorWhere } from "../errors.js";
import { DwarfError, hex, inRecord, whereAt, type DwarfPlace } from "./errors.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly data: Uint8Array,
    /** File, section and record being read, for errors (whereAt). */
    readonly place: DwarfPlace,
    public pos = 0,
    /** Reads stop here (e.g. the end of one unit inside a section). */
    public end = data.length,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** A cursor over [pos, pos+length) of the same data, bounds-checked against this reader's end. */
  sub(length: number, place = this.place): ByteReader {
    this.need(length);
    const r = new ByteReader(this.data, place, this.pos, this.pos + length);
    return r;
  }

  /** The place of `offset` in this reader's data (the current position by default), for errors. */
  whereAt(offset = this.pos): ErrorWhere {
    return whereAt(this.place, offset);
  }

  /** " (in the unit at 0x0)": the record this reader is inside, for messages. */
  get inRecord(): string {
    return inRecord(this.place);
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DwarfError(
        "DWARF_TRUNCATED",
        this.whereAt(),
        `reading ${n} byte(s) runs past the end at ${hex((this.place.base ?? 0) + this.end)}${this.inRecord}; the section is truncated or a length field is corrupt`,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.data[this.pos]! | (this.data[this.pos + 1]! << 8) | (this.data[this.pos + 2]! << 16);
    this.pos += 3;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Unsigned fixed-size integer of 1, 2, 4 or 8 bytes. */
  unsigned(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.u8());
      case 2: return BigInt(this.u16());
      case 4: return BigInt(this.u32());
      case 8: return this.u64();
      default:
        throw new DwarfError("DWARF_UNSUPPORTED", this.whereAt(), `unsupported integer size ${size} (expected 1, 2, 4 or 8)${this.inRecord}`);
    }
  }

  signed(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.i8());
      case 2: return BigInt(this.i16());
      case 4: return BigInt(this.i32());
      case 8: return this.i64();
      default:
        throw new DwarfError("DWARF_UNSUPPORTED", this.whereAt(), `unsupported integer size ${size} (expected 1, 2, 4 or 8)${this.inRecord}`);
    }
  }

  /** A target address of `size` bytes (4 or 8). */
  address(size: number): bigint {
    return this.unsigned(size);
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offset(is64: boolean): number {
    if (!is64) return this.u32();
    const at = this.pos;
    return this.safe(this.u64(), "offset", at);
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return result;
  }

  /** ULEB128 as a number (fast path for codes, sizes and indices); rejects values beyond 2^53. */
  ulebNum(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 42) {
        this.pos = start;
        return this.safe(this.uleb(), "ULEB128 value", start);
      }
    }
  }

  slebNum(): number {
    const start = this.pos;
    const v = this.sleb();
    if (v > MAX_SAFE || v < -MAX_SAFE) {
      throw new DwarfError("DWARF_CORRUPT", this.whereAt(start), `SLEB128 value ${v} is too large to be a size or offset${this.inRecord}`);
    }
    return Number(v);
  }

  cstr(): string {
    const start = this.pos;
    let i = start;
    while (i < this.end && this.data[i] !== 0) i++;
    if (i >= this.end) {
      throw new DwarfError("DWARF_TRUNCATED", this.whereAt(start), `the string has no terminating NUL before ${hex((this.place.base ?? 0) + this.end)}${this.inRecord}`);
    }
    this.pos = i + 1;
    return Buffer.from(this.data.buffer, this.data.byteOffset + start, i - start).toString("utf8");
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  seek(pos: number): void {
    if (pos < 0 || pos > this.end) {
      throw new DwarfError("DWARF_CORRUPT", this.whereAt(pos), `the offset is outside the data (size ${hex(this.end)})${this.inRecord}`);
    }
    this.pos = pos;
  }

  private safe(v: bigint, what: string, at: number): number {
    if (v > MAX_SAFE) {
      throw new DwarfError("DWARF_CORRUPT", this.whereAt(at), `${what} ${hex(v)} is too large to be inside any file${this.inRecord}`);
    }
    return Number(v);
  }
}

/** Reads a NUL-terminated string at `offset` of a string section (`place`: its file and name, and who asks). */
export function stringAt(data: Uint8Array, offset: number, place: DwarfPlace): string {
  if (offset < 0 || offset >= data.length) {
    throw new DwarfError("DWARF_BAD_STRING", whereAt(place, offset), `string offset ${hex(offset)} is outside the section (size ${hex(data.length)})${inRecord(place)}`);
  }
  return new ByteReader(data, place, offset).cstr();
}
