/**
 * Threads: clone/clone3 for new threads of this process, futexes, sleeping, yielding and exit.
 * A syscall that has to wait blocks its thread (Kernel.reschedule): the run ends right after the
 * syscall instruction and the scheduler runs another thread; the wake puts the result in rax.
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import type { SharedPart } from "../../emu/shared-memory.js";
import type { Blocked, Thread } from "../threads.js";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, TIMER_ABSTIME, type TimedWait } from "../clock.js";
import { forkProcess } from "./processes.js";
import { int, SYSCALL_LENGTH, type SyscallEntry } from "./types.js";

export const CLONE_VM = 0x100n;
const CLONE_FS = 0x200n;
const CLONE_FILES = 0x400n;
const CLONE_SIGHAND = 0x800n;
const CLONE_THREAD = 0x10000n;
const CLONE_SYSVSEM = 0x40000n;
export const CLONE_SETTLS = 0x80000n;
export const CLONE_PARENT_SETTID = 0x100000n;
export const CLONE_CHILD_CLEARTID = 0x200000n;
const CLONE_DETACHED = 0x400000n;
export const CLONE_CHILD_SETTID = 0x1000000n;
/** What a new thread of this process may ask for: everything shared, tid and TLS bookkeeping. */
const THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID;
const CSIGNAL = 0xffn;

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_LOCK_PI = 6;
const FUTEX_UNLOCK_PI = 7;
const FUTEX_TRYLOCK_PI = 8;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_LOCK_PI2 = 13;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

const FUTEX_NR = 202;

interface CloneRequest {
  flags: bigint;
  stack: bigint;
  parentTid: bigint;
  childTid: bigint;
  tls: bigint;
}

function clone(k: Kernel, req: CloneRequest): bigint {
  if ((req.flags & CLONE_THREAD) === 0n) return forkProcess(k, req);
  if ((req.flags & ~(THREAD_FLAGS | CSIGNAL)) !== 0n || (req.flags & (CLONE_VM | CLONE_SIGHAND)) !== (CLONE_VM | CLONE_SIGHAND)) {
    k.warnOnce("clone-flags", `clone with flags 0x${req.flags.toString(16)}: a thread must share memory and signal handlers (CLONE_VM|CLONE_SIGHAND) and use no namespace flags; it failed with EINVAL`);
    return E.fail(E.EINVAL);
  }
  const parent = k.thread;
  const child = k.threads.create(parent);
  // The child starts with the parent's registers as the syscall leaves them, except for rax (0),
  // its stack and its TLS.
  const ctx = k.cpu.saveContext();
  ctx.setReg("rip", k.cpu.reg("rip") + SYSCALL_LENGTH);
  ctx.setReg("rax", 0n);
  if (req.stack !== 0n) ctx.setReg("rsp", req.stack);
  if (req.flags & CLONE_SETTLS) ctx.setReg("fs_base", req.tls);
  child.context = ctx;
  if (req.flags & CLONE_CHILD_CLEARTID) child.clearChildTid = req.childTid;
  if (req.flags & CLONE_PARENT_SETTID && !k.writeU32(req.parentTid, child.tid)) return undoClone(k, child);
  if (req.flags & CLONE_CHILD_SETTID && !k.writeU32(req.childTid, child.tid)) return undoClone(k, child);
  child.quantumLeft = 0; // it runs when the scheduler gives it a turn
  k.options.onThread?.({ kind: "started", tid: child.tid });
  return BigInt(child.tid);
}

function undoClone(k: Kernel, child: Thread): bigint {
  k.threads.remove(child);
  return E.fail(E.EFAULT);
}

function clone3(k: Kernel, a: readonly bigint[]): bigint {
  const size = Number(a[1]!);
  if (size < 64) return E.fail(E.EINVAL);
  const args = k.readUser(a[0]!, 64);
  if (!args) return E.fail(E.EFAULT);
  const v = new DataView(args.buffer);
  const u = (i: number) => v.getBigUint64(i * 8, true);
  const stack = u(5) === 0n ? 0n : u(5) + u(6); // clone3 names the stack by its lowest byte and size
  return clone(k, { flags: u(0) | (u(4) & CSIGNAL), stack, parentTid: u(3), childTid: u(2), tls: u(7) });
}

