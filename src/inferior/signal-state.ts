/**
 * Signals between generation and delivery: what is pending for the process and for each thread,
 * which thread takes a process-directed signal, waking a thread whose wait a signal interrupts,
 * alternate stacks, the masks sigsuspend swaps in, and the interval timers that send SIGALRM.
 * Delivery itself (the frame, the registers) happens between runs, in Process.
 */
import * as E from "./errno.js";
import type { Kernel } from "./kernel.js";
import { NO_ALTSTACK, type AltStack } from "./signal-frame.js";
import { defaultAction, encodeSiginfo, parseSigaction, SIG_DFL, SIG_IGN, sigbit, SIGALRM, SI_KERNEL, SI_TIMER, UNBLOCKABLE, type SigAction, type SignalInfo } from "./signals.js";
import type { Thread } from "./threads.js";

export const ERESTARTSYS = 512;

/** A timer that sends a signal on the scheduler's clock (alarm/ITIMER_REAL is id -1). */
export interface SignalTimer {
  id: number;
  signo: number;
  /** The next expiry on the scheduler's clock; undefined while disarmed. */
  next: bigint | undefined;
  interval: bigint;
  value: bigint;
  overrun: number;
  /** SIGEV_THREAD_ID's target thread, else the process. */
  tid?: number;
}

export const ALARM_TIMER = -1;

export interface SignalsSnapshot {
  readonly processPending: readonly SignalInfo[];
  readonly threadPending: ReadonlyMap<number, readonly SignalInfo[]>;
  readonly altStacks: ReadonlyMap<number, AltStack>;
  readonly suspendMasks: ReadonlyMap<number, bigint>;
  readonly restarts: ReadonlyMap<number, { nr: number; interrupt: string }>;
  readonly timers: readonly SignalTimer[];
  readonly nextTimerId: number;
}

export class Signals {
  private processPending: SignalInfo[] = [];
  private readonly threadPending = new Map<number, SignalInfo[]>();
  private readonly altStacks = new Map<number, AltStack>();
  /** sigsuspend's caller mask, put back by the handler's return (or at once when no handler runs). */
  readonly suspendMasks = new Map<number, bigint>();
  /** Threads whose wait a signal interrupted: the syscall and how to finish it once delivery is decided. */
  readonly restarts = new Map<number, { nr: number; interrupt: string }>();
  private timers: SignalTimer[] = [];
  private nextTimerId = 1;

  constructor(private readonly k: Kernel) {}

  action(sig: number): SigAction {
    return parseSigaction(this.k.sigactions.get(sig));
  }

  /** Whether delivering `sig` would do nothing (SIG_IGN, or a default action of ignore). */
  ignored(sig: number): boolean {
    const h = this.action(sig).handler;
    return h === SIG_IGN || (h === SIG_DFL && (defaultAction(sig) === "ignore" || defaultAction(sig) === "continue"));
  }

  altStack(tid: number): AltStack {
    return this.altStacks.get(tid) ?? NO_ALTSTACK;
  }

  setAltStack(tid: number, alt: AltStack): void {
    this.altStacks.set(tid, alt);
  }

  /**
   * Sends a signal to the process, or to thread `tid`. An ignored one is dropped (unless masked:
   * the handler may change before it is unmasked); a standard signal already pending is not
   * queued twice; a thread that can take it is woken from its wait.
   */
  send(info: SignalInfo, tid?: number): void {
    const bit = sigbit(info.signo);
    const queue = tid === undefined ? this.processPending : this.queueOf(tid);
    const target = tid === undefined ? undefined : this.k.threads.get(tid);
    const masked = target ? (target.sigmask & bit) !== 0n : this.k.threads.live().every((t) => (t.sigmask & bit) !== 0n);
    if (this.ignored(info.signo) && !masked) return;
    if (info.signo < 32 && queue.some((p) => p.signo === info.signo)) return;
    const taker = target ?? this.chooseTaker(info.signo);
    queue.push(tid === undefined && taker ? { ...info, taker: taker.tid } : info);
    if (taker) this.notify(info.signo, taker);
  }

  /**
   * The thread a process-directed signal goes to, as Linux's complete_signal picks it: the main
   * thread when it does not block it, else the first other thread that does not (a waiter in
   * sigtimedwait for it counts). Not the sender: a thread that kills its own process while the
   * main thread sleeps interrupts the main thread's sleep.
   */
  private chooseTaker(signo: number): Thread | undefined {
    const bit = sigbit(signo);
    return this.k.threads.live().find((t) => (t.sigmask & bit) === 0n || (t.blocked?.wait.kind === "signal" && (t.blocked.wait.set & bit) !== 0n));
  }

  /** Whether thread `t` has a signal it does not mask. */
  deliverable(t: Thread): boolean {
    return this.next(t, false) !== undefined;
  }

  /** Signals pending for `t` or the process (rt_sigpending). */
  pendingSet(t: Thread): bigint {
    let set = 0n;
    for (const p of [...this.queueOf(t.tid), ...this.processPending]) set |= sigbit(p.signo);
    return set;
  }

  /**
   * Takes the signal `t` should handle next: its own before the process's, synchronous ones
   * first (they are the lowest numbers that matter), lowest number first. `among` limits it to a
   * set (sigtimedwait); otherwise masked signals stay pending.
   */
  next(t: Thread, take = true, among?: bigint): SignalInfo | undefined {
    const allowed = among ?? ~t.sigmask | UNBLOCKABLE;
    for (const queue of [this.queueOf(t.tid), this.processPending]) {
      let best = -1;
      queue.forEach((p, i) => {
        if ((allowed & sigbit(p.signo)) !== 0n && this.mayTake(t, p) && (best < 0 || p.signo < queue[best]!.signo)) best = i;
      });
      if (best >= 0) return take ? queue.splice(best, 1)[0] : queue[best];
    }
    return undefined;
  }

