/** DWARF errors: what went wrong, in which section at which offset, and what to do about it. */
import { JitdbgError } from "../errors.js";

export class DwarfError extends JitdbgError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = "DwarfError";
  }
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/** Wraps anything thrown into a DwarfError, keeping DwarfError/JitdbgError values as they are. */
export function asDwarfError(e: unknown, code: string, where: string): JitdbgError {
  if (e instanceof JitdbgError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new DwarfError(code, `${where}: ${msg}`);
}