/** exit: the thread ends; the last one ends the process. */
function exitThread(k: Kernel, status: bigint): bigint {
  const t = k.thread;
  if (k.threads.live().length === 1) return exitGroup(k, status);
  exitRobustList(k, t);
  if (t.clearChildTid !== 0n && k.writeU32(t.clearChildTid, 0)) wake(k, t.clearChildTid, 1, FUTEX_BITSET_MATCH_ANY);
  k.threads.remove(t);
  k.options.onThread?.({ kind: "exited", tid: t.tid });
  k.reschedule();
  return 0n;
}

const FUTEX_WAITERS = 0x8000_0000;
const FUTEX_OWNER_DIED = 0x4000_0000;
const FUTEX_TID_MASK = 0x3fff_ffff;
/** The kernel walks at most this many robust list entries (ROBUST_LIST_LIMIT). */
const ROBUST_LIST_LIMIT = 2048;

/**
 * A thread's exit, as Linux's exit_robust_list: every robust mutex on its list (struct
 * robust_list_head { next; futex_offset; list_op_pending }) that it still owns is marked
 * FUTEX_OWNER_DIED and one waiter woken, so the next locker gets EOWNERDEAD instead of waiting for ever.
 */
function exitRobustList(k: Kernel, t: Thread): void {
  const head = t.robustList;
  if (head === 0n) return;
  const first = k.readU64(head);
  const offset = k.readU64(head + 8n);
  const pending = k.readU64(head + 16n);
  if (first === undefined || offset === undefined || pending === undefined) return;
  const futexOf = (entry: bigint) => BigInt.asUintN(64, (entry & ~1n) + BigInt.asIntN(64, offset));
  let entry = first;
  for (let n = 0; (entry & ~1n) !== head && n < ROBUST_LIST_LIMIT; n++) {
    const next = k.readU64(entry & ~1n);
    if (next === undefined) return;
    if (entry !== pending) futexDeath(k, t, futexOf(entry), (entry & 1n) !== 0n, false);
    entry = next;
  }
  if (pending !== 0n) futexDeath(k, t, futexOf(pending), (pending & 1n) !== 0n, true);
}

