/**
 * The fuzzer's model of C's arithmetic on x86-64 (gcc): types, the usual conversions, and each
 * operation's value — used only to keep undefined behaviour out of generated expressions (signed
 * overflow, division by zero, out-of-range shifts and float-to-integer conversions). The expected
 * values are the gcc-built twin's, never this model's.
 */
export type Ty = { k: "int"; bits: 8 | 16 | 32 | 64; signed: boolean; name: string; rank: number; bool?: boolean } | { k: "float"; bits: 32 | 64; name: string };

const int = (bits: 8 | 16 | 32 | 64, signed: boolean, name: string, rank: number): Ty => ({ k: "int", bits, signed, name, rank });
export const TY = {
  bool: { k: "int", bits: 8, signed: false, name: "_Bool", rank: 0, bool: true } as Ty,
  char: int(8, true, "char", 1),
  schar: int(8, true, "signed char", 1),
  uchar: int(8, false, "unsigned char", 1),
  short: int(16, true, "short", 2),
  ushort: int(16, false, "unsigned short", 2),
  int: int(32, true, "int", 3),
  uint: int(32, false, "unsigned int", 3),
  long: int(64, true, "long", 4),
  ulong: int(64, false, "unsigned long", 4),
  llong: int(64, true, "long long", 5),
  ullong: int(64, false, "unsigned long long", 5),
  float: { k: "float", bits: 32, name: "float" } as Ty,
  double: { k: "float", bits: 64, name: "double" } as Ty,
};
export const SCALARS: readonly Ty[] = Object.values(TY);

export type Val = bigint | number;

/** Raised when an operation would be undefined (or is one the fuzzer keeps out): the generator tries another. */
export class Undefined extends Error {}

export function range(t: Ty & { k: "int" }): { min: bigint; max: bigint } {
  const b = BigInt(t.bits);
  return t.signed ? { min: -(1n << (b - 1n)), max: (1n << (b - 1n)) - 1n } : { min: 0n, max: (1n << b) - 1n };
}

/** Integer conversion (implementation-defined for signed targets: gcc wraps modulo 2^N). */
export function wrap(v: bigint, t: Ty & { k: "int" }): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/** An arithmetic result: a signed one out of range is undefined behaviour. */
function checked(v: bigint, t: Ty & { k: "int" }): bigint {
  if (!t.signed) return BigInt.asUintN(t.bits, v);
  const r = range(t);
  if (v < r.min || v > r.max) throw new Undefined("signed overflow");
  return v;
}

export function promote(t: Ty): Ty {
  return t.k === "int" && t.bits < 32 ? TY.int : t;
}

export function usual(a: Ty, b: Ty): Ty {
  if (a.k === "float" || b.k === "float") return (a.k === "float" && a.bits === 64) || (b.k === "float" && b.bits === 64) ? TY.double : TY.float;
  const x = promote(a) as Ty & { k: "int" };
  const y = promote(b) as Ty & { k: "int" };
  if (x.signed === y.signed) return x.rank >= y.rank ? x : y;
  const [u, s] = x.signed ? [y, x] : [x, y];
  if (u.rank >= s.rank) return u;
  if (s.bits > u.bits) return s;
  return s.rank === 5 ? TY.ullong : TY.ulong; // the unsigned type of the signed one's rank
}

/** Converts a value to type t (casts, and the usual conversions). */
export function convert(v: Val, from: Ty, to: Ty): Val {
  if (to.k === "float") {
    if (typeof v === "number") return to.bits === 32 ? Math.fround(v) : v;
    // Large integers would round twice on the way through a double: kept out.
    if (v > 1n << 24n || v < -(1n << 24n)) throw new Undefined("inexact integer to floating conversion");
    return to.bits === 32 ? Math.fround(Number(v)) : Number(v);
  }
  if (to.k === "int" && to.bool) return (typeof v === "number" ? v !== 0 : v !== 0n) ? 1n : 0n;
  if (typeof v === "number") {
    const t = Math.trunc(v);
    const r = range(to);
    if (!Number.isFinite(t) || t < Number(r.min) || t > Number(r.max) || Math.abs(t) >= 2 ** 53) throw new Undefined("float to integer out of range");
    return BigInt(t);
  }
  void from;
  return wrap(v, to);
}

const truth = (v: Val): boolean => (typeof v === "number" ? v !== 0 : v !== 0n);

export function unary(op: string, v: Val, t: Ty): { v: Val; t: Ty } {
  if (op === "!") return { v: truth(v) ? 0n : 1n, t: TY.int };
  const pt = promote(t);
  const x = convert(v, t, pt);
  if (pt.k === "float") {
    if (op === "~") throw new Undefined("~ of a floating value");
    return { v: op === "-" ? -(x as number) : (x as number), t: pt };
  }
  if (op === "-") return { v: checked(-(x as bigint), pt), t: pt };
  if (op === "~") return { v: wrap(~(x as bigint), pt), t: pt };
  return { v: x, t: pt };
}

export function binary(op: string, a: Val, at: Ty, b: Val, bt: Ty): { v: Val; t: Ty } {
  if (op === "&&") return { v: truth(a) && truth(b) ? 1n : 0n, t: TY.int };
  if (op === "||") return { v: truth(a) || truth(b) ? 1n : 0n, t: TY.int };
  if (op === "<<" || op === ">>") {
    if (at.k === "float" || bt.k === "float") throw new Undefined("shift of a floating value");
    const lt = promote(at) as Ty & { k: "int" };
    const x = wrap(a as bigint, lt);
    const n = b as bigint;
    if (n < 0n || n >= BigInt(lt.bits)) throw new Undefined("shift count out of range");
    if (op === ">>") return { v: x >> n, t: lt };
    if (lt.signed && x < 0n) throw new Undefined("left shift of a negative value");
    return { v: checked(x << n, lt), t: lt };
  }
  const t = usual(at, bt);
  const x = convert(a, at, t);
  const y = convert(b, bt, t);
  if (["==", "!=", "<", "<=", ">", ">="].includes(op)) {
    const c = x < y ? -1 : x > y ? 1 : 0;
    const r = op === "==" ? c === 0 : op === "!=" ? c !== 0 : op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
    return { v: r ? 1n : 0n, t: TY.int };
  }
  if (t.k === "float") {
    const p = x as number;
    const q = y as number;
    let r: number;
    switch (op) {
      case "+": r = p + q; break;
      case "-": r = p - q; break;
      case "*": r = p * q; break;
      case "/":
        if (q === 0) throw new Undefined("division by zero");
        r = p / q;
        break;
      default: throw new Undefined(`${op} of floating values`);
    }
    if (t.bits === 32) r = Math.fround(r);
    if (!Number.isFinite(r)) throw new Undefined("infinite result");
    return { v: r, t };
  }
  const p = x as bigint;
  const q = y as bigint;
  switch (op) {
    case "+": return { v: checked(p + q, t), t };
    case "-": return { v: checked(p - q, t), t };
    case "*": return { v: checked(p * q, t), t };
    case "/": case "%": {
      if (q === 0n) throw new Undefined("division by zero");
      const quo = checked(p / q, t); // INT_MIN / -1 overflows
      return { v: op === "/" ? quo : p - quo * q, t };
    }
    case "&": return { v: wrap(p & q, t), t };
    case "|": return { v: wrap(p | q, t), t };
    case "^": return { v: wrap(p ^ q, t), t };
  }
  throw new Error(`unknown operator ${op}`);
}

export function isTrue(v: Val): boolean {
  return truth(v);
}

export function sizeOfTy(t: Ty): number {
  return t.bits / 8;
}
