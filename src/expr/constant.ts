/**
 * Integer constant expressions (C11 6.6) folded over the checked tree, for the places C requires
 * one at check time (array designators): literals, enumerators, sizeof, casts between integer
 * types and the integer operators, each result wrapped to its C type as the generated code would.
 */
import type { TExpr } from "./ir.js";
import { unqual, type CType } from "./types.js";

/** The value of an integer constant expression, or undefined when `te` is not one. */
export function integerConstant(te: TExpr): bigint | undefined {
  const t = unqual(te.type);
  if (t.kind !== "int" && t.kind !== "enum") return undefined;
  const v = fold(te);
  return v === undefined ? undefined : wrap(te.type, v);
}

function wrap(type: CType, v: bigint): bigint {
  const t = unqual(type);
  const it = t.kind === "enum" ? t.underlying : t.kind === "int" ? t : undefined;
  if (!it) return v;
  if (it.bool) return v !== 0n ? 1n : 0n;
  return it.signed ? BigInt.asIntN(it.size * 8, v) : BigInt.asUintN(it.size * 8, v);
}

function fold(te: TExpr): bigint | undefined {
  switch (te.k) {
    case "const": return te.value;
    case "conv": return integerConstant(te.operand);
    case "neg": case "bitnot": case "lnot": {
      const v = integerConstant(te.operand);
      if (v === undefined) return undefined;
      return te.k === "neg" ? -v : te.k === "bitnot" ? ~v : v === 0n ? 1n : 0n;
    }
    case "arith": {
      const l = integerConstant(te.left);
      const r = integerConstant(te.right);
      if (l === undefined || r === undefined) return undefined;
      switch (te.op) {
        case "+": return l + r;
        case "-": return l - r;
        case "*": return l * r;
        case "/": return r === 0n ? undefined : l / r; // BigInt division truncates toward zero, as C
        case "%": return r === 0n ? undefined : l % r;
        case "<<": return r < 0n || r >= 64n ? undefined : l << r;
        case ">>": return r < 0n || r >= 64n ? undefined : l >> r;
        case "&": return l & r;
        case "|": return l | r;
        case "^": return l ^ r;
      }
      return undefined;
    }
    case "compare": {
      const l = integerConstant(te.left);
      const r = integerConstant(te.right);
      if (l === undefined || r === undefined) return undefined;
      const holds = { "<": l < r, ">": l > r, "<=": l <= r, ">=": l >= r, "==": l === r, "!=": l !== r }[te.op];
      return holds ? 1n : 0n;
    }
    case "logical": {
      const l = integerConstant(te.left);
      if (l === undefined) return undefined;
      if (te.op === "&&" ? l === 0n : l !== 0n) return te.op === "&&" ? 0n : 1n;
      const r = integerConstant(te.right);
      return r === undefined ? undefined : r !== 0n ? 1n : 0n;
    }
    case "cond": {
      const c = integerConstant(te.cond);
      if (c === undefined) return undefined;
      return integerConstant(c !== 0n ? te.then : te.else);
    }
    default: return undefined;
  }
}