/** handle_futex_death: the dead owner's futex word gets OWNER_DIED (waiters kept) and a wake. */
function futexDeath(k: Kernel, t: Thread, address: bigint, pi: boolean, pendingOp: boolean): void {
  if (address & 3n) return;
  const word = k.readU32(address);
  if (word === undefined) return;
  // A lock the thread was about to take (list_op_pending) and nobody holds: wake a waiter, as Linux does.
  if (pendingOp && !pi && word === 0) {
    wake(k, address, 1, FUTEX_BITSET_MATCH_ANY);
    return;
  }
  if ((word & FUTEX_TID_MASK) !== t.tid) return;
  // A PI lock goes straight to its next waiter, marked OWNER_DIED (Linux's exit_pi_state_list).
  if (pi) {
    handOver(k, address, FUTEX_OWNER_DIED);
    return;
  }
  if (!k.writeU32(address, ((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0)) return;
  if (word & FUTEX_WAITERS) wake(k, address, 1, FUTEX_BITSET_MATCH_ANY);
}

function exitGroup(k: Kernel, status: bigint): bigint {
  k.exitStatus = Number(status & 0xffn);
  k.cpu.stop();
  return 0n;
}

/** Blocks the calling thread; its syscall's result comes from the wake or the time-out. */
export function block(k: Kernel, b: Blocked): bigint {
  k.threads.block(k.thread, b);
  k.reschedule();
  return 0n;
}

/** Wakes up to `count` futex waiters on `address`; how many it woke. */
function wake(k: Kernel, address: bigint, count: number, bitset: number): number {
  let woken = 0;
  for (const t of k.threads.waiters(address, bitset)) {
    if (woken >= count) break;
    k.threads.wake(t, 0n);
    woken++;
  }
  return woken;
}

/**
 * The shared memory a process-shared futex word is in (an operation without FUTEX_PRIVATE_FLAG on
 * a MAP_SHARED mapping): its waiters are the segment's, so a wake reaches every process that maps
 * it, as Linux keys such futexes by the page rather than by the address. Undefined: a private one.
 */
function sharedWord(k: Kernel, op: number, uaddr: bigint): SharedPart | undefined {
  if (op & FUTEX_PRIVATE_FLAG) return undefined;
  return k.space.sharedAt(uaddr);
}

/** A futex wait's time-out: FUTEX_WAIT's is relative, WAIT_BITSET's absolute. */
function futexTimeout(k: Kernel, op: number, cmd: number, timeout: bigint): TimedWait | undefined | "bad" {
  if (timeout === 0n) return undefined;
  const ns = k.readTimespec(timeout);
  if (ns === undefined) return "bad";
  if (cmd === FUTEX_WAIT) return k.clock.timedWait(ns);
  return k.clock.timedWaitUntil(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, ns);
}

/** The deadline part of a Blocked for a timed wait (none: it waits for ever). */
function until(k: Kernel, w: TimedWait | undefined): Pick<Blocked, "deadline" | "onTimeout"> {
  return w === undefined ? {} : { deadline: w.deadline, onTimeout: () => k.clock.reach(w.reading) };
}

function futex(k: Kernel, a: readonly bigint[]): bigint {
  const [uaddr, opArg, valArg, timeout, uaddr2, val3Arg] = a as [bigint, bigint, bigint, bigint, bigint, bigint];
  const op = int(opArg);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const val = int(valArg) >>> 0;
  const val3 = int(val3Arg) >>> 0;
  if (uaddr & 3n) return E.fail(E.EINVAL);
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const bitset = cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset === 0) return E.fail(E.EINVAL);
      const word = k.readU32(uaddr);
      if (word === undefined) return E.fail(E.EFAULT);
      if (word !== val) return E.fail(E.EAGAIN);
      const time = futexTimeout(k, op, cmd, timeout);
      if (time === "bad") return E.fail(E.EINVAL);
      const b: Blocked = { wait: { kind: "futex", address: uaddr, bitset }, ...until(k, time), timeoutResult: E.fail(E.ETIMEDOUT), nr: FUTEX_NR, interrupt: "restart" };
      const shared = sharedWord(k, op, uaddr);
      if (shared) {
        const t = k.thread;
        shared.segment.wait({ offset: shared.offset, bitset, waiting: () => t.blocked === b, wake: () => k.threads.wake(t, 0n) });
      }
      return block(k, b);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset === 0) return E.fail(E.EINVAL);
      const shared = sharedWord(k, op, uaddr);
      return BigInt(shared ? shared.segment.wake(shared.offset, val, bitset) : wake(k, uaddr, val, bitset));
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (cmd === FUTEX_CMP_REQUEUE) {
        const word = k.readU32(uaddr);
        if (word === undefined) return E.fail(E.EFAULT);
        if (word !== val3) return E.fail(E.EAGAIN);
      }
      const requeue = Number(BigInt.asUintN(31, timeout)); // val2 travels in the time-out argument
      const woken = wake(k, uaddr, val, FUTEX_BITSET_MATCH_ANY);
      let moved = 0;
      for (const t of k.threads.waiters(uaddr)) {
        if (moved >= requeue) break;
        const w = t.blocked!.wait;
        if (w.kind === "futex") w.address = uaddr2;
        moved++;
      }
      return BigInt(woken + moved);
    }
    case FUTEX_WAKE_OP:
      return wakeOp(k, uaddr, val, Number(BigInt.asUintN(31, timeout)), uaddr2, val3);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      // LOCK_PI's time-out is absolute on CLOCK_REALTIME; LOCK_PI2's on CLOCK_MONOTONIC unless asked.
      const clock = cmd === FUTEX_LOCK_PI || op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      if (cmd === FUTEX_TRYLOCK_PI || timeout === 0n) return lockPi(k, uaddr, cmd === FUTEX_TRYLOCK_PI, undefined);
      const ns = k.readTimespec(timeout);
      return ns === undefined ? E.fail(E.EINVAL) : lockPi(k, uaddr, false, k.clock.timedWaitUntil(clock, ns));
    }
    case FUTEX_UNLOCK_PI:
      return unlockPi(k, uaddr);
    default:
      k.warnOnce(`futex-${cmd}`, `futex operation ${cmd} (${cmd === 11 || cmd === 12 ? "requeueing onto a priority-inheritance futex" : "unknown"}) is not supported; it failed with ENOSYS`);
      return E.fail(E.ENOSYS);
  }
}

