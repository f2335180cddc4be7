/**
 * Errors are values with a stable `code` and a message that says what happened, where, and what
 * to do. Every layer throws JitdbgError (or a subclass); the CLI and the adapter turn it into one
 * line for the user and never show a stack trace.
 */
export class JitdbgError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "JitdbgError";
  }
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
