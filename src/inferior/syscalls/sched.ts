/**
 * Scheduling queries: every thread runs under SCHED_OTHER at static priority 0 (jitdbg's own
 * scheduler takes the turns, and nothing a program sets changes them), and may run on the CPUs
 * the program's native run would see (the host's), so nproc and thread pools size as natively.
 */
import { availableParallelism } from "node:os";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { hostStatusField, readHostProc } from "./host-proc.js";
import { int, type SyscallEntry } from "./types.js";

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const SCHED_DEADLINE = 6;
/** The real-time policies' priority range (MAX_RT_PRIO - 1); the others have only 0. */
const RT_PRIORITY_MAX = 99n;

/** The thread `pid` names (0: the caller), or a negative errno as Linux's find_process_by_pid gives it. */
function target(k: Kernel, pid: number): number {
  if (pid < 0) return -E.EINVAL;
  if (pid === 0 || k.threads.get(pid)) return 0;
  return -E.ESRCH;
}

function getscheduler(k: Kernel, pid: number): bigint {
  const t = target(k, pid);
  return t < 0 ? E.fail(-t) : BigInt(SCHED_OTHER);
}

function getparam(k: Kernel, pid: number, out: bigint): bigint {
  if (out === 0n) return E.fail(E.EINVAL);
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  return k.writeU32(out, 0) ? 0n : E.fail(E.EFAULT); // sched_priority
}

function priorityLimit(policy: number, max: boolean): bigint {
  switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
      return max ? RT_PRIORITY_MAX : 1n;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
    case SCHED_DEADLINE:
      return 0n;
    default:
      return E.fail(E.EINVAL);
  }
}

/** CPU numbers the host can have (nr_cpu_ids: /sys/devices/system/cpu/possible's last + 1). */
function possibleCpus(): number {
  const last = readHostProc("/sys/devices/system/cpu/possible")?.trim().split(/[-,]/).pop();
  return last === undefined || last === "" ? availableParallelism() : Number(last) + 1;
}

/** The CPUs jitdbg may run on, which the native run inherits alike (Cpus_allowed: 32-bit hex groups, high first). */
function allowedMask(bytes: number): Uint8Array {
  const mask = new Uint8Array(bytes);
  const groups = hostStatusField("Cpus_allowed")?.split(",").reverse();
  if (groups === undefined) {
    for (let c = 0; c < availableParallelism() && c < 8 * bytes; c++) mask[c >> 3] = (mask[c >> 3] ?? 0) | (1 << (c & 7));
    return mask;
  }
  const v = new DataView(mask.buffer);
  groups.forEach((g, i) => 4 * i + 4 <= bytes && v.setUint32(4 * i, parseInt(g, 16), true));
  return mask;
}

/**
 * sched_getaffinity: the host's allowed CPUs. Returns the bytes written, a whole number of longs
 * covering nr_cpu_ids (Linux's size with an off-stack cpumask, Debian's configuration); a buffer
 * shorter than nr_cpu_ids bits, or not a whole number of longs, is EINVAL.
 */
function getaffinity(k: Kernel, pid: number, len: bigint, out: bigint): bigint {
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  const cpus = possibleCpus();
  if (len * 8n < BigInt(cpus) || (len & 7n) !== 0n) return E.fail(E.EINVAL);
  const bytes = Math.ceil(cpus / 64) * 8;
  return k.writeUser(out, allowedMask(bytes)) ? BigInt(bytes) : E.fail(E.EFAULT);
}

export const schedSyscalls: Record<number, SyscallEntry> = {
  143: { name: "sched_getparam", handler: (k, a) => getparam(k, int(a[0]!), a[1]!) },
  145: { name: "sched_getscheduler", handler: (k, a) => getscheduler(k, int(a[0]!)) },
  146: { name: "sched_get_priority_max", handler: (_k, a) => priorityLimit(int(a[0]!), true) },
  147: { name: "sched_get_priority_min", handler: (_k, a) => priorityLimit(int(a[0]!), false) },
  204: { name: "sched_getaffinity", handler: (k, a) => getaffinity(k, int(a[0]!), a[1]!, a[2]!) },
};
