/** Every enumerator the DWARF declares, with its enumeration type: `first`'s unit's before the other units'. */
import { DW_TAG } from "./constants.js";
import type { Dwarf } from "./dwarf.js";
import type { EnumType } from "./types.js";
import type { Unit } from "./unit.js";

export function* enumerators(dwarf: Dwarf, first?: Unit): Generator<{ name: string; value: bigint; type: EnumType }> {
  const units = first ? [first, ...dwarf.units.filter((u) => u !== first)] : [...dwarf.units];
  for (const u of units) {
    const m = dwarf.model(u);
    if (!m) continue;
    for (const die of m.types.values()) {
      if (die.tag !== DW_TAG.enumeration_type) continue;
      const t = dwarf.typeOf(die);
      if (t.kind !== "enum") continue;
      for (const e of t.enumerators) yield { name: e.name, value: e.value, type: t };
    }
  }
}