/**
 * Priority-inheritance futexes (PTHREAD_PRIO_INHERIT mutexes; glibc also probes for them when it
 * initialises one, and says ENOTSUP without them). The word holds the owner's tid, FUTEX_WAITERS
 * and FUTEX_OWNER_DIED, as on Linux. With one CPU there is no priority to lend: what remains is
 * the hand-over protocol. A PI waiter is a futex wait with an empty bitset, so no FUTEX_WAKE reaches it.
 */
const PI_BITSET = 0;
const EDEADLK = 35;

function piWaiters(k: Kernel, address: bigint): Thread[] {
  return k.threads.blockedThreads().filter((t) => t.blocked?.wait.kind === "futex" && t.blocked.wait.address === address && t.blocked.wait.bitset === PI_BITSET);
}

/** FUTEX_LOCK_PI/LOCK_PI2/TRYLOCK_PI: take a free word (keeping OWNER_DIED), or wait for the owner's hand-over. */
function lockPi(k: Kernel, uaddr: bigint, tryOnly: boolean, time: TimedWait | undefined): bigint {
  const word = k.readU32(uaddr);
  if (word === undefined) return E.fail(E.EFAULT);
  const owner = word & FUTEX_TID_MASK;
  const me = k.thread.tid;
  if (owner === 0) return k.writeU32(uaddr, ((word & FUTEX_OWNER_DIED) | me) >>> 0) ? 0n : E.fail(E.EFAULT);
  if (owner === me) return E.fail(EDEADLK);
  if (!k.threads.get(owner)) return E.fail(E.ESRCH); // owned by a thread that is gone (and not robust)
  if (tryOnly) return E.fail(E.EAGAIN);
  if (!(word & FUTEX_WAITERS) && !k.writeU32(uaddr, (word | FUTEX_WAITERS) >>> 0)) return E.fail(E.EFAULT);
  // The unlock writes our tid into the word before it wakes us (handOver): the wait returns 0.
  return block(k, { wait: { kind: "futex", address: uaddr, bitset: PI_BITSET }, ...until(k, time), timeoutResult: E.fail(E.ETIMEDOUT), nr: FUTEX_NR, interrupt: "restart" });
}

/** FUTEX_UNLOCK_PI: the owner gives the word to the longest waiter, or frees it. */
function unlockPi(k: Kernel, uaddr: bigint): bigint {
  const word = k.readU32(uaddr);
  if (word === undefined) return E.fail(E.EFAULT);
  if ((word & FUTEX_TID_MASK) !== k.thread.tid) return E.fail(E.EPERM);
  return handOver(k, uaddr, 0) ? 0n : E.fail(E.EFAULT);
}

/** The word goes to the longest PI waiter (with FUTEX_WAITERS, as Linux leaves it) or becomes `free`; false when unwritable. */
function handOver(k: Kernel, uaddr: bigint, flags: number): boolean {
  const next = piWaiters(k, uaddr)[0];
  if (!next) return k.writeU32(uaddr, flags >>> 0);
  if (!k.writeU32(uaddr, (next.tid | FUTEX_WAITERS | flags) >>> 0)) return false;
  k.threads.wake(next, 0n);
  return true;
}

