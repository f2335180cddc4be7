/**
 * The x86-64 rt_sigframe, as Linux builds it on the stack to call a handler and reads it back in
 * rt_sigreturn: the return address (sa_restorer), a struct ucontext (flags, link, the alternate
 * stack, the registers as struct sigcontext, the mask to restore), the siginfo, and the FP state
 * in fxsave format. A handler that reads or edits its ucontext (to skip a faulting instruction,
 * say) sees what it would see natively.
 */
import type { Cpu } from "../emu/cpu.js";
import type { RegName } from "../emu/registers.js";
import { FPCW_INIT, MXCSR_INIT } from "./cpu-setup.js";
import { encodeSiginfo, type SignalInfo } from "./signals.js";

/** struct sigcontext's general registers, in their order. */
const SIGCONTEXT_REGS: readonly RegName[] = ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx", "rsp", "rip", "eflags"];
const UC_MCONTEXT = 40;
const UC_SIGMASK = UC_MCONTEXT + 256;
const UCONTEXT_SIZE = UC_SIGMASK + 8;
const FRAME_UCONTEXT = 8;
const FRAME_SIGINFO = FRAME_UCONTEXT + UCONTEXT_SIZE;
const FRAME_SIZE = FRAME_SIGINFO + 128;
const FXSAVE_SIZE = 512;
/** The red zone below rsp a handler must not overwrite (psABI 3.2.2). */
const RED_ZONE = 128n;
const UC_SIGCONTEXT_SS = 2n;
const UC_STRICT_RESTORE_SS = 4n;
/** Flags a sigreturn may change (the kernel's FIX_EFLAGS: AC, OF, DF, TF, SF, ZF, AF, PF, CF, RF). */
const FIX_EFLAGS = 0x40dd5n | 0x100n | 0x10000n;
const EFLAGS_DF_TF = 0x400n | 0x100n;
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
const USER_CS = 0x33n;
const USER_SS = 0x2bn;

export interface AltStack {
  sp: bigint;
  size: bigint;
  /** SS_DISABLE when none is set. */
  flags: number;
}

export const NO_ALTSTACK: AltStack = { sp: 0n, size: 0n, flags: SS_DISABLE };

export function onAltStack(alt: AltStack, sp: bigint): boolean {
  return alt.flags !== SS_DISABLE && sp > alt.sp && sp <= alt.sp + alt.size;
}

/** The stack_t a program reads back (sigaltstack, uc_stack): SS_ONSTACK while running on it. */
export function altStackBytes(alt: AltStack, sp: bigint): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, alt.sp, true);
  v.setInt32(8, alt.flags === SS_DISABLE ? SS_DISABLE : onAltStack(alt, sp) ? SS_ONSTACK : 0, true);
  v.setBigUint64(16, alt.size, true);
  return b;
}

export interface FrameMemory {
  readUser(address: bigint, length: number): Uint8Array | undefined;
  writeUser(address: bigint, data: Uint8Array): boolean;
}

export interface HandlerCall {
  handler: bigint;
  restorer: bigint;
  info: SignalInfo;
  /** The mask the handler's return restores. */
  savedMask: bigint;
  /** Run the handler on the alternate stack (SA_ONSTACK with one set, not already on it). */
  altStack: AltStack;
  useAltStack: boolean;
}

/**
 * Writes the frame below the thread's stack (or on the alternate stack) and points the registers
 * at the handler: rdi = signal, rsi = &siginfo, rdx = &ucontext, rsp at the return address.
 * False when the frame does not fit in writable memory (the kernel then kills with SIGSEGV).
 */
export function pushSignalFrame(cpu: Cpu, mem: FrameMemory, call: HandlerCall): boolean {
  const rsp = cpu.reg("rsp");
  let sp = call.useAltStack ? call.altStack.sp + call.altStack.size : rsp - RED_ZONE;
  sp = (sp - BigInt(FXSAVE_SIZE)) & ~63n;
  const fpstate = sp;
  const frame = ((sp - BigInt(FRAME_SIZE)) & ~15n) - 8n;

  const bytes = new Uint8Array(FRAME_SIZE);
  const v = new DataView(bytes.buffer);
  v.setBigUint64(0, call.restorer, true);
  const uc = FRAME_UCONTEXT;
  v.setBigUint64(uc, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, true);
  bytes.set(altStackBytes(call.altStack, rsp), uc + 16);
  const mc = uc + UC_MCONTEXT;
  SIGCONTEXT_REGS.forEach((r, i) => v.setBigUint64(mc + i * 8, cpu.reg(r), true));
  // cs, gs, fs, ss (16 bits each), then err, trapno, oldmask, cr2, fpstate.
  v.setUint16(mc + 144, Number(USER_CS), true);
  v.setUint16(mc + 150, Number(USER_SS), true);
  v.setBigUint64(mc + 152, BigInt(call.info.trap?.err ?? 0), true);
  v.setBigUint64(mc + 160, BigInt(call.info.trap?.trapno ?? 0), true);
  v.setBigUint64(mc + 168, call.savedMask, true);
  v.setBigUint64(mc + 176, call.info.addr ?? 0n, true);
  v.setBigUint64(mc + 184, fpstate, true);
  v.setBigUint64(uc + UC_SIGMASK, call.savedMask, true);
  bytes.set(encodeSiginfo(call.info), FRAME_SIGINFO);

  if (!mem.writeUser(fpstate, saveFpState(cpu)) || !mem.writeUser(frame, bytes)) return false;
  resetFpState(cpu);
  cpu.setReg("rsp", frame);
  cpu.setReg("rip", call.handler);
  cpu.setReg("rdi", BigInt(call.info.signo));
  cpu.setReg("rsi", frame + BigInt(FRAME_SIGINFO));
  cpu.setReg("rdx", frame + BigInt(uc));
  cpu.setReg("rax", 0n);
  cpu.setReg("eflags", cpu.reg("eflags") & ~EFLAGS_DF_TF);
  return true;
}

