/**
 * A program's recorded history, for going back in time (reverse debugging).
 *
 * The emulated CPU is deterministic: from the same registers and memory it executes the same
 * instructions. What it cannot reproduce is what reaches the machine from outside its own
 * execution — the kernel answering a syscall (its result, the bytes it writes, the mappings it
 * makes), delivering a signal, switching threads; the debugger changing a variable. The Cpu tells
 * this class of each such change (CpuObserver) and it logs them, at the position they happened
 * (position.ts): a syscall's changes in the syscall's order, every other change at the block
 * count and pc where the program stood.
 *
 * Checkpoints, taken every few million blocks, hold every thread's registers, the mappings and the
 * bytes of each page the next interval changed, as they were at the checkpoint (found by comparing
 * memory with a baseline copy: page-baseline.ts); the log (event-log.ts) is kept by column. Going
 * back to a checkpoint puts those pages back, newest interval first, then the mappings and registers; going forward again replays: the CPU executes,
 * and where the log has changes they are applied instead of asking the kernel again, so nothing
 * is executed against the host twice and the kernel's own state stays that of the present. Once
 * the replay reaches the present, the program runs live again.
 *
 * Memory is bounded: when the log and the saved pages pass the budget, the oldest checkpoint and
 * what only it needed are dropped.
 */
import { JitdbgError } from "../../errors.js";
import { PROT_EXEC, type Cpu, type CpuContext, type CpuObserver, type HookHandle, type StopCause } from "../../emu/cpu.js";
import type { RegName } from "../../emu/registers.js";
import { PAGE, type AddressSpace, type SpaceLayout } from "../address-space.js";
import { ownedByDebugger } from "../undo-log.js";
import type { CodePatches } from "../code-patches.js";
import type { Change } from "./change.js";
import { EventLog } from "./event-log.js";
import { PageBaseline, ZERO_PAGE } from "./page-baseline.js";
import { PastThreads } from "./past-threads.js";
import { comparePositions, describePosition, samePosition, type Position } from "./position.js";

export type { Position } from "./position.js";

/** Blocks between checkpoints (a few tens of milliseconds of emulation): a step back replays at most this far. */
const DEFAULT_CHECKPOINT_BLOCKS = 4_000_000n;
const MAX_CHECKPOINT_BLOCKS = 1n << 30n;
/** Default bound on what the history keeps in memory. */
export const DEFAULT_HISTORY_BUDGET = 512 * 1024 * 1024;
const PAGE_BYTES = Number(PAGE);
const PAGE_SHIFT = 12n;
/** What a saved context costs (Unicorn's uc_context for x86-64, measured: 5,544 bytes). */
const CONTEXT_BYTES = 5_600;
/** exit(2): the thread that makes it ends. */
const EXIT_NR = 60;

interface Checkpoint {
  readonly at: Position;
  readonly tid: number;
  readonly context: CpuContext;
  readonly layout: SpaceLayout;
  /** Index (absolute) of the first event after it. */
  readonly firstEvent: number;
  /** Page number → its bytes at this checkpoint, for the pages changed before the next one. */
  readonly pages: Map<number, Uint8Array>;
  /** Every other thread's registers then (copies). */
  readonly others: { tid: number; context: CpuContext }[];
  bytes: number;
}

/** What the history needs of the process it records. */
export interface HistoryHost {
  readonly cpu: Cpu;
  readonly space: AddressSpace;
  /** The thread whose registers the CPU holds (live). */
  currentTid(): number;
  /** The registers of every other live thread (saved contexts, live). */
  otherThreads(): { tid: number; context: CpuContext }[];
  /** The debugger's changes to the program's code: not the program's history. */
  readonly codePatches: Pick<CodePatches, "overlay" | "reapply">;
  /** Whether a hook asked the run to end (breakpoint, step, pause) since the run began. */
  stopRequested(): boolean;
  /** An interrupt the CPU took during the last run (int3, a division by zero), taken. */
  takeInterrupt(): { intno: number; pc: bigint } | undefined;
}

export interface HistoryOptions {
  /** Bytes of memory the history may use (default 512 MiB). */
  budgetBytes?: number;
  /** Blocks between checkpoints. */
  checkpointBlocks?: bigint;
}

