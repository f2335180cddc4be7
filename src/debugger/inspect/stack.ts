/**
 * Call stack by unwinding: call frame information (.eh_frame/.debug_frame of the image holding the
 * pc, or of a JIT module) first, the frame-pointer chain when there is none (the return address at
 * the stack pointer when the pc holds no code at all). Each frame has the registers that could be
 * recovered for it, in DWARF numbering, and where each of them is kept (the live register, or the
 * stack slot a callee saved it to), so that a caller frame's register can be written.
 */
import type { Cpu } from "../../emu/cpu.js";
import { CALLEE_SAVED_REGS, DWARF_GPRS } from "./registers.js";
import type { ImageInfo, SourceLocation } from "../image-info.js";
import type { CallFrameInfo, SavedRegisterHome, Scope } from "../../dwarf/index.js";
import { InlinedScope } from "../../dwarf/index.js";
import { BoundedMemo } from "../bounded-memo.js";
import { unsignedLE } from "../../values/value.js";

export interface Frame {
  index: number;
  pc: bigint;
  /** Canonical frame address (the caller's rsp); undefined when the unwinder could not tell. */
  cfa: bigint | undefined;
  /** Registers known in this frame, DWARF-numbered. */
  registers: Map<number, bigint>;
  /**
   * Where this frame's registers are kept, DWARF-numbered: `register` is the live CPU register (no
   * frame below saved it), `memory` the slot a callee saved it to. A register without a home was
   * computed by the unwinder (rsp as the CFA) and cannot be written.
   */
  homes: Map<number, SavedRegisterHome>;
  image: ImageInfo | undefined;
  functionName: string | undefined;
  source: SourceLocation | undefined;
  /** Address used to look up lines and scopes: pc-1 for return addresses (the call instruction). */
  lookupPc: bigint;
  /**
   * How this frame was found ("inline": a call the compiler inlined, sharing its caller's registers;
   * "return-address": the word at the stack pointer of a callee stopped at an address with no code).
   */
  unwoundBy: "top" | "cfi" | "frame-pointer" | "return-address" | "inline";
  /**
   * The DWARF scopes of this frame, innermost first, ending with its function (or inlined call);
   * undefined without debug information.
   */
  scopes?: Scope[];
}

export interface UnwindContext {
  cpu: Cpu;
  imageFor(pc: bigint): ImageInfo | undefined;
  /** Call frame information for code outside the images (JIT modules). */
  extraCfi?(pc: bigint): CallFrameInfo | undefined;
  /** A name for code outside the images ("twice [console]" for a JIT-linked function). */
  extraName?(pc: bigint): string | undefined;
  maxFrames?: number;
  /**
   * Inlined calls at the top that have not started yet (gdb hides inlined frames whose code starts
   * at the stop pc): the innermost `hiddenInline` virtual frames are left out, and the first shown
   * frame is at the hidden call's call site.
   */
  hiddenInline?: number;
  /**
   * Only each physical frame's pc and registers are wanted (which code a thread is in or returns
   * to): no names, lines or inlined calls, which cost a symbol table's first reading.
   */
  pcsOnly?: boolean;
}

const RSP = 7;
const RBP = 6;
const RIP = 16;

function readU64(cpu: Cpu, address: bigint): bigint | undefined {
  const b = new Uint8Array(8);
  return cpu.tryRead(address, b) ? new DataView(b.buffer).getBigUint64(0, true) : undefined;
}

export function topRegisters(cpu: Cpu): Map<number, bigint> {
  const regs = new Map<number, bigint>();
  for (const [num, name] of DWARF_GPRS) regs.set(num, cpu.reg(name));
  return regs;
}

/**
 * What a frame at a pc of an image shows that depends on the code alone (its function's name, its
 * line, its inlined calls): one shape per frame the pc expands to, innermost first. The same at
 * every stop, so it is made once per pc (a new stop's frames are mostly at pcs met before).
 */
interface FrameShape {
  functionName: string | undefined;
  source: SourceLocation | undefined;
  scopes: Scope[] | undefined;
  /** A call the compiler inlined into the next shape's frame. */
  inline: boolean;
}

const shapesByImage = new WeakMap<ImageInfo, BoundedMemo<bigint, FrameShape[]>>();

function shapesAt(image: ImageInfo, lookupPc: bigint): FrameShape[] {
  let memo = shapesByImage.get(image);
  if (!memo) shapesByImage.set(image, (memo = new BoundedMemo()));
  return memo.get(lookupPc, (at) => makeShapes(image, at));
}

