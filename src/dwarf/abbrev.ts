/** .debug_abbrev: abbreviation declarations (tag, children flag, attribute specs), one table per offset. */
import { ByteReader } from "./byte-reader.js";
import { DW_FORM } from "./constants.js";
import { DwarfError, hex, inRecord, whereAt, type DwarfPlace } from "./errors.js";
import { isKnownForm } from "./forms.js";

export interface AttrSpec {
  readonly at: number;
  readonly form: number;
  /** The value of DW_FORM_implicit_const, stored in the abbreviation itself. */
  readonly implicitConst: bigint;
}

export interface Abbrev {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  readonly specs: readonly AttrSpec[];
}

export type AbbrevTable = ReadonlyMap<number, Abbrev>;

/** Parses the abbreviation table that starts at `offset` in .debug_abbrev (of `file`, for errors). */
export function parseAbbrevTable(data: Uint8Array, offset: number, file?: string): AbbrevTable {
  const section: DwarfPlace = { file, section: ".debug_abbrev" };
  if (offset >= data.length) {
    throw new DwarfError("DWARF_BAD_ABBREV_OFFSET", whereAt(section, offset), `abbreviation table offset ${hex(offset)} is outside the section (size ${hex(data.length)}); the unit header is corrupt`);
  }
  const place: DwarfPlace = { ...section, record: `abbreviation table at ${hex(offset)}` };
  const r = new ByteReader(data, place, offset);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const declAt = r.pos;
    const code = r.ulebNum();
    if (code === 0) break;
    const tag = r.ulebNum();
    const children = r.u8();
    if (children > 1) {
      throw new DwarfError("DWARF_CORRUPT", r.whereAt(declAt), `abbreviation ${code} has children flag ${children} (expected 0 or 1)${inRecord(place)}`);
    }
    const specs: AttrSpec[] = [];
    for (;;) {
      const at = r.ulebNum();
      const form = r.ulebNum();
      if (at === 0 && form === 0) break;
      if (!isKnownForm(form)) {
        throw new DwarfError("DWARF_UNKNOWN_FORM", r.whereAt(declAt), `abbreviation ${code} uses unknown form ${hex(form)} for attribute ${hex(at)}${inRecord(place)}`);
      }
      const implicitConst = form === DW_FORM.implicit_const ? r.sleb() : 0n;
      specs.push({ at, form, implicitConst });
    }
    if (table.has(code)) {
      throw new DwarfError("DWARF_CORRUPT", r.whereAt(declAt), `abbreviation code ${code} is declared twice in the table at ${hex(offset)}`);
    }
    table.set(code, { code, tag, hasChildren: children === 1, specs });
  }
  return table;
}