/** How far back the history reaches, and what it holds. */
export interface HistoryExtent {
  oldest: Position;
  /** The present (the newest position recorded). */
  newest: Position;
  checkpoints: number;
  bytes: number;
  budgetBytes: number;
  /** Checkpoints dropped to stay within the budget (0: the history reaches back to where it began). */
  dropped: number;
}

export type ReplayOutcome =
  /** A hook asked for the stop, the block budget ran out, or `until` was reached. */
  | { kind: "stopped" }
  /** The scan limit (setLimit) was reached. */
  | { kind: "limit" }
  /** The history ran out: the program is back in the present and runs live from here. */
  | { kind: "present" }
  /** The CPU faulted (or took an interrupt) where the recording has no change to apply. */
  | { kind: "fault"; cause: StopCause; interrupt: { intno: number; pc: bigint } | undefined };

export class History implements CpuObserver {
  private readonly checkpoints: Checkpoint[] = [];
  private readonly log = new EventLog();
  /** For tests: the events and checkpoints, described. */
  dump(): string[] {
    const events: string[] = [];
    for (let i = this.log.start; i < this.log.end; i++) {
      const nr = this.log.syscall(i);
      const kinds: string[] = [];
      this.log.replay(i, { write: () => kinds.push("write"), change: (c) => kinds.push(c.kind), result: () => kinds.push("result") });
      events.push(`${i}: ${nr >= 0 ? `syscall ${nr} at block ${this.log.at(i).blocks}` : describePosition(this.log.at(i))} ${kinds.join(",")}`);
    }
    return [...this.checkpoints.map((c) => `checkpoint ${describePosition(c.at)} first event ${c.firstEvent}`), ...events];
  }

  /** Checkpoints' bytes and the baseline's (the log counts its own). */
  private held = 0;
  private get bytes(): number {
    return this.held + this.log.bytes;
  }
  private dropped = 0;
  private readonly budget: number;
  private interval: bigint;
  /** > 0 while the debugger changes the machine for itself (an expression call, a restore). */
  private privateDepth = 0;
  /** The open event's changes still to be read off the machine: the address space takes a mapping after the MMU. */
  private unfilled: Change[] = [];
  private inSyscall = false;
  /** Between running() and ran(): the CPU executes the program. */
  private inRun = false;
  /** Memory at the last checkpoint, compared at the next one (and before going back) to find the pages that changed. */
  private baseline: PageBaseline;
  /** When the last checkpoint was taken (host time), to keep comparing memory a small part of the run. */
  private lastCheckpointMs = performance.now();
  /** While in the past: where the present is, and the next event to replay (absolute index). */
  private presentAt: { at: Position; tid: number } | undefined;
  private cursor = 0;
  private pastTid = 0;
  /** In the past: memory as it was at the checkpoint the replay began from (travelTo). */
  private pastBase: { index: number; pages: PageBaseline } | undefined;
  /** In the past: every thread's registers of then. */
  private readonly pastThreads: PastThreads;
  private limit: Position | undefined;
  private arrived = false;
  private ended = false;
  /**
   * Where the program stood when its last run ended: changes between runs happened there, even
   * while the CPU holds something else (the registers of an expression call being put back).
   */
  private stoodAt: Position;

  private constructor(
    private readonly host: HistoryHost,
    opts: HistoryOptions,
  ) {
    this.budget = opts.budgetBytes ?? DEFAULT_HISTORY_BUDGET;
    this.interval = opts.checkpointBlocks ?? DEFAULT_CHECKPOINT_BLOCKS;
    this.stoodAt = this.now();
    this.baseline = new PageBaseline(host.cpu, host.space, host.codePatches);
    this.pastThreads = new PastThreads(host.cpu, (fn) => this.privately(fn));
    this.held += this.baseline.bytes;
    host.cpu.observe(this);
    host.space.watchUnmaps((start, end, region) => {
      if (this.recording && !ownedByDebugger(region)) this.baseline.take(start, end, (page, before) => this.keep(page, before));
    });
    this.checkpoint();
  }

  /** Starts recording now: the history reaches back to here. */
  static start(host: HistoryHost, opts: HistoryOptions = {}): History {
    return new History(host, opts);
  }

  /** Recording (live, in the present), and not inside the debugger's own changes. */
  private get recording(): boolean {
    return !this.ended && this.presentAt === undefined && this.privateDepth === 0;
  }

