/**
 * What a process asks about its own resources: umask and CPU time (getrusage, times); its
 * credentials are credentials.ts's, its priorities sched.ts's. CPU time is the emulated one — the
 * blocks this process has executed, at the scheduler clock's rate — so it follows the program and
 * not the host's load; the system time is 0, since the kernel work is jitdbg's.
 */
import * as E from "../errno.js";
import { CLOCK_MONOTONIC, NS_PER_BLOCK } from "../clock.js";
import type { Kernel } from "../kernel.js";
import { int, type SyscallEntry } from "./types.js";

const RUSAGE_SELF = 0;
const RUSAGE_CHILDREN = -1;
const RUSAGE_THREAD = 1;
/** sizeof(struct rusage): two timevals and fourteen longs. */
const RUSAGE_SIZE = 144;
/** times(2) counts in USER_HZ ticks, 100 a second on x86-64. */
const NS_PER_TICK = 10_000_000n;

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

export const resourceSyscalls: Record<number, SyscallEntry> = {
  95: { name: "umask", handler: (k, a) => umask(k, a[0]!) },
  98: { name: "getrusage", handler: (k, a) => getrusage(k, int(a[0]!), a[1]!) },
  100: { name: "times", handler: (k, a) => times(k, a[0]!) },
};