/** FUTEX_WAKE_OP: change *uaddr2 by the encoded operation, wake on uaddr, and on uaddr2 if the old value passes the test. */
function wakeOp(k: Kernel, uaddr: bigint, count: number, count2: number, uaddr2: bigint, encoded: number): bigint {
  const shift = (encoded >>> 31) & 1;
  const op = (encoded >>> 28) & 7;
  const cmp = (encoded >>> 24) & 15;
  let oparg = (encoded << 8) >> 20; // 12-bit signed
  const cmparg = (encoded << 20) >> 20;
  if (shift) oparg = 1 << (oparg & 31);
  const old = k.readU32(uaddr2);
  if (old === undefined) return E.fail(E.EFAULT);
  const next = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op];
  if (next === undefined) return E.fail(E.ENOSYS);
  if (!k.writeU32(uaddr2, next)) return E.fail(E.EFAULT);
  const o = old | 0;
  const pass = [o === cmparg, o !== cmparg, o < cmparg, o <= cmparg, o > cmparg, o >= cmparg][cmp];
  if (pass === undefined) return E.fail(E.ENOSYS);
  let woken = wake(k, uaddr, count, FUTEX_BITSET_MATCH_ANY);
  if (pass) woken += wake(k, uaddr2, count2, FUTEX_BITSET_MATCH_ANY);
  return BigInt(woken);
}

/** nanosleep/clock_nanosleep: the thread waits until the deadline (idle time is skipped, see clock.ts). */
function sleep(k: Kernel, nr: number, clock: number, flags: number, req: bigint, rem: bigint): bigint {
  if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== 7 /* BOOTTIME */) return E.fail(E.EINVAL);
  const ns = k.readTimespec(req);
  if (ns === undefined) return k.readUser(req, 16) ? E.fail(E.EINVAL) : E.fail(E.EFAULT);
  const absolute = (flags & TIMER_ABSTIME) !== 0;
  const time = absolute ? k.clock.timedWaitUntil(clock, ns) : k.clock.timedWait(ns);
  // Interrupted by a handled signal, a relative sleep tells how long it had left (an absolute one need not).
  const onInterrupt = rem === 0n || absolute ? undefined : () => writeTimespec(k, rem, time.deadline > k.clock.now ? time.deadline - k.clock.now : 0n);
  return block(k, { wait: { kind: "sleep" }, ...until(k, time), onInterrupt, timeoutResult: 0n, nr, interrupt: "eintr-if-handled" });
}

function writeTimespec(k: Kernel, at: bigint, ns: bigint): void {
  k.writeU64(at, ns / 1_000_000_000n);
  k.writeU64(at + 8n, ns % 1_000_000_000n);
}

function yieldTurn(k: Kernel): bigint {
  k.thread.quantumLeft = 0;
  k.reschedule();
  return 0n;
}

function setRobustList(k: Kernel, head: bigint, length: bigint): bigint {
  if (length !== 24n) return E.fail(E.EINVAL); // sizeof(struct robust_list_head)
  k.thread.robustList = head;
  k.thread.robustListLength = length;
  return 0n;
}

export const threadSyscalls: Record<number, SyscallEntry> = {
  24: { name: "sched_yield", handler: yieldTurn },
  35: { name: "nanosleep", handler: (k, a) => sleep(k, 35, CLOCK_MONOTONIC, 0, a[0]!, a[1]!) },
  56: { name: "clone", handler: (k, a) => clone(k, { flags: a[0]!, stack: a[1]!, parentTid: a[2]!, childTid: a[3]!, tls: a[4]! }) },
  60: { name: "exit", handler: (k, a) => exitThread(k, a[0]!) },
  186: { name: "gettid", handler: (k) => BigInt(k.thread.tid) },
  202: { name: "futex", handler: futex },
  218: { name: "set_tid_address", handler: (k, a) => ((k.thread.clearChildTid = a[0]!), BigInt(k.thread.tid)) },
  230: { name: "clock_nanosleep", handler: (k, a) => sleep(k, 230, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  231: { name: "exit_group", handler: (k, a) => exitGroup(k, a[0]!) },
  273: { name: "set_robust_list", handler: (k, a) => setRobustList(k, a[0]!, a[1]!) },
  274: { name: "get_robust_list", handler: (k, a) => getRobustList(k, int(a[0]!), a[1]!, a[2]!) },
  435: { name: "clone3", handler: clone3 },
};

function getRobustList(k: Kernel, tid: number, headOut: bigint, lenOut: bigint): bigint {
  const t = tid === 0 ? k.thread : k.threads.get(tid);
  if (!t) return E.fail(E.ESRCH);
  return k.writeU64(headOut, t.robustList) && k.writeU64(lenOut, t.robustListLength) ? 0n : E.fail(E.EFAULT);
}
