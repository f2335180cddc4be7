/**
 * Nice value, scheduling policy and priority, affinity and I/O priority (scheduling.ts): a process
 * starts with jitdbg's nice value, under SCHED_OTHER at priority 0, and may run on the CPUs the
 * program's native run would see (the host's), so nproc and thread pools size as natively; what
 * it sets (nice, chrt, taskset, ionice) reads back, with Linux's checks, and changes nothing of
 * how jitdbg's own scheduler takes the turns.
 */
import { availableParallelism } from "node:os";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { SCHED_RESET_ON_FORK } from "../scheduling.js";
import { hostStatusField, readHostProc } from "./host-proc.js";
import { limitOf } from "./rlimits.js";
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
  return t < 0 ? E.fail(-t) : BigInt(k.scheduling.policy);
}

function getparam(k: Kernel, pid: number, out: bigint): bigint {
  if (out === 0n) return E.fail(E.EINVAL);
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  return k.writeU32(out, k.scheduling.priority) ? 0n : E.fail(E.EFAULT); // sched_priority
}

/**
 * sched_setscheduler (policy >= 0) and sched_setparam (policy -1: the current one): the priority
 * in the policy's range (EINVAL), a real-time policy for root only (EPERM; no RLIMIT_RTPRIO
 * grant), SCHED_DEADLINE only through sched_setattr (EINVAL), as __sched_setscheduler checks.
 */
function setscheduler(k: Kernel, pid: number, policyArg: number, paramAt: bigint): bigint {
  if (paramAt === 0n || pid < 0) return E.fail(E.EINVAL);
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  const priority = k.readU32(paramAt);
  if (priority === undefined) return E.fail(E.EFAULT);
  const current = k.scheduling.policy;
  const resetOnFork = policyArg < 0 ? current & SCHED_RESET_ON_FORK : policyArg & SCHED_RESET_ON_FORK;
  const policy = policyArg < 0 ? current & ~SCHED_RESET_ON_FORK : policyArg & ~SCHED_RESET_ON_FORK;
  const realtime = policy === SCHED_FIFO || policy === SCHED_RR;
  if (!realtime && policy !== SCHED_OTHER && policy !== SCHED_BATCH && policy !== SCHED_IDLE) return E.fail(E.EINVAL);
  if (realtime ? priority < 1 || BigInt(priority) > RT_PRIORITY_MAX : priority !== 0) return E.fail(E.EINVAL);
  if (realtime && !k.credentials.privileged) return E.fail(E.EPERM);
  k.scheduling = { ...k.scheduling, policy: policy | resetOnFork, priority };
  return 0n;
}

