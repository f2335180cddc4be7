/**
 * prctl: the options a process uses on itself that jitdbg keeps — its name (PR_SET_NAME,
 * PR_GET_NAME: what pthread_setname_np/pthread_getname_np use for the calling thread) and its
 * dumpable flag. Every other option fails with EINVAL, as Linux fails unknown ones; an option
 * x86-64 Linux does implement is reported once, since the program may rely on it.
 */
import * as E from "../errno.js";
import { COMM_SIZE, type Kernel } from "../kernel.js";
import { int, type SyscallEntry } from "./types.js";

const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;
const PR_SET_NAME = 15;
const PR_GET_NAME = 16;
/** PR_SET_DUMPABLE's values a process may set itself (SUID_DUMP_DISABLE, SUID_DUMP_USER). */
const SUID_DUMP_DISABLE = 0n;
const SUID_DUMP_USER = 1n;

type PrctlHandler = (k: Kernel, args: readonly bigint[]) => bigint;

const OPTIONS: ReadonlyMap<number, PrctlHandler> = new Map<number, PrctlHandler>([
  [PR_GET_DUMPABLE, (k) => BigInt(k.dumpable)],
  [
    PR_SET_DUMPABLE,
    (k, a) => {
      if (a[1] !== SUID_DUMP_DISABLE && a[1] !== SUID_DUMP_USER) return E.fail(E.EINVAL);
      k.dumpable = Number(a[1]);
      return 0n;
    },
  ],
  [PR_SET_NAME, setName],
  [PR_GET_NAME, (k, a) => (k.writeUser(a[1]!, k.comm) ? 0n : E.fail(E.EFAULT))],
]);

/**
 * Options x86-64 Linux implements that jitdbg does not (linux/prctl.h). Options of other
 * architectures (unaligned access, FP emulation, endianness, MPX, SVE, pointer authentication...)
 * fail with EINVAL on x86-64 too, so they are not listed.
 */
const LINUX_ONLY: Readonly<Record<number, string>> = {
  1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 7: "PR_GET_KEEPCAPS", 8: "PR_SET_KEEPCAPS",
  13: "PR_GET_TIMING", 14: "PR_SET_TIMING", 21: "PR_GET_SECCOMP", 22: "PR_SET_SECCOMP",
  23: "PR_CAPBSET_READ", 24: "PR_CAPBSET_DROP", 25: "PR_GET_TSC", 26: "PR_SET_TSC",
  27: "PR_GET_SECUREBITS", 28: "PR_SET_SECUREBITS", 29: "PR_SET_TIMERSLACK", 30: "PR_GET_TIMERSLACK",
  31: "PR_TASK_PERF_EVENTS_DISABLE", 32: "PR_TASK_PERF_EVENTS_ENABLE", 33: "PR_MCE_KILL",
  34: "PR_MCE_KILL_GET", 35: "PR_SET_MM", 36: "PR_SET_CHILD_SUBREAPER", 37: "PR_GET_CHILD_SUBREAPER",
  38: "PR_SET_NO_NEW_PRIVS", 39: "PR_GET_NO_NEW_PRIVS", 40: "PR_GET_TID_ADDRESS",
  41: "PR_SET_THP_DISABLE", 42: "PR_GET_THP_DISABLE", 47: "PR_CAP_AMBIENT",
  52: "PR_GET_SPECULATION_CTRL", 53: "PR_SET_SPECULATION_CTRL", 57: "PR_SET_IO_FLUSHER",
  58: "PR_GET_IO_FLUSHER", 59: "PR_SET_SYSCALL_USER_DISPATCH", 62: "PR_SCHED_CORE",
  0x53564d41: "PR_SET_VMA", 0x59616d61: "PR_SET_PTRACER",
};

/** PR_SET_NAME: up to 15 bytes of the string at args[1] (strncpy_from_user), NUL-padded. */
function setName(k: Kernel, a: readonly bigint[]): bigint {
  const name = new Uint8Array(COMM_SIZE);
  let at = a[1]!;
  let n = 0;
  while (n < COMM_SIZE - 1) {
    // A page at a time: the string may end just before an unmapped page.
    const chunk = Math.min(COMM_SIZE - 1 - n, Number(0x1000n - (at & 0xfffn)));
    const bytes = k.readUser(at, chunk);
    if (!bytes) return E.fail(E.EFAULT);
    const nul = bytes.indexOf(0);
    name.set(nul >= 0 ? bytes.subarray(0, nul) : bytes, n);
    if (nul >= 0) break;
    n += chunk;
    at += BigInt(chunk);
  }
  k.comm = name;
  return 0n;
}

function sysPrctl(k: Kernel, a: readonly bigint[]): bigint {
  const option = int(a[0]!);
  const handler = OPTIONS.get(option);
  if (handler) return handler(k, a);
  const known = LINUX_ONLY[option >>> 0];
  if (known) k.warnOnce(`prctl-${option}`, `prctl(${known}) is not emulated; it returned EINVAL`);
  return E.fail(E.EINVAL);
}

export const prctlSyscalls: Record<number, SyscallEntry> = {
  157: { name: "prctl", handler: sysPrctl },
};
