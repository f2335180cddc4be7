/**
 * Stable error ids for DAP error responses: clients (and tests) key on the id, the user reads the
 * message. Every error code (JitdbgError.code) belongs to one family in src/error-codes.ts.
 */
import { errorFamily, isErrorCode, type ErrorFamily } from "../src/error-codes.js";
import { formatError, JitdbgError } from "../src/errors.js";

export const ErrorIds = {
  launchFailed: 1001,
  notLaunched: 1002,
  running: 1003,
  exited: 1004,
  badFrame: 1010,
  badReference: 1011,
  badBreakpoint: 1012,
  badArgument: 1013,
  expression: 1020,
  setValue: 1021,
  memory: 1030,
  unsupported: 1090,
  internal: 1099,

} as const satisfies Record<ErrorFamily, number>;

/** The DAP error id for anything thrown: its code's family in src/error-codes.ts; internal otherwise. */
export function errorIdFor(e: unknown): number {
  if (!(e instanceof JitdbgError) || !isErrorCode(e.code)) return ErrorIds.internal;
  return ErrorIds[errorFamily(e.code)];
}

/** The message for the user (error responses, console lines): src/errors.ts formatError, place first. */
export const messageFor = formatError;

export function badArgument(message: string): JitdbgError {
  return new JitdbgError("ADAPTER_BAD_ARGUMENT", message);
}
