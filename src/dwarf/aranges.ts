/** .debug_aranges: address ranges → unit offset, a quick way to find the unit for a pc without reading DIEs. */
import { ByteReader } from "./byte-reader.js";
import { DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";
import { readUnitLength } from "./unit-header.js";

export interface ArangeEntry {
  readonly low: bigint;
  readonly high: bigint;
  readonly unitOffset: number;
}

/** All entries, sorted by address. A bad set ends the walk (what was read so far is kept), reported in `errors`. */
export function parseAranges(data: Uint8Array, file: string): { entries: ArangeEntry[]; errors: DwarfError[] } {
  const entries: ArangeEntry[] = [];
  const errors: DwarfError[] = [];
  const section: DwarfPlace = { file, section: ".debug_aranges" };
  let off = 0;
  while (off < data.length) {
    try {
      const { is64, end, contentStart } = readUnitLength(data, off, section, "set");
      const r = new ByteReader(data, { ...section, record: `set at ${hex(off)}` }, contentStart, end);
      const versionAt = r.pos;
      const version = r.u16();
      if (version !== 2) throw new DwarfError("DWARF_UNSUPPORTED_VERSION", r.whereAt(versionAt), `set at ${hex(off)} has version ${version} (expected 2)`);
      const unitOffset = r.offset(is64);
      const addressSize = r.u8();
      const segSize = r.u8();
      const tuple = 2 * addressSize + segSize;
      const rel = r.pos - off;
      const pad = (tuple - (rel % tuple)) % tuple;
      r.skip(Math.min(pad, r.remaining));
      while (r.remaining >= tuple) {
        if (segSize) r.skip(segSize);
        const low = r.address(addressSize);
        const len = r.address(addressSize);
        if (low === 0n && len === 0n) break;
        if (len > 0n) entries.push({ low, high: low + len, unitOffset });
      }
      off = end;
    } catch (e) {
      if (!(e instanceof DwarfError) && !(e instanceof RangeError)) throw e; // a reader bug, not damaged data
      errors.push(e instanceof DwarfError ? e : new DwarfError("DWARF_CORRUPT", whereAt(section, off), `set at ${hex(off)}: ${String(e)}`));
      break;
    }
  }
  entries.sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
  return { entries, errors };
}
