/**
 * Calls a finalized expression entry on the inferior's thread, the way LLDB's expression evaluator
 * does: on the thread's own stack below the red zone (rsp - 128, 16-byte aligned), with the argument
 * block and result buffer in inferior memory there, and a return address at the JIT runtime's trap.
 * Runs in time slices up to a budget of emulated time, then reads the result and the argument block
 * and puts back the CPU context (every register) and the stack bytes it used. Code that may change
 * the program runs under an undo log (inferior/undo-log.ts): committed when it returns, rolled back
 * when it fails (a signal, exit, a time-out, a breakpoint), so a failed call leaves nothing behind.
 *
 * A call is written as steps (a generator that yields between two slices of a call with a time
 * budget): run to its end at once (`call`), or by a driver that lets the event loop turn between
 * slices and may cancel it there (`driveSteps`: the debug console's evaluate, which DAP can cancel).
 */
import type { CpuContext } from "../../emu/cpu.js";
import type { Process } from "../../inferior/process.js";
import { UndoLog, type RollbackReport } from "../../inferior/undo-log.js";

/** The x86-64 System V red zone below rsp that leaf code may use without moving rsp. */
const RED_ZONE = 128n;
/** Stack bytes below the scratch saved and restored around a call (callees use it as they please). */
const STACK_SNAPSHOT = 64n * 1024n;
/** Block entries per slice of an expression call, between checks of its time budget. */
const SLICE_BLOCKS = 100_000;

export interface HookStop {
  kind: "breakpoint" | "data" | "step";
  address: bigint;
}

/** How the debugger's breakpoint hooks behave while expression code runs. */
export interface HookControl {
  /** Runs `fn` with breakpoint hooks silenced (ignore-breakpoints) or live. */
  during<T>(silenced: boolean, fn: () => T): T;
  /** The stop a hook requested in the last slice, taken (cleared) by this call. */
  takeHookStop(): HookStop | undefined;
  /** The breakpoint at pc does not fire the next time it is reached (resuming from it). */
  skipOnce(pc: bigint): void;
}

export interface CallRequest {
  entry: bigint;
  /** Filled argument block (written below the red zone; its address goes in rdi). */
  argBlock: Uint8Array;
  /** Bytes of the result buffer (address in rsi). */
  resultSize: number;
  /** Budget of emulated (wall-clock) time in microseconds. */
  timeoutMicros: number;
  ignoreBreakpoints: boolean;
  /** Called at a breakpoint inside the expression (ignoreBreakpoints off), before anything is restored. */
  describeStop?: (pc: bigint) => string;
  /** Whether a breakpoint hit inside the expression stops it (its condition); default yes. */
  shouldStop?: (pc: bigint) => boolean;
  /**
   * Whether the code may change the program (it assigns or calls; default yes): it then runs under
   * an undo log. Code that provably cannot write needs none: registers and the scratch cover it.
   */
  mayWrite?: boolean;
  /** Stack bytes the code may use below its return address (CompileResult.stackBytes); undefined: up to STACK_SNAPSHOT. */
  stackBytes?: number;
  /**
   * The code runs only itself (it calls nothing of the program's): what the call translates is the
   * console's code, made for a few runs, so it is translated without TCG's optimizer (faster to
   * translate, computing the same; Cpu.setOptimizedTranslation). Translations of the program's
   * own code, which it keeps, are never made so.
   */
  ownCodeOnly?: boolean;
}

/** How a call failed; `undone` says what its roll-back put back (absent: nothing was logged). */
export type CallFailure = (
  | { kind: "signal"; name: string; pc: bigint; address?: bigint; description: string }
  | { kind: "breakpoint"; pc: bigint; description: string }
  | { kind: "timeout"; pc: bigint; micros: number }
  | { kind: "exited"; status: number }
  /** The call waited for another thread (a lock it holds); other threads do not run during a call. */
  | { kind: "blocked"; pc: bigint; description: string }
  /** The driver cancelled it between two slices (a DAP cancel of the evaluate). */
  | { kind: "cancelled"; pc: bigint; micros: number }
) & { undone?: RollbackReport };

export type CallOutcome = { kind: "returned"; result: Uint8Array; argBlock: Uint8Array; micros: number } | CallFailure;

/** What a plain function call returned: rax (integer class), as the callee left it. */
export type FunctionCallOutcome = { kind: "returned"; rax: bigint; micros: number } | CallFailure;

const ARG_REGISTERS = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"] as const;

/** Between two slices of a call: how long it has run. The driver answers whether to cancel it. */
export interface CallPause {
  micros: number;
}

/** Work that may pause between slices of inferior calls; resumed with `true` to cancel the call. */
export type Steps<T> = Generator<CallPause, T, boolean | undefined>;

