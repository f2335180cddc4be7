/**
 * Delivering signals to the thread about to run, between runs (where registers may change):
 * a handler gets an rt_sigframe; a default action ignores, or ends the process; a syscall a signal
 * interrupted returns EINTR or restarts (SA_RESTART). Faults become signals here too, forced as
 * Linux forces them. A debugger may ask to see a signal first: it is held, the run stops, and
 * the next run delivers it unless the debugger discards it (gdb's `handle … stop`, `signal 0`).
 */
import type { Cpu, StopCause } from "../emu/cpu.js";
import type { MemAccess } from "../emu/cpu.js";
import * as E from "./errno.js";
import type { Kernel } from "./kernel.js";
import { onAltStack, pushSignalFrame } from "./signal-frame.js";
import { SYSCALL_LENGTH } from "./syscalls/types.js";
import {
  BUS_ADRALN, defaultAction, FPE_INTDIV, ILL_ILLOPN, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_RESTORER, SEGV_ACCERR, SEGV_MAPERR,
  SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL, SI_USER, SIG_DFL, SIG_IGN, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, sigbit, signalName, UNBLOCKABLE, type SignalInfo,
} from "./signals.js";
import type { Thread } from "./threads.js";


/** A signal on its way to a thread, with the words the user sees if it stops or ends the program. */
export interface SignalEvent {
  info: SignalInfo;
  tid: number;
  pc: bigint;
  description: string;
  address?: bigint;
  access?: MemAccess;
}

/** CPU exceptions (interrupt numbers) as the signals Linux turns them into. */
const EXCEPTIONS: Record<number, { signo: number; code: number; what: string }> = {
  0: { signo: SIGFPE, code: FPE_INTDIV, what: "integer divide error" },
  1: { signo: SIGTRAP, code: SI_KERNEL, what: "debug trap" },
  3: { signo: SIGTRAP, code: SI_KERNEL, what: "breakpoint instruction (int3)" },
  4: { signo: SIGSEGV, code: SI_KERNEL, what: "overflow trap (into)" },
  5: { signo: SIGSEGV, code: SI_KERNEL, what: "bound range exceeded" },
  6: { signo: SIGILL, code: ILL_ILLOPN, what: "invalid opcode" },
  13: { signo: SIGSEGV, code: SI_KERNEL, what: "general protection fault" },
  16: { signo: SIGFPE, code: 0, what: "x87 floating-point exception" },
  17: { signo: SIGBUS, code: BUS_ADRALN, what: "alignment check" },
  19: { signo: SIGFPE, code: 0, what: "SIMD floating-point exception" },
};

export type Delivery = "none" | "handled" | "terminated";

export type SignalPolicy = "stop" | "deliver" | "discard";

export class SignalDelivery {
  /** The signal a stop was made for, delivered by the next run of its thread unless discarded. */
  held: SignalEvent | undefined;
  /**
   * What the debugger wants done with each signal before delivery (gdb's `handle`): stop and show
   * it first, deliver it, or discard it unseen (nostop nopass).
   */
  policy: (signo: number) => SignalPolicy = () => "deliver";
  /** Faults that are the debugger's own (its code running in the program's path): stopped for, never delivered. */
  claimsFault: (ev: SignalEvent) => boolean = () => false;

  constructor(
    private readonly cpu: Cpu,
    private readonly k: Kernel,
    private readonly describe: (pc: bigint) => string,
  ) {}

  /** The signal whose default action ended the process, when one did. */
  fatal: SignalEvent | undefined;

