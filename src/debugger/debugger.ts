/**
 * The debugger facade: one debugged process and everything a front end asks of it — run control,
 * breakpoints, stack, scopes and variables, memory, disassembly, evaluation. Protocol-free: the DAP
 * adapter (and tests, and scripts) drive it directly.
 */
import { JitdbgError } from "../errors.js";
import type { CodeHook, Cpu } from "../emu/cpu.js";
import { DEADLOCK_STATUS, Process, type ProcessOptions } from "../inferior/process.js";
import { signalName } from "../inferior/signals.js";
import type { LibraryEvent } from "../inferior/images.js";
import { assign, type FormatOptions } from "../values/value.js";
import { ImageInfo } from "./image-info.js";
import { BreakpointManager, littleEndian, RunControl, restartPoint, scopeKey, Stepper, classifyInstruction, type Breakpoint, type BreakpointOptions, type ConditionEvaluator, type DataWatchSpec, type PatchedRange, type RawStop, type RunResult, type SourceBreakpointSpec, type StepOutcome, type StopEvent } from "./run/index.js";
import { disassemble, disassembleAround, hiddenInlineFrames, loadDisassembler, postponePreload, Inspector, loadedSources, unwindStack, type CodeReader, type DisassembledInstruction, type Frame, type VariableView } from "./inspect/index.js";
import { CompiledConditions, ExpressionEvaluator } from "./evaluate/index.js";
import { TimeTravel } from "./run/time-travel.js";
import type { HistoryOptions } from "../inferior/history/history.js";

export interface LaunchOptions extends Omit<ProcessOptions, "onStdout" | "onStderr" | "onWarning" | "onThread"> {
  program: string;
  /** Stop at the program's first instruction instead of running to the first breakpoint. */
  stopOnEntry?: boolean;
  /**
   * Length of a run slice in translation-block entries (default: sized to ~30 ms). Every slice
   * ends exactly, so this changes only how often the event loop gets a turn; tests use short
   * slices to cross many slice ends.
   */
  sliceBlocks?: number;
  /**
   * Milliseconds of emulated time a console expression that calls functions (or loops) may run
   * before it is stopped and undone (default 250).
   */
  evaluateTimeoutMs?: number;
  /** Per signal (by name, "SIGUSR1"): stop before delivering it, and deliver it to the program at all (gdb's `handle`). */
  signals?: Record<string, Partial<SignalHandling>>;
  /** Where the program's output goes as bytes (a terminal), instead of output events. */
  programOutput?: { stdout(data: Uint8Array): void; stderr(data: Uint8Array): void };
  /**
   * Record the program's history so it can be stepped and continued backwards (default off here;
   * the adapter's debug sessions turn it on unless their launch says false).
   */
  timeTravel?: boolean;
  /** Megabytes the recorded history may use; the oldest history is dropped beyond it (default 512). */
  historyMegabytes?: number;
  /** Blocks between the history's checkpoints (default 4,000,000: a step back replays at most that far; tests use short ones). */
  historyCheckpointBlocks?: number;
}

/** How far back the program can go, for the front end. */
export interface HistoryView {
  /** The program is at a point in its past (runs replay the recording; nothing can be changed). */
  inPast: boolean;
  /** Blocks of execution between now and the present, and between the history's start and the present. */
  blocksBack: bigint;
  blocksRecorded: bigint;
  bytes: number;
  budgetBytes: number;
  /** The oldest history was dropped to stay within the budget. */
  truncated: boolean;
}

/** What the debugger does with a signal: stop and show it first; pass it to the program (its handler or default action). */
export interface SignalHandling {
  stop: boolean;
  pass: boolean;
}

export type OutputCategory = "stdout" | "stderr" | "console" | "important";

export interface DebuggerEvents {
  output?(category: OutputCategory, text: string): void;
  /** A library (or JIT module) was loaded or unloaded. */
  module?(reason: "new" | "removed", image: ImageInfo): void;
  /** Pending breakpoints got bound (a library loaded) or lost their code (it unloaded). */
  breakpointsChanged?(breakpoints: Breakpoint[]): void;
  /** A thread started or exited (while the program runs). */
  thread?(reason: "started" | "exited", tid: number): void;
  /** The debugger now follows another process: a child it forked (followFork child), or the program it executed. */
  followed?(event: FollowEvent): void;
}

/** What the debugger moved to: `pid` running `program`, and the sources of the images before and after. */
export interface FollowEvent {
  cause: "fork" | "exec";
  pid: number;
  program: string;
  sourcesBefore: string[];
  sourcesAfter: string[];
}

/** A call on the current line a step can enter (DAP stepInTargets). */
export interface StepInTarget {
  id: number;
  label: string;
  callAddress: bigint;
}

/** A thread as the user sees it: its id (the tid) and name. */
export interface ThreadView {
  id: number;
  name: string;
}

/** Exception filters: the fault and abort signals by name, and "signals" for every other one. */
export type SignalFilter = "SIGSEGV" | "SIGFPE" | "SIGILL" | "SIGABRT" | "SIGTRAP" | "SIGBUS" | "signals";
const FAULT_FILTERS: ReadonlySet<string> = new Set(["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGBUS"]);

/** Frames unwound at a stop: the whole stack (`depth` undefined) or its innermost `depth` physical frames. */
interface UnwoundFrames {
  frames: Frame[];
  depth: number | undefined;
}

export class Debugger {
  /** The process the debugger follows (the launched one, a child it forked, the program it executed). */
  private target: Process;
  /** The process jitdbg launched: closing it ends its whole family. */
  private readonly launched: Process;
  private unlisten: (() => void)[] = [];
  readonly control: RunControl;
  readonly breakpoints: BreakpointManager;
  inspector!: Inspector;
  /** The debug console's compiled evaluator (also behind inspector.evaluate and breakpoint conditions). */
  expressions!: ExpressionEvaluator;
  private readonly stepper: Stepper;
  private stepping = false;
  /** A site whose condition was compiled at a hook hit there: the thread resumes through it, unsuppressed. */
  private throughSite: bigint | undefined;
  private imageList: ImageInfo[];
  private readonly pendingLibraryEvents: LibraryEvent[] = [];
  private framesCache: UnwoundFrames | undefined;
  /** Each thread's frames at this stop, unwound when first asked for (as deep as asked: see frame). */
  private readonly framesByThread = new Map<number, UnwoundFrames>();
  /** The thread of the last stop, and the one a step in progress steps. */
  private stopThread: number;
  private steppingThread = 0;
  /** The step-in targets last listed at this stop. */
  private stepTargets: StepInTarget[] = [];
  private lastResult: RunResult | undefined;
  private otherSignals: ReadonlySet<number> | undefined;
  private signalFilters = new Set<SignalFilter>(["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGBUS"]);
  private exited = false;
  /** Inlined calls starting at the stop pc that are shown as not entered yet (gdb's view). */
  private hiddenInline = 0;
  /** Breakpoint conditions compiled into the program's path, for the process followed now. */
  private conditions!: CompiledConditions;
  /** Reverse execution over the recorded history (timeTravel). */
  private readonly travel: TimeTravel;
  /** While a reverse operation scans the past: logpoints and condition errors say nothing. */
  private quiet = false;

