/** DWARF errors: what went wrong, in which section at which offset, and what to do about it. */
import { JitdbgError, type ErrorCode, type ErrorWhere } from "../errors.js";

export type DwarfErrorCode = Extract<ErrorCode, `DWARF_${string}`>;

/** Made like a JitdbgError: place first (`where`, then the text), or a message that names its place itself. */
export class DwarfError extends JitdbgError {
  constructor(code: DwarfErrorCode, where: ErrorWhere, text: string);
  constructor(code: DwarfErrorCode, message: string, where?: ErrorWhere);
  constructor(code: DwarfErrorCode, a: string | ErrorWhere, b?: string | ErrorWhere) {
    if (typeof a === "string") super(code, a, b as ErrorWhere | undefined);
    else super(code, a, String(b));
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
 * What a failed read of damaged DWARF becomes: JitdbgErrors as they are, and a RangeError (a read
 * past the end of a buffer, an impossible length) as a DwarfError with `code` at `where`. Anything
 * else is a bug in the reader, not in the data: it is rethrown, never recorded as corrupt DWARF.
 */
export function asDwarfError(e: unknown, code: DwarfErrorCode, where: string, at?: ErrorWhere): JitdbgError {
  if (e instanceof JitdbgError) return e;
  if (!(e instanceof RangeError)) throw e;
  return new DwarfError(code, `${where}: ${e.message}`, at);
}
