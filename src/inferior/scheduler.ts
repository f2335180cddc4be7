/**
 * Chooses which thread runs, and for how long, on the one CPU. Threads take turns of a fixed
 * number of block entries in creation order (round robin); a thread that blocks gives up the
 * rest of its turn. Every decision depends only on what the program did (block counts, syscalls)
 * and the seed, never on the host's speed or clock: the same program, input and seed interleave
 * the same way on every run, under the debugger or not. "Chaos" draws each turn's length and the
 * next thread from the seeded generator instead, to shake out races; a seed replays one exactly.
 */
import type { Cpu } from "../emu/cpu.js";
import type { EmulatedClock } from "./clock.js";
import type { Rng } from "./random.js";
import type { Thread, ThreadTable } from "./threads.js";

/** Block entries per turn: a few milliseconds of emulated time. */
export const DEFAULT_QUANTUM_BLOCKS = 20_000;
/** Idle jumps in a row before giving up (periodic timers whose signal wakes nobody, with a far sleep). */
const MAX_IDLE_JUMPS = 1_000_000;
/** In chaos mode a turn lasts 1 to this many block entries. */
const CHAOS_MAX_QUANTUM = 2_000;

/** What else happens on the clock: timers that send signals (and so may wake a thread). */
export interface TimerSource {
  nextExpiry(): bigint | undefined;
  fireTimers(now: bigint): void;
}

export interface SchedulerOptions {
  quantumBlocks?: number;
  chaos?: boolean;
}

export class Scheduler {
  private readonly quantum: number;
  private readonly chaos: boolean;

  constructor(
    private readonly cpu: Cpu,
    private readonly threads: ThreadTable,
    private readonly clock: EmulatedClock,
    private readonly rng: Rng,
    private readonly timers: TimerSource,
    opts: SchedulerOptions = {},
  ) {
    this.quantum = Math.max(1, opts.quantumBlocks ?? DEFAULT_QUANTUM_BLOCKS);
    this.chaos = !!opts.chaos;
    threads.current.quantumLeft = this.turn();
  }

  /**
   * Fires expired timers and wakes timed waits that have expired, then puts the thread to run next in the CPU (the current
   * one while its turn lasts and it can run). When every thread waits, the clock jumps to the
   * earliest deadline; undefined when every thread waits for ever (a deadlock).
   */
  schedule(): Thread | undefined {
    this.expire();
    const cur = this.threads.current;
    if (cur.runnable && cur.quantumLeft > 0) return this.enter(cur);
    let next = this.pick(cur);
    // Every thread waits: jump from deadline to deadline until one wakes a thread (a timer whose
    // signal is blocked wakes nobody, a later sleep then still does). With no thread's deadline
    // left, only timers, nothing can wake: a deadlock.
    for (let jumps = 0; !next && jumps < MAX_IDLE_JUMPS; jumps++) {
      const waits = this.threads.blockedThreads().flatMap((t) => (t.blocked?.deadline === undefined ? [] : [t.blocked.deadline]));
      const timer = this.timers.nextExpiry();
      if (waits.length === 0 && (timer === undefined || jumps > 0)) return undefined;
      const deadlines = timer === undefined ? waits : [...waits, timer];
      this.clock.skipTo(deadlines.reduce((a, b) => (b < a ? b : a)));
      this.expire();
      next = this.pick(cur);
    }
    if (!next) return undefined;
    next.quantumLeft = this.turn();
    return this.enter(next);
  }

  /** The running thread executed `blocks` block entries. */
  account(blocks: number): void {
    this.threads.current.quantumLeft -= blocks;
    this.clock.advance(blocks);
  }

  /** Puts `t`'s registers in the CPU (the current thread's saved first); for inspection as well as running. */
  switchTo(t: Thread): void {
    const cur = this.threads.current;
    if (t === cur) return;
    if (!cur.exited) cur.context = this.cpu.saveContext(cur.context);
    else {
      cur.context?.free();
      cur.context = undefined;
    }
    if (!t.context) throw new Error(`thread ${t.tid} has no saved registers`);
    this.cpu.restoreContext(t.context);
    this.threads.current = t;
  }

  private enter(t: Thread): Thread {
    this.switchTo(t);
    if (t.resumeResult !== undefined) {
      this.cpu.setReg("rax", t.resumeResult);
      t.resumeResult = undefined;
    }
    return t;
  }

  /** The next runnable thread after `after` in creation order (chaos: any runnable one). */
  private pick(after: Thread): Thread | undefined {
    const live = this.threads.live();
    const ready = live.filter((t) => t.runnable);
    if (ready.length === 0) return undefined;
    if (this.chaos) return ready[Number(this.rng.below(BigInt(ready.length)))];
    const at = live.indexOf(after);
    for (let i = 1; i <= live.length; i++) {
      const t = live[(at + i) % live.length]!;
      if (t.runnable) return t;
    }
    return ready[0];
  }

  private turn(): number {
    return this.chaos ? 1 + Number(this.rng.below(BigInt(CHAOS_MAX_QUANTUM))) : this.quantum;
  }

  private expire(): void {
    this.timers.fireTimers(this.clock.now);
    for (const t of [...this.threads.blockedThreads()]) {
      const b = t.blocked!;
      if (b.deadline !== undefined && b.deadline <= this.clock.now) {
        b.onTimeout?.();
        this.threads.wake(t, b.timeoutResult);
      }
    }
  }
}
