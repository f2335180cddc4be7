/** Why the inferior stopped, as the debugger facade reports it (DAP's stopped/exited on top). */
import type { MemAccess } from "../../emu/cpu.js";

export type StopReason =
  | "entry"
  | "breakpoint"
  | "function breakpoint"
  | "instruction breakpoint"
  | "data breakpoint"
  | "step"
  | "pause"
  | "goto"
  /** A frame restarted: stopped at the call that entered it (restartFrame). */
  | "restart"
  | "exception";

export interface StopEvent {
  reason: StopReason;
  /** One line for the user: "Breakpoint 2 at main (prog.c:14)", "SIGSEGV: invalid write of ...". */
  description: string;
  pc: bigint;
  hitBreakpointIds?: number[];
  /** For signals. */
  signal?: { number: number; name: string; address?: bigint; access?: MemAccess };
  /** Every thread waits for ever (the description says on what); their stacks show where. */
  deadlock?: boolean;
  /** For data breakpoints: the watched value before and after the write. */
  dataChange?: { address: bigint; size: number; oldValue: bigint; newValue: bigint };
}

export interface ExitEvent {
  reason: "exited";
  exitCode: number;
  /** Set when a signal ended the program after the user continued past it. */
  signal?: string;
}

export type RunResult = StopEvent | ExitEvent;

export function isExit(r: RunResult): r is ExitEvent {
  return r.reason === "exited";
}