function makeShapes(image: ImageInfo, lookupPc: bigint): FrameShape[] {
  const at = image.functionAt(lookupPc);
  // The symbol table's name only without DWARF's: sorting a static program's symbols costs milliseconds.
  const base: FrameShape = { functionName: at ? at.function.name : image.functionName(lookupPc), source: image.sourceAt(lookupPc), scopes: undefined, inline: false };
  if (!at) return [base];
  // No inlined call at this pc (most frames): one frame, its scopes those of the function.
  const n = at.scopes.length;
  let inlined = false;
  for (let i = 0; i < n - 1 && !inlined; i++) inlined = at.scopes[i]!.kind === "inlined" || at.scopes[i]!.kind === "function";
  if (n > 0 && !inlined) {
    const owner = at.scopes[n - 1]!;
    return [{ ...base, functionName: owner instanceof InlinedScope ? owner.name : at.function.name, scopes: at.scopes.slice() }];
  }
  // Split the scope chain at each inlined call: every segment is one (virtual) frame.
  const segments: Scope[][] = [[]];
  for (const s of at.scopes) {
    segments[segments.length - 1]!.push(s);
    if (s.kind === "inlined" || s.kind === "function") segments.push([]);
  }
  if (segments[segments.length - 1]!.length === 0) segments.pop();
  return segments.map((seg, k) => {
    const owner = seg[seg.length - 1]!;
    const name = owner instanceof InlinedScope ? owner.name : at.function.name;
    let source = base.source;
    if (k > 0) {
      const inner = segments[k - 1]![segments[k - 1]!.length - 1];
      if (inner instanceof InlinedScope && inner.call.line !== undefined) source = { file: inner.call.file ?? base.source?.file ?? "?", line: inner.call.line, column: inner.call.column ?? 0 };
    }
    return { functionName: name, source, scopes: seg, inline: k < segments.length - 1 };
  });
}

/**
 * One physical frame, expanded into one frame per inlined call at its pc (innermost first), the
 * innermost `skip` of them left out (never all); numbered from `firstIndex`.
 */
function describeFrames(ctx: Pick<UnwindContext, "imageFor" | "extraName" | "pcsOnly">, firstIndex: number, physical: number, pc: bigint, regs: Map<number, bigint>, homes: Map<number, SavedRegisterHome>, cfa: bigint | undefined, how: Frame["unwoundBy"], skip = 0): Frame[] {
  const lookupPc = physical === 0 ? pc : pc - 1n;
  const image = ctx.imageFor(lookupPc);
  if (ctx.pcsOnly || !image) {
    const functionName = ctx.pcsOnly ? undefined : ctx.extraName?.(lookupPc);
    return [{ index: firstIndex, pc, cfa, registers: regs, homes, image, functionName, source: undefined, lookupPc, unwoundBy: how }];
  }
  const shapes = shapesAt(image, lookupPc);
  const out: Frame[] = [];
  for (let k = Math.min(skip, shapes.length - 1); k < shapes.length; k++) {
    const s = shapes[k]!;
    const f: Frame = { index: firstIndex + out.length, pc, cfa, registers: regs, homes, image, functionName: s.functionName, source: s.source, lookupPc, unwoundBy: s.inline ? "inline" : how };
    if (s.scopes) f.scopes = s.scopes;
    out.push(f);
  }
  return out;
}

/**
 * The innermost frames a stop at `pc` would show with registers `regs` (DWARF-numbered) and
 * canonical frame address `cfa`, `hidden` inlined calls that have not started left out: the scope
 * code compiled to run at `pc` sees (a breakpoint condition in the program's path).
 */
export function framesAt(imageFor: (pc: bigint) => ImageInfo | undefined, pc: bigint, regs: Map<number, bigint>, cfa: bigint, hidden: number): Frame[] {
  // No frame below saved anything: the registers are the site's own (the trampoline's save area).
  return describeFrames({ imageFor }, 0, 0, pc, regs, new Map(), cfa, "top", hidden);
}

/** The frames from the innermost outwards. */
export function unwindStack(ctx: UnwindContext): Frame[] {
  const max = ctx.maxFrames ?? 512;
  const frames: Frame[] = [];
  let regs = topRegisters(ctx.cpu);
  let homes = new Map<number, SavedRegisterHome>([...regs.keys()].map((r) => [r, { kind: "register", reg: r }]));
  let pc = regs.get(RIP)!;
  let how: Frame["unwoundBy"] = "top";
  for (let i = 0; i < max; i++) {
    const step = unwindOne(ctx, pc, regs, i > 0);
    for (const f of describeFrames(ctx, frames.length, i, pc, regs, homes, step?.cfa, how, i === 0 ? ctx.hiddenInline : 0)) frames.push(f);
    if (!step || step.returnAddress === undefined || step.returnAddress === 0n) break;
    // A caller whose stack pointer does not grow outwards is a broken chain: stop there.
    const oldSp = regs.get(RSP)!;
    const newSp = step.registers.get(RSP);
    if (newSp === undefined || newSp <= oldSp) break;
    homes = callerHomes(homes, step.homes);
    regs = step.registers;
    pc = step.returnAddress;
    how = step.how;
  }
  return frames;
}

