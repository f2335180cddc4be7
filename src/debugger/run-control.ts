/**
 * Runs the inferior in time slices so the event loop stays free (a pause request, a DAP message
 * can arrive while the program runs), and collects why it stopped: a hook's request (breakpoint,
 * data breakpoint, step), a pause, the program's end, or a signal.
 */
import type { MemAccess } from "../emu/cpu.js";
import type { Process } from "../inferior/process.js";

/** How long one uninterrupted emulation slice may run before the event loop gets a turn. */
const SLICE_MICROS = 30_000;

export type HookStop =
  | { kind: "breakpoint"; address: bigint }
  | { kind: "data"; watchId: number; address: bigint; size: number; oldValue: bigint; newValue: bigint }
  | { kind: "step"; address: bigint }
  /** The dynamic loader added or removed libraries (the debugger updates images and breakpoints). */
  | { kind: "library" };

export type RawStop =
  | HookStop
  | { kind: "pause" }
  | { kind: "exited"; status: number }
  | { kind: "signal"; signal: number; name: string; pc: bigint; description: string; address?: bigint; access?: MemAccess };

export class RunControl {
  private hookStop: HookStop | undefined;
  private pauseRequested = false;
  /** pc at which a breakpoint must not fire once: the instruction we resume from. */
  private suppressAt: bigint | undefined;
  private running = false;
  /** > 0 while expression code runs with ignore-breakpoints: hooks neither fire nor stop. */
  private silenced = 0;

  constructor(readonly process: Process) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** From a hook: end the slice after (code hooks: before) the current instruction. */
  stopFromHook(stop: HookStop): void {
    if (this.silenced > 0) return;
    this.hookStop ??= stop;
    this.process.requestStop();
  }

  /** True once for the resume pc, so a breakpoint there does not fire before the first instruction. */
  consumeSuppression(address: bigint): boolean {
    if (this.silenced > 0) return true;
    if (this.suppressAt !== address) return false;
    this.suppressAt = undefined;
    return true;
  }

  /** Runs `fn` (an expression call) with every breakpoint hook silenced, or with them live. */
  duringExpression<T>(silenced: boolean, fn: () => T): T {
    if (silenced) this.silenced++;
    try {
      return fn();
    } finally {
      if (silenced) this.silenced--;
    }
  }

  /** The stop a hook requested outside run() (during an expression call), cleared as it is taken. */
  takeHookStop(): HookStop | undefined {
    const s = this.hookStop;
    this.hookStop = undefined;
    return s;
  }

  /** Outside run() (an expression call resuming from a breakpoint): it does not fire once at `address`. */
  skipBreakpointOnce(address: bigint): void {
    this.suppressAt = address;
  }

  pause(): void {
    this.pauseRequested = true;
    if (this.running) this.process.requestStop();
  }

  /**
   * Runs until something stops the program. `suppressBreakpointAt` is the pc we resume from when a
   * breakpoint is there (it must not fire again before that instruction runs).
   */
  async run(suppressBreakpointAt?: bigint, limits: { until?: bigint } = {}): Promise<RawStop> {
    this.hookStop = undefined;
    this.pauseRequested = false;
    this.suppressAt = suppressBreakpointAt;
    this.running = true;
    try {
      for (;;) {
        const r = this.process.run({ timeoutMicros: SLICE_MICROS, until: limits.until });
        this.suppressAt = undefined; // only ever the first instruction of a run
        if (r.kind === "exited") return { kind: "exited", status: r.status };
        if (r.kind === "signal") return { ...r, kind: "signal" };
        if (this.hookStop) return this.hookStop;
        if (this.pauseRequested) return { kind: "pause" };
        if (limits.until !== undefined && this.process.pc === limits.until) return { kind: "step", address: limits.until };
        await new Promise((resolve) => setImmediate(resolve));
        if (this.pauseRequested) return { kind: "pause" };
      }
    } finally {
      this.running = false;
    }
  }

  /** Executes exactly one instruction (breakpoints at the current pc do not fire). */
  stepInstruction(): RawStop | undefined {
    this.hookStop = undefined;
    this.suppressAt = this.process.pc;
    const r = this.process.run({ count: 1 });
    this.suppressAt = undefined;
    if (r.kind === "exited") return { kind: "exited", status: r.status };
    if (r.kind === "signal") return { ...r, kind: "signal" };
    // A data breakpoint written by this instruction still counts.
    const hs = this.hookStop as HookStop | undefined;
    return hs?.kind === "data" ? hs : undefined;
  }
}
