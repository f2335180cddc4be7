/**
 * Signal syscalls: actions, masks, sending (kill, tgkill, sigqueue), waiting (pause, sigsuspend,
 * sigtimedwait), the alternate stack, rt_sigreturn, and the timers that send signals (alarm,
 * setitimer, timer_create). Delivery happens between runs (Process.deliverSignals).
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { TIMER_ABSTIME } from "../clock.js";
import { NO_ALTSTACK, SS_DISABLE, SS_ONSTACK, altStackBytes, onAltStack, popSignalFrame } from "../signal-frame.js";
import { ALARM_TIMER, type SignalTimer } from "../signal-state.js";
import { encodeSiginfo, NSIG, SIGACTION_SIZE, SIGKILL, SIGSTOP, SI_QUEUE, SI_TKILL, SI_USER, UNBLOCKABLE, type SignalInfo } from "../signals.js";
import { block } from "./threads.js";
import { int, type SyscallEntry } from "./types.js";

const SIG_BLOCK = 0n;
const SIG_UNBLOCK = 1n;
const SIG_SETMASK = 2n;
const MINSIGSTKSZ = 2048n;
const ITIMER_REAL = 0;
const SIGEV_SIGNAL = 0;
const SIGEV_NONE = 1;
const SIGEV_THREAD_ID = 4;

const validSignal = (sig: number): boolean => sig >= 1 && sig <= NSIG;

function rtSigaction(k: Kernel, a: readonly bigint[]): bigint {
  const sig = int(a[0]!);
  if (!validSignal(sig)) return E.fail(E.EINVAL);
  if (a[1]! !== 0n && (sig === SIGKILL || sig === SIGSTOP)) return E.fail(E.EINVAL);
  if (a[2]! !== 0n) {
    const old = k.sigactions.get(sig) ?? new Uint8Array(SIGACTION_SIZE);
    if (!k.writeUser(a[2]!, old)) return E.fail(E.EFAULT);
  }
  if (a[1]! !== 0n) {
    const act = k.readUser(a[1]!, SIGACTION_SIZE);
    if (!act) return E.fail(E.EFAULT);
    k.sigactions.set(sig, act);
    // A signal now ignored is discarded from every pending set (POSIX).
    if (k.signals.ignored(sig)) for (const t of k.threads.live()) while (k.signals.next(t, true, 1n << BigInt(sig - 1))) {}
  }
  return 0n;
}

function rtSigprocmask(k: Kernel, a: readonly bigint[]): bigint {
  const [how, set, old] = a as [bigint, bigint, bigint];
  const t = k.thread;
  if (old !== 0n && !k.writeU64(old, t.sigmask)) return E.fail(E.EFAULT);
  if (set === 0n) return 0n;
  const v = k.readU64(set);
  if (v === undefined) return E.fail(E.EFAULT);
  if (how === SIG_BLOCK) t.sigmask |= v;
  else if (how === SIG_UNBLOCK) t.sigmask &= ~v;
  else if (how === SIG_SETMASK) t.sigmask = v;
  else return E.fail(E.EINVAL);
  t.sigmask &= ~UNBLOCKABLE;
  // A signal it unmasked is delivered as the syscall returns.
  if (k.signals.deliverable(t)) k.reschedule();
  return 0n;
}

/** rt_sigreturn: the registers, mask and alternate stack the handler's frame holds. */
function rtSigreturn(k: Kernel): bigint {
  const t = k.thread;
  const uc = k.cpu.reg("rsp"); // the handler's ret popped the restorer's address: rsp is at the ucontext
  k.deferUntilReturn(() => {
    const restored = popSignalFrame(k.cpu, k, uc);
    if (!restored) {
      k.terminate(11, `rt_sigreturn found no readable signal frame at 0x${uc.toString(16)}`);
      return;
    }
    t.sigmask = restored.mask & ~UNBLOCKABLE;
    if (!onAltStack(k.signals.altStack(t.tid), k.cpu.reg("rsp"))) k.signals.setAltStack(t.tid, restored.altStack);
  });
  return 0n; // rax comes from the frame
}

function sendTo(k: Kernel, info: SignalInfo, tid?: number): bigint {
  if (info.signo === 0) return 0n;
  if (!validSignal(info.signo)) return E.fail(E.EINVAL);
  k.signals.send(info, tid);
  if (k.signals.deliverable(k.thread)) k.reschedule(); // to itself: delivered as the syscall returns
  return 0n;
}