  /**
   * A change worth logging: while recording, and not made by a hook during a run other than the
   * syscall hook (the cpuid fix-up: such hooks run again, the same, when the run is replayed), nor
   * while the thread stands in the debugger's uncounted code (a compiled condition's: what the
   * debugger changes there, the trampoline puts back).
   */
  private get logging(): boolean {
    return this.recording && (this.inSyscall || (!this.inRun && !this.host.cpu.inUncountedCode(this.stoodAt.pc)));
  }

  /** True while the program is at a point in its past (runs replay the log). */
  get inPast(): boolean {
    return this.presentAt !== undefined;
  }

  /** True while runs replay: in the past and not inside a debugger call (which runs live and is undone). */
  get replaying(): boolean {
    return this.presentAt !== undefined && this.privateDepth === 0;
  }

  /** The thread that ran at this point of the past. */
  get threadInPast(): number {
    return this.pastTid;
  }

  /** The thread whose registers of then the CPU holds (focusThreadInPast). */
  get shownThreadInPast(): number {
    return this.pastThreads.shown;
  }

  /** The threads that were there at this point of the past (those created since the checkpoint once they ran). */
  threadsInPast(): number[] {
    return this.pastThreads.tids();
  }

  /** Puts thread `tid`'s registers of then in the CPU, to look at; the replay puts the running thread back. False: no such thread then. */
  focusThreadInPast(tid: number): boolean {
    return this.pastThreads.focus(tid);
  }

  /** Where the program is now. */
  now(): Position {
    return { blocks: this.host.cpu.blockCount, pc: this.host.cpu.reg("rip") };
  }

  /** The present: where recording stopped when the program went back (now, when it has not). */
  present(): Position {
    return this.presentAt?.at ?? this.now();
  }

  extent(): HistoryExtent {
    return { oldest: this.checkpoints[0]!.at, newest: this.present(), checkpoints: this.checkpoints.length, bytes: this.bytes, budgetBytes: this.budget, dropped: this.dropped };
  }

  /** Checkpoint positions, oldest first. */
  checkpointPositions(): Position[] {
    return this.checkpoints.map((c) => c.at);
  }

  /** The newest checkpoint strictly before `p` (or at it, with `orAt`); undefined when `p` is before the history. */
  checkpointBefore(p: Position, orAt = false): number | undefined {
    for (let i = this.checkpoints.length - 1; i >= 0; i--) {
      const c = comparePositions(this.checkpoints[i]!.at, p);
      if (c < 0 || (orAt && c === 0)) return i;
    }
    return undefined;
  }

  /** Runs `fn`, whose changes to the machine are the debugger's own and not the program's (an expression call, undone or committed). */
  privately<T>(fn: () => T): T {
    this.closeOpen();
    this.privateDepth++;
    try {
      return fn();
    } finally {
      this.privateDepth--;
    }
  }

  /** privately() for code that cannot pass a function (a call run in steps): every begin has its end. */
  beginPrivate(): void {
    this.closeOpen();
    this.privateDepth++;
  }

  endPrivate(): void {
    this.privateDepth--;
  }

  /** A debugger call's changes were kept (committed): the pages it wrote are part of the program's history from here. */
  committed(pages: readonly number[]): void {
    if (!this.recording) return;
    const { cpu, space } = this.host;
    for (const page of pages) {
      const at = BigInt(page) << PAGE_SHIFT;
      const region = space.regionAt(at);
      if (!region || ownedByDebugger(region)) continue;
      const data = new Uint8Array(PAGE_BYTES);
      if (!cpu.tryRead(at, data)) continue;
      this.write(at, this.host.codePatches.overlay(at, data));
    }
  }

