/** DWARF errors: what went wrong, in which section at which offset, and what to do about it. */
import { JitdbgError, type ErrorCode, type ErrorWhere } from "../errors.js";

export type DwarfErrorCode = Extract<ErrorCode, `DWARF_${string}`>;

/**
 * Always place first: `where` is the file, section and offset (from a DwarfPlace, whereAt), the
 * text says what happened; the message is describeWhere(where) + text ("a.out: section
 * .debug_info+0x1f3: DIE at 0x1f3 uses abbreviation code 77, ...").
 */
export class DwarfError extends JitdbgError {
  constructor(code: DwarfErrorCode, where: ErrorWhere, text: string) {
    super(code, where, text);
    this.name = "DwarfError";
  }
}

/** Whether `e` reports DWARF data the reader cannot use (a DWARF_ code), as opposed to a debugger bug. */
export function isDwarfError(e: unknown): e is JitdbgError & { readonly code: DwarfErrorCode } {
  return e instanceof JitdbgError && e.code.startsWith("DWARF_");
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/**
 * Where a DWARF reader reads: the file (when known), the section (absent for free-standing bytes),
 * and the record it is inside ("unit at 0x0", "line program at 0x40", "FDE at 0x18"), which a
 * message names after what happened. `base` is the section offset of the reader's first byte when
 * its data is a piece cut out of the section (CFI instructions): errors add it, so their offsets
 * are the section's. A reader's errors take file, section and offset from here (whereAt); nothing
 * writes them into the text.
 */
export interface DwarfPlace {
  readonly file?: string;
  readonly section?: string;
  readonly record?: string;
  readonly base?: number;
}

/** The ErrorWhere of `offset` (relative to the place's data) at this place. */
export function whereAt(p: DwarfPlace, offset: number): ErrorWhere {
  return {
    ...(p.file !== undefined ? { file: p.file } : {}),
    ...(p.section !== undefined ? { section: p.section } : {}),
    offset: (p.base ?? 0) + offset,
  };
}

/** The record a message is about, as " (in the unit at 0x0)", or "" when the place names none. */
export function inRecord(p: DwarfPlace): string {
  return p.record ? ` (in the ${p.record})` : "";
}

/**
 * What a failed read of damaged DWARF becomes: JitdbgErrors as they are, and a RangeError (a read
 * past the end of a buffer, an impossible length) as a DwarfError with `code` at `where`, naming
 * the record it was reading. Anything else is a bug in the reader, not in the data: it is rethrown,
 * never recorded as corrupt DWARF.
 */
export function asDwarfError(e: unknown, code: DwarfErrorCode, where: ErrorWhere, record?: string): JitdbgError {
  if (e instanceof JitdbgError) return e;
  if (!(e instanceof RangeError)) throw e;
  return new DwarfError(code, where, `${e.message}${record ? ` (in the ${record})` : ""}`);
}