/** Runs `steps` to their end without pausing (nothing cancels them). */
export function runSteps<T>(steps: Steps<T>): T {
  for (let r = steps.next(false); ; r = steps.next(false)) if (r.done) return r.value;
}

/** Runs `steps`, letting the event loop turn at each pause and cancelling when `cancelled()` says so there. */
export async function driveSteps<T>(steps: Steps<T>, cancelled: () => boolean): Promise<T> {
  for (let r = steps.next(false); ; ) {
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
    r = steps.next(cancelled());
  }
}

const align16 = (n: bigint): bigint => n & ~15n;
const up16 = (n: number): bigint => BigInt(Math.ceil(n / 16) * 16);

export class ThreadCaller {
  /** A saved-context buffer kept between calls (allocating one each time costs more than saving into it); nested calls make their own. */
  private spare: CpuContext | undefined;

  constructor(
    private readonly process: Process,
    private readonly trap: bigint,
    private readonly hooks: HookControl,
  ) {}

  call(req: CallRequest): CallOutcome {
    return runSteps(this.callSteps(req));
  }

  /** call() as steps: it pauses between slices of a call with a time budget (and can be cancelled there). */
  *callSteps(req: CallRequest): Steps<CallOutcome> {
    const cpu = this.process.cpu;
    const ctx: CpuContext = this.saveContext();
    const rsp0 = cpu.reg("rsp");
    const top = align16(rsp0 - RED_ZONE);
    const resultAt = top - up16(Math.max(req.resultSize, 16));
    const argAt = resultAt - up16(Math.max(req.argBlock.length, 8));
    const retSlot = argAt - 8n; // rsp as right after a `call`: rsp + 8 is 16-byte aligned
    const snapshot = this.saveStack(top, req.stackBytes === undefined ? STACK_SNAPSHOT : top - retSlot + BigInt(req.stackBytes));
    return yield* this.guarded(ctx, top, snapshot, req.mayWrite ?? true, function* (this: ThreadCaller): Steps<CallOutcome> {
      cpu.write(resultAt, new Uint8Array(Number(top - resultAt)));
      cpu.write(argAt, req.argBlock);
      const ret = new Uint8Array(8);
      new DataView(ret.buffer).setBigUint64(0, this.trap, true);
      cpu.write(retSlot, ret);
      cpu.setReg("rsp", retSlot);
      cpu.setReg("rdi", argAt);
      cpu.setReg("rsi", resultAt);
      cpu.setReg("rax", 0n);
      cpu.setReg("rip", req.entry);
      this.hooks.takeHookStop();
      const outcome = yield* this.within(req.ignoreBreakpoints, this.runToTrap(req));
      if (outcome.kind !== "returned") return outcome;
      const result = cpu.read(resultAt, req.resultSize);
      const args = cpu.read(argAt, req.argBlock.length);
      return { kind: "returned", result, argBlock: args, micros: outcome.micros };
    }.bind(this));
  }

  /**
   * Calls a function of the inferior with up to six integer arguments (System V registers) and
   * returns rax, with breakpoints silenced: for GNU indirect-function resolvers and the like, run
   * while an expression is being linked. Registers and stack are restored as after call(), and
   * a failed call is rolled back likewise.
   */
  callFunction(entry: bigint, args: readonly bigint[], timeoutMicros: number): FunctionCallOutcome {
    const cpu = this.process.cpu;
    const ctx: CpuContext = this.saveContext();
    const top = align16(cpu.reg("rsp") - RED_ZONE);
    const retSlot = top - 8n;
    const snapshot = this.saveStack(top, STACK_SNAPSHOT);
    return runSteps(this.guarded(ctx, top, snapshot, true, function* (this: ThreadCaller): Steps<FunctionCallOutcome> {
      const ret = new Uint8Array(8);
      new DataView(ret.buffer).setBigUint64(0, this.trap, true);
      cpu.write(retSlot, ret);
      cpu.setReg("rsp", retSlot);
      ARG_REGISTERS.forEach((r, i) => cpu.setReg(r, args[i] ?? 0n));
      cpu.setReg("rax", 0n);
      cpu.setReg("rip", entry);
      this.hooks.takeHookStop();
      const outcome = yield* this.within(true, this.runToTrap({ entry, argBlock: new Uint8Array(0), resultSize: 0, timeoutMicros, ignoreBreakpoints: true }));
      if (outcome.kind !== "returned") return outcome;
      return { kind: "returned", rax: cpu.reg("rax"), micros: outcome.micros };
    }.bind(this)));
  }