/** sched_setaffinity: the mask (as much of it as fits nr_cpu_ids) within the CPUs the process may use; none of them: EINVAL. */
function setaffinity(k: Kernel, pid: number, len: bigint, at: bigint): bigint {
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  const bytes = Math.ceil(possibleCpus() / 64) * 8;
  const given = k.readUser(at, Number(len < BigInt(bytes) ? len : BigInt(bytes)));
  if (!given) return E.fail(E.EFAULT);
  const allowed = allowedMask(bytes);
  const mask = new Uint8Array(bytes);
  for (let i = 0; i < given.length; i++) mask[i] = given[i]! & allowed[i]!;
  if (mask.every((b) => b === 0)) return E.fail(E.EINVAL);
  k.scheduling = { ...k.scheduling, affinity: mask };
  return 0n;
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
 * sched_getaffinity: what sched_setaffinity set, else the host's allowed CPUs. Returns the bytes written, a whole number of longs
 * covering nr_cpu_ids (Linux's size with an off-stack cpumask, Debian's configuration); a buffer
 * shorter than nr_cpu_ids bits, or not a whole number of longs, is EINVAL.
 */
function getaffinity(k: Kernel, pid: number, len: bigint, out: bigint): bigint {
  const t = target(k, pid);
  if (t < 0) return E.fail(-t);
  const cpus = possibleCpus();
  if (len * 8n < BigInt(cpus) || (len & 7n) !== 0n) return E.fail(E.EINVAL);
  const bytes = Math.ceil(cpus / 64) * 8;
  return k.writeUser(out, k.scheduling.affinity ?? allowedMask(bytes)) ? BigInt(bytes) : E.fail(E.EFAULT);
}

/** What a getpriority/setpriority `which` (PRIO_PROCESS, PRIO_PGRP, PRIO_USER) and an ioprio_set one (IOPRIO_WHO_*, one more) name. */
type Scope = "process" | "group" | "user";
const PRIO_SCOPES: readonly Scope[] = ["process", "group", "user"];
const IOPRIO_SCOPES: readonly (Scope | undefined)[] = [undefined, "process", "group", "user"];

/**
 * Whether `who` of a scope names this process (0: the caller's own): itself or one of its
 * threads, its process group (the emulated process leads its own), its user (its real uid);
 * else ESRCH, and EINVAL for no scope. The values are the process's: Linux keeps them per thread,
 * set mostly for the whole process (nice(1), setpriority of 0) by single-threaded programs.
 */
function scopeError(k: Kernel, scope: Scope | undefined, who: number): number {
  if (scope === undefined) return E.EINVAL;
  if (who === 0) return 0;
  switch (scope) {
    case "process":
      return who === k.pid || k.threads.get(who) ? 0 : E.ESRCH;
    case "group":
      return who === k.pid ? 0 : E.ESRCH;
    case "user":
      return who === k.credentials.uid[0] ? 0 : E.ESRCH;
  }
}

const NICE_MIN = -20;
const NICE_MAX = 19;
const RLIMIT_NICE = 13;

/** getpriority: 20 - nice, as the syscall returns it (glibc turns it back). */
function getpriority(k: Kernel, which: number, who: number): bigint {
  const err = scopeError(k, PRIO_SCOPES[which], who);
  return err ? E.fail(err) : BigInt(20 - k.scheduling.nice);
}

/**
 * setpriority: the nice value, clamped to -20..19 as Linux does; lowering it needs root
 * (CAP_SYS_NICE) or an RLIMIT_NICE that allows it (EACCES).
 */
function setpriority(k: Kernel, which: number, who: number, prio: number): bigint {
  const err = scopeError(k, PRIO_SCOPES[which], who);
  if (err) return E.fail(err);
  const nice = Math.min(NICE_MAX, Math.max(NICE_MIN, prio));
  if (nice < k.scheduling.nice && !k.credentials.privileged && BigInt(20 - nice) > limitOf(k, RLIMIT_NICE)[0]) return E.fail(E.EACCES);
  k.scheduling = { ...k.scheduling, nice };
  return 0n;
}

const IOPRIO_CLASS_SHIFT = 13;
const IOPRIO_CLASS_NONE = 0;
const IOPRIO_CLASS_RT = 1;
const IOPRIO_CLASS_BE = 2;
const IOPRIO_CLASS_IDLE = 3;
/** IOPRIO_NR_LEVELS: the levels of the RT and BE classes. */
const IOPRIO_LEVELS = 8;

/** ioprio_set: the class and level checked as ioprio_check_cap does (the real-time class for root only). */
function ioprioSet(k: Kernel, which: number, who: number, ioprio: number): bigint {
  const err = scopeError(k, IOPRIO_SCOPES[which], who);
  if (err) return E.fail(err);
  const cls = (ioprio >>> IOPRIO_CLASS_SHIFT) & 0x7;
  // The level is the data's low 3 bits (IOPRIO_PRIO_LEVEL, Linux 6.5 on); the bits above it are hints, which Linux takes as they are.
  const level = ioprio & (IOPRIO_LEVELS - 1);
  if (ioprio >>> 16 !== 0) return E.fail(E.EINVAL);
  switch (cls) {
    case IOPRIO_CLASS_RT:
      if (!k.credentials.privileged) return E.fail(E.EPERM);
      break;
    case IOPRIO_CLASS_BE:
    case IOPRIO_CLASS_IDLE:
      break;
    case IOPRIO_CLASS_NONE:
      if (level !== 0) return E.fail(E.EINVAL);
      break;
    default:
      return E.fail(E.EINVAL);
  }
  k.scheduling = { ...k.scheduling, ioprio };
  return 0n;
}

function ioprioGet(k: Kernel, which: number, who: number): bigint {
  const err = scopeError(k, IOPRIO_SCOPES[which], who);
  return err ? E.fail(err) : BigInt(k.scheduling.ioprio);
}

export const schedSyscalls: Record<number, SyscallEntry> = {
  140: { name: "getpriority", handler: (k, a) => getpriority(k, int(a[0]!), int(a[1]!)) },
  141: { name: "setpriority", handler: (k, a) => setpriority(k, int(a[0]!), int(a[1]!), int(a[2]!)) },
  251: { name: "ioprio_set", handler: (k, a) => ioprioSet(k, int(a[0]!), int(a[1]!), int(a[2]!)) },
  252: { name: "ioprio_get", handler: (k, a) => ioprioGet(k, int(a[0]!), int(a[1]!)) },
  142: { name: "sched_setparam", handler: (k, a) => setscheduler(k, int(a[0]!), -1, a[1]!) },
  143: { name: "sched_getparam", handler: (k, a) => getparam(k, int(a[0]!), a[1]!) },
  144: { name: "sched_setscheduler", handler: (k, a) => (int(a[1]!) < 0 ? E.fail(E.EINVAL) : setscheduler(k, int(a[0]!), int(a[1]!), a[2]!)) },
  145: { name: "sched_getscheduler", handler: (k, a) => getscheduler(k, int(a[0]!)) },
  146: { name: "sched_get_priority_max", handler: (_k, a) => priorityLimit(int(a[0]!), true) },
  147: { name: "sched_get_priority_min", handler: (_k, a) => priorityLimit(int(a[0]!), false) },
  203: { name: "sched_setaffinity", handler: (k, a) => setaffinity(k, int(a[0]!), a[1]!, a[2]!) },
  204: { name: "sched_getaffinity", handler: (k, a) => getaffinity(k, int(a[0]!), a[1]!, a[2]!) },
};
