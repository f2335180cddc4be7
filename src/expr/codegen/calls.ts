/**
 * Call sequences under the System V x86-64 convention (abi.ts), both sides: the caller of a
 * program, library or console function, and a console function's own prologue and `return`.
 * Structs and unions pass and return by value — in registers by eightbyte, on the stack by copy,
 * through a hidden pointer, or in st0 — exactly where gcc puts them.
 */
import type { FrameLayout } from "../frame.js";
import type { TExpr } from "../ir.js";
import { sizeOf, type CType } from "../types.js";
import { heldByAddress, layoutArgs, returnLocation, valueClass, type Location, type Piece } from "./abi.js";
import { R, type Asm, type Mem } from "./asm.js";

/** What the sequences need of the code generator. */
export interface CallHost {
  readonly asm: Asm;
  readonly frame: FrameLayout;
  /** Pending 8-byte pushes of the operand stack: the call must find rsp 16-byte aligned. */
  readonly depth: number;
  readonly largeCodeModel: boolean;
  value(e: TExpr): void;
  /** memcpy(dst, src, n); clobbers rdi, rsi, rcx. */
  copyBytes(dst: R, src: R, n: number): void;
  /** Stores rax/xmm0 as type t at [addr + disp]. */
  store(t: CType, addr: R, disp?: number): void;
  /** Re-extends rax from the width of an integer type. */
  normalize(t: CType): void;
}

const round8 = (n: number): number => Math.ceil(n / 8) * 8;
const frameMem = (disp: number): { mem: Mem } => ({ mem: { base: R.rbp, disp } });

/** Loads (or stores) the register eightbytes of a value at [rbp + at]. */
function loadPieces(a: Asm, pieces: Piece[], at: number): void {
  for (const p of pieces) a.rm(p.sse ? "movsdLoad" : "load64", p.reg, frameMem(at + 8 * p.eightbyte));
}
function storePieces(a: Asm, pieces: Piece[], at: number): void {
  for (const p of pieces) a.rm(p.sse ? "movsdStore" : "store64", p.reg, frameMem(at + 8 * p.eightbyte));
}

/**
 * Evaluates the callee and the arguments in order, each into a temporary of the frame (later
 * arguments may call functions, and a struct argument is copied when it is evaluated); then lays
 * out the stack arguments, loads the registers and calls. The result ends where the code
 * generator holds values: rax, xmm0, or (structs) the address of a frame temporary in rax.
 */
export function emitCall(h: CallHost, e: Extract<TExpr, { k: "call" }>): void {
  const a = h.asm;
  const ret = returnLocation(e.fn.ret);
  const aggregate = heldByAddress(e.fn.ret);
  const result = aggregate ? h.frame.alloc(round8(sizeOf(e.fn.ret) ?? 0), 16) : 0;
  const layout = layoutArgs(e.args.map((x) => x.type), ret.k === "memory");

  // Direct calls relocate against the symbol; anything else is called through r11.
  const direct = e.callee.k === "addr" && e.callee.lv.k === "place" && (e.callee.lv.place.k === "extern" || e.callee.lv.place.k === "own")
    ? e.callee.lv.place.symbol
    : undefined;
  let calleeAt = 0;
  if (!direct) {
    h.value(e.callee);
    calleeAt = h.frame.alloc(8, 8);
    a.rm("store64", R.rax, frameMem(calleeAt));
  }
  const temps = e.args.map((arg, i) => {
    h.value(arg);
    if (layout.args[i]!.k === "none") return 0; // an empty struct: evaluated, not passed
    if (heldByAddress(arg.type)) {
      const size = sizeOf(arg.type) ?? 0;
      const at = h.frame.alloc(round8(size), 16);
      a.rm("lea", R.rdx, frameMem(at));
      h.copyBytes(R.rdx, R.rax, size);
      return at;
    }
    const at = h.frame.alloc(8, 8);
    if (valueClass(arg.type) === "sse") a.rm("movsdStore", 0, frameMem(at));
    else a.rm("store64", R.rax, frameMem(at));
    return at;
  });

  const drop = Math.ceil(layout.stackSize / 16) * 16 + (h.depth % 2 === 1 ? 8 : 0);
  if (drop > 0) a.aluImm("sub", R.rsp, drop);
  // Stack arguments first: their copies clobber rdi, rsi and rcx.
  e.args.forEach((arg, i) => {
    const loc = layout.args[i]!;
    if (loc.k !== "stack") return;
    const at = temps[i]!;
    if (!heldByAddress(arg.type)) {
      a.rm("load64", R.rax, frameMem(at));
      a.rm("store64", R.rax, { mem: { base: R.rsp, disp: loc.offset } });
      return;
    }
    a.rm("lea", R.rdx, { mem: { base: R.rsp, disp: loc.offset } });
    a.rm("lea", R.rax, frameMem(at));
    h.copyBytes(R.rdx, R.rax, round8(sizeOf(arg.type) ?? 0));
  });
  e.args.forEach((_, i) => {
    const loc = layout.args[i]!;
    if (loc.k === "regs") loadPieces(a, loc.pieces, temps[i]!);
  });
  if (!direct) a.rm("load64", R.r11, frameMem(calleeAt));
  if (ret.k === "memory") a.rm("lea", R.rdi, frameMem(result));
  if (e.fn.variadic || !e.fn.prototyped) a.movImm(R.rax, BigInt(layout.sseUsed));
  if (direct && !h.largeCodeModel) a.callSymbol(direct);
  else {
    if (direct) a.movabs(R.r11, 0n, { symbol: direct });
    a.callReg(R.r11);
  }
  if (drop > 0) a.aluImm("add", R.rsp, drop);

  if (!aggregate) {
    if (valueClass(e.fn.ret) === "int") h.normalize(e.fn.ret);
    return;
  }
  if (ret.k === "regs") storePieces(a, ret.pieces, result);
  else if (ret.k === "x87") a.group("fstp80", frameMem(result), false);
  else if (ret.k === "complexX87") {
    a.group("fstp80", frameMem(result), false); // st0: the real part
    a.group("fstp80", frameMem(result + 16), false);
  }
  a.rm("lea", R.rax, frameMem(result));
}

