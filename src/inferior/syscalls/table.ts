/** The Linux x86-64 syscalls jitdbg implements: number → name and handler, from the per-area files. */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { closeRangeSyscalls } from "./close-range.js";
import { directorySyscalls } from "./directories.js";
import { fileChangeSyscalls } from "./file-changes.js";
import { fileSyscalls } from "./files.js";
import { lockSyscalls } from "./locks.js";
import { ioSyscalls } from "./io.js";
import { memorySyscalls } from "./memory.js";
import { describeSyscall } from "./names.js";
import { pipeSyscalls } from "./pipes.js";
import { pollSyscalls } from "./poll.js";
import { prctlSyscalls } from "./prctl.js";
import { processSyscalls } from "./process.js";
import { credentialSyscalls } from "./credentials.js";
import { resourceSyscalls } from "./resources.js";
import { rlimitSyscalls } from "./rlimits.js";
import { schedSyscalls } from "./sched.js";
import { signalSyscalls } from "./signals.js";
import { socketSyscalls } from "./sockets.js";
import { statxSyscalls } from "./statx.js";
import { sysinfoSyscalls } from "./sysinfo.js";
import { threadSyscalls } from "./threads.js";
import { xattrSyscalls } from "./xattrs.js";
import type { SyscallEntry } from "./types.js";

export const SYSCALLS: ReadonlyMap<number, SyscallEntry> = new Map(
  Object.entries({ ...ioSyscalls, ...fileSyscalls, ...fileChangeSyscalls, ...lockSyscalls, ...directorySyscalls, ...memorySyscalls, ...processSyscalls, ...prctlSyscalls, ...sysinfoSyscalls, ...resourceSyscalls, ...credentialSyscalls, ...rlimitSyscalls, ...schedSyscalls, ...closeRangeSyscalls, ...statxSyscalls, ...xattrSyscalls, ...socketSyscalls, ...threadSyscalls, ...signalSyscalls, ...pipeSyscalls, ...pollSyscalls }).map(([n, e]) => [Number(n), e]),
);

/** Runs one syscall; unknown ones return -ENOSYS and are reported once. */
export function dispatchSyscall(k: Kernel, nr: number, args: readonly bigint[]): bigint {
  const entry = SYSCALLS.get(nr);
  if (!entry) {
    k.warnOnce(`syscall-${nr}`, `unsupported syscall ${describeSyscall(nr)} returned ENOSYS`);
    return E.fail(E.ENOSYS);
  }
  return entry.handler(k, args);
}
