/**
 * How a process asked to be scheduled: its nice value, policy and real-time priority, the CPUs it
 * may run on, its I/O priority. jitdbg's own scheduler takes the turns whatever these say (nothing
 * here changes them); they are kept so that what a program sets reads back as on Linux, and a
 * child inherits them. Linux keeps them per thread; here per process, which is what programs set
 * them for (nice, chrt, taskset and ionice on a command, setpriority of 0).
 */
import { getPriority } from "node:os";

export interface Scheduling {
  readonly nice: number;
  /** SCHED_OTHER, SCHED_FIFO...; with SCHED_RESET_ON_FORK's bit when it was asked for. */
  readonly policy: number;
  /** sched_priority: 1..99 for the real-time policies, else 0. */
  readonly priority: number;
  /** The CPU mask set with sched_setaffinity (nr_cpu_ids bits, whole longs); undefined: the host's. */
  readonly affinity: Uint8Array | undefined;
  /** ioprio_set's value (class << 13 | data); 0: none set (IOPRIO_CLASS_NONE). */
  readonly ioprio: number;
}

/** A launched process's: jitdbg's nice value (the native run has its shell's), SCHED_OTHER, the host's CPUs, no I/O priority. */
export function launchScheduling(): Scheduling {
  return { nice: getPriority(), policy: 0, priority: 0, affinity: undefined, ioprio: 0 };
}

/** SCHED_RESET_ON_FORK: a forked child does not inherit a real-time policy nor a negative nice value. */
export const SCHED_RESET_ON_FORK = 0x40000000;
const SCHED_FIFO = 1;
const SCHED_RR = 2;

/** What a forked child gets of its parent's scheduling (sched_fork): with reset-on-fork, SCHED_OTHER at nice 0 for a real-time parent, else a nice value no lower than 0, and the flag cleared. */
export function resetOnFork(s: Scheduling): Scheduling {
  if ((s.policy & SCHED_RESET_ON_FORK) === 0) return s;
  const policy = s.policy & ~SCHED_RESET_ON_FORK;
  if (policy === SCHED_FIFO || policy === SCHED_RR) return { ...s, policy: 0, priority: 0, nice: 0 };
  return { ...s, policy, nice: Math.max(0, s.nice) };
}
