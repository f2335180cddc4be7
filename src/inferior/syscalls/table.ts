/** The Linux x86-64 syscall table: number → name and handler, from the per-area files. */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { fileSyscalls } from "./files.js";
import { ioSyscalls } from "./io.js";
import { memorySyscalls } from "./memory.js";
import { processSyscalls } from "./process.js";
import type { SyscallEntry } from "./types.js";

export const SYSCALLS: ReadonlyMap<number, SyscallEntry> = new Map(
  Object.entries({ ...ioSyscalls, ...fileSyscalls, ...memorySyscalls, ...processSyscalls }).map(([n, e]) => [Number(n), e]),
);

/** Names of syscalls we do not implement, so the warning can say which one it was. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  7: "poll", 22: "pipe", 23: "select", 41: "socket", 42: "connect", 56: "clone", 57: "fork",
  58: "vfork", 59: "execve", 61: "wait4", 217: "getdents64", 293: "pipe2", 435: "clone3",
};

export function syscallName(nr: number): string {
  return SYSCALLS.get(nr)?.name ?? UNSUPPORTED_NAMES[nr] ?? `#${nr}`;
}

/** Runs one syscall; unknown ones return -ENOSYS and are reported once. */
export function dispatchSyscall(k: Kernel, nr: number, args: readonly bigint[]): bigint {
  const entry = SYSCALLS.get(nr);
  if (!entry) {
    k.warnOnce(`syscall-${nr}`, `unsupported syscall ${syscallName(nr)} (${nr}) returned ENOSYS`);
    return E.fail(E.ENOSYS);
  }
  return entry.handler(k, args);
}
