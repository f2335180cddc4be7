/**
 * System V x86-64 calling convention (psABI 3.2.3): the one classification of every value the
 * code generator passes or returns — scalars and structs/unions alike, as the caller of a program
 * or console function and as a console function itself — and where each argument goes.
 */
import { alignOf, sizeOf, unqual, type CType } from "../types.js";
import { R } from "./asm.js";

export type ValueClass = "int" | "sse" | "x87" | "mem" | "void";

/**
 * How the code generator holds a value: rax, xmm0, or its address in rax — aggregates and
 * complex values ("mem"), and long double ("x87": a 16-byte frame slot of its own, loaded on
 * the x87 stack only inside an operation, which leaves the stack empty).
 */
export function valueClass(t: CType): ValueClass {
  const u = unqual(t);
  switch (u.kind) {
    case "void": return "void";
    case "float": return u.size === 16 ? "x87" : "sse";
    case "struct": case "union": case "array": case "complex": return "mem";
    default: return "int";
  }
}

/** Values held by their address in rax (valueClass "mem" or "x87"). */
export const heldByAddress = (t: CType): boolean => {
  const c = valueClass(t);
  return c === "mem" || c === "x87";
};

/**
 * The byte ranges [offset, length] a store of type t writes: a long double's 10 bytes, not its
 * padding (the x87's fstp writes 10), each part of a complex long double; else the whole object.
 */
export function storedRanges(t: CType): [number, number][] {
  const u = unqual(t);
  if (u.kind === "float" && u.size === 16) return [[0, 10]];
  if (u.kind === "complex" && u.of.size === 16) return [[0, 10], [16, 10]];
  return [[0, sizeOf(t) ?? 0]];
}

/** An eightbyte's class after merging; NONE: padding only, which takes no register (as gcc). */
export type Eightbyte = "INTEGER" | "SSE" | "NONE";

export type AbiClass =
  /** void, and GNU C's empty structs: no register and no stack space. */
  | { kind: "none" }
  /** Up to two eightbytes, each in the next free register of its class. */
  | { kind: "regs"; eightbytes: Eightbyte[] }
  /** Larger than 16 bytes, a misaligned field, or x87 mixed with other classes. */
  | { kind: "memory" }
  /** long double and `struct { long double }`: on the stack as an argument, in st0 as a result. */
  | { kind: "x87" }
  /** complex long double: on the stack as an argument, real part in st0 and imaginary in st1 as a result. */
  | { kind: "complexX87" };

type Raw = "NO_CLASS" | "INTEGER" | "SSE" | "X87" | "X87UP" | "MEMORY";

/** psABI's merge of two classes meeting in one eightbyte. */
function merge(a: Raw, b: Raw): Raw {
  if (a === b) return a;
  if (a === "NO_CLASS") return b;
  if (b === "NO_CLASS") return a;
  if (a === "MEMORY" || b === "MEMORY") return "MEMORY";
  if (a === "INTEGER" || b === "INTEGER") return "INTEGER";
  if (a === "X87" || a === "X87UP" || b === "X87" || b === "X87UP") return "MEMORY";
  return "SSE";
}

export function classify(t: CType): AbiClass {
  const u = unqual(t);
  switch (u.kind) {
    case "void": return { kind: "none" };
    case "float": return u.size === 16 ? { kind: "x87" } : { kind: "regs", eightbytes: ["SSE"] };
    // complex float: one SSE eightbyte; complex double: two, as struct { double re, im; }.
    case "complex": return u.of.size === 16 ? { kind: "complexX87" } : classifyAggregate(u);
    case "struct": case "union": case "array": return classifyAggregate(u);
    default: return { kind: "regs", eightbytes: ["INTEGER"] };
  }
}

