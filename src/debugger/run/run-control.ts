/**
 * Runs the inferior in slices of translation blocks, each ending on an exact stop, so the event
 * loop stays free (a pause request, a DAP message can arrive while the program runs), and collects
 * why it stopped: a hook's request (breakpoint,
 * data breakpoint, step), a pause, the program's end, or a signal.
 */
import type { MemAccess } from "../../emu/cpu.js";
import type { EndReason, Process } from "../../inferior/process.js";

/** How long one uninterrupted emulation slice should run before the event loop gets a turn. */
const SLICE_TARGET_MS = 30;
/** Block entries of the first slice; later slices are sized from the measured speed. */
const FIRST_SLICE_BLOCKS = 200_000;
const MIN_SLICE_BLOCKS = 1_000;
const MAX_SLICE_BLOCKS = 50_000_000;

export type HookStop =
  | { kind: "breakpoint"; address: bigint }
  /** A watched write; the run ended at the next exact boundary after `writer`, the writing instruction. */
  | { kind: "data"; watchId: number; address: bigint; size: number; oldValue: bigint; newValue: bigint; writer: bigint }
  | { kind: "step"; address: bigint }
  /** The dynamic loader added or removed libraries (the debugger updates images and breakpoints). */
  | { kind: "library" };

/** A replay of the past reached the history's limit (a reverse operation's scan). */
export type LimitStop = { kind: "limit" };

export type RawStop =
  | HookStop
  | LimitStop
  | { kind: "pause" }
  | { kind: "exited"; status: number }
  /** Every thread waits for ever. */
  | { kind: "deadlock"; description: string }
  /** The family follows another process now (a forked child, the program execve loaded): the debugger moves to it. */
  | { kind: "followed"; process: Process; cause: "fork" | "exec" }
  | { kind: "signal"; signal: number; name: string; pc: bigint; description: string; address?: bigint; access?: MemAccess };

export class RunControl {
  private hookStop: HookStop | undefined;
  private pauseRequested = false;
  /** pc at which a breakpoint must not fire once: the instruction we resume from. */
  private suppressAt: bigint | undefined;
  private running = false;
  /** > 0 while expression code runs with ignore-breakpoints: hooks neither fire nor stop. */
  private silenced = 0;

  private sliceBlocks: number;
  /** Ends a wait for typed input early: a pause came. */
  private wakeWait: (() => void) | undefined;

  /**
   * `fixedSliceBlocks` fixes the slice length in translation-block entries (tests use short
   * slices to cross many slice ends); by default slices are sized to take about 30 ms.
   */
  constructor(
    private proc: Process,
    private readonly fixedSliceBlocks?: number,
  ) {
    this.sliceBlocks = fixedSliceBlocks ?? FIRST_SLICE_BLOCKS;
  }

  get process(): Process {
    return this.proc;
  }

  /** Runs `process` from now on (the debugger followed a fork or an execve). */
  follow(process: Process): void {
    this.proc = process;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** From a hook: end the slice at the next exact boundary (code hooks: before the hooked instruction). */
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
    this.wake();
  }

  /** Something besides input may end a wait for it (a signal came): the run goes on. */
  wake(): void {
    this.wakeWait?.();
  }

  /** Every thread waits for what the user types: the event loop goes on until it comes (or a pause). */
  private async awaitInput(p: Process): Promise<void> {
    const input = p.kernel.io.interactive;
    if (!input) return;
    await Promise.race([input.arrival(), new Promise<void>((resolve) => (this.wakeWait = resolve))]);
    this.wakeWait = undefined;
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
        // Every slice ends on a block boundary (the CPU's stop gate), so resuming is exact.
        const t0 = performance.now();
        const r = this.process.run({ blocks: this.sliceBlocks, until: limits.until });
        this.resize(performance.now() - t0);
        this.suppressAt = undefined; // only ever the first instruction of a run
        if (r.kind === "exited") return { kind: "exited", status: r.status };
        if (r.kind === "signal") return { ...r, kind: "signal" };
        if (r.kind === "deadlock" || r.kind === "followed") return r;
        if (r.kind === "history-limit") return { kind: "limit" };
        if (this.hookStop) return this.hookStop;
        if (r.kind === "input") await this.awaitInput(this.process);
        if (this.pauseRequested) return { kind: "pause" };
        if (limits.until !== undefined && this.process.pc === limits.until) return { kind: "step", address: limits.until };
        await new Promise((resolve) => setImmediate(resolve));
        if (this.pauseRequested) return { kind: "pause" };
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Runs `process` (the launched one, after the followed child ended) to its end in slices, with
   * no stops: nothing of it is debugged. Pauses are not taken (there is nothing to stop in).
   */
  async runDetached(process: Process): Promise<EndReason> {
    this.running = true;
    let p = process;
    try {
      for (;;) {
        const r = p.run({ blocks: this.sliceBlocks });
        if (r.kind === "followed") p = r.process;
        else if (r.kind === "exited" || r.kind === "signal" || r.kind === "deadlock") return r;
        if (r.kind === "input") await this.awaitInput(p);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Executes exactly one instruction (breakpoints at the current pc do not fire). First a code
   * hook on the pc learns the instruction's length, stopping before it; then a code hook on the
   * address after it and a budget of one block end the run after it: a branch ends its block, so
   * wherever it goes the next block entry stops the run, and anything else reaches the next
   * address. Every stop is exact; nothing is flushed.
   */
  stepInstruction(): RawStop | undefined {
    const proc = this.process;
    const cpu = proc.cpu;
    const at = proc.pc;
    this.hookStop = undefined;
    let length = 0;
    const probe = cpu.hookCode(at, at, (_pc, size) => {
      length = size;
      cpu.stop();
    });
    let r: ReturnType<Process["run"]>;
    try {
      this.silenced++;
      r = proc.run({ blocks: 1, lockThread: true });
    } finally {
      this.silenced--;
      probe.remove();
    }
    if (r.kind === "exited") return { kind: "exited", status: r.status };
    if (r.kind === "signal") return { ...r, kind: "signal" };
    if (proc.pc !== at || length === 0) return undefined; // cannot happen: the probe is the first thing to run
    const next = at + BigInt(length);
    const after = cpu.hookCode(next, next, () => cpu.stop());
    this.suppressAt = at;
    try {
      r = proc.run({ blocks: 1, lockThread: true });
    } finally {
      this.suppressAt = undefined;
      after.remove();
    }
    if (r.kind === "exited") return { kind: "exited", status: r.status };
    if (r.kind === "signal") return { ...r, kind: "signal" };
    // The instruction was a fork the debugger follows into the child, or an execve.
    const now = proc.family.followed.process.current;
    if (now !== proc) return { kind: "followed", process: now, cause: now.pid === proc.pid ? "exec" : "fork" };
    // A data breakpoint written by this instruction still counts.
    const hs = this.hookStop as HookStop | undefined;
    return hs?.kind === "data" ? hs : undefined;
  }

  /** Sizes the next slice so it takes about SLICE_TARGET_MS (unless fixed). */
  private resize(ms: number): void {
    if (this.fixedSliceBlocks !== undefined || ms <= 0) return;
    const scaled = this.sliceBlocks * Math.min(4, Math.max(0.25, SLICE_TARGET_MS / ms));
    this.sliceBlocks = Math.round(Math.min(MAX_SLICE_BLOCKS, Math.max(MIN_SLICE_BLOCKS, scaled)));
  }
}