/** How a console function gives its result back, decided in its prologue. */
export interface ReturnPlan {
  type: CType;
  location: Location;
  /** Frame slot of the hidden result pointer (MEMORY results). */
  hiddenAt?: number;
}

/**
 * A console function's prologue: each parameter from its register(s) or the caller's stack into
 * its frame slot (struct slots are a multiple of 8 long: whole eightbytes are stored), registers
 * first, since the copies from the stack clobber rdi, rsi and rcx.
 */
export function emitParams(h: CallHost, params: { offset: number; type: CType }[], ret: CType): ReturnPlan {
  const a = h.asm;
  const location = returnLocation(ret);
  const plan: ReturnPlan = { type: ret, location };
  if (location.k === "memory") {
    plan.hiddenAt = h.frame.alloc(8, 8);
    a.rm("store64", R.rdi, frameMem(plan.hiddenAt));
  }
  const layout = layoutArgs(params.map((p) => p.type), location.k === "memory");
  params.forEach((p, i) => {
    const loc = layout.args[i]!;
    if (loc.k !== "regs") return;
    const cls = valueClass(p.type);
    if (cls === "mem") storePieces(a, loc.pieces, p.offset);
    else if (cls === "sse") a.rm(sizeOf(p.type) === 4 ? "movssStore" : "movsdStore", loc.pieces[0]!.reg, frameMem(p.offset));
    else {
      a.mov(R.rax, loc.pieces[0]!.reg);
      h.store(p.type, R.rbp, p.offset);
    }
  });
  params.forEach((p, i) => {
    const loc = layout.args[i]!;
    if (loc.k !== "stack") return;
    const from = 16 + loc.offset; // above the saved rbp and the return address
    const cls = valueClass(p.type);
    if (cls === "mem" || cls === "x87") {
      a.rm("lea", R.rdx, frameMem(p.offset));
      a.rm("lea", R.rax, frameMem(from));
      h.copyBytes(R.rdx, R.rax, sizeOf(p.type) ?? 0);
    } else if (cls === "sse") {
      a.rm("movsdLoad", 0, frameMem(from));
      h.store(p.type, R.rbp, p.offset);
    } else {
      a.rm("load64", R.rax, frameMem(from));
      h.store(p.type, R.rbp, p.offset);
    }
  });
  return plan;
}

/**
 * `return value;` of a console function, the value evaluated (aggregates: its address in rax):
 * register eightbytes are loaded from a copy in the frame (never read past the object), MEMORY
 * results are copied through the hidden pointer, which comes back in rax.
 */
export function emitReturnValue(h: CallHost, plan: ReturnPlan): void {
  const a = h.asm;
  if (!heldByAddress(plan.type)) return; // scalars are already in rax or xmm0
  const size = sizeOf(plan.type) ?? 0;
  switch (plan.location.k) {
    case "regs": {
      const at = h.frame.alloc(round8(size), 16);
      a.rm("lea", R.rdx, frameMem(at));
      h.copyBytes(R.rdx, R.rax, size);
      loadPieces(a, plan.location.pieces, at);
      return;
    }
    case "memory":
      a.rm("load64", R.rdx, frameMem(plan.hiddenAt!));
      h.copyBytes(R.rdx, R.rax, size);
      a.rm("load64", R.rax, frameMem(plan.hiddenAt!));
      return;
    case "x87": a.group("fld80", { mem: { base: R.rax, disp: 0 } }, false); return;
    case "complexX87":
      a.group("fld80", { mem: { base: R.rax, disp: 16 } }, false);
      a.group("fld80", { mem: { base: R.rax, disp: 0 } }, false); // st0: the real part
      return;
    default: return;
  }
}