export interface RestoredFrame {
  mask: bigint;
  /** uc_stack as the handler left it (sigreturn restores the alternate stack setting). */
  altStack: AltStack;
}

/**
 * rt_sigreturn: puts back the registers, FP state and mask saved in the ucontext at `uc`
 * (the handler may have changed them). Undefined when the frame is unreadable.
 */
export function popSignalFrame(cpu: Cpu, mem: FrameMemory, uc: bigint): RestoredFrame | undefined {
  const bytes = mem.readUser(uc, UCONTEXT_SIZE);
  if (!bytes) return undefined;
  const v = new DataView(bytes.buffer);
  const mc = UC_MCONTEXT;
  const fpstate = v.getBigUint64(mc + 184, true);
  const fp = fpstate === 0n ? undefined : mem.readUser(fpstate, FXSAVE_SIZE);
  if (fpstate !== 0n && !fp) return undefined;
  SIGCONTEXT_REGS.forEach((r, i) => {
    const value = v.getBigUint64(mc + i * 8, true);
    cpu.setReg(r, r === "eflags" ? (cpu.reg("eflags") & ~FIX_EFLAGS) | (value & FIX_EFLAGS) : value);
  });
  if (fp) restoreFpState(cpu, fp);
  const sp = v.getBigUint64(16, true);
  const flags = v.getInt32(24, true);
  const size = v.getBigUint64(32, true);
  return { mask: v.getBigUint64(UC_SIGMASK, true), altStack: flags & SS_DISABLE ? NO_ALTSTACK : { sp, size, flags: 0 } };
}

/** The FP/SSE registers in fxsave layout. */
function saveFpState(cpu: Cpu): Uint8Array {
  const b = new Uint8Array(FXSAVE_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, Number(cpu.reg("fpcw")), true);
  v.setUint16(2, Number(cpu.reg("fpsw")), true);
  v.setUint8(4, abridgedTag(Number(cpu.reg("fptag"))));
  v.setUint32(24, Number(cpu.reg("mxcsr")), true);
  v.setUint32(28, 0xffff, true); // mxcsr_mask
  for (let i = 0; i < 8; i++) b.set(cpu.regBytes(`st${i}` as RegName), 32 + i * 16);
  for (let i = 0; i < 16; i++) b.set(cpu.regBytes(`xmm${i}` as RegName), 160 + i * 16);
  return b;
}

function restoreFpState(cpu: Cpu, b: Uint8Array): void {
  const v = new DataView(b.buffer, b.byteOffset);
  cpu.setReg("fpcw", BigInt(v.getUint16(0, true)));
  cpu.setReg("fpsw", BigInt(v.getUint16(2, true)));
  cpu.setReg("fptag", BigInt(fullTag(v.getUint8(4))));
  cpu.setReg("mxcsr", BigInt(v.getUint32(24, true) & 0xffff));
  for (let i = 0; i < 8; i++) cpu.setRegBytes(`st${i}` as RegName, b.subarray(32 + i * 16, 42 + i * 16));
  for (let i = 0; i < 16; i++) cpu.setRegBytes(`xmm${i}` as RegName, b.subarray(160 + i * 16, 176 + i * 16));
}

/**
 * The FP state a handler starts with: Linux clears the user FPU registers before calling one
 * (fpu__clear_user_states: the init state), so a handler never runs with the interrupted code's
 * x87 stack half full, its rounding modes or its vector registers.
 */
function resetFpState(cpu: Cpu): void {
  cpu.setReg("fpcw", FPCW_INIT);
  cpu.setReg("fpsw", 0n);
  cpu.setReg("fptag", 0xffffn);
  cpu.setReg("mxcsr", MXCSR_INIT);
  const zero = new Uint8Array(16);
  for (let i = 0; i < 8; i++) cpu.setRegBytes(`st${i}` as RegName, zero.subarray(0, 10));
  for (let i = 0; i < 16; i++) cpu.setRegBytes(`xmm${i}` as RegName, zero);
}

/** The full tag word (11 = empty, else in use) from fxsave's abridged one; the emulator tells only empty from not. */
function fullTag(abridged: number): number {
  let tag = 0;
  for (let i = 0; i < 8; i++) if (!((abridged >> i) & 1)) tag |= 3 << (i * 2);
  return tag;
}

/** fxsave keeps one bit per x87 register (1 = in use) where the full tag word has two (11 = empty). */
function abridgedTag(tag: number): number {
  let out = 0;
  for (let i = 0; i < 8; i++) if (((tag >> (i * 2)) & 3) !== 3) out |= 1 << i;
  return out;
}
