/** Location lists: DWARF 5 .debug_loclists entries and DWARF 2–4 .debug_loc entries. */
import { ByteReader } from "./byte-reader.js";
import { DW_LLE } from "./constants.js";
import { listPlace, walkV4List, walkV5List, type ListContext } from "./ranges.js";

export interface LocationListEntry {
  /** Half-open [low, high); undefined for a DW_LLE_default_location entry. */
  readonly low?: bigint;
  readonly high?: bigint;
  readonly expr: Uint8Array;
}

/** DWARF 2–4 .debug_loc list at `offset`. */
export function readDebugLoc(data: Uint8Array, offset: number, ctx: ListContext): LocationListEntry[] {
  const r = new ByteReader(data, listPlace(".debug_loc", offset, ctx), offset);
  const out: LocationListEntry[] = [];
  walkV4List(r, ctx, (low, high) => {
    const expr = r.bytes(r.u16());
    if (high > low) out.push({ low, high, expr });
  });
  return out;
}

/** DWARF 5 .debug_loclists list at `offset`. */
export function readLocList(data: Uint8Array, offset: number, ctx: ListContext): LocationListEntry[] {
  const r = new ByteReader(data, listPlace(".debug_loclists", offset, ctx), offset);
  const out: LocationListEntry[] = [];
  const expr = (): Uint8Array => r.bytes(r.ulebNum());
  walkV5List(r, ctx, DW_LLE, (low, high) => {
    const e = expr();
    if (high > low) out.push({ low, high, expr: e });
  }, (kind) => {
    if (kind === DW_LLE.default_location) out.push({ expr: expr() });
    else if (kind === DW_LLE.GNU_view_pair) {
      r.uleb();
      r.uleb();
    } else return false;
    return true;
  });
  return out;
}

/** The expression that applies at `pc`: the first bounded entry containing it, else a default entry. */
export function selectLocation(entries: readonly LocationListEntry[], pc: bigint): Uint8Array | undefined {
  let fallback: Uint8Array | undefined;
  for (const e of entries) {
    if (e.low === undefined || e.high === undefined) fallback ??= e.expr;
    else if (pc >= e.low && pc < e.high) return e.expr;
  }
  return fallback;
}