  private constructor(
    process: Process,
    private readonly events: DebuggerEvents,
    readonly options: LaunchOptions,
  ) {
    this.target = process;
    this.launched = process;
    this.stopThread = process.currentThread;
    this.setExceptionFilters([...this.signalFilters]);
    this.control = new RunControl(process, options.sliceBlocks);
    this.imageList = process.images.list().map((i) => new ImageInfo(i));
    this.listen(process);
    this.breakpoints = new BreakpointManager(process.cpu, this.control, () => this.imageList);
    this.breakpoints.hiddenInlineAt = (address, bp) => this.hiddenAtBreakpoint(address, [bp]);
    this.stepper = new Stepper({
      cpu: this.steppingCpu(),
      imageFor: (pc) => this.imageFor(pc),
      run: (suppress) => this.runFiltered(suppress ?? this.suppressionFor(this.process.pc)),
      caller: () => {
        this.invalidate();
        const [top, caller] = this.stackTrace();
        return top?.cfa !== undefined && caller ? { returnAddress: caller.pc, cfa: top.cfa } : undefined;
      },
      visibleInlineDepth: () => {
        const pc = this.process.pc;
        const at = this.imageFor(pc)?.functionAt(pc);
        return Math.max(0, (at?.inlined.length ?? 0) - this.hiddenInline);
      },
    }, (pc) => this.control.stopFromHook({ kind: "step", address: pc }));
    this.newEvaluators();
    if (options.timeTravel) process.startHistory(historyOptions(options));
    // A recorded program's code stays as recorded: no condition is compiled into it.
    this.breakpoints.useConditionSites(this.conditions);
    const dbg = this;
    this.travel = new TimeTravel({
      get cpu() {
        return dbg.process.cpu;
      },
      history: () => this.requireHistory(),
      imageFor: (pc) => this.imageFor(pc),
      topFrames: () => {
        this.invalidate();
        return this.stackTrace().slice(0, 2).map((f) => ({ pc: f.pc, cfa: f.cfa }));
      },
      runToStop: async () => {
        this.quiet = true;
        try {
          const r = await this.runFiltered(this.suppressionFor(this.process.pc));
          if ("reason" in r) return r;
          return r.kind === "limit" ? "limit" : { reason: "step", description: "", pc: this.process.pc };
        } finally {
          this.quiet = false;
        }
      },
      runToLimit: () => {
        this.control.duringExpression(true, () => {
          for (;;) {
            const r = this.process.run({});
            if (r.kind !== "stopped" && r.kind !== "signal") return;
          }
        });
      },
      stepInstruction: () => void this.control.stepInstruction(),
      silently: (fn) => this.control.duringExpression(true, fn),
    });
  }

  /** The process the debugger follows. */
  get process(): Process {
    return this.target;
  }

  /** Inspection and evaluation for the process followed now (a new one's memory has none of the old JIT modules). */
  private newEvaluators(): void {
    this.inspector = new Inspector(this);
    const expressions = new ExpressionEvaluator(this);
    this.expressions = expressions;
    this.inspector.compiled = expressions;
    const process = this.process;
    const dbg = this;
    this.conditions = new CompiledConditions({
      process,
      get images() {
        return dbg.imageList;
      },
      ready: () => !process.exited && expressions.available(),
      compile: (text, frames, placeOf, near) => expressions.compileForSite(text, frames, placeOf, near),
      release: (m) => expressions.releaseSiteCondition(m),
    });
    const conditions = this.conditions;
    process.setFaultClaim((pc) => conditions.inCondition(pc));
  }

  /**
   * Libraries come and go while the program runs (the loader's r_debug rendezvous): note them and
   * end the slice, then update images and breakpoints outside the emulator. Threads are told on.
   */
  private listen(p: Process): void {
    for (const off of this.unlisten.splice(0)) off();
    this.unlisten.push(
      p.onLibrary((event) => {
        this.pendingLibraryEvents.push(event);
        this.control.stopFromHook({ kind: "library" });
      }),
      p.onThread((e) => this.events.thread?.(e.kind, e.tid)),
    );
  }

  /** How long a console expression that calls or loops may run (the launch's option). */
  get evaluateTimeoutMs(): number | undefined {
    return this.options.evaluateTimeoutMs;
  }

  /** Loads the program, stopped at its entry point; breakpoints can be set before `start()`. */
  static launch(options: LaunchOptions, events: DebuggerEvents = {}): Debugger {
    const dec = new TextDecoder();
    const process = Process.launch(options.program, {
      ...options,
      onStdout: options.programOutput?.stdout ?? ((d) => events.output?.("stdout", dec.decode(d, { stream: true }))),
      onStderr: options.programOutput?.stderr ?? ((d) => events.output?.("stderr", dec.decode(d, { stream: true }))),
      onWarning: (m) => events.output?.("console", `jitdbg: ${m}\n`),
    });
    return new Debugger(process, events, options);
  }

  get images(): readonly ImageInfo[] {
    return this.imageList;
  }

  // ---- threads ----

  /** Every live thread, the main one first: its tid and its name (prctl/pthread_setname_np, else the program's). */
  threads(): ThreadView[] {
    return this.process.threads().map((t) => ({ id: t.tid, name: t.name || `thread ${t.tid}` }));
  }

  /** The thread that stopped (the breakpoint's, the signal's, the step's). */
  get stoppedThread(): number {
    return this.stopThread;
  }

  /** The thread inspection and stepping apply to now. */
  get thread(): number {
    return this.process.currentThread;
  }

  /**
   * Makes `tid` the thread that stack traces, variables, evaluation and steps apply to. Looking
   * at a thread does not change which one the program runs next (Process.focusThread).
   */
  selectThread(tid: number): void {
    if (tid === this.process.currentThread) return;
    this.ensureStopped();
    if (!this.process.focusThread(tid)) throw new JitdbgError("BAD_THREAD", `there is no thread ${tid} (live threads: ${this.threads().map((t) => t.id).join(", ")})`);
    this.framesCache = this.framesByThread.get(tid);
  }

  imageFor(pc: bigint): ImageInfo | undefined {
    return this.imageList.find((i) => i.contains(pc));
  }