  /**
   * Delivers what is pending for `t` (in the CPU). Returns a signal the debugger asked to stop
   * for (now held), or undefined; afterwards the process may have ended (a default action).
   * `locked` (a run of one thread: an expression call, an instruction step) holds a signal that
   * would end the process instead, so the caller can report it and roll back.
   */
  deliverPending(t: Thread, locked = false): SignalEvent | undefined {
    for (;;) {
      let ev = this.held?.tid === t.tid ? this.held : undefined;
      if (ev) this.held = undefined;
      else {
        const info = this.k.signals.next(t);
        if (!info) break;
        ev = this.event(info, t);
        if (this.policy(info.signo) === "discard") continue;
        if (this.stopsFor(info, locked)) {
          this.held = ev;
          return ev;
        }
      }
      if (this.deliver(t, ev) === "terminated") return undefined;
    }
    this.finishInterruptedCall(t, false);
    return undefined;
  }

  /** Turns a CPU fault or exception into the signal Linux sends, forced on the thread that caused it. */
  fault(t: Thread, cause: StopCause, interrupt: { intno: number; pc: bigint } | undefined): SignalEvent {
    const pc = interrupt?.pc ?? this.cpu.reg("rip");
    let ev: SignalEvent;
    if (interrupt !== undefined) {
      const e = EXCEPTIONS[interrupt.intno] ?? { signo: SIGSEGV, code: SI_KERNEL, what: `unexpected interrupt ${interrupt.intno}` };
      const addr = e.signo === SIGFPE || e.signo === SIGILL ? pc : undefined;
      ev = { info: { signo: e.signo, code: e.code, addr, trap: { trapno: interrupt.intno, err: 0 } }, tid: t.tid, pc, description: `${e.what} at ${this.describe(pc)}` };
    } else if (cause.kind === "fault") {
      const how = cause.reason === "unmapped" ? "unmapped" : "protected";
      const verb = cause.access === "fetch" ? "execute" : cause.access;
      const err = 4 | (cause.access === "write" ? 2 : 0) | (cause.reason === "unmapped" ? 0 : 1) | (cause.access === "fetch" ? 16 : 0);
      ev = {
        info: { signo: SIGSEGV, code: cause.reason === "unmapped" ? SEGV_MAPERR : SEGV_ACCERR, addr: cause.address, trap: { trapno: 14, err } },
        tid: t.tid,
        pc,
        address: cause.address,
        access: cause.access,
        description: `invalid ${verb} of ${how} address 0x${cause.address.toString(16)} at ${this.describe(pc)}`,
      };
    } else if (cause.kind === "invalid-instruction") {
      ev = { info: { signo: SIGILL, code: ILL_ILLOPN, addr: pc, trap: { trapno: 6, err: 0 } }, tid: t.tid, pc, description: `illegal instruction at ${this.describe(pc)}` };
    } else {
      const message = cause.kind === "exception" ? cause.message : cause.kind;
      ev = { info: { signo: SIGSEGV, code: SI_KERNEL, trap: { trapno: 13, err: 0 } }, tid: t.tid, pc, description: `CPU exception (${message}) at ${this.describe(pc)}` };
    }
    return ev;
  }

  /**
   * Delivers a fault's signal to the thread that caused it, or holds it when the debugger wants to
   * see it first (returned). Like Linux's force_sig: one the thread masks or ignores would leave it
   * faulting for ever, so it is unmasked and reset to the default action.
   */
  force(t: Thread, ev: SignalEvent, locked = false): SignalEvent | undefined {
    const bit = sigbit(ev.info.signo);
    const act = this.k.signals.action(ev.info.signo);
    if ((t.sigmask & bit) !== 0n || act.handler === SIG_IGN) {
      this.k.sigactions.delete(ev.info.signo);
      t.sigmask &= ~bit;
    }
    if (this.claimsFault(ev) || this.stopsFor(ev.info, locked)) return (this.held = ev);
    this.deliver(t, ev);
    return undefined;
  }

  private stopsFor(info: SignalInfo, locked: boolean): boolean {
    if (this.policy(info.signo) === "stop") return true;
    if (!locked) return false;
    const act = this.k.signals.action(info.signo);
    return act.handler === SIG_DFL && (defaultAction(info.signo) === "terminate" || defaultAction(info.signo) === "core");
  }

