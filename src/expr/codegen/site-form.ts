/**
 * The contract between a breakpoint condition's site body (X86Codegen.siteEntry) and the
 * trampoline the debugger writes around it (debugger/run/condition-trampoline.ts): the room each
 * part gets, and the frame the prelude makes below the program's stack pointer, whose every
 * place is at a fixed offset from its base (rsp when the body starts and when it ends).
 *
 * Frame, from its base up: [argument block] [x87/SSE state: FX_ROOM, when the condition computes
 * with floating values] [save area: a slot per register, SAVE_ORDER] [flags] [the program's red
 * zone] the site's rsp.
 */
import { R } from "./asm.js";

/** Where a site body and the room around it are, as offsets from the body's start (the entry symbol). */
export interface SiteLayout {
  /** Bytes of room before the body, for the trampoline's prelude (it falls through into the body). */
  preludeRoom: number;
  /** The body's size: the true tail's room starts there; a false condition jumps to `falseTail`. */
  trueTail: number;
  falseTail: number;
  /** Bytes of room at each tail. */
  tailRoom: number;
  /**
   * The body has no frame register: no argument block, no locals, every variable read where the
   * program keeps it. Otherwise the prelude points rbp at the frame's base.
   */
  frameless: boolean;
  /** Offsets of the argument slots the body reads where the program keeps them: the prelude need not fill them. */
  direct: ReadonlySet<number>;
  /** The frame has room for x87/SSE state (the condition computes with floating values). */
  fx: boolean;
}

/**
 * Where a variable the condition reads is at the site (its DWARF location there, worked out by the
 * debugger): in memory at a register of the program plus a constant, or, `value`, an integer or
 * pointer whose value is that register plus the constant.
 */
export interface SitePlace {
  reg: R;
  add: number;
  value?: boolean;
}

/** The room each tail of a site body gets: restoring every register, the hit count, moved instructions and a jump back. */
export const SITE_TAIL_ROOM = 512;

/** The general registers in the save area's slot order. */
export const SAVE_ORDER = [R.rax, R.rcx, R.rdx, R.rbx, R.rsi, R.rdi, R.rbp, R.r8, R.r9, R.r10, R.r11, R.r12, R.r13, R.r14, R.r15] as const;
export const RED_ZONE = 128;
/** fxsave's 512 bytes, and 16 to align them. */
export const FX_ROOM = 528;

/** Offsets from the frame's base: where each part of it starts (site-form.ts's header). */
export interface SiteFrame {
  fxRoom: number;
  saveArea: number;
  flags: number;
  siteRsp: number;
}

/** The frame of a body with an argument block of `argBlockSize` bytes, with room for x87/SSE state when `fx`. */
export function siteFrame(argBlockSize: number, fx: boolean): SiteFrame {
  const fxRoom = Math.ceil(argBlockSize / 16) * 16;
  const saveArea = fxRoom + (fx ? FX_ROOM : 0);
  const flags = saveArea + 8 * SAVE_ORDER.length;
  return { fxRoom, saveArea, flags, siteRsp: flags + 8 + RED_ZONE };
}

/**
 * Registers a site body never writes (the code generator's scratch registers are rax, rcx, rdx,
 * rsi and rdi; r8–r11 only pass a call's arguments, and a site body calls nothing; rbp only while
 * it is not the frame register): a variable addressed from one of these, or from rsp, or whose
 * value one of them holds, is read where the program keeps it.
 */
export const DIRECT_BASE_NAMES: readonly string[] = ["rsp", "rbx", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/** The register a program's register name (rax … r15) is to the code generator. */
export function registerNamed(name: string): R | undefined {
  return Object.prototype.hasOwnProperty.call(R, name) && typeof R[name as keyof typeof R] === "number" ? R[name as keyof typeof R] : undefined;
}
