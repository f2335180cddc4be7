/**
 * .debug_info as a list of units, indexed from their headers alone. Nothing below the headers is
 * parsed until a query needs it; a unit whose header is unreadable is recorded and skipped, and
 * the walk goes on as long as its length still says where the next unit starts.
 */
import type { JitdbgError } from "../errors.js";
import { parseAbbrevTable, type AbbrevTable } from "./abbrev.js";
import type { Die } from "./die.js";
import { asDwarfError, hex, isDwarfError, whereAt, type DwarfPlace } from "./errors.js";
import type { DwarfSections } from "./sections.js";
import { Unit } from "./unit.js";
import { parseUnitHeader, readUnitLength } from "./unit-header.js";

export interface UnitErrorRecord {
  /** Offset of the unit in .debug_info. */
  readonly unitOffset: number;
  readonly error: JitdbgError;
}

export interface ParseStats {
  /** Units whose first DIE was read. */
  rootsParsed: number;
  /** Units whose whole DIE tree was built. */
  treesParsed: number;
  /** Line programs executed (header + opcodes). */
  lineProgramsRun: number;
  /** Line program headers read (file tables only). */
  lineHeadersParsed: number;
}

export class DebugInfo {
  readonly units: Unit[] = [];
  /** Units that could not even be indexed (bad header). */
  readonly headerErrors: UnitErrorRecord[] = [];
  readonly stats: ParseStats = { rootsParsed: 0, treesParsed: 0, lineProgramsRun: 0, lineHeadersParsed: 0 };
  readonly infoData: Uint8Array;
  private readonly abbrevTables = new Map<number, AbbrevTable>();

  constructor(
    readonly sections: DwarfSections,
    /** File path, for errors' `where`. */
    readonly file: string,
  ) {
    this.infoData = sections.get(".debug_info")?.data ?? new Uint8Array(0);
    this.place = { file, section: ".debug_info" };
    this.indexUnits();
  }

  /** .debug_info of this file, for errors. */
  readonly place: DwarfPlace;

  private indexUnits(): void {
    const data = this.infoData;
    let off = 0;
    while (off < data.length) {
      let end: number;
      try {
        end = readUnitLength(data, off, this.place).end;
      } catch (e) {
        // Without a length we cannot find the next unit: record and stop.
        this.headerErrors.push({ unitOffset: off, error: asDwarfError(e, "DWARF_CORRUPT", whereAt(this.place, off), `unit at ${hex(off)}`) });
        return;
      }
      try {
        this.units.push(new Unit(this, parseUnitHeader(data, off, this.place)));
      } catch (e) {
        this.headerErrors.push({ unitOffset: off, error: asDwarfError(e, "DWARF_CORRUPT", whereAt(this.place, off), `unit at ${hex(off)}`) });
      }
      off = end;
    }
  }

  abbrevTable(offset: number): AbbrevTable {
    let t = this.abbrevTables.get(offset);
    if (!t) {
      const sec = this.sections.require(".debug_abbrev", "the file's .debug_info");
      t = parseAbbrevTable(sec.data, offset, this.file);
      this.abbrevTables.set(offset, t);
    }
    return t;
  }

  /** The unit whose bytes contain `offset` (binary search over the sorted units). */
  unitContaining(offset: number): Unit | undefined {
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.units[mid]!;
      if (offset < u.header.offset) hi = mid - 1;
      else if (offset >= u.header.end) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  /** The DIE at an absolute .debug_info offset; undefined when absent or its unit is corrupt. */
  dieAt(offset: number): Die | undefined {
    const u = this.unitContaining(offset);
    if (!u) return undefined;
    try {
      return u.dieAt(offset);
    } catch (e) {
      if (!isDwarfError(e)) throw e;
      return undefined; // recorded on the unit: see errors()
    }
  }

  /** Every unit-level failure seen so far: bad headers, and units whose DIEs failed to parse. */
  errors(): UnitErrorRecord[] {
    const out = [...this.headerErrors];
    for (const u of this.units) if (u.error) out.push({ unitOffset: u.offset, error: u.error });
    return out.sort((a, b) => a.unitOffset - b.unitOffset);
  }
}