  get isRunning(): boolean {
    return this.control.isRunning;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  get lastStop(): RunResult | undefined {
    return this.lastResult;
  }

  /** After configuration: the entry stop (stopOnEntry) or a run to the first stop. */
  async start(): Promise<RunResult> {
    if (this.options.stopOnEntry) {
      const pc = this.process.pc;
      return this.finish({ reason: "entry", description: `Stopped at the entry point ${this.describePc(pc)}`, pc });
    }
    return this.continue();
  }

  async continue(): Promise<RunResult> {
    this.ensureStopped();
    if (!this.process.history?.inPast) this.dropHeldSignalUnlessPassed();
    return this.resume(() => this.runFiltered(this.suppressionFor(this.process.pc)));
  }

  pause(): void {
    this.control.pause();
  }

  // ---- time travel ----

  /** The recorded history's extent, when time travel is on. */
  historyView(): HistoryView | undefined {
    const h = this.process.history;
    if (!h) return undefined;
    const e = h.extent();
    const now = h.now();
    return { inPast: h.inPast, blocksBack: e.newest.blocks - now.blocks, blocksRecorded: e.newest.blocks - e.oldest.blocks, bytes: e.bytes, budgetBytes: e.budgetBytes, truncated: e.dropped > 0 };
  }

  /** Back to the previous stop a continue would have made (breakpoint, data breakpoint), or the history's start. */
  async reverseContinue(): Promise<RunResult> {
    this.ensureStopped();
    this.requireHistory();
    this.invalidate();
    this.conditionsInThePast();
    const r = await this.travel.reverseContinue();
    if (r.reason === "start") {
      const pc = this.process.pc;
      return this.finish({ reason: "entry", description: `Went back to the start of the recorded history, at ${this.describePc(pc)}${this.historyView()?.truncated ? " (older history was dropped to stay within historyMegabytes)" : ""}`, pc }, 0);
    }
    if (r.reason === "exited") return this.finish(r);
    const pc = this.process.pc;
    if (r.reason === "data breakpoint" && r.dataChange) {
      return this.finish({ ...r, pc, description: `${r.description.replace(/ at [^]*$/, "")}: the write is made by ${this.describePc(pc)} (going backwards, stopped before it)` }, 0);
    }
    return this.finish({ ...r, description: `${r.description} (going backwards)` });
  }

  /** Back to the start of the previous line executed in this frame (reverse next), or one instruction. */
  async stepBack(granularity: "line" | "instruction" = "line"): Promise<RunResult> {
    this.ensureStopped();
    this.requireHistory();
    this.invalidate();
    this.conditionsInThePast();
    const moved = granularity === "instruction" ? this.travel.stepBackInstruction() : this.travel.stepBackLine();
    const pc = this.process.pc;
    if (!moved) return this.finish({ reason: "entry", description: `At the start of the recorded history, at ${this.describePc(pc)}`, pc }, 0);
    return this.finish({ reason: "step", description: `Stepped back to ${this.describePc(pc)}`, pc }, granularity === "instruction" ? 0 : undefined);
  }

  /** Back to the call that entered the current frame (reverse step out), stopped on the call instruction. */
  async reverseStepOut(): Promise<RunResult> {
    this.ensureStopped();
    this.requireHistory();
    this.invalidate();
    this.conditionsInThePast();
    const moved = this.travel.stepBackOut();
    const pc = this.process.pc;
    if (!moved) return this.finish({ reason: "entry", description: `The history does not reach back to this frame's call; stayed at ${this.describePc(pc)}`, pc }, 0);
    return this.finish({ reason: "step", description: `Went back to the call at ${this.describePc(pc)}`, pc }, 0);
  }

  /**
   * Replays run the program's own code: the conditions compiled into it come out while the
   * program is in its past (its breakpoints are the debugger's hooks there), and go back in once
   * it is in the present again (finish).
   */
  private conditionsInThePast(): void {
    if (this.breakpoints.conditionSites) this.breakpoints.useConditionSites(undefined);
  }

  private conditionsInThePresent(): void {
    if (!this.breakpoints.conditionSites && !this.process.history?.inPast && !this.process.isClosed) this.breakpoints.useConditionSites(this.conditions);
  }

  private requireHistory(): NonNullable<Process["history"]> {
    const h = this.process.history;
    if (!h) throw new JitdbgError("HISTORY_OFF", "time travel is off for this session: launch with \"timeTravel\": true to step and continue backwards");
    return h;
  }

  /** Refuses a change to the program while it is in its past (the past is as it was recorded). */
  private refuseInPast(what: string): void {
    if (this.process.history?.inPast) throw new JitdbgError("HISTORY_IN_PAST", `cannot ${what}: the program is at a point in its past, which cannot be changed; continue forward to the present first`);
  }

  /** A signal key typed at the program's terminal (^C): the signal goes to the program, as the tty driver sends it, and a wait for input ends to take it. */
  raiseFromTerminal(signo: number): void {
    this.process.raise(signo);
    this.control.wake();
  }

  /** Something outside the program raised a signal in it (its terminal was resized: SIGWINCH): a run waiting for input goes on to deliver it. */
  wake(): void {
    this.control.wake();
  }

  async next(): Promise<RunResult> {
    return this.step((s) => s.stepLine("over"));
  }

  /**
   * The calls on the current line that a step can go into (DAP stepInTargets): each direct call's
   * target by name, in the order of the line's code; indirect calls are named by their site.
   */
  async stepInTargets(): Promise<StepInTarget[]> {
    this.ensureStopped();
    const pc = this.process.pc;
    const range = this.imageFor(pc)?.lineRange(pc);
    if (!range) return [];
    const insns = await this.disassemble(range.start, Number(range.end - range.start));
    const out: StepInTarget[] = [];
    for (const i of insns) {
      if (i.address >= range.end) break;
      if (i.address < pc || !/^call\b/.test(i.text)) continue;
      const direct = /^call\s+(0x[0-9a-f]+)$/.exec(i.text);
      const target = direct ? BigInt(direct[1]!) : undefined;
      const name = target === undefined ? undefined : (this.imageFor(target)?.functionName(target) ?? this.process.describe(target));
      out.push({ id: out.length + 1, label: name ?? `indirect call at ${this.describePc(i.address)}`, callAddress: i.address });
    }
    this.stepTargets = out;
    return out;
  }

  /** Steps into the call `targetId` of stepInTargets: runs to it (other breakpoints still stop), then in. */
  async stepInTo(targetId: number): Promise<RunResult> {
    this.ensureStopped();
    const t = this.stepTargets.find((x) => x.id === targetId);
    if (!t) throw new JitdbgError("STEP_NO_TARGET", `there is no step-in target ${targetId} here (ask stepInTargets again at this stop)`);
    return this.step(async (s) => {
      const at = await s.runTo(t.callAddress, () => true);
      return at.kind === "done" ? s.stepLine("in") : at;
    });
  }

  async stepIn(): Promise<RunResult> {
    this.ensureStopped();
    if (this.hiddenInline > 0 && !this.process.heldSignal) {
      // At the start of an inlined call: stepping in enters it without running (gdb's `step`).
      const hidden = this.hiddenInline - 1;
      const pc = this.process.pc;
      return this.finish({ reason: "step", description: `Stepped into an inlined call at ${this.describePc(pc)}`, pc }, hidden);
    }
    return this.step((s) => s.stepLine("in"));
  }

  async stepOut(): Promise<RunResult> {
    const frames = this.stackTrace();
    const caller = frames[1];
    // Like gdb, main is the outermost frame: libc's start-up code is not the user's caller.
    if (!caller || (frames[0]!.functionName === "main" && frames[0]!.unwoundBy !== "inline" && !caller.source)) {
      throw new JitdbgError("STEP_OUTERMOST", `"step out" is not meaningful in the outermost frame (${frames[0]?.functionName ?? "?"}); use continue to run to the end`);
    }
    const top = frames[0]!;
    const inlined = top.unwoundBy === "inline" ? top.scopes?.[top.scopes.length - 1] : undefined;
    if (inlined && top.image) {
      // Finishing an inlined call: run until its code is left, in this physical frame.
      const image = top.image;
      const inside = (pc: bigint): boolean => inlined.contains(pc - image.bias);
      const stopHere = (pc: bigint): boolean =>
        image.isStatementStart(pc) || hiddenInlineFrames(image, pc, () => false) > 0 || !image.lineRange(pc);
      return this.step((s) => s.stepOutOfInline(inside, stopHere));
    }
    return this.step((s) => s.stepOut(caller.pc, top.cfa ?? caller.registers.get(7)!));
  }

  async stepInstruction(): Promise<RunResult> {
    this.ensureStopped();
    const ended = this.deliverHeldSignal();
    if (ended) return ended;
    this.invalidate();
    this.breakpoints.suspendCompiled(true);
    let raw: RawStop | undefined;
    try {
      raw = this.control.stepInstruction();
    } finally {
      this.breakpoints.suspendCompiled(false);
    }
    if (raw) {
      const r = await this.interpret(raw);
      if (r) return this.finish(r);
    }
    const pc = this.process.pc;
    // Like gdb's stepi: every inlined frame at the pc is shown.
    return this.finish({ reason: "step", description: `Stepped one instruction to ${this.describePc(pc)}`, pc }, 0);
  }

  /**
   * Steps over one instruction (gdb's nexti): a call runs until it has returned to the next
   * instruction, in this frame (rsp back where it was); anything else is one stepInstruction.
   */
  async nextInstruction(): Promise<RunResult> {
    this.ensureStopped();
    const ended = this.deliverHeldSignal();
    if (ended) return ended;
    const pc = this.process.pc;
    const bytes = new Uint8Array(16);
    const [insn] = this.process.cpu.tryRead(pc, bytes) && classifyInstruction(this.breakpoints.programCode(pc, bytes)) === "call" ? await this.disassemble(pc, 1) : [];
    if (!insn || !insn.readable || insn.bytes.length === 0) return this.stepInstruction();
    const sp = this.process.cpu.reg("rsp");
    const cpu = this.process.cpu;
    return this.step((s) => s.runTo(pc + BigInt(insn.bytes.length), () => cpu.reg("rsp") >= sp));
  }

  /** Runs to the first address of a source line (breakpoints on the way still stop). */
  async runToLine(file: string, line: number): Promise<RunResult> {
    const target = this.lineAddresses(file, line);
    return this.step((s) => s.runTo(target[0]!, () => true));
  }

  /** Moves the pc to a line of the current function without running anything (DAP goto). */
  gotoLine(file: string, line: number): StopEvent {
    this.ensureStopped();
    this.refuseInPast("jump to another line");
    const target = this.lineAddresses(file, line);
    const fn = this.imageFor(this.process.pc)?.functionAt(this.process.pc)?.function;
    const inFn = target.find((a) => fn && this.imageFor(a)?.functionAt(a)?.function === fn);
    if (inFn === undefined) throw new JitdbgError("GOTO_OTHER_FUNCTION", `line ${line} is not in the current function; goto can only move within it`);
    this.process.cpu.setReg("rip", inFn);
    this.invalidate();
    return this.finish({ reason: "goto", description: `Jumped to ${this.describePc(inFn)}`, pc: inFn }) as StopEvent;
  }

  /**
   * Restarts frame `index` (DAP restartFrame): the caller's state at the call that entered it is
   * put back (callee-saved registers from the call frame information, rsp, rip on the call), and
   * the program stops there; a step in enters the function again. Memory keeps what the frame did.
   */
  async restartFrame(index: number): Promise<StopEvent> {
    this.ensureStopped();
    this.refuseInPast("restart a frame");
    const to = await restartPoint(this.stackTrace(), index, async (at) => {
      const [insn] = await this.disassemble(at, 1);
      return insn?.readable && insn.address === at && !insn.text.startsWith("(bad)") ? insn.bytes : undefined;
    });
    // The caller set the argument registers up before the call, which ran already: they get the
    // parameters' values in the frame now, where the ABI passes them in registers.
    const params = this.inspector.frameArguments(index).map((v) => v.name);
    const args = params.length > 0 ? this.inspector.argumentRegisters(index) : [];
    const cpu = this.process.cpu;
    for (const [reg, value] of to.registers) cpu.setReg(reg, value);
    for (const a of args ?? []) cpu.setReg(a.register, a.value);
    this.invalidate();
    const note = args === undefined ? ` (the registers of its arguments ${params.join(", ")} hold what they hold now)` : args.length > 0 ? ` with its arguments as the frame held them (${args.map((a) => a.name).join(", ")})` : "";
    const description = `Restarted ${to.functionName}: stopped at its call in ${this.describePc(to.callAt)}; step in to enter it again${note}`;
    return this.finish({ reason: "restart", description, pc: to.callAt }, 0) as StopEvent;
  }

  /** Candidate addresses for a source line (for goto targets and run-to-line). */
  lineAddresses(file: string, line: number): bigint[] {
    for (const image of this.imageList) {
      const found = image.dwarf?.addressesForLine(file, line);
      if (found && found.addresses.length > 0 && found.line === line) return found.addresses.map((a) => a + image.bias);
    }
    throw new JitdbgError("NO_CODE_AT_LINE", `no code at line ${line} of ${file}`);
  }

  /** The lines from `from` to `to` of `file` a breakpoint binds to as it is (code starts there), in order. */
  breakpointLines(file: string, from: number, to: number): number[] {
    if (to - from > 100_000) throw new JitdbgError("ADAPTER_BAD_ARGUMENT", `breakpointLocations: lines ${from}-${to} is too wide a range (at most 100000 lines)`);
    const out: number[] = [];
    for (let line = from; line <= to; line++) {
      if (this.imageList.some((image) => image.dwarf?.addressesForLine(file, line)?.line === line)) out.push(line);
    }
    return out;
  }

  /** The exception filters on; `only` limits "signals" to those signal numbers (its DAP condition). */
  setExceptionFilters(filters: SignalFilter[], only?: readonly number[]): void {
    this.signalFilters = new Set(filters);
    this.otherSignals = only === undefined ? undefined : new Set(only);
    this.applySignalPolicy();
  }

  private applySignalPolicy(): void {
    this.process.setSignalPolicy((signo) => {
      const h = this.signalHandling(signo);
      return h.stop ? "stop" : h.pass ? "deliver" : "discard";
    });
  }

  /** What is done with `signo`: the launch's `signals` entry first, else the exception filters (and pass). */
  signalHandling(signo: number): SignalHandling {
    const name = signalName(signo);
    const own = this.options.signals?.[name];
    const filtered = FAULT_FILTERS.has(name) ? this.signalFilters.has(name as SignalFilter) : this.signalFilters.has("signals") && (this.otherSignals?.has(signo) ?? true);
    return { stop: own?.stop ?? filtered, pass: own?.pass ?? true };
  }

  // ---- breakpoints ----

  setSourceBreakpoints(source: string, specs: SourceBreakpointSpec[]): Breakpoint[] {
    return this.breakpoints.setSourceBreakpoints(source, specs);
  }

  setFunctionBreakpoints(specs: (BreakpointOptions & { name: string })[]): Breakpoint[] {
    return this.breakpoints.setFunctionBreakpoints(specs);
  }

  setInstructionBreakpoints(specs: (BreakpointOptions & { address: bigint })[]): Breakpoint[] {
    return this.breakpoints.setInstructionBreakpoints(specs);
  }

  setDataBreakpoints(specs: DataWatchSpec[]): Breakpoint[] {
    return this.breakpoints.setDataBreakpoints(specs);
  }

  // ---- stack and memory ----

  stackTrace(): Frame[] {
    return this.unwound(undefined).frames;
  }

  frame(index: number): Frame {
    // Only as deep as the frame asked for: a breakpoint condition at every hit needs frame 0, not the whole stack.
    const f = this.unwound(index + 1).frames[index];
    if (!f) throw new JitdbgError("BAD_FRAME", `there is no frame ${index} (the stack has ${this.stackTrace().length} frames)`);
    return f;
  }

  /** This thread's frames at this stop: all of them, or at least the innermost `depth` physical ones. */
  private unwound(depth: number | undefined): UnwoundFrames {
    this.ensureStopped();
    this.framesCache ??= this.framesByThread.get(this.thread);
    const enough = this.framesCache && (this.framesCache.depth === undefined || (depth !== undefined && depth <= this.framesCache.depth));
    if (!enough) {
      const frames = unwindStack({
        cpu: this.process.cpu,
        imageFor: (pc) => this.imageFor(pc),
        extraCfi: (pc) => this.expressions.cfiAt(pc),
        extraName: (pc) => this.expressions.nameAt(pc),
        hiddenInline: this.thread === this.stopThread ? this.hiddenInline : 0,
        maxFrames: depth,
      });
      this.framesCache = { frames, depth };
      this.framesByThread.set(this.thread, this.framesCache);
    }
    return this.framesCache!;
  }

  readMemory(address: bigint, size: number): { data: Uint8Array; unreadable: number } {
    // Read page by page so a partly unmapped range returns what can be read.
    const out = new Uint8Array(size);
    let readable = 0;
    let at = address;
    while (readable < size) {
      const pageEnd = (at | 0xfffn) + 1n;
      const n = Math.min(size - readable, Number(pageEnd - at));
      const chunk = new Uint8Array(n);
      if (!this.process.cpu.tryRead(at, chunk)) break;
      out.set(this.breakpoints.programCode(at, chunk), readable);
      readable += n;
      at += BigInt(n);
    }
    return { data: out.subarray(0, readable), unreadable: size - readable };
  }

  writeMemory(address: bigint, data: Uint8Array): void {
    this.ensureStopped();
    this.refuseInPast("write memory");
    if (!this.process.space.isMapped(address, BigInt(Math.max(1, data.length)))) {
      throw new JitdbgError("MEMORY_UNMAPPED", `cannot write ${data.length} bytes at 0x${address.toString(16)}: not all of it is mapped`);
    }
    this.process.cpu.write(address, data);
    this.process.cpu.invalidateCode(address, address + BigInt(data.length));
    // Values are read when shown, so variable handles stay valid; only the unwound stacks may
    // change (a saved register or return address of any thread's frames).
    this.framesCache = undefined;
    this.framesByThread.clear();
  }

  async disassemble(address: bigint, count: number): Promise<DisassembledInstruction[]> {
    return disassemble(this.codeReader(), address, count);
  }

  /**
   * Assigns `value` (C text) to what `expression` names in a frame, as DAP's setExpression: the
   * expression must name an object; the new value is read back and returned as a view.
   */
  setExpression(expression: string, value: string, frameIndex: number, format: FormatOptions = {}): VariableView {
    this.refuseInPast(`set '${expression}'`);
    const r = this.inspector.interpret(expression, frameIndex);
    if (r.kind !== "value") throw new JitdbgError("VALUE_NOT_ASSIGNABLE", `'${expression}' is not something that can be assigned to: it names no object (a computed value)`);
    assign(this.inspector.memory, r.value, value);
    this.invalidate();
    return this.inspector.evaluate(expression, frameIndex, format);
  }

  /** `count` instructions from `offset` instructions before (negative) or after `address`, as a disassembly view scrolls. */
  async disassembleAround(address: bigint, offset: number, count: number): Promise<DisassembledInstruction[]> {
    return disassembleAround(this.codeReader(), address, offset, count);
  }

  /** The program's own source files named by the loaded images' line tables. */
  loadedSources(): string[] {
    return loadedSources(this.imageList);
  }

  private codeReader(): CodeReader {
    return { read: (a, n) => this.readMemoryExact(a, n), imageFor: (a) => this.imageFor(a) };
  }

  readMemoryExact(address: bigint, size: number): Uint8Array | undefined {
    const b = new Uint8Array(size);
    return this.process.cpu.tryRead(address, b) ? this.breakpoints.programCode(address, b) : undefined;
  }

  describePc(pc: bigint): string {
    const image = this.imageFor(pc);
    const fn = image?.functionName(pc) ?? `0x${pc.toString(16)}`;
    const src = image?.sourceAt(pc);
    return src ? `${fn} (${shortPath(src.file)}:${src.line})` : image ? image.symbols.describe(pc) : `0x${pc.toString(16)}`;
  }

  /** A function was patched or unpatched: breakpoints in patched bodies are marked, and the front end told. */
  patchesChanged(ranges: readonly PatchedRange[]): void {
    // The program's code changed under the recording: its history starts again from here.
    if (this.process.history) {
      this.process.startHistory(historyOptions(this.options));
      this.events.output?.("console", "jitdbg: time travel: a patched function changes the program's code; its history starts again here\n");
    }
    const changed = this.breakpoints.setPatched(ranges);
    if (changed.length > 0) this.events.breakpointsChanged?.(changed);
  }

  /**
   * A client asked something: work kept for idle time (loading the disassembler) waits for the
   * next quiet spell, so that it does not lengthen the answers a client waits for at a stop.
   */
  clientActivity(): void {
    postponePreload();
  }

  /** After a register write: the stack must be unwound again; variable handles stay valid. */
  registersChanged(): void {
    this.framesCache = undefined;
    this.framesByThread.delete(this.thread);
  }

  /** Forgets what was computed for the current stop (frames, variable references). */
  invalidate(): void {
    this.framesCache = undefined;
    this.framesByThread.clear();
    this.inspector.reset();
  }

  /**
   * The CPU as the stepper sees it: its code hooks fire only on the thread being stepped, so the
   * other threads run on (gdb's default, scheduler-locking off) without ending the step.
   */
  private steppingCpu(): Cpu {
    const hookCode = (begin: bigint, end: bigint, hook: CodeHook) => {
      const owner = this.process;
      const h = owner.cpu.hookCode(begin, end, (pc, size) => {
        if (this.process.currentThread === this.steppingThread) hook(pc, size);
      });
      // A step the process's execve ended: its engine is gone with the hook.
      return { remove: () => (owner.isClosed ? undefined : h.remove()) };
    };
    const current = () => this.process.cpu;
    return new Proxy({} as Cpu, {
      get(_target, prop) {
        if (prop === "hookCode") return hookCode;
        const cpu = current();
        const v: unknown = Reflect.get(cpu, prop, cpu);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(cpu) : v;
      },
    });
  }

  /**
   * Unwinds the stack of the thread selected at this stop now, before it is asked for: a client
   * asks for it first at every stop, and unwound once the stop is reported it is ready when that
   * request comes (the work overlaps the client reading the report). What fails here is left to
   * that request, which reports it.
   */
  prepareStop(): void {
    if (this.isRunning || this.hasExited || this.process.isClosed) return;
    try {
      this.unwound(undefined);
    } catch {
      // The stack trace request unwinds again and says what is wrong.
    }
  }

  /** Work that can wait until a request is answered (see ExpressionEvaluator.tidy). */
  tidy(): void {
    if (!this.process.isClosed) this.expressions.tidy();
  }

  close(): void {
    if (!this.process.isClosed) this.breakpoints.dispose();
    for (const off of this.unlisten.splice(0)) off();
    this.launched.close();
    this.process.close();
  }

  // ---- internals ----

  private ensureStopped(): void {
    if (this.exited) throw new JitdbgError("NOT_RUNNING", "the program has exited");
    if (this.control.isRunning) throw new JitdbgError("RUNNING", "the program is running; pause it first");
  }

  /**
   * The breakpoint to pass once when running from pc. From a site whose condition is compiled
   * into the program the thread goes through the trap (the moved instructions there run once,
   * and the condition is not tested again for the hit it stopped for).
   */
  private suppressionFor(pc: bigint): bigint | undefined {
    const trap = this.breakpoints.armedTrapAt(pc);
    if (trap !== undefined) {
      this.process.cpu.enterUncountedCode(trap);
      return trap;
    }
    return this.breakpoints.hasCodeBreakpointAt(pc) ? pc : undefined;
  }

  private async step(op: (s: Stepper) => Promise<StepOutcome>): Promise<RunResult> {
    this.ensureStopped();
    const ended = this.deliverHeldSignal();
    if (ended) return ended;
    this.invalidate();
    this.steppingThread = this.thread;
    this.stepping = true;
    let out: StepOutcome;
    // Steps run the program's own instructions at every breakpoint site.
    this.breakpoints.suspendCompiled(true);
    try {
      out = await op(this.stepper);
    } finally {
      this.stepping = false;
      this.breakpoints.suspendCompiled(false);
    }
    if (out.kind === "interrupted") return this.finish(out.result);
    return this.finish({ reason: "step", description: `Stepped to ${this.describePc(out.pc)}`, pc: out.pc }, out.hidden);
  }

  private async resume(run: () => Promise<RawStop | RunResult>): Promise<RunResult> {
    // Compiling conditions into the program reads its code with the disassembler: wait for it
    // when a condition waits to be compiled. Otherwise the program runs at once while it loads
    // (a 1.7 MB WebAssembly module, ~15 ms, was awaited before every session's first run).
    if (this.breakpoints.compilationPending()) await loadDisassembler();
    const noted = this.breakpoints.refreshCompiled({ retryPassing: true });
    if (noted.length > 0) this.events.breakpointsChanged?.(noted);
    this.invalidate();
    const r = await run();
    if ("reason" in r) return this.finish(r);
    // A bare step stop outside a step operation cannot happen; report it as a pause.
    return this.finish({ reason: "pause", description: `Paused at ${this.describePc(this.process.pc)}`, pc: this.process.pc });
  }

  /**
   * Runs until a stop the user must see: breakpoints whose condition is false and logpoints
   * resume by themselves. Step-hook stops are returned raw to the stepper.
   */
  private async runFiltered(suppress: bigint | undefined): Promise<RawStop | RunResult> {
    let raw = await this.control.run(suppress);
    for (;;) {
      if (raw.kind === "step" || raw.kind === "limit") return raw;
      const r = await this.interpret(raw);
      if (r) return r;
      raw = await this.control.run(this.resumeSuppression());
    }
  }

  /** The breakpoint to pass over when the thread resumes: none when it goes through a site just compiled (its condition decides). */
  private resumeSuppression(): bigint | undefined {
    const through = this.throughSite;
    this.throughSite = undefined;
    if (through !== undefined && through === this.process.pc) return undefined;
    return this.suppressionFor(this.process.pc);
  }

  /** The user-visible meaning of a raw stop, or undefined when the program should go on. */
  private async interpret(raw: RawStop): Promise<RunResult | undefined> {
    if (raw.kind === "followed") return this.follow(raw.process, raw.cause);
    const pc = this.process.pc;
    switch (raw.kind) {
      case "exited":
        return this.ended({ reason: "exited", exitCode: raw.status });
      case "pause": {
        const hit = await this.leaveConditionCode();
        if (hit) return hit;
        const at = this.process.pc;
        return { reason: "pause", description: `Paused at ${this.describePc(at)}`, pc: at };
      }
      case "deadlock":
        return { reason: "exception", description: raw.description, pc, deadlock: true };
      case "step":
        return { reason: "step", description: `Stepped to ${this.describePc(pc)}`, pc };
      case "signal": {
        // A fault in a compiled breakpoint condition: the thread puts the program's registers back
        // and goes to the trap, whose stop says why the condition could not be evaluated.
        if (this.conditions.recoverFault(raw.pc, `${raw.name}: ${raw.description}`)) {
          this.process.discardHeldSignal();
          return undefined;
        }
        // Ended by it (its default action), or stopped before it is delivered (a filter asked).
        if (this.process.exited) return this.ended({ reason: "exited", exitCode: 128 + raw.signal, signal: raw.name });
        return {
          reason: "exception",
          description: `${raw.name}: ${raw.description}`,
          pc: raw.pc,
          signal: { number: raw.signal, name: raw.name, address: raw.address, access: raw.access },
        };
      }
      case "breakpoint": {
        // A compiled condition held at its trap: the stop is shown at the site, where the registers are.
        const site = this.breakpoints.siteOfTrap(raw.address);
        if (site !== undefined) this.process.cpu.leaveUncountedCode(site);
        const at = site ?? raw.address;
        this.invalidate();
        if (site === undefined) {
          // A condition the debugger would evaluate may be compiled into the program now: then the
          // program decides this hit too (the thread goes on through the site's jump), with no second
          // compilation of the condition here.
          const noted = this.breakpoints.refreshCompiled();
          if (noted.length > 0) this.events.breakpointsChanged?.(noted);
          if (this.breakpoints.armedTrapAt(at) !== undefined) {
            this.throughSite = at;
            return undefined;
          }
        }
        const bps = this.breakpoints.breakpointsAt(at);
        const fault = site !== undefined ? this.conditions.takeFault(site) : undefined;
        const d = fault
          ? { stop: true, breakpoints: bps, logs: [], conditionErrors: bps.map((b) => `breakpoint ${b.id}: cannot evaluate condition '${b.options.condition ?? ""}': ${fault}`) }
          : await this.breakpoints.decide(bps, this.conditionEvaluator(), site);
        if (!this.quiet) for (const log of d.logs) this.events.output?.("console", log.endsWith("\n") ? log : `${log}\n`);
        if (!this.quiet) for (const err of d.conditionErrors) this.events.output?.("important", `${err}\n`);
        if (!d.stop) return undefined;
        const pc = this.process.pc;
        const kind = d.breakpoints[0]!.kind;
        const reason = kind === "function" ? "function breakpoint" : kind === "instruction" ? "instruction breakpoint" : "breakpoint";
        return {
          reason,
          description: `Breakpoint ${d.breakpoints.map((b) => b.id).join(", ")} at ${this.describePc(pc)}`,
          pc,
          hitBreakpointIds: d.breakpoints.map((b) => b.id),
        };
      }
      case "library":
        this.applyLibraryEvents();
        return undefined;
      case "data": {
        const bp = this.breakpoints.dataBreakpoint(raw.watchId);
        const now = this.readMemoryExact(raw.address, raw.size);
        const newValue = now ? littleEndian(now) : 0n;
        if (!bp) return undefined;
        this.invalidate();
        const d = await this.breakpoints.decide([bp], this.conditionEvaluator());
        if (!this.quiet) for (const log of d.logs) this.events.output?.("console", log.endsWith("\n") ? log : `${log}\n`);
        if (!d.stop) return undefined;
        const what = bp.watch?.description ?? `0x${raw.address.toString(16)}`;
        return {
          reason: "data breakpoint",
          description: `Data breakpoint ${bp.id}: ${what} changed from ${raw.oldValue} to ${newValue} at ${this.describePc(pc)}`,
          pc,
          hitBreakpointIds: [bp.id],
          dataChange: { address: raw.address, size: raw.size, oldValue: raw.oldValue, newValue },
        };
      }
    }
  }

  /**
   * The family follows another process now: a child the followed one forked (followFork child),
   * or the program it executed. Run control, breakpoints (bound again in the new images, ids
   * kept), images, threads and evaluation move to it; the old process, if it runs on, has no
   * breakpoints and gets its signals. A continue goes on; a step ends here (its hooks were the
   * old process's): at the child's first instruction after the fork, or the new program's entry.
   */
  private follow(to: Process, cause: "fork" | "exec"): RunResult | undefined {
    const from = this.target;
    // The history is one process's: it ends where the debugger moves to another.
    if (from.history) this.events.output?.("console", `jitdbg: time travel: the history of process ${from.pid} ends here (the debugger follows process ${to.pid}, whose history starts now)\n`);
    from.history?.end();
    if (this.options.timeTravel) to.startHistory(historyOptions(this.options));
    const threadsBefore = from.threads().map((t) => t.tid);
    const sourcesBefore = this.loadedSources();
    this.target = to;
    this.control.follow(to);
    this.listen(to);
    this.pendingLibraryEvents.length = 0;
    if (!from.isClosed) from.setSignalPolicy(() => "deliver");
    this.applySignalPolicy();
    // A forked child has its parent's images (the same objects: their DWARF stays parsed).
    const known = new Map(this.imageList.map((i) => [i.image, i]));
    const next = to.images.list().map((i) => known.get(i) ?? new ImageInfo(i));
    for (const i of this.imageList) if (!next.includes(i)) this.events.module?.("removed", i);
    for (const i of next) if (!this.imageList.includes(i)) this.events.module?.("new", i);
    this.imageList = next;
    // Compiled conditions: a forked child has the parent's jumps in its copy of the code (they come
    // out; the parent, running on alone, keeps its own: a true condition there just runs on).
    this.conditions.forget(cause === "fork" ? to : undefined);
    this.breakpoints.useConditionSites(undefined, { oldGone: true });
    const changed = this.breakpoints.moveTo(to.cpu, { oldAlive: !from.isClosed, keepData: cause === "fork" });
    if (changed.length > 0) this.events.breakpointsChanged?.(changed);
    const threadsAfter = to.threads().map((t) => t.tid);
    for (const tid of threadsBefore) if (!threadsAfter.includes(tid)) this.events.thread?.("exited", tid);
    for (const tid of threadsAfter) if (!threadsBefore.includes(tid)) this.events.thread?.("started", tid);
    this.newEvaluators();
    this.breakpoints.useConditionSites(this.conditions);
    this.invalidate();
    this.events.followed?.({ cause, pid: to.pid, program: to.image.path, sourcesBefore, sourcesAfter: this.loadedSources() });
    if (!this.stepping) return undefined;
    const pc = to.pc;
    return cause === "exec"
      ? { reason: "entry", description: `Process ${to.pid} executed ${to.image.path}: stopped at its entry point ${this.describePc(pc)}`, pc }
      : { reason: "step", description: `Followed the fork into child process ${to.pid}: stopped at ${this.describePc(pc)}`, pc };
  }

  /**
   * The followed process ended. When it is not the launched one (a child followed at a fork), the
   * rest of the family runs on without the debugger until the launched process ends, whose
   * status the session ends with, as a shell would see it.
   */
  private async ended(own: RunResult): Promise<RunResult> {
    const root = this.launched.current;
    if (root === this.target || own.reason !== "exited") return own;
    const what = own.signal ? `was terminated by ${own.signal}` : `exited with status ${own.exitCode}`;
    this.events.output?.("console", `jitdbg: the followed process ${this.target.pid} ${what}${root.exited ? "" : `; the launched process ${root.pid} runs on to its end`}\n`);
    const end = await this.control.runDetached(root);
    if (end.kind === "deadlock") {
      this.events.output?.("important", `jitdbg: ${end.description}\n`);
      return { reason: "exited", exitCode: DEADLOCK_STATUS };
    }
    return end.kind === "exited" ? { reason: "exited", exitCode: end.status } : { reason: "exited", exitCode: 128 + end.signal, signal: end.name };
  }

  /** Brings the image list and pending breakpoints up to date with what the loader did. */
  private applyLibraryEvents(): void {
    for (const e of this.pendingLibraryEvents.splice(0)) {
      if (e.kind === "loaded") {
        if (this.imageList.some((i) => i.image === e.image)) continue;
        const info = new ImageInfo(e.image);
        this.imageList.push(info);
        this.events.module?.("new", info);
      } else {
        const i = this.imageList.findIndex((x) => x.image === e.image);
        if (i < 0) continue;
        const [gone] = this.imageList.splice(i, 1);
        this.events.module?.("removed", gone!);
      }
    }
    const changed = this.breakpoints.rebind();
    if (changed.length > 0) this.events.breakpointsChanged?.(changed);
  }

  /**
   * A pause that caught the thread inside a compiled condition's trampoline or code: it runs on,
   * an instruction at a time, until it is back in the program's code (or at the trap: the
   * condition held, a breakpoint hit), so the stop shows the program's own place.
   */
  private async leaveConditionCode(): Promise<RunResult | undefined> {
    for (let k = 0; k < 10_000 && this.conditions.owns(this.process.pc); k++) {
      const raw = this.control.stepInstruction() ?? (this.breakpoints.siteOfTrap(this.process.pc) !== undefined ? { kind: "breakpoint" as const, address: this.process.pc } : undefined);
      // Anything else that stops it there (the trap: the condition held) is that stop; a logpoint's just a pause.
      if (raw) return this.interpret(raw);
    }
    return undefined;
  }

  private conditionEvaluator(): ConditionEvaluator {
    return {
      condition: async (expr) => this.inspector.condition(expr, 0),
      format: async (expr) => this.inspector.evaluate(expr, 0, { context: "condition" }).value,
    };
  }

  /** A signal stopped at whose handling says nopass is not delivered (a fault's instruction runs again). */
  private dropHeldSignalUnlessPassed(): void {
    const held = this.process.heldSignal;
    if (held && !this.signalHandling(held.signal).pass) this.process.discardHeldSignal();
  }

  /**
   * Before a step from a signal stop: the signal is delivered first, as continuing would (a step
   * then starts in its handler, like gdb's); the exit when its default action ends the program.
   */
  private deliverHeldSignal(): RunResult | undefined {
    // In the past the signal held is the present's: the replay delivers the past's as recorded.
    if (this.process.history?.inPast) return undefined;
    this.dropHeldSignalUnlessPassed();
    if (!this.process.heldSignal) return undefined;
    this.invalidate();
    const end = this.process.deliverHeldSignal();
    if (end?.kind === "signal") return this.finish({ reason: "exited", exitCode: 128 + end.signal, signal: end.name });
    if (end?.kind === "exited") return this.finish({ reason: "exited", exitCode: end.status });
    return undefined;
  }

  /**
   * Inlined calls starting at pc that a stop there hides: a breakpoint keeps its own function's
   * inlined frame visible (gdb): a function breakpoint the inlined copies of that function, a line
   * breakpoint the scope its line's code is in.
   */
  private hiddenAtBreakpoint(pc: bigint, hit: readonly (Breakpoint | undefined)[]): number {
    const names = new Set(hit.map((b) => b?.functionName).filter((n): n is string => n !== undefined));
    const owner = hit.some((b) => b?.kind === "source") ? this.breakpoints.lineOwnerAt(pc) : undefined;
    return hiddenInlineFrames(this.imageFor(pc), pc, (scope) => names.has(scope.name) || scopeKey(scope) === owner);
  }

  /** Records a stop; `hidden` overrides how many inlined frames starting at the pc are hidden. */
  private finish(r: RunResult, hidden?: number): RunResult {
    this.lastResult = r;
    if (r.reason !== "exited") this.conditionsInThePresent();
    this.breakpoints.syncProgramHits();
    this.stopThread = this.process.currentThread;
    this.stepTargets = [];
    this.hiddenInline = 0;
    if (hidden !== undefined) this.hiddenInline = hidden;
    else if (r.reason !== "exited") {
      const hit = (r.hitBreakpointIds ?? []).map((id) => this.breakpoints.all().find((b) => b.id === id));
      this.hiddenInline = this.hiddenAtBreakpoint(r.pc, hit);
    }
    if (r.reason === "exited") this.exited = true;
    this.invalidate();
    return r;
  }
}

function historyOptions(o: LaunchOptions): HistoryOptions {
  return { budgetBytes: (o.historyMegabytes ?? 512) * 1024 * 1024, checkpointBlocks: o.historyCheckpointBlocks === undefined ? undefined : BigInt(o.historyCheckpointBlocks) };
}

function shortPath(p: string): string {
  return p.split("/").pop() ?? p;
}
