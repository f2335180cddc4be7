/**
 * long double in the generated code: every value lives in a 16-byte frame slot of its own and
 * the code generator holds its address in rax; an operation loads its operands on the x87 stack,
 * computes and stores the result to a new slot, leaving the x87 stack empty. Nothing here changes
 * the FPU control word: the program's precision and rounding apply, as they do to its own code.
 */
import type { FrameLayout } from "../frame.js";
import type { ArithOp, TExpr } from "../ir.js";
import { someExpr } from "../ir-walk.js";
import { encodeExtended, type Extended } from "../../values/extended.js";
import { R, type Asm, type Mem } from "./asm.js";
import { unqual, type CType } from "../types.js";

/** What the x87 sequences need of the code generator. */
export interface X87Host {
  readonly asm: Asm;
  readonly frame: FrameLayout;
}

const at = (base: R, disp = 0): { mem: Mem } => ({ mem: { base, disp } });
const F32_2_63 = 0x5f000000;
const F32_2_64 = 0x5f800000;

/** A new slot for a long double result. */
function slot(h: X87Host): number {
  return h.frame.alloc(16, 16);
}

/** st0 → a new slot (popped); rax = its address. */
function popToSlot(h: X87Host): void {
  const s = slot(h);
  h.asm.group("fstp80", at(R.rbp, s), false);
  h.asm.rm("lea", R.rax, at(R.rbp, s));
}

/** Copies the 10 bytes of a long double from [src + sd] to [dst + dd] (clobbers rcx). */
export function copyExtended(a: Asm, dst: R, dd: number, src: R, sd: number): void {
  a.rm("load64", R.rcx, at(src, sd));
  a.rm("store64", R.rcx, at(dst, dd));
  a.rm("movzx16", R.rcx, at(src, sd + 8));
  a.rm("store16", R.rcx, at(dst, dd + 8));
}

/**
 * Whether the code for a checked tree touches the x87 stack or calls a function: only then does
 * it start by emptying the stack (emptyStack). Code of plain integers, pointers and doubles leaves
 * the x87 alone, so a breakpoint condition compiled into the program's path need not save it.
 */
export function needsEmptyStack(e: TExpr): boolean {
  return someExpr(e, (n) => n.k === "call" || usesX87(n.type));
}

/** long double, and every complex type (their products and quotients call the runtime's routines). */
function usesX87(type: CType): boolean {
  const t = unqual(type);
  return (t.kind === "float" && t.size === 16) || t.kind === "complex";
}

/**
 * Empties the x87 stack, keeping the control word: the program may be stopped with values on it
 * (optimized code keeps long doubles there), and the code and the functions it calls need room
 * and, by the ABI, an empty stack at each call. The evaluator restores the program's x87 state
 * after the call, so nothing of this reaches the program.
 */
export function emptyStack(h: X87Host): void {
  const a = h.asm;
  const cw = h.frame.alloc(2, 2);
  a.group("fnstcw", at(R.rbp, cw), false);
  a.x87("fninit");
  a.group("fldcw", at(R.rbp, cw), false);
}

/** rax = the address of a new slot holding the constant. */
export function constant(h: X87Host, x: Extended): void {
  const a = h.asm;
  const b = encodeExtended(x);
  const s = slot(h);
  a.movabs(R.rax, Buffer.from(b).readBigUInt64LE(0));
  a.rm("store64", R.rax, at(R.rbp, s));
  a.movImm(R.rax, BigInt(b[8]! | (b[9]! << 8)));
  a.rm("store16", R.rax, at(R.rbp, s + 8));
  a.rm("lea", R.rax, at(R.rbp, s));
}

/** rax = a new slot with a copy of the long double at [addr] (a load: later stores to the object do not change it). */
export function load(h: X87Host, addr: R): void {
  const s = slot(h);
  copyExtended(h.asm, R.rbp, s, addr, 0);
  h.asm.rm("lea", R.rax, at(R.rbp, s));
}

/** -x: the sign bit flipped (as fchs), in a new slot. */
export function negate(h: X87Host): void {
  const a = h.asm;
  load(h, R.rax);
  a.rm("movzx16", R.rcx, at(R.rax, 8));
  a.aluImm("xor", R.rcx, 0x8000);
  a.rm("store16", R.rcx, at(R.rax, 8));
}

const ARITH: Partial<Record<ArithOp, "faddp" | "fsubp" | "fmulp" | "fdivp">> = { "+": "faddp", "-": "fsubp", "*": "fmulp", "/": "fdivp" };

