/** Linux signal numbers, names, default actions and the kernel's struct sigaction (x86-64). */
export const SIGNALS: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
  9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
  16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
  23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
  30: "SIGPWR", 31: "SIGSYS",
};

export const SIGINT = 2;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGSEGV = 11;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGSTOP = 19;
export const SIGWINCH = 28;
export const NSIG = 64;

export function signalName(sig: number): string {
  if (SIGNALS[sig]) return SIGNALS[sig]!;
  if (sig >= 32 && sig <= NSIG) return sig === 32 ? "SIGRTMIN" : `SIGRTMIN+${sig - 32}`;
  return `signal ${sig}`;
}

/** A signal's bit in a sigset_t. */
export const sigbit = (sig: number): bigint => 1n << BigInt(sig - 1);
/** What no mask can block. */
export const UNBLOCKABLE = sigbit(SIGKILL) | sigbit(SIGSTOP);

export type DefaultAction = "terminate" | "core" | "ignore" | "stop" | "continue";

/** signal(7)'s table; real-time signals terminate. */
export function defaultAction(sig: number): DefaultAction {
  switch (sig) {
    case 17: case 23: case 28: return "ignore"; // CHLD, URG, WINCH
    case 18: return "continue";
    case 19: case 20: case 21: case 22: return "stop";
    case 3: case 4: case 5: case 6: case 7: case 8: case 11: case 24: case 25: case 31: return "core";
    default: return "terminate";
  }
}

export const SIG_DFL = 0n;
export const SIG_IGN = 1n;
export const SA_SIGINFO = 0x4n;
export const SA_ONSTACK = 0x08000000n;
export const SA_RESTART = 0x10000000n;
export const SA_NODEFER = 0x40000000n;
export const SA_RESETHAND = 0x80000000n;
export const SA_RESTORER = 0x04000000n;
/** The kernel's struct sigaction: handler, flags, restorer, an 8-byte mask. */
export const SIGACTION_SIZE = 32;

export interface SigAction {
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export function parseSigaction(raw: Uint8Array | undefined): SigAction {
  if (!raw) return { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n };
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return { handler: v.getBigUint64(0, true), flags: v.getBigUint64(8, true), restorer: v.getBigUint64(16, true), mask: v.getBigUint64(24, true) };
}

/** si_code values (siginfo.h). */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_TKILL = -6;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
/** What Linux reports for every #UD (ud2 and undefined opcodes alike): an illegal operand. */
export const ILL_ILLOPN = 2;
export const FPE_INTDIV = 1;
export const BUS_ADRALN = 1;

/** A signal on its way: siginfo's fields the frame and sigtimedwait need. */
export interface SignalInfo {
  signo: number;
  code: number;
  /** si_pid/si_uid for kill, si_addr for faults, the timer id and value for timers. */
  pid?: number;
  addr?: bigint;
  timerId?: number;
  value?: bigint;
  /** A process-directed signal's chosen thread (Linux's complete_signal), which alone takes it while it may. */
  taker?: number;
  /** The CPU exception (trapno, error code) a fault came from, for the sigcontext. */
  trap?: { trapno: number; err: number };
}

/** siginfo_t as 128 bytes. */
export function encodeSiginfo(info: SignalInfo): Uint8Array {
  const b = new Uint8Array(128);
  const v = new DataView(b.buffer);
  v.setInt32(0, info.signo, true);
  v.setInt32(8, info.code, true);
  if (info.addr !== undefined) v.setBigUint64(16, info.addr, true);
  else if (info.timerId !== undefined) {
    v.setInt32(16, info.timerId, true);
    v.setBigUint64(24, info.value ?? 0n, true);
  } else if (info.pid !== undefined) {
    v.setInt32(16, info.pid, true); // si_uid at 20 stays 0 (root)
    if (info.value !== undefined) v.setBigUint64(24, info.value, true);
  }
  return b;
}
