/**
 * Stable error ids for DAP error responses: clients (and tests) key on the id, the user reads the
 * message. Internal error codes (JitdbgError.code) map onto these families.
 */
import { JitdbgError } from "../src/errors.js";

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
} as const;

export function errorIdFor(e: unknown): number {
  if (!(e instanceof JitdbgError)) return ErrorIds.internal;
  const c = e.code;
  if (c === "BAD_FRAME") return ErrorIds.badFrame;
  if (c === "BAD_REFERENCE" || c === "NO_SUCH_VARIABLE") return ErrorIds.badReference;
  if (c === "RUNNING") return ErrorIds.running;
  if (c === "NOT_RUNNING") return ErrorIds.exited;
  if (c.startsWith("EXPR_")) return ErrorIds.expression;
  if (c.startsWith("VALUE_") || c.startsWith("REGISTER_")) return ErrorIds.setValue;
  if (c.startsWith("MEMORY_") || c.startsWith("EMU_MEM")) return ErrorIds.memory;
  if (c.startsWith("LOAD_") || c.startsWith("ELF_") || c.startsWith("EMU_")) return ErrorIds.launchFailed;
  if (c === "ADAPTER_BAD_ARGUMENT") return ErrorIds.badArgument;
  if (c === "NO_CODE_AT_LINE" || c.startsWith("GOTO_")) return ErrorIds.badBreakpoint;
  if (c.startsWith("STEP_")) return ErrorIds.badArgument;
  return ErrorIds.internal;
}

/** The message for the user: JitdbgError messages as they are; anything else marked internal. */
export function messageFor(e: unknown): string {
  if (e instanceof JitdbgError) return e.message;
  return `internal error in jitdbg: ${e instanceof Error ? e.message : String(e)}`;
}

export function badArgument(message: string): JitdbgError {
  return new JitdbgError("ADAPTER_BAD_ARGUMENT", message);
}
