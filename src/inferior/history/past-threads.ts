/**
 * The registers of every thread at a point of the past. The CPU holds the running thread's; the
 * others' come from the checkpoint the replay began at (every thread's registers are kept there),
 * then, at each thread switch replayed, from the registers the outgoing thread left with. The
 * debugger may show another thread than the running one (focus): the running one's registers are
 * put back before the replay goes on. A thread created since the checkpoint is known from its
 * first turn on.
 */
import type { Cpu, CpuContext } from "../../emu/cpu.js";

export class PastThreads {
  private readonly saved = new Map<number, CpuContext>();
  /** The thread whose registers the replay runs. */
  private running = 0;
  /** The thread whose registers the CPU holds. */
  private shownTid = 0;

  constructor(
    private readonly cpu: Cpu,
    /** Runs a change of the debugger's own (not logged, not the program's). */
    private readonly privately: (fn: () => void) => void,
  ) {}

  /** At a checkpoint: `running` in the CPU, the others' registers copied from theirs. */
  start(running: number, others: readonly { tid: number; context: CpuContext }[]): void {
    this.clear();
    for (const o of others) this.saved.set(o.tid, this.cpu.copyContext(o.context));
    this.running = this.shownTid = running;
  }

  /** A replayed thread switch is about to restore another thread's registers: the running one's as it leaves. */
  switching(): void {
    this.saved.set(this.running, this.cpu.saveContext(this.saved.get(this.running)));
  }

  /** After a replayed event: the thread in the CPU. */
  ran(tid: number): void {
    this.running = this.shownTid = tid;
  }

  /** A thread ended (its exit replayed). */
  exited(tid: number): void {
    this.saved.get(tid)?.free();
    this.saved.delete(tid);
  }

  get shown(): number {
    return this.shownTid;
  }

  /** The threads of this point of the past, in tid order. */
  tids(): number[] {
    return [...new Set([this.running, ...this.saved.keys()])].sort((a, b) => a - b);
  }

  /** Puts thread `tid`'s registers of then in the CPU (false: no such thread then). */
  focus(tid: number): boolean {
    if (tid === this.shownTid) return true;
    const ctx = this.saved.get(tid);
    if (!ctx) return false;
    this.privately(() => {
      this.saved.set(this.shownTid, this.cpu.saveContext(this.saved.get(this.shownTid)));
      this.cpu.restoreContext(ctx);
    });
    this.shownTid = tid;
    return true;
  }

  /** Before a replay runs: the running thread back in the CPU. */
  resume(): void {
    if (this.shownTid !== this.running) this.focus(this.running);
  }

  clear(): void {
    for (const c of this.saved.values()) c.free();
    this.saved.clear();
  }
}
