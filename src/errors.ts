/**
 * Errors are values with a stable `code` and a message that says what happened, where, and what
 * to do. Every layer throws JitdbgError (or a subclass); the CLI and the adapter turn it into one
 * line for the user and never show a stack trace.
 */
import type { ErrorCode } from "./error-codes.js";

export type { ErrorCode } from "./error-codes.js";

/**
 * Where an error happened, as far as the throw site knows it: the file (program, library or JIT
 * object), the section and the offset in it, the symbol, the 1-based column of an expression. The
 * message says the same in words; these fields are for programs (the adapter, tests) to read.
 */
export interface ErrorWhere {
  readonly file?: string;
  readonly section?: string;
  readonly offset?: number | bigint;
  readonly symbol?: string;
  readonly column?: number;
}

export class JitdbgError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where?: ErrorWhere,
  ) {
    super(message);
    this.name = "JitdbgError";
  }
}

/** Whether `e` is a JitdbgError with one of the given codes: for catches that expect only those. */
export function hasCode<C extends ErrorCode>(e: unknown, ...codes: C[]): e is JitdbgError & { readonly code: C } {
  return e instanceof JitdbgError && (codes as ErrorCode[]).includes(e.code);
}

export function isJitdbgError(e: unknown): e is JitdbgError {
  return e instanceof JitdbgError;
}

/** One-line description of anything thrown, for places that must report and go on. */
export function describeError(e: unknown): string {
  if (e instanceof JitdbgError) return e.message;
  if (e instanceof Error) return `internal error: ${e.message}`;
  return `internal error: ${String(e)}`;
}

/** Whether `e` is a failed host system call (Node's errno errors: ENOENT, EACCES, ...), not a bug. */
export function isHostError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && "code" in e && typeof e.code === "string" && "syscall" in e;
}

/** `{ symbol }` for a where, or nothing when the symbol has no name (a section symbol, an index out of range). */
export function symbolWhere(name: string | undefined): { symbol?: string } {
  return name ? { symbol: name } : {};
}