  private deliver(t: Thread, ev: SignalEvent): Delivery {
    const { info } = ev;
    const act = this.k.signals.action(info.signo);
    if (act.handler === SIG_IGN) return "none";
    if (act.handler === SIG_DFL) {
      const d = defaultAction(info.signo);
      if (d === "ignore" || d === "continue") return "none";
      if (d === "stop") {
        this.k.warnOnce(`stop-${info.signo}`, `${signalName(info.signo)} would stop the process (job control); jitdbg has no job control, so the program went on`);
        return "none";
      }
      this.finishInterruptedCall(t, true);
      this.fatal = ev;
      this.k.terminate(info.signo, ev.description);
      return "terminated";
    }
    if (!(act.flags & SA_RESTORER)) {
      this.k.terminate(SIGSEGV, `the handler of ${signalName(info.signo)} was installed without SA_RESTORER, so it has nowhere to return to (at ${this.describe(ev.pc)})`);
      return "terminated";
    }
    this.finishInterruptedCall(t, true, act.flags);
    const signals = this.k.signals;
    const savedMask = signals.suspendMasks.get(t.tid) ?? t.sigmask;
    signals.suspendMasks.delete(t.tid);
    const alt = signals.altStack(t.tid);
    const useAltStack = (act.flags & SA_ONSTACK) !== 0n && alt.flags === 0 && !onAltStack(alt, this.cpu.reg("rsp"));
    if (!pushSignalFrame(this.cpu, this.k, { handler: act.handler, restorer: act.restorer, info, savedMask, altStack: alt, useAltStack })) {
      this.k.terminate(SIGSEGV, `${signalName(info.signo)}'s handler could not be called: its stack frame does not fit below 0x${this.cpu.reg("rsp").toString(16)} (a stack overflow? give it an alternate stack with sigaltstack and SA_ONSTACK) — ${ev.description}`);
      return "terminated";
    }
    t.sigmask = (t.sigmask | act.mask | ((act.flags & SA_NODEFER) !== 0n ? 0n : sigbit(info.signo))) & ~UNBLOCKABLE;
    if (act.flags & SA_RESETHAND) this.k.sigactions.delete(info.signo);
    return "handled";
  }

  /**
   * A wait a signal interrupted: with a handler about to run it returns EINTR, or restarts under
   * SA_RESTART when it may; with none it restarts (the program never sees the interruption).
   */
  private finishInterruptedCall(t: Thread, handled: boolean, flags = 0n): void {
    const r = this.k.signals.restarts.get(t.tid);
    if (!r) return;
    this.k.signals.restarts.delete(t.tid);
    const restart = handled ? r.interrupt === "restart" && (flags & SA_RESTART) !== 0n : r.interrupt !== "eintr";
    if (restart) {
      this.cpu.setReg("rip", this.cpu.reg("rip") - SYSCALL_LENGTH);
      this.cpu.setReg("rax", BigInt(r.nr));
      const saved = this.k.signals.suspendMasks.get(t.tid);
      if (saved !== undefined && !handled) {
        t.sigmask = saved; // sigsuspend sets its mask again when it restarts
        this.k.signals.suspendMasks.delete(t.tid);
      }
    } else this.cpu.setReg("rax", E.fail(E.EINTR));
  }

  private event(info: SignalInfo, t: Thread): SignalEvent {
    const pc = this.cpu.reg("rip");
    const name = signalName(info.signo);
    const how = SENDERS[info.code] ?? "sent";
    return { info, tid: t.tid, pc, description: `${name} ${how} at ${this.describe(pc)}` };
  }
}

const SENDERS: Record<number, string> = {
  [SI_USER]: "raised by the program",
  [SI_TKILL]: "raised by the program",
  [SI_QUEUE]: "queued by the program (sigqueue)",
  [SI_TIMER]: "from the program's timer (timer_create)",
  [SI_KERNEL]: "from the program's alarm (alarm/setitimer)",
};