  /** The mask changed (sigprocmask, sigreturn): a signal it unmasked may wake a waiting thread. */
  maskChanged(t: Thread): void {
    if (t.blocked && this.deliverable(t)) this.interrupt(t, this.next(t, false)!.signo);
  }

  /** Timers: arm, read, delete (alarm, setitimer, timer_*). */
  timer(id: number): SignalTimer | undefined {
    return this.timers.find((t) => t.id === id);
  }

  createTimer(signo: number, value: bigint, tid?: number): SignalTimer {
    const t: SignalTimer = { id: this.nextTimerId++, signo, next: undefined, interval: 0n, value, overrun: 0, tid };
    this.timers.push(t);
    return t;
  }

  /** The alarm/ITIMER_REAL timer, created disarmed on first use. */
  alarmTimer(): SignalTimer {
    let t = this.timer(ALARM_TIMER);
    if (!t) {
      t = { id: ALARM_TIMER, signo: SIGALRM, next: undefined, interval: 0n, value: 0n, overrun: 0 };
      this.timers.push(t);
    }
    return t;
  }

  deleteTimer(id: number): boolean {
    const before = this.timers.length;
    this.timers = this.timers.filter((t) => t.id !== id);
    return this.timers.length < before;
  }

  /** The earliest armed timer's expiry, for the scheduler's idle jump. */
  nextExpiry(): bigint | undefined {
    let best: bigint | undefined;
    for (const t of this.timers) if (t.next !== undefined && (best === undefined || t.next < best)) best = t.next;
    return best;
  }

  /** Sends the signals of timers that have expired by `now`; periodic ones re-arm. */
  fireTimers(now: bigint): void {
    for (const t of this.timers) {
      if (t.next === undefined || t.next > now) continue;
      if (t.interval > 0n) {
        const missed = (now - t.next) / t.interval;
        t.overrun = Number(missed);
        t.next += (missed + 1n) * t.interval;
      } else t.next = undefined;
      const info: SignalInfo = t.id === ALARM_TIMER ? { signo: t.signo, code: SI_KERNEL } : { signo: t.signo, code: SI_TIMER, timerId: t.id - 1, value: t.value };
      this.send(info, t.tid !== undefined && this.k.threads.get(t.tid) ? t.tid : undefined);
    }
  }

  snapshot(): SignalsSnapshot {
    return {
      processPending: [...this.processPending],
      threadPending: new Map([...this.threadPending].map(([tid, q]) => [tid, [...q]])),
      altStacks: new Map(this.altStacks),
      suspendMasks: new Map(this.suspendMasks),
      restarts: new Map(this.restarts),
      timers: this.timers.map((t) => ({ ...t })),
      nextTimerId: this.nextTimerId,
    };
  }

  restore(s: SignalsSnapshot): void {
    this.processPending = [...s.processPending];
    this.threadPending.clear();
    for (const [tid, q] of s.threadPending) this.threadPending.set(tid, [...q]);
    replace(this.altStacks, s.altStacks);
    replace(this.suspendMasks, s.suspendMasks);
    replace(this.restarts, s.restarts);
    this.timers = s.timers.map((t) => ({ ...t }));
    this.nextTimerId = s.nextTimerId;
  }

  /** A thread exited: what was pending for it alone goes with it. */
  forget(tid: number): void {
    this.threadPending.delete(tid);
    this.altStacks.delete(tid);
    this.suspendMasks.delete(tid);
    this.restarts.delete(tid);
  }

  private queueOf(tid: number): SignalInfo[] {
    let q = this.threadPending.get(tid);
    if (!q) this.threadPending.set(tid, (q = []));
    return q;
  }

  /**
   * A process-directed signal is for its chosen thread while that thread lives and does not block
   * it; after that (it blocked the signal, or exited) any thread that does not block it takes it.
   */
  private mayTake(t: Thread, p: SignalInfo): boolean {
    if (p.taker === undefined || p.taker === t.tid) return true;
    const chosen = this.k.threads.get(p.taker);
    return !chosen || chosen.exited || (chosen.sigmask & sigbit(p.signo)) !== 0n;
  }

  /** The thread that takes `signo` is woken from its wait. */
  private notify(signo: number, taker: Thread): void {
    if (taker.blocked) this.interrupt(taker, signo);
  }

  /** Ends `t`'s wait because of `signo`: sigtimedwait takes it; other waits return or restart (Process finishes that once it knows whether a handler runs). */
  private interrupt(t: Thread, signo: number): void {
    const b = t.blocked!;
    const w = b.wait;
    const bit = sigbit(signo);
    if (w.kind === "signal" && (w.set & bit) !== 0n) {
      const info = this.next(t, true, w.set)!;
      if (w.info !== 0n) this.k.writeUser(w.info, encodeSiginfo(info));
      this.k.threads.wake(t, BigInt(info.signo));
      return;
    }
    if ((t.sigmask & bit) !== 0n || this.ignored(signo)) return;
    // A pipe write that has moved part of its bytes returns that count (no EINTR, no restart).
    const partial = w.kind === "io" ? w.interrupted?.() : undefined;
    if (partial !== undefined) {
      this.k.threads.wake(t, partial);
      return;
    }
    b.onInterrupt?.();
    this.restarts.set(t.tid, { nr: b.nr, interrupt: b.interrupt });
    this.k.threads.wake(t, E.fail(b.interrupt === "eintr" ? E.EINTR : ERESTARTSYS));
  }
}

function replace<K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>): void {
  into.clear();
  for (const [k, v] of from) into.set(k, v);
}