/** [left] op [right] into a new slot. */
export function arith(h: X87Host, op: ArithOp, left: R, right: R): void {
  const a = h.asm;
  a.group("fld80", at(left), false);
  a.group("fld80", at(right), false);
  a.x87(ARITH[op]!);
  popToSlot(h);
}

/** Flags as `ucomisd A, B` would set them, for the long doubles at [A] and [B]. */
export function compareFlags(a: Asm, A: R, B: R): void {
  a.group("fld80", at(B), false);
  a.group("fld80", at(A), false);
  a.x87("fucomip");
  a.x87("fstp0");
}

/** ZF/PF of comparing [addr] with 0 (setne|setp: non-zero, NaN included). */
export function compareWithZero(a: Asm, addr: R): void {
  a.group("fld80", at(addr), false);
  a.x87("fldz");
  a.x87("fucomip");
  a.x87("fstp0");
}

/** [rax] ± 1 into a new slot; rax = that slot. */
export function step(h: X87Host, delta: 1 | -1): void {
  const a = h.asm;
  a.group("fld80", at(R.rax), false);
  a.x87("fld1");
  a.x87(delta > 0 ? "faddp" : "fsubp");
  popToSlot(h);
}

/** The integer in rax (signed 64-bit, or unsigned when `unsigned64`) to a new slot, exactly (fild). */
export function fromInteger(h: X87Host, unsigned64: boolean): void {
  const a = h.asm;
  a.push(R.rax);
  a.group("fild64", at(R.rsp), false);
  if (unsigned64) {
    // fild read it as signed: add 2^64 back when the top bit was set (what gcc emits).
    const done = a.newLabel();
    a.rr("test", R.rax, R.rax);
    a.jcc("ns", done);
    a.movImm(R.rcx, BigInt(F32_2_64));
    a.rm("store32", R.rcx, at(R.rsp));
    a.group("fadd32", at(R.rsp), false);
    a.bind(done);
  }
  a.pop(R.rax);
  popToSlot(h);
}

/** xmm0 (a float when `single`, else a double) to a new slot, exactly. */
export function fromSse(h: X87Host, single: boolean): void {
  const a = h.asm;
  a.aluImm("sub", R.rsp, 8);
  a.rm(single ? "movssStore" : "movsdStore", 0, at(R.rsp));
  a.group(single ? "fld32" : "fld64", at(R.rsp), false);
  a.aluImm("add", R.rsp, 8);
  popToSlot(h);
}

/** [rax] rounded to xmm0 (a float when `single`), as fstp m32/m64 rounds. */
export function toSse(h: X87Host, single: boolean): void {
  const a = h.asm;
  a.group("fld80", at(R.rax), false);
  a.aluImm("sub", R.rsp, 8);
  a.group(single ? "fstp32" : "fstp64", at(R.rsp), false);
  a.rm(single ? "movssLoad" : "movsdLoad", 0, at(R.rsp));
  a.aluImm("add", R.rsp, 8);
}

/**
 * rax = [rax] truncated toward zero (fisttp: NaN and out-of-range give 0x8000000000000000); for
 * unsigned 64-bit, values from 2^63 up are converted less 2^63 and bit 63 flipped, as for doubles.
 */
export function toInteger(h: X87Host, unsigned64: boolean): void {
  const a = h.asm;
  a.mov(R.rdx, R.rax);
  a.aluImm("sub", R.rsp, 8);
  if (!unsigned64) {
    a.group("fld80", at(R.rdx), false);
    a.group("fisttp64", at(R.rsp), false);
    a.pop(R.rax);
    return;
  }
  const big = a.newLabel();
  const end = a.newLabel();
  a.movImm(R.rcx, BigInt(F32_2_63));
  a.rm("store32", R.rcx, at(R.rsp));
  a.group("fld32", at(R.rsp), false);
  a.group("fld80", at(R.rdx), false);
  a.x87("fucomip"); // x against 2^63; below or unordered: the plain conversion
  a.x87("fstp0");
  a.group("fld80", at(R.rdx), false);
  a.jcc("ae", big);
  a.group("fisttp64", at(R.rsp), false);
  a.pop(R.rax);
  a.jmp(end);
  a.bind(big);
  a.group("fsub32", at(R.rsp), false);
  a.group("fisttp64", at(R.rsp), false);
  a.pop(R.rax);
  a.btcImm(R.rax, 63);
  a.bind(end);
}
