/**
 * Resource limits (getrlimit, setrlimit, prlimit64): the host's, as the program's native run
 * inherits them from the same shell (jitdbg's own, from /proc/self/limits); the limits a program
 * sets are kept in its kernel (a fork or execve keeps them), but for RLIMIT_NOFILE, which the
 * descriptor table enforces and keeps (files.ts). Nothing else is enforced by the emulator.
 */
import * as E from "../errno.js";
import { DEFAULT_NOFILE, type NofileLimit } from "../files.js";
import type { Kernel, RLimit } from "../kernel.js";
import { readHostProc } from "./host-proc.js";
import { int, type SyscallEntry } from "./types.js";

const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
/** RLIM_NLIMITS: resources 0..15. */
const RESOURCES = 16;

/** /proc/self/limits' rows, in RLIMIT_* order. */
const ROWS = ["Max cpu time", "Max file size", "Max data size", "Max stack size", "Max core file size", "Max resident set", "Max processes", "Max open files", "Max locked memory", "Max address space", "Max file locks", "Max pending signals", "Max msgqueue size", "Max nice priority", "Max realtime priority", "Max realtime timeout"];

const value = (text: string | undefined): bigint => (text === undefined || text === "unlimited" ? RLIM_INFINITY : BigInt(text));

/** jitdbg's own /proc/self/limits, read once: nothing here changes this process's limits. */
let hostLimits: string[] | undefined;

/** The host's limit of `resource` (no /proc: unlimited, but 8 MiB of stack, Linux's default). */
function hostLimit(resource: number): RLimit {
  hostLimits ??= readHostProc("/proc/self/limits")?.split("\n") ?? [];
  const row = hostLimits.find((l) => l.startsWith(ROWS[resource]!));
  if (row === undefined) return resource === RLIMIT_STACK ? [8n << 20n, RLIM_INFINITY] : [RLIM_INFINITY, RLIM_INFINITY];
  const [soft, hard] = row.slice(ROWS[resource]!.length).trim().split(/\s+/);
  return [value(soft), value(hard)];
}

/** The most descriptors any limit allows (the host's /proc/sys/fs/nr_open, as natively). */
let nrOpen: number | undefined;

function maxOpen(): number {
  nrOpen ??= Number(readHostProc("/proc/sys/fs/nr_open")?.trim() ?? 1 << 20);
  return nrOpen;
}

/** The launched process's RLIMIT_NOFILE: the host's, which the native run inherits too. */
export function hostNofile(): NofileLimit {
  const [soft, hard] = hostLimit(RLIMIT_NOFILE);
  if (soft === RLIM_INFINITY && hard === RLIM_INFINITY) return DEFAULT_NOFILE; // no /proc: Linux's default
  const cap = (v: bigint) => Number(v < BigInt(maxOpen()) ? v : BigInt(maxOpen()));
  return { soft: cap(soft), hard: cap(hard) };
}

/** The process's limit of `resource`: what it set, else the host's (RLIMIT_NOFILE: the descriptor table's). */
export function limitOf(k: Kernel, resource: number): RLimit {
  if (resource === RLIMIT_NOFILE) return [BigInt(k.fds.nofile.soft), BigInt(k.fds.nofile.hard)];
  return k.rlimits.get(resource) ?? hostLimit(resource);
}

/** prlimit64 on the calling process (pid 0 or its own): the old limit out, then the new one in. */
function prlimit(k: Kernel, pid: number, resource: number, newLimit: bigint, oldLimit: bigint): bigint {
  if (resource < 0 || resource >= RESOURCES) return E.fail(E.EINVAL);
  if (pid !== 0 && pid !== k.pid && !k.threads.get(pid)) return E.fail(E.ESRCH);
  let wanted: RLimit | undefined;
  if (newLimit !== 0n) {
    const b = k.readUser(newLimit, 16);
    if (!b) return E.fail(E.EFAULT);
    const v = new DataView(b.buffer);
    wanted = [v.getBigUint64(0, true), v.getBigUint64(8, true)];
    if (wanted[0] > wanted[1]) return E.fail(E.EINVAL);
    // The process is root (getuid), so it may raise a hard limit; but never past nr_open, as on Linux.
    if (resource === RLIMIT_NOFILE && wanted[1] > BigInt(maxOpen())) return E.fail(E.EPERM);
  }
  if (oldLimit !== 0n) {
    const [soft, hard] = limitOf(k, resource);
    if (!k.writeU64(oldLimit, soft) || !k.writeU64(oldLimit + 8n, hard)) return E.fail(E.EFAULT);
  }
  if (wanted && resource === RLIMIT_NOFILE) k.fds.nofile = { soft: Number(wanted[0]), hard: Number(wanted[1]) };
  else if (wanted) k.rlimits.set(resource, wanted);
  return 0n;
}

export const rlimitSyscalls: Record<number, SyscallEntry> = {
  97: { name: "getrlimit", handler: (k, a) => prlimit(k, 0, int(a[0]!), 0n, a[1]!) },
  160: { name: "setrlimit", handler: (k, a) => prlimit(k, 0, int(a[0]!), a[1]!, 0n) },
  302: { name: "prlimit64", handler: (k, a) => prlimit(k, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
};