/** kill: this process only (pid, 0 for its group, -1 for every process it may signal). */
function kill(k: Kernel, pid: number, sig: number): bigint {
  if (pid !== k.pid && pid !== 0 && pid !== -1) return E.fail(E.ESRCH);
  return sendTo(k, { signo: sig, code: SI_USER, pid: k.pid });
}

function tgkill(k: Kernel, tgid: number, tid: number, sig: number): bigint {
  if ((tgid !== -1 && tgid !== k.pid) || !k.threads.get(tid)) return E.fail(E.ESRCH);
  return sendTo(k, { signo: sig, code: SI_TKILL, pid: k.pid }, tid);
}

/** rt_sigqueueinfo/rt_tgsigqueueinfo: the caller's siginfo (sigqueue's value). */
function sigqueue(k: Kernel, tgid: number, tid: number | undefined, sig: number, infoAddr: bigint): bigint {
  if (tgid !== k.pid || (tid !== undefined && !k.threads.get(tid))) return E.fail(E.ESRCH);
  const raw = k.readUser(infoAddr, 32);
  if (!raw) return E.fail(E.EFAULT);
  const v = new DataView(raw.buffer);
  const code = v.getInt32(8, true);
  if (code >= 0 || code === SI_TKILL) return E.fail(E.EPERM); // only the kernel may claim those
  return sendTo(k, { signo: sig, code: code || SI_QUEUE, pid: v.getInt32(16, true), value: v.getBigUint64(24, true) }, tid);
}

function sigaltstack(k: Kernel, a: readonly bigint[]): bigint {
  const t = k.thread;
  const cur = k.signals.altStack(t.tid);
  const sp = k.cpu.reg("rsp");
  if (a[1]! !== 0n && !k.writeUser(a[1]!, altStackBytes(cur, sp))) return E.fail(E.EFAULT);
  if (a[0]! === 0n) return 0n;
  const raw = k.readUser(a[0]!, 24);
  if (!raw) return E.fail(E.EFAULT);
  if (onAltStack(cur, sp)) return E.fail(E.EPERM);
  const v = new DataView(raw.buffer);
  const flags = v.getInt32(8, true);
  if (flags & ~(SS_DISABLE | SS_ONSTACK | 0x80000000)) return E.fail(E.EINVAL);
  if (flags & SS_DISABLE) {
    k.signals.setAltStack(t.tid, NO_ALTSTACK);
    return 0n;
  }
  const size = v.getBigUint64(16, true);
  if (size < MINSIGSTKSZ) return E.fail(E.ENOMEM);
  k.signals.setAltStack(t.tid, { sp: v.getBigUint64(0, true), size, flags: 0 });
  return 0n;
}

/** pause/sigsuspend: wait until a signal is handled (the wait is restarted after one that is not). */
function waitForSignal(k: Kernel, nr: number, tempMask: bigint | undefined): bigint {
  const t = k.thread;
  if (tempMask !== undefined) {
    k.signals.suspendMasks.set(t.tid, t.sigmask);
    t.sigmask = tempMask & ~UNBLOCKABLE;
  }
  if (k.signals.deliverable(t)) {
    // Already pending: delivered as the syscall returns, which then ends as an interrupted wait
    // (EINTR once the handler has run, a restart if none runs), like one woken by the signal.
    k.signals.restarts.set(t.tid, { nr, interrupt: "eintr-if-handled" });
    k.reschedule();
    return E.fail(E.EINTR);
  }
  return block(k, { wait: { kind: "signal", set: 0n, info: 0n }, timeoutResult: 0n, nr, interrupt: "eintr-if-handled" });
}

function rtSigsuspend(k: Kernel, a: readonly bigint[]): bigint {
  const mask = k.readU64(a[0]!);
  return mask === undefined ? E.fail(E.EFAULT) : waitForSignal(k, 130, mask);
}

function rtSigpending(k: Kernel, a: readonly bigint[]): bigint {
  const t = k.thread;
  return k.writeU64(a[0]!, k.signals.pendingSet(t) & t.sigmask) ? 0n : E.fail(E.EFAULT);
}

