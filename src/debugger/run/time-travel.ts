/**
 * Going back in time over a recorded history (src/inferior/history): reverse continue, step back
 * by line and by instruction.
 *
 * Every reverse operation is a forward one over a stretch of the past, the way rr does it: go back
 * to the newest checkpoint before the present point, replay forward to that point noting where the
 * thing looked for happened (a breakpoint's hit, a data breakpoint's write, a line's start), and
 * if it did, go back once more and replay to the last such place; if not, try the stretch before.
 * The replay is exact (the same positions, registers and memory), so landing on a noted position
 * is landing on the moment it was noted.
 */
import { JitdbgError } from "../../errors.js";
import type { History } from "../../inferior/history/history.js";
import { comparePositions, type Position } from "../../inferior/history/position.js";
import type { Cpu } from "../../emu/cpu.js";
import type { ImageInfo } from "../image-info.js";
import type { RunResult } from "./stops.js";

export interface TimeTravelHost {
  readonly cpu: Cpu;
  history(): History;
  imageFor(pc: bigint): ImageInfo | undefined;
  /** The innermost frames now: pc and CFA of the top one and of its caller. */
  topFrames(): { pc: bigint; cfa: bigint | undefined }[];
  /** Runs on as `continue` does (breakpoints with their conditions, data breakpoints; logpoints quiet) to a stop the user would see, or to the history's limit. */
  runToStop(): Promise<RunResult | "limit">;
  /** Runs with every breakpoint silenced until the history's limit. */
  runToLimit(): void;
  /** Executes one instruction, breakpoints silenced. */
  stepInstruction(): void;
  /** Runs `fn` with every breakpoint silenced (neither firing nor stopping). */
  silently<T>(fn: () => T): T;
}

/** A place the program passed, noted while replaying. */
interface Noted {
  at: Position;
  pc: bigint;
  rsp: bigint;
  rbp: bigint;
}

const RSP = 7;
const RBP = 6;

export class TimeTravel {
  constructor(private readonly host: TimeTravelHost) {}

  /**
   * Back to the last stop a `continue` would have made before now (a breakpoint hit whose
   * condition held, a data breakpoint's write); at the start of the history when there is none.
   */
  async reverseContinue(): Promise<RunResult | { reason: "start"; at: Position }> {
    const h = this.host.history();
    let end = h.now();
    for (let k = h.checkpointBefore(end); k !== undefined; k = h.checkpointBefore(end)) {
      const start = h.checkpointPositions()[k]!;
      h.travelTo(k);
      h.setLimit(end);
      let last: { at: Position; result: RunResult } | undefined;
      try {
        for (;;) {
          const r = await this.host.runToStop();
          if (r === "limit") break;
          if (r.reason === "exited") break;
          last = { at: h.now(), result: r };
        }
      } finally {
        h.setLimit(undefined);
      }
      if (last) {
        this.land(k, last.at);
        // A write is stopped at going backwards before the instruction that made it (gdb's
        // reverse watchpoints): the writing statement is the one shown, the value not yet written.
        if (last.result.reason === "data breakpoint") this.stepBackInstruction();
        return last.result;
      }
      end = start;
    }
    this.land(0, h.checkpointPositions()[0]!);
    return { reason: "start", at: h.now() };
  }

  /**
   * Back to the start of the previous line executed in this frame (gdb's reverse-next: calls
   * made on the way are stepped over backwards): the first of the statement starts of the last
   * line this frame passed before now. From a function's first line, to the line of its caller
   * that made the call. False when the history does not reach back that far.
   */
  stepBackLine(): boolean {
    const h = this.host.history();
    const [top, caller] = this.host.topFrames();
    const image = top ? this.host.imageFor(top.pc) : undefined;
    const here = top && image?.statementStarts(top.pc);
    if (!top || top.cfa === undefined || !image || !here) throw new JitdbgError("STEP_NO_LINE_INFO", "cannot step back by line here: the code has no line information (step back by instruction instead)");
    const callerImage = caller ? this.host.imageFor(caller.pc) : undefined;
    const there = caller && callerImage?.statementStarts(caller.pc);
    const addresses = new Set([...here.starts, here.entry, ...(there?.starts ?? [])]);
    // Newest first: this frame's statement starts back to its entry, then its caller's before that.
    const mine: Noted[] = [];
    const theirs: Noted[] = [];
    let entered = false;
    const now = h.now();
    let end = now;
    for (let k = h.checkpointBefore(end); k !== undefined; k = h.checkpointBefore(end)) {
      const hits = this.scan(k, end, addresses);
      for (let i = hits.length - 1; i >= 0; i--) {
        const n = hits[i]!;
        if (!entered) {
          if (n.pc === here.entry && this.cfaAt(n) === top.cfa) entered = true;
          else if (here.starts.includes(n.pc) && this.cfaAt(n) === top.cfa) mine.push(n);
        } else if (caller && there?.starts.includes(n.pc) && this.cfaAt(n) === caller.cfa) theirs.push(n);
      }
      // A line's start is known once an older hit is on another line (or the frame's entry is).
      const target = mine.length > 0 ? lastLineStart(mine, image, entered) : entered ? lastLineStart(theirs, callerImage, false) : undefined;
      if (target) {
        this.landAt(target.at);
        return true;
      }
      end = h.checkpointPositions()[k]!;
    }
    // The history's start: the oldest line start seen is as far back as it goes.
    const target = lastLineStart(mine, image, true) ?? lastLineStart(theirs, callerImage, true);
    this.landAt(target?.at ?? now);
    return target !== undefined;
  }

