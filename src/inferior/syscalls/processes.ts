/**
 * Processes: fork, vfork (and clone without CLONE_THREAD, from threads.ts), execve, wait4 and
 * waitid, process groups and sessions. The work is the process family's (family.ts, process.ts, through Kernel.host); here are
 * the syscalls' arguments, results and waits. A wait for a child blocks the calling thread with an
 * io wait (threads.ts) that the family retries whenever a process changes (syscalls/pipes.ts ioChanged).
 */
import * as E from "../errno.js";
import type { ChildExit, ForkRequest, Kernel } from "../kernel.js";
import type { IoRetry } from "../threads.js";
import { block, CLONE_VM } from "./threads.js";
import { int, type SyscallEntry } from "./types.js";

export { CLONE_VM };
export const SIGCHLD = 17;
export const CLONE_VFORK = 0x4000n;
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;

const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x0100_0000;
const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;
const WAIT4_NR = 61;
const WAITID_NR = 247;
/** Arguments and environment strings execve reads at most (ARG_MAX's order of magnitude). */
const MAX_STRINGS = 0x10000;
const AT_FDCWD = -100;

/** fork, vfork, or clone without CLONE_THREAD: a new process (family.ts). */
export function forkProcess(k: Kernel, req: ForkRequest): bigint {
  if (!k.host) {
    k.warnOnce("fork", "the program tried to create a process (fork, vfork or posix_spawn), which this process cannot; it failed with ENOSYS");
    return E.fail(E.ENOSYS);
  }
  return k.host.fork(req);
}

