/** .debug_abbrev: abbreviation declarations (tag, children flag, attribute specs), one table per offset. */
import { ByteReader } from "./byte-reader.js";
import { DW_FORM } from "./constants.js";
import { DwarfError, hex } from "./errors.js";
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

/** Parses the abbreviation table that starts at `offset` in .debug_abbrev. */
export function parseAbbrevTable(data: Uint8Array, offset: number, where = ".debug_abbrev"): AbbrevTable {
  if (offset >= data.length) {
    throw new DwarfError("DWARF_BAD_ABBREV_OFFSET", `${where}: abbreviation table offset ${hex(offset)} is outside the section (size ${hex(data.length)}); the unit header is corrupt`, { section: ".debug_abbrev", offset });
  }
  const r = new ByteReader(data, where, offset);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const declAt = r.pos;
    const code = r.ulebNum();
    if (code === 0) break;
    const tag = r.ulebNum();
    const children = r.u8();
    if (children > 1) {
      throw new DwarfError("DWARF_CORRUPT", `${where}: abbreviation ${code} at ${hex(declAt)} has children flag ${children} (expected 0 or 1)`, { section: ".debug_abbrev", offset: declAt });
    }
    const specs: AttrSpec[] = [];
    for (;;) {
      const at = r.ulebNum();
      const form = r.ulebNum();
      if (at === 0 && form === 0) break;
      if (!isKnownForm(form)) {
        throw new DwarfError("DWARF_UNKNOWN_FORM", `${where}: abbreviation ${code} at ${hex(declAt)} uses unknown form ${hex(form)} for attribute ${hex(at)}`, { section: ".debug_abbrev", offset: declAt });
      }
      const implicitConst = form === DW_FORM.implicit_const ? r.sleb() : 0n;
      specs.push({ at, form, implicitConst });
    }
    if (table.has(code)) {
      throw new DwarfError("DWARF_CORRUPT", `${where}: abbreviation code ${code} is declared twice in the table at ${hex(offset)}`, { section: ".debug_abbrev", offset });
    }
    table.set(code, { code, tag, hasChildren: children === 1, specs });
  }
  return table;
}
