/**
 * Bit-field access: reads extract the field from a load of the smallest word holding it; writes
 * read, modify and write that word back, changing only the field's bits. The word never reaches
 * past the end of the struct (a field in its last bytes is reached from further down).
 */
import { exprError } from "../errors.js";
import type { TExpr } from "../ir.js";
import { intOf, sizeOf } from "../types.js";
import { R, type Asm } from "./asm.js";

type BitField = Extract<TExpr, { k: "member" }>;

interface Window {
  /** Byte offset of the word from the start of the struct. */
  disp: number;
  width: 1 | 2 | 4 | 8;
  /** The field's least significant bit within the word. */
  shift: number;
  size: number;
  signed: boolean;
}

function window(lv: BitField): Window {
  const bitOffset = lv.bitOffset ?? lv.offset * 8;
  const size = lv.bitSize!;
  const first = Math.floor(bitOffset / 8);
  const end = Math.ceil((bitOffset + size) / 8);
  const width = ([1, 2, 4, 8] as const).find((w) => w >= end - first);
  if (width === undefined) throw exprError("EXPR_UNSUPPORTED", `a ${size}-bit field spread over ${end - first} bytes (a packed struct) is not supported`, lv.pos);
  const recordSize = sizeOf(lv.base.type);
  const disp = recordSize !== undefined && first + width > recordSize ? Math.max(0, end - width) : first;
  return { disp, width, shift: bitOffset - 8 * disp, size, signed: intOf(lv.type).signed };
}

function loadWord(a: Asm, w: Window, dst: R, base: R): void {
  const m = { mem: { base, disp: w.disp } };
  const op = w.width === 1 ? "movzx8" : w.width === 2 ? "movzx16" : w.width === 4 ? "load32" : "load64";
  a.rm(op, dst, m);
}

/** rax = the field's bits, sign- or zero-extended as its declared type says. */
function extend(a: Asm, w: Window, fromShift: number): void {
  a.shiftImm("shl", R.rax, 64 - fromShift - w.size);
  a.shiftImm(w.signed ? "sar" : "shr", R.rax, 64 - w.size);
}

/** rax = the bit-field of the struct at [base]. */
export function extractBitField(a: Asm, lv: BitField, base: R): void {
  const w = window(lv);
  loadWord(a, w, R.rax, base);
  extend(a, w, w.shift);
}

/**
 * Stores rax (a value of the field's declared type) into the bit-field of the struct at [base]
 * (not rax, rcx, rsi or rdi), truncated to the field's width; rax = the field's new value, which
 * is what the assignment expression is worth. Clobbers rcx, rsi, rdi.
 */
export function insertBitField(a: Asm, lv: BitField, base: R): void {
  const w = window(lv);
  const mask = (1n << BigInt(w.size)) - 1n;
  a.movabs(R.rcx, mask);
  a.rr("and", R.rax, R.rcx);
  a.mov(R.rsi, R.rax);
  if (w.shift > 0) a.shiftImm("shl", R.rsi, w.shift);
  loadWord(a, w, R.rcx, base);
  a.movabs(R.rdi, BigInt.asUintN(64, ~(mask << BigInt(w.shift))));
  a.rr("and", R.rcx, R.rdi);
  a.rr("or", R.rcx, R.rsi);
  const m = { mem: { base, disp: w.disp } };
  a.rm(w.width === 1 ? "store8" : w.width === 2 ? "store16" : w.width === 4 ? "store32" : "store64", R.rcx, m);
  extend(a, w, 0);
}
