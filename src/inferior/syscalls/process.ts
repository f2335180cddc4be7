/** Process identity, time and randomness syscalls (threads: threads.ts, signals: signals.ts). */
import { hostname, release, version } from "node:os";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { CLOCK_REALTIME } from "../clock.js";
import { readHostProc } from "./host-proc.js";
import { processesSyscalls } from "./processes.js";
import { int, size, type SyscallEntry } from "./types.js";

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;

function archPrctl(k: Kernel, a: readonly bigint[]): bigint {
  switch (int(a[0]!)) {
    case ARCH_SET_FS:
      k.cpu.setReg("fs_base", a[1]!);
      return 0n;
    case ARCH_SET_GS:
      k.cpu.setReg("gs_base", a[1]!);
      return 0n;
    case ARCH_GET_FS:
      return k.writeU64(a[1]!, k.cpu.reg("fs_base")) ? 0n : E.fail(E.EFAULT);
    case ARCH_GET_GS:
      return k.writeU64(a[1]!, k.cpu.reg("gs_base")) ? 0n : E.fail(E.EFAULT);
    default:
      return E.fail(E.EINVAL); // CET and friends: not available, as on most kernels
  }
}

/** The host's names, release and version, as the program's native run reports them (uname -a, Python's platform). */
function uname(k: Kernel, a: readonly bigint[]): bigint {
  const fields = ["Linux", hostname(), release(), version(), "x86_64", hostDomainName()];
  const buf = new Uint8Array(65 * 6);
  fields.forEach((f, i) => buf.set(Buffer.from(f).subarray(0, 64), i * 65));
  return k.writeUser(a[0]!, buf) ? 0n : E.fail(E.EFAULT);
}

/** The NIS domain name (utsname.domainname), "(none)" when unset or unreadable, as Linux prints an unset one. */
function hostDomainName(): string {
  return readHostProc("/proc/sys/kernel/domainname")?.trim() || "(none)";
}

function getrandom(k: Kernel, a: readonly bigint[]): bigint {
  const n = Math.min(size(a[1]!), 1 << 20);
  return k.writeUser(a[0]!, k.space.rng.fill(new Uint8Array(n))) ? BigInt(n) : E.fail(E.EFAULT);
}

function clockGettime(k: Kernel, a: readonly bigint[]): bigint {
  const ns = k.clock.reading(int(a[0]!));
  const ok = k.writeU64(a[1]!, ns / 1_000_000_000n) && k.writeU64(a[1]! + 8n, ns % 1_000_000_000n);
  return ok ? 0n : E.fail(E.EFAULT);
}

function gettimeofday(k: Kernel, a: readonly bigint[]): bigint {
  if (a[0]! === 0n) return 0n;
  const us = k.clock.reading(CLOCK_REALTIME) / 1000n;
  return k.writeU64(a[0]!, us / 1_000_000n) && k.writeU64(a[0]! + 8n, us % 1_000_000n) ? 0n : E.fail(E.EFAULT);
}

function time(k: Kernel, a: readonly bigint[]): bigint {
  const t = k.clock.reading(CLOCK_REALTIME) / 1_000_000_000n;
  if (a[0]! !== 0n && !k.writeU64(a[0]!, t)) return E.fail(E.EFAULT);
  return t;
}

export const processSyscalls: Record<number, SyscallEntry> = {
  39: { name: "getpid", handler: (k) => BigInt(k.pid) },
  63: { name: "uname", handler: uname },
  96: { name: "gettimeofday", handler: gettimeofday },
  110: { name: "getppid", handler: (k) => BigInt(k.host?.ppid ?? 1) },
  158: { name: "arch_prctl", handler: archPrctl },
  201: { name: "time", handler: time },
  228: { name: "clock_gettime", handler: clockGettime },
  229: { name: "clock_getres", handler: (k, a) => (a[1]! === 0n || (k.writeU64(a[1]!, 0n) && k.writeU64(a[1]! + 8n, 1n)) ? 0n : E.fail(E.EFAULT)) },
  318: { name: "getrandom", handler: getrandom },
  221: { name: "fadvise64", handler: () => 0n }, // advice only (cat gives it): nothing to do, as for many file systems
  334: { name: "rseq", handler: () => E.fail(E.ENOSYS) }, // glibc runs fine without rseq
  ...processesSyscalls,
};
