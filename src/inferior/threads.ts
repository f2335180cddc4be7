/**
 * The threads of the emulated process. They share one CPU: the running thread's registers are
 * the CPU's, every other thread's are a saved context. A thread is runnable, blocked (a futex
 * wait or a sleep, optionally until a deadline on the scheduler's clock) or gone.
 */
import type { CpuContext } from "../emu/cpu.js";

export type Wait =
  /** FUTEX_WAIT/WAIT_BITSET on `address` for wakes whose bitset meets `bitset`. */
  | { kind: "futex"; address: bigint; bitset: number }
  /** nanosleep/clock_nanosleep: only the deadline (or a signal) ends it. */
  | { kind: "sleep" }
  /** pause, sigsuspend (set 0: any signal with a handler), rt_sigtimedwait (those in `set`, taken without a handler). */
  | { kind: "signal"; set: bigint; info: bigint }
  /** A pipe, eventfd or poll/select/epoll wait: `retry` is asked again whenever the descriptors change (syscalls/pipes.ts ioChanged). */
  | IoWait;

/**
 * Waiting for descriptors (a read of an empty pipe, a write to a full one, poll): the transfer or
 * the readiness check runs again each time something changes, in whichever thread changed it.
 */
export interface IoWait {
  kind: "io";
  /** What it waits for, for thread lists and deadlock reports ("read of pipe fd 3"). */
  what: string;
  /**
   * Whether the syscall could finish now. When it can, the thread is woken to run it again —
   * as Linux's wait loop does once the thread is scheduled, so what it reads is what is there
   * when it runs (a writer that goes on writing meanwhile adds to it). Absent, or for the thread
   * in the CPU (whose rip cannot move from a syscall), `retry` finishes it in place instead.
   * May tidy up first (ppoll's mask goes back, since the call sets it again).
   */
  again?: () => boolean;
  /**
   * Finishes the syscall in place: undefined while it still cannot finish; `done` with its result (and
   * what to do once the thread is woken, such as SIGPIPE); `still` when part of it happened (a
   * write that moved some bytes) and the rest waits — a new wait, so a snapshot keeps the old one.
   */
  retry: () => IoRetry;
  /**
   * What a signal that interrupts the wait makes the syscall return, when not EINTR or a restart:
   * a pipe write that has written part returns that count, as Linux's pipe_write does (for
   * Signals.interrupt to ask; undefined: the usual EINTR or restart).
   */
  interrupted?: () => bigint | undefined;
}

export type IoRetry = { done: bigint; then?: () => void } | { still: IoWait } | undefined;

export interface Blocked {
  wait: Wait;
  /** On the scheduler's clock (SchedulerClock.now); undefined waits for ever. */
  deadline?: bigint;
  /** rax when the deadline passes first (-ETIMEDOUT for a futex, 0 for a sleep). */
  timeoutResult: bigint;
  /** Runs when the deadline ends the wait. */
  onTimeout?: () => void;
  /** Runs when a signal ends the wait early (nanosleep writes the time left to its rem). */
  onInterrupt?: () => void;
  /** The syscall number, to restart it after a signal handler (SA_RESTART) or a signal without one. */
  nr: number;
  /** What a signal that interrupts the wait makes it return (the kernel's ERESTART* codes). */
  interrupt: "restart" | "eintr-if-handled" | "eintr";
}

export class Thread {
  /** Saved registers while the thread is not the one in the CPU. */
  context: CpuContext | undefined;
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed and futex-woken when the thread exits. */
  clearChildTid = 0n;
  robustList = 0n;
  robustListLength = 0n;
  sigmask: bigint;
  /** prctl PR_SET_NAME's name (TASK_COMM_LEN bytes, NUL-padded). */
  comm: Uint8Array;
  blocked: Blocked | undefined;
  /** rax to hand back when the thread next runs (a wake's result), if any. */
  resumeResult: bigint | undefined;
  exited = false;
  /** Block entries left of this thread's turn. */
  quantumLeft = 0;

  constructor(
    readonly tid: number,
    comm: Uint8Array,
    sigmask: bigint,
  ) {
    this.comm = comm.slice();
    this.sigmask = sigmask;
  }

  get name(): string {
    const end = this.comm.indexOf(0);
    return Buffer.from(this.comm.subarray(0, end < 0 ? this.comm.length : end)).toString("utf8");
  }

  get runnable(): boolean {
    return !this.exited && this.blocked === undefined;
  }

  /** Ends the wait: the thread runs on with `result` in rax. */
  wake(result: bigint): void {
    this.blocked = undefined;
    this.resumeResult = result;
  }
}

/** What a call into the program may change of the threads (KernelState). */
export interface ThreadsSnapshot {
  readonly tids: readonly number[];
  readonly nextTid: number;
  readonly current: number;
  readonly waiting: readonly number[];
  readonly state: ReadonlyMap<number, { clearChildTid: bigint; sigmask: bigint; comm: Uint8Array; blocked: Blocked | undefined; resumeResult: bigint | undefined; exited: boolean; quantumLeft: number; rip: bigint | undefined }>;
}

