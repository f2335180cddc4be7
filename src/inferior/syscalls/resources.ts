/**
 * What a process asks about its own resources: umask, CPU time (getrusage, times) and its
 * nice value (getpriority, setpriority; credentials: credentials.ts). CPU time is the emulated one —
 * the blocks this process has executed, at the scheduler clock's rate — so it follows the program
 * and not the host's load; the system time is 0, since the kernel work is jitdbg's.
 */
import * as E from "../errno.js";
import { CLOCK_MONOTONIC, NS_PER_BLOCK } from "../clock.js";
import type { Kernel } from "../kernel.js";
import { limitOf } from "./rlimits.js";
import { int, type SyscallEntry } from "./types.js";

const RUSAGE_SELF = 0;
const RUSAGE_CHILDREN = -1;
const RUSAGE_THREAD = 1;
/** sizeof(struct rusage): two timevals and fourteen longs. */
const RUSAGE_SIZE = 144;
/** times(2) counts in USER_HZ ticks, 100 a second on x86-64. */
const NS_PER_TICK = 10_000_000n;
const PRIO_PROCESS = 0;
const PRIO_PGRP = 1;
const PRIO_USER = 2;
const NICE_MIN = -20;
const NICE_MAX = 19;
const RLIMIT_NICE = 13;

/** The process's CPU time in nanoseconds: the blocks it executed (all its threads'). */
export function cpuTime(k: Kernel): bigint {
  return k.cpu.blockCount * NS_PER_BLOCK;
}

function umask(k: Kernel, mask: bigint): bigint {
  const old = k.umask;
  k.umask = Number(mask & 0o777n);
  return BigInt(old);
}

/**
 * getrusage: user time and the largest resident size (here the mapped bytes, an upper bound of
 * what Linux counts); children's usage is not gathered, so RUSAGE_CHILDREN reports zeros.
 */
function getrusage(k: Kernel, who: number, out: bigint): bigint {
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) return E.fail(E.EINVAL);
  const b = new Uint8Array(RUSAGE_SIZE);
  if (who !== RUSAGE_CHILDREN) {
    const v = new DataView(b.buffer);
    const us = cpuTime(k) / 1000n;
    v.setBigInt64(0, us / 1_000_000n, true); // ru_utime
    v.setBigInt64(8, us % 1_000_000n, true);
    const mapped = k.space.list().reduce((n, r) => n + (r.end - r.start), 0n);
    v.setBigInt64(32, mapped / 1024n, true); // ru_maxrss, in KiB
  }
  return k.writeUser(out, b) ? 0n : E.fail(E.EFAULT);
}

/** times: the process's ticks (user, system, children's two), and the ticks since boot. */
function times(k: Kernel, out: bigint): bigint {
  if (out !== 0n) {
    const b = new Uint8Array(32);
    new DataView(b.buffer).setBigInt64(0, cpuTime(k) / NS_PER_TICK, true);
    if (!k.writeUser(out, b)) return E.fail(E.EFAULT);
  }
  return k.clock.reading(CLOCK_MONOTONIC) / NS_PER_TICK;
}

/**
 * Whether getpriority/setpriority's `which` and `who` name this process: itself or one of its
 * threads, its process group (0; the emulated process leads its own), its user (0 or its real
 * uid). The nice value is the process's: Linux keeps one per thread, set mostly for the whole
 * process (nice(1), setpriority of 0) by single-threaded programs.
 */
function targets(k: Kernel, which: number, who: number): number {
  if (which < PRIO_PROCESS || which > PRIO_USER) return E.EINVAL;
  if (which === PRIO_PROCESS && who !== 0 && who !== k.pid && !k.threads.get(who)) return E.ESRCH;
  if (which === PRIO_PGRP && who !== 0 && who !== k.pid) return E.ESRCH;
  if (which === PRIO_USER && who !== 0 && who !== k.credentials.uid[0]) return E.ESRCH;
  return 0;
}

/** getpriority: 20 - nice, as the syscall returns it (glibc turns it back). */
function getpriority(k: Kernel, which: number, who: number): bigint {
  const err = targets(k, which, who);
  return err ? E.fail(err) : BigInt(20 - k.scheduling.nice);
}

/**
 * setpriority: the nice value, clamped to -20..19 as Linux does; lowering it needs root
 * (CAP_SYS_NICE) or an RLIMIT_NICE that allows it (EACCES).
 */
function setpriority(k: Kernel, which: number, who: number, prio: number): bigint {
  const err = targets(k, which, who);
  if (err) return E.fail(err);
  const nice = Math.min(NICE_MAX, Math.max(NICE_MIN, prio));
  if (nice < k.scheduling.nice && !k.credentials.privileged && BigInt(20 - nice) > limitOf(k, RLIMIT_NICE)[0]) return E.fail(E.EACCES);
  k.scheduling = { ...k.scheduling, nice };
  return 0n;
}

export const resourceSyscalls: Record<number, SyscallEntry> = {
  95: { name: "umask", handler: (k, a) => umask(k, a[0]!) },
  98: { name: "getrusage", handler: (k, a) => getrusage(k, int(a[0]!), a[1]!) },
  100: { name: "times", handler: (k, a) => times(k, a[0]!) },
  140: { name: "getpriority", handler: (k, a) => getpriority(k, int(a[0]!), int(a[1]!)) },
  141: { name: "setpriority", handler: (k, a) => setpriority(k, int(a[0]!), int(a[1]!), int(a[2]!)) },
};
