/** Location lists: DWARF 5 .debug_loclists entries and DWARF 2–4 .debug_loc entries. */
import { ByteReader } from "./byte-reader.js";
import { DW_LLE } from "./constants.js";
import { DwarfError, hex } from "./errors.js";
import { maxAddress, type ListContext } from "./ranges.js";

export interface LocationListEntry {
  /** Half-open [low, high); undefined for a DW_LLE_default_location entry. */
  readonly low?: bigint;
  readonly high?: bigint;
  readonly expr: Uint8Array;
}

/** DWARF 2–4 .debug_loc list at `offset`. */
export function readDebugLoc(data: Uint8Array, offset: number, ctx: ListContext): LocationListEntry[] {
  const r = new ByteReader(data, ".debug_loc", offset);
  const out: LocationListEntry[] = [];
  let base = ctx.baseAddress;
  const max = maxAddress(ctx.addressSize);
  for (;;) {
    const begin = r.address(ctx.addressSize);
    const end = r.address(ctx.addressSize);
    if (begin === 0n && end === 0n) return out;
    if (begin === max) {
      base = end;
      continue;
    }
    const expr = r.bytes(r.u16());
    if (end > begin) out.push({ low: base + begin, high: base + end, expr });
  }
}

/** DWARF 5 .debug_loclists list at `offset`. */
export function readLocList(data: Uint8Array, offset: number, ctx: ListContext): LocationListEntry[] {
  const r = new ByteReader(data, ".debug_loclists", offset);
  const out: LocationListEntry[] = [];
  let base = ctx.baseAddress;
  const expr = (): Uint8Array => r.bytes(r.ulebNum());
  const push = (low: bigint, high: bigint): void => {
    const e = expr();
    if (high > low) out.push({ low, high, expr: e });
  };
  for (;;) {
    const at = r.pos;
    const kind = r.u8();
    switch (kind) {
      case DW_LLE.end_of_list:
        return out;
      case DW_LLE.base_addressx:
        base = ctx.addrx(r.ulebNum());
        break;
      case DW_LLE.startx_endx: {
        const s = ctx.addrx(r.ulebNum());
        push(s, ctx.addrx(r.ulebNum()));
        break;
      }
      case DW_LLE.startx_length: {
        const s = ctx.addrx(r.ulebNum());
        push(s, s + r.uleb());
        break;
      }
      case DW_LLE.offset_pair: {
        const s = r.uleb();
        push(base + s, base + r.uleb());
        break;
      }
      case DW_LLE.default_location:
        out.push({ expr: expr() });
        break;
      case DW_LLE.base_address:
        base = r.address(ctx.addressSize);
        break;
      case DW_LLE.start_end: {
        const s = r.address(ctx.addressSize);
        push(s, r.address(ctx.addressSize));
        break;
      }
      case DW_LLE.start_length: {
        const s = r.address(ctx.addressSize);
        push(s, s + r.uleb());
        break;
      }
      case DW_LLE.GNU_view_pair:
        r.uleb();
        r.uleb();
        break;
      default:
        throw new DwarfError("DWARF_CORRUPT", `.debug_loclists: unknown location list entry kind ${hex(kind)} at ${hex(at)}`);
    }
  }
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
