/** Address range lists: DWARF 5 .debug_rnglists entries and DWARF 2–4 .debug_ranges pairs. */
import { ByteReader } from "./byte-reader.js";
import { DW_RLE } from "./constants.js";
import { DwarfError, hex, type DwarfPlace } from "./errors.js";

/** Half-open [low, high). */
export interface AddressRange {
  readonly low: bigint;
  readonly high: bigint;
}

export interface ListContext {
  /** The file, and who reads the list ("unit at 0x0"), for errors. */
  readonly file?: string;
  readonly listUser?: string;
  readonly addressSize: number;
  readonly is64: boolean;
  /** The unit's base address (DW_AT_low_pc of the unit DIE, 0 when absent). */
  readonly baseAddress: bigint;
  /** Resolves an index into .debug_addr. */
  addrx(index: number): bigint;
}

export function maxAddress(size: number): bigint {
  return size === 8 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
}

/**
 * Walks a DWARF 2–4 .debug_ranges or .debug_loc list: (begin, end) pairs relative to the base,
 * (max, base) to change the base, (0, 0) ends. `onPair` gets each pair made absolute, and reads
 * what follows it (a location expression).
 */
export function walkV4List(r: ByteReader, ctx: ListContext, onPair: (low: bigint, high: bigint) => void): void {
  let base = ctx.baseAddress;
  const max = maxAddress(ctx.addressSize);
  for (;;) {
    const begin = r.address(ctx.addressSize);
    const end = r.address(ctx.addressSize);
    if (begin === 0n && end === 0n) return;
    if (begin === max) {
      base = end;
      continue;
    }
    onPair(base + begin, base + end);
  }
}

/** Where a list at `offset` of `section` is read, for errors: the file, the section, the list and its reader. */
export function listPlace(section: string, offset: number, ctx: ListContext): DwarfPlace {
  return { file: ctx.file, section, record: `list at ${hex(offset)}${ctx.listUser ? ` read by the ${ctx.listUser}` : ""}` };
}

/** DWARF 2–4 .debug_ranges list at `offset`. */
export function readDebugRanges(data: Uint8Array, offset: number, ctx: ListContext): AddressRange[] {
  const r = new ByteReader(data, listPlace(".debug_ranges", offset, ctx), offset);
  const out: AddressRange[] = [];
  walkV4List(r, ctx, (low, high) => {
    if (high < low) throw new DwarfError("DWARF_CORRUPT", r.whereAt(r.pos - 2 * ctx.addressSize), `the entry ends before it begins${r.inRecord}`);
    if (high > low) out.push({ low, high });
  });
  return out;
}

/** Entry kinds a DWARF 5 range or location list shares (their codes differ between the two). */
export interface V5ListKinds {
  end_of_list: number;
  base_addressx: number;
  startx_endx: number;
  startx_length: number;
  offset_pair: number;
  base_address: number;
  start_end: number;
  start_length: number;
}

/**
 * Walks a DWARF 5 .debug_rnglists or .debug_loclists list: `onRange` gets every [low, high) entry
 * (and reads what follows it, e.g. a location expression); `onOther` handles kinds only one of the
 * two has and returns false for unknown ones.
 */
export function walkV5List(r: ByteReader, ctx: ListContext, kinds: V5ListKinds, onRange: (low: bigint, high: bigint) => void, onOther: (kind: number) => boolean): void {
  let base = ctx.baseAddress;
  for (;;) {
    const at = r.pos;
    const kind = r.u8();
    switch (kind) {
      case kinds.end_of_list:
        return;
      case kinds.base_addressx:
        base = ctx.addrx(r.ulebNum());
        break;
      case kinds.startx_endx: {
        const s = ctx.addrx(r.ulebNum());
        onRange(s, ctx.addrx(r.ulebNum()));
        break;
      }
      case kinds.startx_length: {
        const s = ctx.addrx(r.ulebNum());
        onRange(s, s + r.uleb());
        break;
      }
      case kinds.offset_pair: {
        const s = r.uleb();
        onRange(base + s, base + r.uleb());
        break;
      }
      case kinds.base_address:
        base = r.address(ctx.addressSize);
        break;
      case kinds.start_end: {
        const s = r.address(ctx.addressSize);
        onRange(s, r.address(ctx.addressSize));
        break;
      }
      case kinds.start_length: {
        const s = r.address(ctx.addressSize);
        onRange(s, s + r.uleb());
        break;
      }
      default:
        if (!onOther(kind)) throw new DwarfError("DWARF_CORRUPT", r.whereAt(at), `unknown list entry kind ${hex(kind)}${r.inRecord}`);
    }
  }
}

/** DWARF 5 .debug_rnglists list starting at `offset`. */
export function readRngList(data: Uint8Array, offset: number, ctx: ListContext): AddressRange[] {
  const r = new ByteReader(data, listPlace(".debug_rnglists", offset, ctx), offset);
  const out: AddressRange[] = [];
  walkV5List(r, ctx, DW_RLE, (low, high) => {
    if (high > low) out.push({ low, high });
  }, () => false);
  return out;
}

/** Resolves a DW_FORM_rnglistx / loclistx index through the offsets table that follows a v5 list header. */
export function listIndexToOffset(data: Uint8Array, base: number, index: number, is64: boolean, place: DwarfPlace): number {
  const size = is64 ? 8 : 4;
  const r = new ByteReader(data, place, base + index * size);
  return base + r.offset(is64);
}

export function rangesContain(ranges: readonly AddressRange[], pc: bigint): boolean {
  for (const r of ranges) if (pc >= r.low && pc < r.high) return true;
  return false;
}