function classifyAggregate(t: CType): AbiClass {
  const size = sizeOf(t) ?? 0;
  if (size === 0) return { kind: "none" };
  if (size > 16) return { kind: "memory" };
  const classes: Raw[] = new Array<Raw>(Math.ceil(size / 8)).fill("NO_CLASS");
  const mark = (i: number, c: Raw): void => {
    if (i < classes.length) classes[i] = merge(classes[i]!, c);
  };
  let misaligned = false;
  // Every scalar in the aggregate, at its byte offset, merges its class into its eightbyte.
  const visit = (ty: CType, offset: number): void => {
    const u = unqual(ty);
    switch (u.kind) {
      case "struct": case "union":
        for (const m of u.members) {
          if (m.bitSize === undefined) {
            visit(m.type, offset + m.offset);
            continue;
          }
          // Bit-fields are INTEGER in every eightbyte they touch, and never misaligned (gcc).
          if (m.bitSize === 0) continue;
          const first = offset * 8 + (m.bitOffset ?? m.offset * 8);
          for (let i = Math.floor(first / 64); i <= Math.floor((first + m.bitSize - 1) / 64); i++) mark(i, "INTEGER");
        }
        return;
      case "array": {
        const es = sizeOf(u.of) ?? 0;
        for (let i = 0; i < (u.count ?? 0); i++) visit(u.of, offset + i * es); // a flexible array adds nothing
        return;
      }
      case "void": case "function": return;
      case "complex":
        visit(u.of, offset);
        visit(u.of, offset + u.of.size);
        return;
      default: {
        if (offset % alignOf(u) !== 0) misaligned = true; // packed structs: MEMORY
        const eb = Math.floor(offset / 8);
        if (u.kind === "float" && u.size === 16) {
          mark(eb, "X87");
          mark(eb + 1, "X87UP");
        } else mark(eb, u.kind === "float" ? "SSE" : "INTEGER");
      }
    }
  };
  visit(t, 0);
  if (misaligned || classes.includes("MEMORY")) return { kind: "memory" };
  if (classes.some((c, i) => c === "X87UP" && classes[i - 1] !== "X87")) return { kind: "memory" };
  if (classes.includes("X87")) return { kind: "x87" }; // [X87, X87UP]: merging left nothing else
  return { kind: "regs", eightbytes: classes.map((c) => (c === "NO_CLASS" ? "NONE" : c as "INTEGER" | "SSE")) };
}

export const INT_ARG_REGS = [R.rdi, R.rsi, R.rdx, R.rcx, R.r8, R.r9] as const;
export const SSE_ARG_REGS = 8;
const INT_RET_REGS = [R.rax, R.rdx] as const;

/** One eightbyte of a value in a register: INTEGER in a general register, SSE in an xmm register. */
export interface Piece {
  eightbyte: number;
  sse: boolean;
  reg: number;
}

export type Location =
  | { k: "none" }
  | { k: "regs"; pieces: Piece[] }
  /** Arguments: at `offset` from rsp at the call. */
  | { k: "stack"; offset: number }
  /** Results: through the hidden pointer passed in rdi (and given back in rax). */
  | { k: "memory" }
  | { k: "x87" }
  | { k: "complexX87" };

export interface ArgLayout {
  args: Location[];
  /** Bytes of stack arguments (their area is rounded to 16 at the call). */
  stackSize: number;
  /** SSE registers used: what a variadic callee finds in al. */
  sseUsed: number;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * Where each argument goes: an argument whose eightbytes do not all fit in the registers left goes
 * wholly on the stack, and leaves those registers to later arguments (psABI; what gcc does). Stack
 * arguments are in order, each 8-aligned (16 for types aligned to 16) and a multiple of 8 long.
 */
export function layoutArgs(types: readonly CType[], hiddenReturn: boolean): ArgLayout {
  let ints = hiddenReturn ? 1 : 0;
  let sses = 0;
  let stack = 0;
  const args = types.map((t): Location => {
    const c = classify(t);
    if (c.kind === "none") return { k: "none" };
    if (c.kind === "regs") {
      const needInt = c.eightbytes.filter((e) => e === "INTEGER").length;
      const needSse = c.eightbytes.filter((e) => e === "SSE").length;
      if (ints + needInt <= INT_ARG_REGS.length && sses + needSse <= SSE_ARG_REGS) {
        const pieces: Piece[] = [];
        c.eightbytes.forEach((e, eightbyte) => {
          if (e === "INTEGER") pieces.push({ eightbyte, sse: false, reg: INT_ARG_REGS[ints++]! });
          else if (e === "SSE") pieces.push({ eightbyte, sse: true, reg: sses++ });
        });
        return { k: "regs", pieces };
      }
    }
    stack = roundUp(stack, alignOf(t) >= 16 ? 16 : 8);
    const offset = stack;
    stack += roundUp(sizeOf(t) ?? 8, 8);
    return { k: "stack", offset };
  });
  return { args, stackSize: stack, sseUsed: sses };
}

/** Where a function's result comes back: INTEGER eightbytes in rax then rdx, SSE in xmm0 then xmm1. */
export function returnLocation(t: CType): Location {
  const c = classify(t);
  if (c.kind !== "regs") return { k: c.kind };
  let ints = 0;
  let sses = 0;
  const pieces: Piece[] = [];
  c.eightbytes.forEach((e, eightbyte) => {
    if (e === "INTEGER") pieces.push({ eightbyte, sse: false, reg: INT_RET_REGS[ints++]! });
    else if (e === "SSE") pieces.push({ eightbyte, sse: true, reg: sses++ });
  });
  return { k: "regs", pieces };
}