/** Every thread of the process, in creation order, and which one is in the CPU. */
export class ThreadTable {
  private readonly all: Thread[] = [];
  private nextTid: number;
  /** The thread whose registers are in the CPU. */
  current: Thread;

  constructor(
    readonly pid: number,
    comm: Uint8Array,
  ) {
    this.current = new Thread(pid, comm, 0n);
    this.all.push(this.current);
    this.nextTid = pid + 1;
  }

  /** Threads not yet gone, in creation order. */
  live(): Thread[] {
    return this.all.filter((t) => !t.exited);
  }

  get(tid: number): Thread | undefined {
    return this.all.find((t) => t.tid === tid && !t.exited);
  }

  /** A new thread inheriting `parent`'s name and mask (clone). */
  create(parent: Thread): Thread {
    const t = new Thread(this.nextTid++, parent.comm, parent.sigmask);
    this.all.push(t);
    return t;
  }

  /** Futex waiters on `address` whose bitset meets `bitset`, longest waiting first. */
  waiters(address: bigint, bitset = 0xffff_ffff): Thread[] {
    return this.waitQueue.filter((t) => t.blocked?.wait.kind === "futex" && t.blocked.wait.address === address && (t.blocked.wait.bitset & bitset) !== 0);
  }

  /** Blocks the current thread (its syscall returns when woken or at the deadline). */
  block(t: Thread, b: Blocked): void {
    t.blocked = b;
    this.waitQueue.push(t);
  }

  /** Wakes `t` with `result` in rax and takes it off the wait queue. */
  wake(t: Thread, result: bigint): void {
    t.wake(result);
    const i = this.waitQueue.indexOf(t);
    if (i >= 0) this.waitQueue.splice(i, 1);
  }

  /**
   * Takes `t` out of its wait for a while (an expression call runs code on it); the returned
   * function puts the wait back where it was in the queue.
   */
  setWaitAside(t: Thread): () => void {
    const b = t.blocked;
    if (!b) return () => {};
    const i = this.waitQueue.indexOf(t);
    t.blocked = undefined;
    this.waitQueue.splice(i, 1);
    return () => {
      const again = this.waitQueue.indexOf(t); // the call itself blocked: that wait is the call's, not the thread's
      if (again >= 0) this.waitQueue.splice(again, 1);
      t.blocked = b;
      this.waitQueue.splice(Math.min(i, this.waitQueue.length), 0, t);
    };
  }

  /** Marks `t` gone; its context is freed. */
  remove(t: Thread): void {
    t.exited = true;
    t.blocked = undefined;
    const i = this.waitQueue.indexOf(t);
    if (i >= 0) this.waitQueue.splice(i, 1);
    if (t !== this.current) {
      t.context?.free();
      t.context = undefined;
    }
  }

  /** Blocked threads in the order they blocked (futex wake order is FIFO, as on Linux). */
  private readonly waitQueue: Thread[] = [];

  blockedThreads(): readonly Thread[] {
    return this.waitQueue;
  }

  snapshot(): ThreadsSnapshot {
    const state = new Map<number, ThreadsSnapshot["state"] extends ReadonlyMap<number, infer V> ? V : never>();
    // A saved context's rip too: an io wait's wake moves it back onto the syscall (IoWait.again).
    for (const t of this.all) {
      const rip = t !== this.current && !t.exited ? t.context?.reg("rip") : undefined;
      state.set(t.tid, { clearChildTid: t.clearChildTid, sigmask: t.sigmask, comm: t.comm.slice(), blocked: t.blocked, resumeResult: t.resumeResult, exited: t.exited, quantumLeft: t.quantumLeft, rip });
    }
    return { tids: this.all.map((t) => t.tid), nextTid: this.nextTid, current: this.current.tid, waiting: this.waitQueue.map((t) => t.tid), state };
  }

  /** Puts threads back as they were: threads created since are dropped, states and the wait queue restored. */
  restore(s: ThreadsSnapshot): void {
    for (const t of this.all.splice(0)) {
      if (s.tids.includes(t.tid)) this.all.push(t);
      else if (t !== this.current) t.context?.free();
    }
    this.nextTid = s.nextTid;
    this.waitQueue.length = 0;
    for (const t of this.all) {
      const st = s.state.get(t.tid)!;
      Object.assign(t, { clearChildTid: st.clearChildTid, sigmask: st.sigmask, comm: st.comm.slice(), blocked: st.blocked, resumeResult: st.resumeResult, exited: st.exited, quantumLeft: st.quantumLeft });
      if (st.rip !== undefined && t.tid !== s.current && t.context) t.context.setReg("rip", st.rip);
    }
    for (const tid of s.waiting) this.waitQueue.push(this.all.find((t) => t.tid === tid)!);
    this.current = this.all.find((t) => t.tid === s.current)!;
  }
}
