/** Process identity, limits, time, randomness and signal-bookkeeping syscalls (threads: threads.ts). */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { CLOCK_REALTIME } from "../clock.js";
import { DEFAULT_IGNORED } from "../signals.js";
import { int, size, type SyscallEntry } from "./types.js";

const ARCH_SET_GS = 0x1001;
const ARCH_SET_FS = 0x1002;
const ARCH_GET_FS = 0x1003;
const ARCH_GET_GS = 0x1004;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const RLIMIT_STACK = 3;
const SIG_DFL = 0n;
const SIG_IGN = 1n;
const SIGACTION_SIZE = 32; // handler, flags, restorer, mask (kernel's struct, 8-byte mask)

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

function prlimit(k: Kernel, resource: number, newLimit: bigint, oldLimit: bigint): bigint {
  if (resource < 0 || resource > 15) return E.fail(E.EINVAL);
  if (oldLimit !== 0n) {
    const cur = resource === RLIMIT_STACK ? 8n * 1024n * 1024n : RLIM_INFINITY;
    if (!k.writeU64(oldLimit, cur) || !k.writeU64(oldLimit + 8n, RLIM_INFINITY)) return E.fail(E.EFAULT);
  }
  void newLimit; // limits are recorded nowhere: nothing in the emulator enforces them
  return 0n;
}

function uname(k: Kernel, a: readonly bigint[]): bigint {
  const fields = ["Linux", "jitdbg", "6.1.0-jitdbg", "#1 SMP PREEMPT_DYNAMIC jitdbg", "x86_64", "(none)"];
  const buf = new Uint8Array(65 * 6);
  fields.forEach((f, i) => buf.set(Buffer.from(f).subarray(0, 64), i * 65));
  return k.writeUser(a[0]!, buf) ? 0n : E.fail(E.EFAULT);
}

function getrandom(k: Kernel, a: readonly bigint[]): bigint {
  const n = Math.min(size(a[1]!), 1 << 20);
  return k.writeUser(a[0]!, k.space.rng.fill(new Uint8Array(n))) ? BigInt(n) : E.fail(E.EFAULT);
}

function rtSigaction(k: Kernel, a: readonly bigint[]): bigint {
  const sig = int(a[0]!);
  if (sig < 1 || sig > 64 || sig === 9 || sig === 19) return E.fail(E.EINVAL);
  if (a[2]! !== 0n) {
    const old = k.sigactions.get(sig) ?? new Uint8Array(SIGACTION_SIZE);
    if (!k.writeUser(a[2]!, old)) return E.fail(E.EFAULT);
  }
  if (a[1]! !== 0n) {
    const act = k.readUser(a[1]!, SIGACTION_SIZE);
    if (!act) return E.fail(E.EFAULT);
    k.sigactions.set(sig, act); // recorded; delivery comes with the debugger's signal support
  }
  return 0n;
}

function rtSigprocmask(k: Kernel, a: readonly bigint[]): bigint {
  const [how, set, old] = a as [bigint, bigint, bigint];
  if (old !== 0n && !k.writeU64(old, k.thread.sigmask)) return E.fail(E.EFAULT);
  if (set !== 0n) {
    const v = k.readU64(set);
    if (v === undefined) return E.fail(E.EFAULT);
    if (how === 0n) k.thread.sigmask |= v;
    else if (how === 1n) k.thread.sigmask &= ~v;
    else if (how === 2n) k.thread.sigmask = v;
    else return E.fail(E.EINVAL);
  }
  return 0n;
}

/** kill/tgkill/tkill aimed at ourselves: a signal left at its default action ends the process. */
function raise(k: Kernel, target: number, sig: number, thread = false): bigint {
  if (thread ? !k.threads.get(target) : target !== k.pid && target !== 0 && target !== -1) return E.fail(E.ESRCH);
  if (sig === 0) return 0n;
  if (sig < 1 || sig > 64) return E.fail(E.EINVAL);
  const act = k.sigactions.get(sig);
  const handler = act ? new DataView(act.buffer, act.byteOffset).getBigUint64(0, true) : SIG_DFL;
  if (handler === SIG_IGN || (handler === SIG_DFL && DEFAULT_IGNORED.has(sig))) return 0n;
  if (handler !== SIG_DFL) {
    k.warnOnce(`handler-${sig}`, `the program installed a handler for signal ${sig}; jitdbg does not deliver signals to handlers yet, so it was not called`);
    return 0n;
  }
  k.terminatingSignal = sig;
  k.cpu.stop();
  return 0n;
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
  13: { name: "rt_sigaction", handler: rtSigaction },
  14: { name: "rt_sigprocmask", handler: rtSigprocmask },
  39: { name: "getpid", handler: (k) => BigInt(k.pid) },
  62: { name: "kill", handler: (k, a) => raise(k, int(a[0]!), int(a[1]!)) },
  63: { name: "uname", handler: uname },
  96: { name: "gettimeofday", handler: gettimeofday },
  97: { name: "getrlimit", handler: (k, a) => prlimit(k, int(a[0]!), 0n, a[1]!) },
  102: { name: "getuid", handler: () => 0n },
  104: { name: "getgid", handler: () => 0n },
  107: { name: "geteuid", handler: () => 0n },
  108: { name: "getegid", handler: () => 0n },
  110: { name: "getppid", handler: () => 1n },
  131: { name: "sigaltstack", handler: () => 0n },
  158: { name: "arch_prctl", handler: archPrctl },
  200: { name: "tkill", handler: (k, a) => raise(k, int(a[0]!), int(a[1]!), true) },
  201: { name: "time", handler: time },
  228: { name: "clock_gettime", handler: clockGettime },
  229: { name: "clock_getres", handler: (k, a) => (a[1]! === 0n || (k.writeU64(a[1]!, 0n) && k.writeU64(a[1]! + 8n, 1n)) ? 0n : E.fail(E.EFAULT)) },
  234: { name: "tgkill", handler: (k, a) => (int(a[0]!) === k.pid ? raise(k, int(a[1]!), int(a[2]!), true) : E.fail(E.ESRCH)) },
  302: { name: "prlimit64", handler: (k, a) => prlimit(k, int(a[1]!), a[2]!, a[3]!) },
  318: { name: "getrandom", handler: getrandom },
  334: { name: "rseq", handler: () => E.fail(E.ENOSYS) }, // glibc runs fine without rseq
};