  /**
   * Back to the call that entered this frame (gdb's reverse-finish): the frame's entry, found as
   * the last time its function's first instruction ran with this frame's CFA, then the instruction
   * before it. False when the history does not reach back to the call.
   */
  stepBackOut(): boolean {
    const h = this.host.history();
    const [top] = this.host.topFrames();
    const image = top ? this.host.imageFor(top.pc) : undefined;
    const here = top && image?.statementStarts(top.pc);
    if (!top || top.cfa === undefined || !here) throw new JitdbgError("STEP_NO_LINE_INFO", "cannot go back to the call of this frame: its function has no debug information (step back by instruction instead)");
    const now = h.now();
    let end = now;
    for (let k = h.checkpointBefore(end); k !== undefined; k = h.checkpointBefore(end)) {
      const hits = this.scan(k, end, new Set([here.entry])).filter((n) => this.cfaAt(n) === top.cfa);
      const entry = hits[hits.length - 1];
      if (entry) {
        this.landAt(entry.at);
        return this.stepBackInstruction();
      }
      end = h.checkpointPositions()[k]!;
    }
    this.landAt(now);
    return false;
  }

  /** Back one instruction (into the call a `call` made, out of a frame a `ret` left). False at the start of the history. */
  stepBackInstruction(): boolean {
    const h = this.host.history();
    const now = h.now();
    if (now.blocks === 0n) return false;
    // From the start of the block before this one's, instruction by instruction up to now.
    const from: Position = { blocks: now.blocks - 1n, pc: 0n };
    const k = h.checkpointBefore({ blocks: from.blocks, pc: 0n }, true) ?? h.checkpointBefore(now);
    if (k === undefined) return false;
    h.travelTo(k);
    const cpu = this.host.cpu;
    if (cpu.blockCount < from.blocks) this.host.silently(() => this.runBlocks(from.blocks - cpu.blockCount, now));
    let previous: Position | undefined;
    for (let guard = 0; guard < 100_000; guard++) {
      const at = h.now();
      if (comparePositions(at, now) >= 0) break;
      previous = at;
      this.host.stepInstruction();
    }
    this.landAt(previous ?? now);
    return previous !== undefined;
  }

  /** Replays from checkpoint `k` to `end`, noting every time an address of `addresses` is about to run. */
  private scan(k: number, end: Position, addresses: ReadonlySet<bigint>): Noted[] {
    const h = this.host.history();
    const cpu = this.host.cpu;
    h.travelTo(k);
    const hits: Noted[] = [];
    const hooks = [...addresses].map((a) =>
      cpu.hookCode(a, a, (pc) => {
        hits.push({ at: { blocks: cpu.blockCount - 1n, pc }, pc, rsp: cpu.reg("rsp"), rbp: cpu.reg("rbp") });
      }),
    );
    h.setLimit(end);
    try {
      this.host.runToLimit();
    } finally {
      h.setLimit(undefined);
      for (const hk of hooks) hk.remove();
    }
    // A hit at the limit itself is now, not before it.
    return hits.filter((n) => comparePositions(n.at, end) < 0);
  }

  /** The frame's CFA at a noted place, from its registers then (the CFI's rule at that pc). */
  private cfaAt(n: Noted): bigint | undefined {
    const row = this.host.imageFor(n.pc)?.cfi?.rowAt(n.pc);
    if (!row || row.cfa.kind !== "reg-offset") return undefined;
    const base = row.cfa.reg === RSP ? n.rsp : row.cfa.reg === RBP ? n.rbp : undefined;
    return base === undefined ? undefined : base + row.cfa.offset;
  }

  /** Goes back to checkpoint `k` and replays, silently, to `at`. */
  private land(k: number, at: Position): void {
    const h = this.host.history();
    h.travelTo(k);
    h.setLimit(at);
    try {
      this.host.runToLimit();
    } finally {
      h.setLimit(undefined);
    }
  }

  private landAt(at: Position): void {
    const k = this.host.history().checkpointBefore(at, true);
    if (k === undefined) throw new JitdbgError("HISTORY_RANGE", "the history no longer reaches back to that point");
    this.land(k, at);
  }

  /** Replays `blocks` blocks (the history's limit stays where it is: `stop` bounds it). */
  private runBlocks(blocks: bigint, stop: Position): void {
    const h = this.host.history();
    h.setLimit(stop);
    try {
      let left = blocks;
      while (left > 0n) {
        const before = this.host.cpu.blockCount;
        const r = h.replayRun({ blocks: Number(left) });
        left -= this.host.cpu.blockCount - before;
        if (r.kind !== "stopped") break;
      }
    } finally {
      h.setLimit(undefined);
    }
  }
}

/**
 * The start of the last line in `newestFirst` (hits of one frame, newest first): the oldest hit
 * of the newest run of hits on one line — once it is certain (an older hit is on another line,
 * or `complete`: nothing older belongs to the frame).
 */
function lastLineStart(newestFirst: Noted[], image: ImageInfo | undefined, complete: boolean): Noted | undefined {
  if (!image || newestFirst.length === 0) return undefined;
  const line = (n: Noted) => image.lineRange(n.pc)?.line;
  const l = line(newestFirst[0]!);
  let i = 0;
  while (i + 1 < newestFirst.length && line(newestFirst[i + 1]!) === l) i++;
  return i + 1 < newestFirst.length || complete ? newestFirst[i] : undefined;
}
