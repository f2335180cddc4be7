/**
 * Errors are values with a stable `code` and a message that says what happened, where, and what
 * to do. Every layer throws JitdbgError (or a subclass); the CLI and the adapter turn it into one
 * line for the user and never show a stack trace.
 */
import type { ErrorCode } from "./error-codes.js";

export type { ErrorCode } from "./error-codes.js";

/**
 * Where an error happened, as far as the throw site knows it: the file (program, library or JIT
 * object), the section and the offset in it, the symbol, the 1-based column of an expression. An
 * error made with `new JitdbgError(code, where, text)` has its place only here: its message is
 * `describeWhere(where)` and then the text, so every user of the message (the adapter, the CLI,
 * a wrapping error) shows the place the same way. The symbol and the column are for programs: the
 * text names a symbol in its own words, and the adapter draws a caret under the column.
 */
export interface ErrorWhere {
  readonly file?: string;
  /** The section's name; its index in the section header table where the name is not known yet. */
  readonly section?: string;
  readonly offset?: number | bigint;
  readonly symbol?: string;
  readonly column?: number;
}

/**
 * The place as the user reads it, ending in ": " (empty when there is none):
 * `prog.o: section .text+0x1a: `, `libc.so.6: section .debug_info+0x40: `, `section .debug_line: `,
 * `a.out: `, `offset 0x10: `. The one formatter of locations; nothing else writes them.
 */
export function describeWhere(where: ErrorWhere | undefined): string {
  if (!where) return "";
  const parts: string[] = [];
  if (where.file !== undefined) parts.push(where.file);
  const off = where.offset === undefined ? "" : `0x${where.offset.toString(16)}`;
  if (where.section !== undefined) parts.push(`section ${where.section}${off ? `+${off}` : ""}`);
  else if (off) parts.push(`offset ${off}`);
  return parts.map((p) => `${p}: `).join("");
}

export class JitdbgError extends Error {
  readonly where?: ErrorWhere;
  /** What happened and what to do, without the place (for the place-first form, the message minus describeWhere). */
  readonly text: string;

  /**
   * `new JitdbgError(code, where, text)`: the place is in `where` only and the message is
   * describeWhere(where) + text. `new JitdbgError(code, message, where?)`: the message is complete as
   * given (it names any place itself, or has none); `where`, if given, is for programs to read.
   */
  constructor(code: ErrorCode, where: ErrorWhere, text: string);
  constructor(code: ErrorCode, message: string, where?: ErrorWhere);
  constructor(
    readonly code: ErrorCode,
    a: string | ErrorWhere,
    b?: string | ErrorWhere,
  ) {
    const placed = typeof a !== "string";
    const text = placed ? String(b) : a;
    super(placed ? `${describeWhere(a)}${text}` : a);
    this.name = "JitdbgError";
    this.text = text;
    this.where = placed ? a : (b as ErrorWhere | undefined);
  }
}

/** Whether `e` is a JitdbgError with one of the given codes: for catches that expect only those. */
export function hasCode<C extends ErrorCode>(e: unknown, ...codes: C[]): e is JitdbgError & { readonly code: C } {
  return e instanceof JitdbgError && (codes as ErrorCode[]).includes(e.code);
}

export function isJitdbgError(e: unknown): e is JitdbgError {
  return e instanceof JitdbgError;
}

/**
 * What the user is shown for anything thrown, one formatter for the adapter (error responses,
 * console output) and the CLI: a JitdbgError's message, which starts with its place
 * (describeWhere); anything else is a bug in jitdbg and says so.
 */
export function formatError(e: unknown): string {
  if (e instanceof JitdbgError) return e.message;
  return `internal error in jitdbg: ${e instanceof Error ? e.message : String(e)}`;
}

/** The same as formatError, for places that must report an error and go on (conditions, logpoints). */
export const describeError = formatError;

/** Whether `e` is a failed host system call (Node's errno errors: ENOENT, EACCES, ...), not a bug. */
export function isHostError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && "code" in e && typeof e.code === "string" && "syscall" in e;
}

/** `{ symbol }` for a where, or nothing when the symbol has no name (a section symbol, an index out of range). */
export function symbolWhere(name: string | undefined): { symbol?: string } {
  return name ? { symbol: name } : {};
}