/** rt_sigtimedwait: take a pending signal of the set without running its handler, waiting if none is. */
function rtSigtimedwait(k: Kernel, a: readonly bigint[]): bigint {
  const set = k.readU64(a[0]!);
  if (set === undefined) return E.fail(E.EFAULT);
  const want = set & ~UNBLOCKABLE;
  const t = k.thread;
  const now = k.signals.next(t, true, want);
  if (now) {
    if (a[1]! !== 0n && !k.writeUser(a[1]!, encodeSiginfo(now))) return E.fail(E.EFAULT);
    return BigInt(now.signo);
  }
  let deadline: bigint | undefined;
  if (a[2]! !== 0n) {
    const ns = k.readTimespec(a[2]!);
    if (ns === undefined) return E.fail(E.EINVAL);
    if (ns === 0n) return E.fail(E.EAGAIN);
    deadline = k.clock.after(ns);
  }
  return block(k, { wait: { kind: "signal", set: want, info: a[1]! }, deadline, timeoutResult: E.fail(E.EAGAIN), nr: 128, interrupt: "eintr" });
}

// --- timers ---

/** A timer's remaining time and interval as two timespecs (itimerspec) or timevals (itimerval). */
function writeTimerValue(k: Kernel, at: bigint, t: SignalTimer | undefined, micro: boolean): boolean {
  const left = t?.next === undefined ? 0n : t.next > k.clock.now ? t.next - k.clock.now : 1n;
  const interval = t?.interval ?? 0n;
  const unit = micro ? 1000n : 1n;
  const parts = [interval / 1_000_000_000n, (interval % 1_000_000_000n) / unit, left / 1_000_000_000n, (left % 1_000_000_000n) / unit];
  return parts.every((p, i) => k.writeU64(at + BigInt(i * 8), p));
}

function readPair(k: Kernel, at: bigint, micro: boolean): { interval: bigint; value: bigint } | undefined {
  const f = [0, 1, 2, 3].map((i) => k.readU64(at + BigInt(i * 8)));
  if (f.some((x) => x === undefined)) return undefined;
  const [is, isub, vs, vsub] = f as bigint[];
  const unit = micro ? 1000n : 1n;
  if (isub! >= 1_000_000_000n / unit || vsub! >= 1_000_000_000n / unit) return undefined;
  return { interval: is! * 1_000_000_000n + isub! * unit, value: vs! * 1_000_000_000n + vsub! * unit };
}

function alarm(k: Kernel, seconds: bigint): bigint {
  const t = k.signals.alarmTimer();
  const left = t.next === undefined ? 0n : (t.next - k.clock.now + 999_999_999n) / 1_000_000_000n;
  t.interval = 0n;
  t.next = seconds === 0n ? undefined : k.clock.after(BigInt.asUintN(32, seconds) * 1_000_000_000n);
  k.reschedule(); // the run is capped at the next expiry (Process.run): end this one to cap it anew
  return left > 0n ? left : 0n;
}

function setitimer(k: Kernel, which: number, value: bigint, old: bigint): bigint {
  if (which !== ITIMER_REAL) {
    k.warnOnce(`itimer-${which}`, `setitimer(${which === 1 ? "ITIMER_VIRTUAL" : which === 2 ? "ITIMER_PROF" : which}) is not supported (only ITIMER_REAL); it failed with EINVAL`);
    return E.fail(E.EINVAL);
  }
  const t = k.signals.alarmTimer();
  if (old !== 0n && !writeTimerValue(k, old, t, true)) return E.fail(E.EFAULT);
  if (value === 0n) return 0n;
  const v = readPair(k, value, true);
  if (!v) return E.fail(E.EINVAL);
  t.interval = v.interval;
  t.next = v.value === 0n ? undefined : k.clock.after(v.value);
  k.reschedule(); // see alarm
  return 0n;
}

function getitimer(k: Kernel, which: number, out: bigint): bigint {
  if (which !== ITIMER_REAL) return E.fail(E.EINVAL);
  return writeTimerValue(k, out, k.signals.timer(ALARM_TIMER), true) ? 0n : E.fail(E.EFAULT);
}