/**
 * The caller's homes from the callee's and one unwind step's: a register the callee saved is in
 * its slot; one held in a callee register (the same one, if the callee left it alone) is wherever
 * that register of the callee is kept.
 */
function callerHomes(callee: Map<number, SavedRegisterHome>, step: Map<number, SavedRegisterHome>): Map<number, SavedRegisterHome> {
  const out = new Map<number, SavedRegisterHome>();
  for (const [r, h] of step) {
    const home = h.kind === "memory" ? h : callee.get(h.reg);
    if (home) out.set(r, home);
  }
  return out;
}

/** Homes in the caller of registers the callee keeps unchanged: each is its own register of the callee. */
function unchanged(regs: Iterable<number>): Map<number, SavedRegisterHome> {
  return new Map([...regs].map((r) => [r, { kind: "register", reg: r }]));
}

interface Step {
  cfa: bigint | undefined;
  registers: Map<number, bigint>;
  /** Where the caller's registers are kept, relative to the callee (see callerHomes). */
  homes: Map<number, SavedRegisterHome>;
  returnAddress: bigint | undefined;
  how: "cfi" | "frame-pointer" | "return-address";
}

function unwindOne(ctx: UnwindContext, pc: bigint, regs: Map<number, bigint>, isReturnAddress: boolean): Step | undefined {
  const lookup = isReturnAddress ? pc - 1n : pc;
  const cfi = ctx.imageFor(lookup)?.cfi ?? ctx.extraCfi?.(lookup);
  const res = cfi?.unwind(pc, { readRegister: (r) => regs.get(r), readMemory: (a, size) => readSized(ctx.cpu, a, size) }, { isReturnAddress });
  if (res) {
    // The step's own maps (made for this step alone) become the caller's. Callee-saved registers
    // the CFI leaves without a value keep the callee's; rsp is the CFA, computed, so it has no home.
    const next = res.registers;
    const homes = res.homes;
    for (const r of CALLEE_SAVED_REGS) {
      if (next.has(r)) continue;
      const v = regs.get(r);
      if (v === undefined) continue;
      next.set(r, v);
      homes.set(r, { kind: "register", reg: r });
    }
    next.set(RSP, res.cfa);
    homes.delete(RSP);
    return { cfa: res.cfa, registers: next, homes, returnAddress: res.returnAddress, how: "cfi" };
  }
  if (!isReturnAddress && !ctx.imageFor(pc) && !ctx.cpu.tryRead(pc, new Uint8Array(1))) {
    // Stopped at an address with no code (a call through a null or wild function pointer): like
    // gdb, take it for a function that has not run an instruction yet, its return address at rsp.
    const rsp = regs.get(RSP)!;
    const ret = readU64(ctx.cpu, rsp);
    if (ret === undefined) return undefined;
    const next = new Map<number, bigint>();
    for (const r of CALLEE_SAVED_REGS) {
      const v = regs.get(r);
      if (v !== undefined) next.set(r, v);
    }
    const homes = unchanged(next.keys());
    homes.set(RIP, { kind: "memory", address: rsp });
    next.set(RSP, rsp + 8n);
    next.set(RIP, ret);
    return { cfa: rsp + 8n, registers: next, homes, returnAddress: ret, how: "return-address" };
  }
  // No CFI: assume the standard frame `push rbp; mov rbp, rsp`.
  const rbp = regs.get(RBP);
  if (rbp === undefined || rbp === 0n) return undefined;
  const savedRbp = readU64(ctx.cpu, rbp);
  const ret = readU64(ctx.cpu, rbp + 8n);
  if (savedRbp === undefined || ret === undefined) return undefined;
  const next = new Map<number, bigint>([[RBP, savedRbp], [RSP, rbp + 16n], [RIP, ret]]);
  const homes = new Map<number, SavedRegisterHome>([[RBP, { kind: "memory", address: rbp }], [RIP, { kind: "memory", address: rbp + 8n }]]);
  return { cfa: rbp + 16n, registers: next, homes, returnAddress: ret, how: "frame-pointer" };
}

function readSized(cpu: Cpu, address: bigint, size: number): bigint | undefined {
  const b = new Uint8Array(size);
  return cpu.tryRead(address, b) ? unsignedLE(b) : undefined;
}