/** A NULL-terminated array of string pointers (argv, envp); undefined when unreadable. */
function readStrings(k: Kernel, address: bigint): string[] | undefined {
  const out: string[] = [];
  if (address === 0n) return out;
  for (let i = 0; i < MAX_STRINGS; i++) {
    const p = k.readU64(address + BigInt(i) * 8n);
    if (p === undefined) return undefined;
    if (p === 0n) return out;
    const s = k.readCString(p, 0x20000);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return undefined;
}

function execve(k: Kernel, pathAddr: bigint, argvAddr: bigint, envpAddr: bigint): bigint {
  const path = k.readCString(pathAddr);
  const argv = readStrings(k, argvAddr);
  const envp = readStrings(k, envpAddr);
  if (path === undefined || argv === undefined || envp === undefined) return E.fail(E.EFAULT);
  if (!k.host) {
    k.warnOnce("execve", `execve of ${path} is not supported in this process; it failed with ENOSYS`);
    return E.fail(E.ENOSYS);
  }
  return k.host.exec(path, argv, envp);
}

/** The wait status's si_code/si_status pair and the rusage jitdbg reports (all zero: no accounting). */
function writeRusage(k: Kernel, address: bigint): boolean {
  return address === 0n || k.writeUser(address, new Uint8Array(144));
}

/**
 * Waits for a child `select` accepts: its end now, or a wait retried as processes change.
 * `report` writes the end into the caller's memory and gives the syscall's result.
 */
function waitFor(k: Kernel, nr: number, select: (pid: number) => boolean, options: number, report: (c: ChildExit) => bigint, none: () => bigint): bigint {
  const host = k.host;
  if (!host) return E.fail(E.ECHILD);
  const keep = (options & WNOWAIT) !== 0;
  const now = host.waitChild(select, keep);
  if (now === "none") return E.fail(E.ECHILD);
  if (now) return report(now);
  if (options & WNOHANG) return none();
  const retry = (): IoRetry => {
    const c = host.waitChild(select, keep);
    if (c === undefined) return undefined;
    return { done: c === "none" ? E.fail(E.ECHILD) : report(c) };
  };
  return block(k, { wait: { kind: "io", what: "a child process", retry }, timeoutResult: 0n, nr, interrupt: "restart" });
}

/** Which children a wait's pid argument names: one (> 0), any (-1), the caller's group (0) or group -pid. */
function selector(k: Kernel, pid: number): (p: number) => boolean {
  if (pid > 0) return (p) => p === pid;
  if (pid === -1 || !k.host) return () => true;
  const host = k.host;
  const group = pid === 0 ? host.groupOf(0, "pgid") : BigInt(-pid);
  return (p) => host.groupOf(p, "pgid") === group;
}

/** A group call with no family (a lone process): it is its own group and session. */
function lone(k: Kernel): bigint {
  return BigInt(k.pid);
}

function wait4(k: Kernel, a: readonly bigint[]): bigint {
  const pid = int(a[0]!);
  const statusAddr = a[1]!;
  const options = int(a[2]!);
  const rusage = a[3]!;
  return waitFor(
    k,
    WAIT4_NR,
    selector(k, pid),
    options,
    (c) => {
      if (statusAddr !== 0n && !k.writeU32(statusAddr, c.status)) return E.fail(E.EFAULT);
      return writeRusage(k, rusage) ? BigInt(c.pid) : E.fail(E.EFAULT);
    },
    () => 0n,
  );
}

function waitid(k: Kernel, a: readonly bigint[]): bigint {
  const idtype = int(a[0]!);
  const id = int(a[1]!);
  const info = a[2]!;
  const options = int(a[3]!);
  const rusage = a[4]!;
  if (idtype !== P_ALL && idtype !== P_PID && idtype !== P_PGID) return E.fail(E.EINVAL);
  if ((options & WEXITED) === 0) return E.fail(E.EINVAL); // only ends are reported (no stops or continues)
  const select = idtype === P_PID ? selector(k, id > 0 ? id : 0x7fff_ffff) : idtype === P_PGID ? selector(k, id > 0 ? -id : 0) : () => true;
  const writeInfo = (c: ChildExit | undefined): boolean => {
    if (info === 0n) return true;
    const b = new Uint8Array(128);
    const v = new DataView(b.buffer);
    if (c) {
      v.setInt32(0, SIGCHLD, true);
      v.setInt32(8, c.code, true);
      v.setInt32(16, c.pid, true);
      v.setInt32(24, c.value, true);
    }
    return k.writeUser(info, b);
  };
  return waitFor(
    k,
    WAITID_NR,
    select,
    options,
    (c) => (writeInfo(c) && writeRusage(k, rusage) ? 0n : E.fail(E.EFAULT)),
    () => (writeInfo(undefined) ? 0n : E.fail(E.EFAULT)), // WNOHANG and nothing ended: si_pid 0, as Linux clears it
  );
}

export const processesSyscalls: Record<number, SyscallEntry> = {
  57: { name: "fork", handler: (k) => forkProcess(k, { flags: BigInt(SIGCHLD), stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n }) },
  58: { name: "vfork", handler: (k) => forkProcess(k, { flags: CLONE_VM | CLONE_VFORK | BigInt(SIGCHLD), stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n }) },
  59: { name: "execve", handler: (k, a) => execve(k, a[0]!, a[1]!, a[2]!) },
  61: { name: "wait4", handler: wait4 },
  247: { name: "waitid", handler: waitid },
  109: { name: "setpgid", handler: (k, a) => (k.host ? k.host.setpgid(int(a[0]!), int(a[1]!)) : 0n) },
  111: { name: "getpgrp", handler: (k) => (k.host ? k.host.groupOf(0, "pgid") : lone(k)) },
  112: { name: "setsid", handler: (k) => (k.host ? k.host.setsid() : lone(k)) },
  121: { name: "getpgid", handler: (k, a) => (k.host ? k.host.groupOf(int(a[0]!), "pgid") : lone(k)) },
  124: { name: "getsid", handler: (k, a) => (k.host ? k.host.groupOf(int(a[0]!), "sid") : lone(k)) },
  322: {
    name: "execveat",
    handler: (k, a) => (int(a[0]!) === AT_FDCWD && int(a[4]!) === 0 ? execve(k, a[1]!, a[2]!, a[3]!) : E.fail(E.ENOSYS)),
  },
};