function timerCreate(k: Kernel, clock: number, sevp: bigint, idOut: bigint): bigint {
  if (clock !== 0 && clock !== 1 && clock !== 7) return E.fail(E.EINVAL);
  let signo = 14;
  let value = 0n;
  let tid: number | undefined;
  if (sevp !== 0n) {
    const raw = k.readUser(sevp, 24);
    if (!raw) return E.fail(E.EFAULT);
    const v = new DataView(raw.buffer);
    value = v.getBigUint64(0, true);
    signo = v.getInt32(8, true);
    const notify = v.getInt32(12, true);
    if (notify === SIGEV_NONE) signo = 0;
    else if (notify === SIGEV_THREAD_ID) tid = v.getInt32(16, true);
    else if (notify !== SIGEV_SIGNAL) return E.fail(E.EINVAL);
    if (notify !== SIGEV_NONE && !validSignal(signo)) return E.fail(E.EINVAL);
  }
  const t = k.signals.createTimer(signo, value, tid);
  if (sevp === 0n) t.value = BigInt(t.id - 1);
  return k.writeU32(idOut, t.id - 1) ? 0n : E.fail(E.EFAULT);
}

function timerSettime(k: Kernel, id: number, flags: number, value: bigint, old: bigint): bigint {
  const t = k.signals.timer(id + 1);
  if (!t || id < 0) return E.fail(E.EINVAL);
  if (old !== 0n && !writeTimerValue(k, old, t, false)) return E.fail(E.EFAULT);
  const v = readPair(k, value, false);
  if (!v) return E.fail(E.EINVAL);
  t.interval = v.interval;
  t.next = v.value === 0n ? undefined : flags & TIMER_ABSTIME ? k.clock.at(0, v.value) : k.clock.after(v.value);
  k.reschedule(); // see alarm
  return 0n;
}

export const signalSyscalls: Record<number, SyscallEntry> = {
  13: { name: "rt_sigaction", handler: rtSigaction },
  14: { name: "rt_sigprocmask", handler: rtSigprocmask },
  15: { name: "rt_sigreturn", handler: rtSigreturn },
  34: { name: "pause", handler: (k) => waitForSignal(k, 34, undefined) },
  36: { name: "getitimer", handler: (k, a) => getitimer(k, int(a[0]!), a[1]!) },
  37: { name: "alarm", handler: (k, a) => alarm(k, a[0]!) },
  38: { name: "setitimer", handler: (k, a) => setitimer(k, int(a[0]!), a[1]!, a[2]!) },
  62: { name: "kill", handler: (k, a) => kill(k, int(a[0]!), int(a[1]!)) },
  127: { name: "rt_sigpending", handler: rtSigpending },
  128: { name: "rt_sigtimedwait", handler: rtSigtimedwait },
  129: { name: "rt_sigqueueinfo", handler: (k, a) => sigqueue(k, int(a[0]!), undefined, int(a[1]!), a[2]!) },
  130: { name: "rt_sigsuspend", handler: rtSigsuspend },
  131: { name: "sigaltstack", handler: sigaltstack },
  200: { name: "tkill", handler: (k, a) => tgkill(k, -1, int(a[0]!), int(a[1]!)) },
  222: { name: "timer_create", handler: (k, a) => timerCreate(k, int(a[0]!), a[1]!, a[2]!) },
  223: { name: "timer_settime", handler: (k, a) => timerSettime(k, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  224: { name: "timer_gettime", handler: (k, a) => { const t = k.signals.timer(int(a[0]!) + 1); return !t ? E.fail(E.EINVAL) : writeTimerValue(k, a[1]!, t, false) ? 0n : E.fail(E.EFAULT); } },
  225: { name: "timer_getoverrun", handler: (k, a) => { const t = k.signals.timer(int(a[0]!) + 1); return t ? BigInt(t.overrun) : E.fail(E.EINVAL); } },
  226: { name: "timer_delete", handler: (k, a) => (int(a[0]!) >= 0 && k.signals.deleteTimer(int(a[0]!) + 1) ? 0n : E.fail(E.EINVAL)) },
  234: { name: "tgkill", handler: (k, a) => tgkill(k, int(a[0]!), int(a[1]!), int(a[2]!)) },
  297: { name: "rt_tgsigqueueinfo", handler: (k, a) => sigqueue(k, int(a[0]!), int(a[1]!), int(a[2]!), a[3]!) },
};