  /** `steps` with the breakpoint hooks silenced (or live) while each of their parts runs, not across pauses. */
  private *within<T>(silenced: boolean, steps: Steps<T>): Steps<T> {
    for (let cancel: boolean | undefined = false; ; ) {
      const r = this.hooks.during(silenced, () => steps.next(cancel));
      if (r.done) return r.value;
      cancel = yield r.value;
    }
  }

  /**
   * Runs `body` (set up and run a call), with an undo log when `logged`: committed when it
   * returned, rolled back when it failed or threw. Then the stack scratch (after the roll-back: it
   * may have saved scratch pages with the call's bytes) and every register are put back.
   */
  private *guarded<T extends CallOutcome | FunctionCallOutcome>(ctx: CpuContext, top: bigint, snapshot: { at: bigint; bytes: Uint8Array } | undefined, logged: boolean, body: () => Steps<T>): Steps<T> {
    const cpu = this.process.cpu;
    // The call's set-up, run and clean-up are the debugger's; what it committed is the program's
    // (a recorded history logs those pages). In the past nothing is committed: the past stays.
    const history = this.process.history;
    const keep = !history?.inPast;
    history?.beginPrivate();
    const log = logged ? UndoLog.begin(this.process, snapshot ? { unlogged: { start: snapshot.at, end: top } } : {}) : undefined;
    let outcome: T | undefined;
    let kept: number[] = [];
    try {
      outcome = yield* body();
      return outcome;
    } finally {
      try {
        if (log && outcome?.kind === "returned" && keep) kept = log.commit();
        else if (log) {
          const undone = log.rollback();
          if (outcome && outcome.kind !== "returned") (outcome as CallFailure).undone = undone;
        }
      } finally {
        if (snapshot) cpu.write(snapshot.at, snapshot.bytes);
        cpu.restoreContext(ctx);
        if (this.spare === undefined) this.spare = ctx;
        else ctx.free();
        history?.endPrivate();
        history?.committed(kept);
      }
    }
  }

  private *runToTrap(req: CallRequest): Steps<CallFailure | { kind: "returned"; micros: number }> {
    const proc = this.process;
    let used = 0;
    for (;;) {
      // No limit (0): call-free code always ends. Otherwise slices of blocks, each ending exactly,
      // with the time budget checked between them.
      const t0 = performance.now();
      const optimized = proc.cpu.optimizedTranslation;
      if (req.ownCodeOnly) proc.cpu.setOptimizedTranslation(false);
      let r: ReturnType<Process["run"]>;
      try {
        r = proc.duringCall(() => proc.run({ until: this.trap, blocks: req.timeoutMicros <= 0 ? 0 : SLICE_BLOCKS, lockThread: true }));
      } finally {
        proc.cpu.setOptimizedTranslation(optimized);
      }
      used += (performance.now() - t0) * 1000;
      if (r.kind === "exited") return { kind: "exited", status: r.status };
      if (r.kind === "blocked" || r.kind === "deadlock") return { kind: "blocked", pc: proc.pc, description: r.description };
      if (r.kind === "signal") return { kind: "signal", name: r.name, pc: r.pc, address: r.address, description: r.description };
      const pc = proc.pc;
      if (pc === this.trap) return { kind: "returned", micros: used };
      const hook = this.hooks.takeHookStop();
      if (hook?.kind === "breakpoint" && !req.ignoreBreakpoints) {
        if (req.shouldStop && !req.shouldStop(pc)) {
          // Condition false: run on, past this breakpoint once.
          this.hooks.skipOnce(pc);
          continue;
        }
        return { kind: "breakpoint", pc, description: req.describeStop?.(pc) ?? `breakpoint at 0x${pc.toString(16)}` };
      }
      if (req.timeoutMicros > 0 && used >= req.timeoutMicros) return { kind: "timeout", pc, micros: used };
      // A slice of a call with a budget ended: the driver may let other work run, or cancel.
      if (yield { micros: used }) return { kind: "cancelled", pc, micros: used };
    }
  }

  /** The CPU's context saved into the spare buffer when there is one (taken until the call ends). */
  private saveContext(): CpuContext {
    const spare = this.spare;
    this.spare = undefined;
    return this.process.cpu.saveContext(spare);
  }

  /** Saves the stack bytes the call may overwrite: from the scratch down `bytes` (at most STACK_SNAPSHOT; what is mapped). */
  private saveStack(top: bigint, bytes: bigint): { at: bigint; bytes: Uint8Array } | undefined {
    const space = this.process.space;
    let low = top - (bytes < STACK_SNAPSHOT ? bytes : STACK_SNAPSHOT);
    while (low < top && !space.isMapped(low, top - low)) low += 4096n - (low & 4095n);
    if (low >= top) return undefined;
    return { at: low, bytes: this.process.cpu.read(low, Number(top - low)) };
  }
}
