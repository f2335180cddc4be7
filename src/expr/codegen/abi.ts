/**
 * System V x86-64 classification (psABI 3.2.3) of values the code generator passes or returns:
 * scalars go in INTEGER or SSE registers; aggregates up to 16 bytes are split into eightbytes,
 * each INTEGER unless every scalar in it is floating point; larger ones go to MEMORY.
 */
import { sizeOf, unqual, type CType } from "../types.js";

export type ValueClass = "int" | "sse" | "mem" | "void";

/** How the code generator holds a value: rax, xmm0, or (aggregates) its address in rax. */
export function valueClass(t: CType): ValueClass {
  const u = unqual(t);
  switch (u.kind) {
    case "void": return "void";
    case "float": return "sse";
    case "struct": case "union": case "array": return "mem";
    default: return "int";
  }
}

export type EightbyteClass = "INTEGER" | "SSE";

/** undefined: MEMORY (returned through a hidden pointer in rdi). */
export function classifyAggregate(t: CType): EightbyteClass[] | undefined {
  const size = sizeOf(t) ?? 0;
  if (size === 0 || size > 16) return undefined;
  const n = Math.ceil(size / 8);
  const classes: (EightbyteClass | undefined)[] = new Array(n).fill(undefined);
  let ok = true;
  const visit = (ty: CType, offset: number): void => {
    const u = unqual(ty);
    switch (u.kind) {
      case "struct": case "union":
        for (const m of u.members) visit(m.type, offset + m.offset);
        return;
      case "array": {
        const es = sizeOf(u.of) ?? 0;
        for (let i = 0; i < (u.count ?? 0); i++) visit(u.of, offset + i * es);
        return;
      }
      default: {
        const s = sizeOf(u) ?? 0;
        if (s === 0) return;
        if (offset % Math.min(s, 8) !== 0) ok = false; // unaligned field: MEMORY
        const idx = Math.floor(offset / 8);
        const c: EightbyteClass = u.kind === "float" && s <= 8 ? "SSE" : "INTEGER";
        if (u.kind === "float" && s > 8) ok = false; // long double: X87 → MEMORY
        classes[idx] = classes[idx] === "INTEGER" || c === "INTEGER" ? "INTEGER" : "SSE";
      }
    }
  };
  visit(t, 0);
  if (!ok) return undefined;
  return classes.map((c) => c ?? "SSE");
}

export const INT_ARG_REGS = [7, 6, 2, 1, 8, 9] as const; // rdi, rsi, rdx, rcx, r8, r9
export const SSE_ARG_REGS = 8;