  /** Ends the history: nothing is recorded any more and what was kept is freed (a fork followed, an exec, a patched function). */
  end(): void {
    if (this.ended) return;
    this.closeOpen();
    this.ended = true;
    this.host.cpu.observe(undefined);
    for (const c of this.checkpoints) freeCheckpoint(c);
    this.pastThreads.clear();
    this.pastBase = undefined;
    this.log.clear(freeChange);
    this.checkpoints.length = 0;
    this.held = 0;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  // ---- recording: the Cpu's observer ----

  write(address: bigint, data: Uint8Array): void {
    if (!this.logging) return;
    if (!this.inSyscall) {
      // The debugger's own memory (JIT code and data) is not the program's.
      const region = this.host.space.regionAt(address);
      if (region && ownedByDebugger(region)) return;
    }
    this.openEvent();
    this.fill();
    this.log.write(address, data);
  }

  setReg(name: RegName, value: bigint): void {
    if (!this.logging) return;
    if (name !== "rax" || !this.inSyscall) return this.change({ kind: "reg", name, value });
    this.openEvent();
    this.fill();
    this.log.result(value);
  }

  setRegBytes(name: RegName, bytes: Uint8Array): void {
    if (this.logging) this.change({ kind: "regBytes", name, bytes: bytes.slice() });
  }

  restoringContext(): void {}

  restoredContext(): void {
    if (!this.logging) return;
    this.change({ kind: "context", context: this.host.cpu.saveContext() }, CONTEXT_BYTES);
  }

  mapped(address: bigint, size: bigint, prot: number, withBytes: boolean): void {
    if (!this.logging) return;
    // Whose it is is known once the address space has the region (fill): the debugger's own (a
    // compiled condition's code, say) are not replayed.
    this.pend({ kind: "map", address, size, prot });
    this.layoutChanged();
    // A file's (or shared memory's) bytes came with the mapping: they are part of the change.
    if (withBytes) this.pend({ kind: "content", address, size: Number(size), data: undefined });
  }

  unmapping(address: bigint, size: bigint): void {
    if (!this.logging || this.debuggers(address)) return;
    this.change({ kind: "unmap", address, size });
    this.layoutChanged();
  }

  protecting(address: bigint, size: bigint, prot: number): void {
    if (!this.logging || this.debuggers(address)) return;
    this.change({ kind: "protect", address, size, prot });
    this.layoutChanged();
  }

  private debuggers(address: bigint): boolean {
    const region = this.host.space.regionAt(address);
    return region !== undefined && ownedByDebugger(region);
  }

  ran(): void {
    this.inRun = false;
    if (this.recording) this.stoodAt = this.now();
  }

  moved(): void {
    if (this.recording && !this.inRun) this.stoodAt = this.now();
  }

  running(): void {
    this.inRun = true;
    if (!this.recording) return;
    this.closeOpen();
    const last = this.checkpoints[this.checkpoints.length - 1]!;
    if (this.host.cpu.blockCount - last.at.blocks >= this.interval) this.checkpoint();
  }

  /** A syscall begins (live): what changes until syscallEnd is its answer. */
  syscallBegin(nr: number, arg0: bigint): void {
    if (!this.recording) return;
    this.closeOpen();
    this.inSyscall = true;
    this.log.begin(this.now(), nr, arg0);
  }

  syscallEnd(): void {
    if (!this.inSyscall) return;
    this.closeOpen();
    this.inSyscall = false;
  }

  /** The mappings changed: the layout is read at the next change, once the address space has taken it too. */
  private layoutChanged(): void {
    const last = this.unfilled[this.unfilled.length - 1];
    if (last?.kind !== "layout") this.pend({ kind: "layout", layout: undefined });
  }

  /** A change whose details are read off the machine at the next change (the address space takes a mapping after the MMU). */
  private pend(c: Change): void {
    this.openEvent();
    this.log.change(c);
    this.unfilled.push(c);
  }

  private change(c: Change, extra = 0): void {
    this.openEvent();
    this.fill();
    this.log.change(c, extra);
  }

  /** The open event: begun where the program stood, when none is. */
  private openEvent(): void {
    if (!this.log.isOpen) this.log.begin(this.stoodAt, -1, 0n);
  }

  /** Reads what mapping changes left pending (the address space has them now; nothing else changed since). */
  private fill(): void {
    if (this.unfilled.length === 0) return;
    for (const c of this.unfilled) {
      if (c.kind === "map") {
        c.ofDebugger = this.debuggers(c.address);
      } else if (c.kind === "layout") {
        c.layout = this.host.space.layout();
        this.log.grew(64 * c.layout.regions.length);
      } else if (c.kind === "content") {
        const data = new Uint8Array(c.size);
        if (this.host.cpu.tryRead(c.address, data)) c.data = data;
        this.log.grew(c.size);
      }
    }
    this.unfilled = [];
  }

  private closeOpen(): void {
    if (!this.log.isOpen) return;
    this.fill();
    this.log.close(this.host.currentTid());
  }

  // ---- checkpoints and pages ----

  private checkpoint(): void {
    const { cpu, space } = this.host;
    if (this.checkpoints.length > 0) this.comparePages();
    // Taken as a run begins: the CPU holds the program's registers, after any changes made where it stood.
    const others = this.host.otherThreads().map((o) => ({ tid: o.tid, context: cpu.copyContext(o.context) }));
    const c: Checkpoint = { at: this.now(), tid: this.host.currentTid(), context: cpu.saveContext(), layout: space.layout(), firstEvent: this.log.end, pages: new Map(), others, bytes: CONTEXT_BYTES * (1 + others.length) };
    this.checkpoints.push(c);
    this.held += c.bytes;
    this.trim();
  }

  /**
   * The pages changed since the last checkpoint get their bytes of then, in its interval (kept
   * once: the first kept are the checkpoint's). Comparing costs a copy of the mapped memory: the
   * interval grows while that is more than a twentieth of the time between checkpoints.
   */
  private comparePages(): void {
    const t0 = performance.now();
    const before = this.baseline.bytes;
    this.baseline.compare((page, bytes) => this.keep(page, bytes));
    this.held += this.baseline.bytes - before;
    const t1 = performance.now();
    if ((t1 - t0) * 20 > t1 - this.lastCheckpointMs && this.interval < MAX_CHECKPOINT_BLOCKS) this.interval *= 2n;
    this.lastCheckpointMs = t1;
  }

  private keep(page: number, bytes: Uint8Array): void {
    const c = this.checkpoints[this.checkpoints.length - 1]!;
    if (c.pages.has(page)) return;
    c.pages.set(page, bytes);
    if (bytes === ZERO_PAGE) return; // shared: holds nothing of its own
    c.bytes += PAGE_BYTES;
    this.held += PAGE_BYTES;
  }

  /** Drops the oldest checkpoints (and the events only they led to) while over the budget. */
  private trim(): void {
    while (this.bytes > this.budget && this.checkpoints.length > 1) {
      const old = this.checkpoints.shift()!;
      const next = this.checkpoints[0]!;
      freeCheckpoint(old);
      this.held -= old.bytes;
      this.log.dropBefore(next.firstEvent, freeChange);
      this.dropped++;
    }
  }

  // ---- going back and replaying ----

  /**
   * Puts the program at checkpoint `index`: the pages changed since (newest interval first, so the
   * oldest bytes win), the mappings and the registers; runs replay from there.
   */
  travelTo(index: number): void {
    const c = this.checkpoints[index];
    if (!c) throw new JitdbgError("HISTORY_RANGE", `there is no checkpoint ${index} (the history has ${this.checkpoints.length})`);
    const { cpu, space } = this.host;
    this.closeOpen();
    if (!this.presentAt) {
      // What changed since the last checkpoint is found now, while memory is still the present's.
      this.comparePages();
      this.presentAt = { at: this.now(), tid: this.host.currentTid() };
    }
    // Memory goes back to a checkpoint exactly first, then interval by interval: a checkpoint's
    // pages are those that differ between it and the next one, so they take memory from one
    // checkpoint's state to the previous one's, not from a point in between (a page changed and
    // changed back — a lock's word — differs there). From the present, the last comparison found
    // what differs from the last checkpoint; in the past, memory is compared with its copy taken
    // at the checkpoint the replay began from.
    const base = this.pastBase;
    // A replay that stopped right at a checkpoint, every change before it applied (a scan's end),
    // holds that checkpoint's memory: no comparison needed.
    const here = base ? this.checkpoints.findIndex((x) => samePosition(x.at, this.now()) && x.firstEvent === this.cursor) : -1;
    const atCheckpoint = here >= index;
    if (base && !atCheckpoint && index > base.index) throw new JitdbgError("HISTORY_RANGE", `checkpoint ${index} is after the one the replay began from (${base.index}): replay forward to it instead`);
    const from = atCheckpoint ? here - 1 : base ? base.index - 1 : this.checkpoints.length - 1;
    // Memory at the checkpoint gone to, kept up to date page by page (not a copy each time): the
    // present's baseline (the memory now, from the comparison), or the last checkpoint's.
    const next = base ? base.pages : this.baseline.clone();
    this.privateDepth++;
    try {
      if (base && !atCheckpoint) {
        space.restoreLayout({ ...this.checkpoints[base.index]!.layout, changes: -1 }, ownedByDebugger);
        base.pages.differences((page, bytes) => this.putPage(page, bytes));
      }
      space.restoreLayout({ ...c.layout, changes: -1 }, ownedByDebugger);
      for (let i = from; i >= index; i--) {
        for (const [page, bytes] of this.checkpoints[i]!.pages) {
          this.putPage(page, bytes);
          next.set(page, bytes);
        }
      }
      // The pages hold the program's own code: the debugger's patches go back over it.
      this.host.codePatches.reapply();
      cpu.restoreContext(c.context);
      cpu.setBlockCount(c.at.blocks);
      this.pastBase = { index, pages: next };
    } finally {
      this.privateDepth--;
    }
    this.cursor = c.firstEvent;
    this.pastTid = c.tid;
    this.pastThreads.start(c.tid, c.others);
  }

  /** Writes a page of the past back (the program's; not the debugger's own memory). */
  private putPage(page: number, bytes: Uint8Array): void {
    const { cpu, space } = this.host;
    const at = BigInt(page) << PAGE_SHIFT;
    const region = space.regionAt(at);
    if (!region || ownedByDebugger(region)) return;
    cpu.write(at, bytes);
    if (region.prot & PROT_EXEC) cpu.invalidateCode(at, at + PAGE);
  }

  /** While replaying: runs end at `p` (a scan of a stretch of the past), before the changes recorded there. */
  setLimit(p: Position | undefined): void {
    this.limit = p;
  }

  /**
   * One run in the past: the CPU executes toward the next recorded change, applies it, and so on,
   * until a hook stops it, `blocks` run out, `until` is reached, the limit, or the present.
   */
  replayRun(limits: { blocks?: number; until?: bigint }): ReplayOutcome {
    const cpu = this.host.cpu;
    let budget = limits.blocks ? limits.blocks : Infinity;
    this.pastThreads.resume();
    for (;;) {
      const now = this.now();
      const next = this.nextStopEvent();
      const target = this.targetAfter(next);
      if (this.limit && samePosition(now, this.limit)) return { kind: "limit" };
      if (next !== undefined && samePosition(now, this.log.at(next))) {
        if (next !== this.cursor) throw this.diverged(`it reached ${describePosition(now)} before the syscalls recorded on the way there`);
        this.apply(next);
        continue;
      }
      if (next === undefined && this.cursor >= this.log.end && samePosition(now, this.presentAt!.at)) {
        this.returnToPresent();
        return { kind: "present" };
      }
      if (budget <= 0) return { kind: "stopped" };
      const allow = target.blocks + 1n - now.blocks;
      if (allow <= 0n) throw this.diverged(`the replay passed ${describePosition(target)} (it is at ${describePosition(now)})`);
      // The block count first, by the gate alone (a hook on a pc in a loop would be called at every
      // pass); then, inside the target's block, a hook on its pc.
      const near = allow === 1n;
      const n = Math.min(budget, near ? 1 : Number(allow - 1n));
      this.arrived = false;
      const hook = near
        ? cpu.hookCode(target.pc, target.pc, () => {
            if (cpu.blockCount - 1n === target.blocks) {
              this.arrived = true;
              cpu.stop();
            }
          })
        : undefined;
      let cause: StopCause;
      const before = cpu.blockCount;
      try {
        cause = cpu.run(now.pc, { blocks: n, until: limits.until });
      } finally {
        hook?.remove();
      }
      const used = Number(cpu.blockCount - before);
      budget -= used;
      // Unicorn calls no more code hooks on an instruction once one stopped the run: a breakpoint
      // there may have kept the target's hook from being called.
      const at = this.now();
      if (this.limit && samePosition(at, this.limit)) return { kind: "limit" };
      if (this.host.stopRequested()) return { kind: "stopped" };
      if (this.arrived || samePosition(at, target)) continue;
      const interrupt = this.host.takeInterrupt();
      if (interrupt || (cause.kind !== "ok" && cause.kind !== "budget")) {
        const e = this.nextStopEvent();
        if (e !== undefined && samePosition(this.now(), this.log.at(e))) return { kind: "fault", cause, interrupt };
        throw this.diverged(`the program faulted at ${describePosition(this.now())} (${cause.kind}), which it did not when it was recorded`);
      }
      // Stopped by a hook of the debugger's own that did not go through the process (an instruction step's probe).
      if (cause.kind === "ok") return { kind: "stopped" };
      if (cause.kind === "budget" && budget <= 0) return { kind: "stopped" };
      if (cause.kind === "budget" && near && used >= 1) throw this.diverged(`the replay did not reach ${describePosition(target)} (it is at ${describePosition(this.now())})`);
    }
  }

  /** A syscall while replaying: its recorded answer is applied instead of the kernel's. */
  replaySyscall(nr: number, arg0: bigint): void {
    const i = this.cursor;
    const at = this.now();
    const kept = i < this.log.end;
    const recorded = kept ? this.log.syscall(i) : -1;
    if (recorded < 0 || !samePosition(this.log.at(i), at) || recorded !== nr || this.log.arg0(i) !== arg0) {
      const was = !kept ? "the present" : recorded >= 0 ? `syscall ${recorded} at ${describePosition(this.log.at(i))}` : `a stop at ${describePosition(this.log.at(i))}`;
      throw this.diverged(`syscall ${nr} at ${describePosition(at)}, where the recording has ${was}`);
    }
    this.apply(i);
  }

  /** The next event (absolute index) not a syscall's: changes made where the program stood. */
  private nextStopEvent(): number | undefined {
    return this.log.nextStop(this.cursor);
  }

  /** Where the next run goes: the next stop's changes, the limit, or the present, whichever comes first. */
  private targetAfter(next: number | undefined): Position {
    let t = next !== undefined ? this.log.at(next) : this.presentAt!.at;
    if (this.limit && comparePositions(this.limit, t) < 0) t = this.limit;
    return t;
  }

  private apply(i: number): void {
    this.privateDepth++;
    try {
      this.log.replay(i, this.applier);
    } finally {
      this.privateDepth--;
    }
    if (this.log.syscall(i) === EXIT_NR) this.pastThreads.exited(this.pastTid);
    this.pastTid = this.log.tid(i);
    this.pastThreads.ran(this.pastTid);
    this.cursor++;
  }

  /** Puts a logged change back on the machine. */
  private readonly applier = {
    write: (address: bigint, data: Uint8Array) => this.host.cpu.write(address, data),
    result: (rax: bigint) => this.host.cpu.setReg("rax", rax),
    change: (c: Change) => {
      const { cpu, space } = this.host;
      switch (c.kind) {
        case "reg":
          cpu.setReg(c.name, c.value);
          break;
        case "regBytes":
          cpu.setRegBytes(c.name, c.bytes);
          break;
        case "context":
          if (!c.context) break;
          this.pastThreads.switching();
          cpu.restoreContext(c.context);
          break;
        case "map":
          if (!c.ofDebugger) cpu.map(c.address, c.size, c.prot);
          break;
        case "unmap":
          cpu.unmap(c.address, c.size);
          break;
        case "protect":
          cpu.protect(c.address, c.size, c.prot);
          break;
        case "layout":
          if (c.layout) space.adoptLayout(c.layout, ownedByDebugger);
          break;
        case "content":
          if (c.data) cpu.write(c.address, c.data);
          break;
      }
    },
  };

  private returnToPresent(): void {
    this.pastThreads.clear();
    this.pastBase = undefined;
    this.stoodAt = this.presentAt!.at;
    this.presentAt = undefined;
    this.limit = undefined;
  }

  private diverged(what: string): JitdbgError {
    return new JitdbgError("HISTORY_DIVERGED", `the replay of the program's history went wrong: ${what}. This is a bug in jitdbg; the history is no longer trustworthy`);
  }
}

function freeCheckpoint(c: Checkpoint): void {
  c.context.free();
  for (const o of c.others) o.context.free();
}

/** Frees what a dropped change holds outside the JavaScript heap (a saved context). */
function freeChange(c: Change): void {
  if (c.kind === "context") c.context?.free();
}
