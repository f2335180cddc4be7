/**
 * C's complex arithmetic (C11 6.3.1.6-7, 6.5.5-6, Annex G) lowered at check time into the typed
 * tree's real operations, so both back ends see only real floating arithmetic: an operand used
 * twice is first stored in a frame temporary (evaluated once), a complex result is a two-store
 * frame object, and `__real__`/`__imag__` are members at offset 0 and at half the size.
 *
 * As gcc does: a real operand of + - * is not made complex (`z * 2` is `(a·2, b·2)`, `z + r`
 * keeps `b`'s sign of zero), nor a real divisor; complex × complex and ÷ by a complex call the
 * routines of complex-runtime.ts, which compute what libgcc's __mulsc3… __divxc3 compute.
 */
import { exprError } from "./errors.js";
import type { TExpr } from "./ir.js";
import { T, complexOf, functionType, isComplex, pointerTo, realPart, sizeOf, typeName, unqual, type CType, type ComplexType, type FloatType } from "./types.js";

/** What the lowering needs of the checker. */
export interface ComplexHost {
  /** A frame object of the function being checked: its rbp offset. */
  alloc(size: number, align: number): number;
  conv(te: TExpr, to: CType): TExpr;
  rvalue(te: TExpr): TExpr;
  /** Records that the object must define a runtime routine. */
  needsRoutine(symbol: string): void;
}

export type ComplexOp = "+" | "-" | "*" | "/";

/** A value computed once: `setup` stores it in a frame object that `ref()` names. */
interface Bound {
  setup: TExpr | undefined;
  ref: () => TExpr;
}

const ROUTINE_SUFFIX: Record<number, string> = { 4: "sc3", 8: "dc3", 16: "xc3" };

/** The runtime routine's symbol for `op` on complex values of real type `real`. */
export function routineSymbol(op: "*" | "/", real: FloatType): string {
  return `__jitdbg_${op === "*" ? "mul" : "div"}${ROUTINE_SUFFIX[real.size]}`;
}

export class ComplexLowering {
  constructor(private readonly h: ComplexHost) {}

  /** Evaluates te once into a frame object (a plain lvalue of the program is just named again). */
  private bind(te: TExpr): Bound {
    if (te.k === "place" && te.place.k !== "rodata") return { setup: undefined, ref: () => te };
    const size = sizeOf(te.type) ?? 8;
    const offset = this.h.alloc(size, Math.min(16, size));
    const setup: TExpr = { k: "init", type: te.type, pos: te.pos, offset, size, zero: false, stores: [{ offset: 0, value: te }] };
    return { setup, ref: () => ({ k: "place", type: te.type, pos: te.pos, place: { k: "frame", offset } }) };
  }

  /** `setups…, value`: comma nodes, the value's type. */
  private seq(bound: Bound[], value: TExpr): TExpr {
    let out = value;
    for (const b of [...bound].reverse()) if (b.setup) out = { k: "comma", type: out.type, pos: out.pos, left: b.setup, right: out };
    return out;
  }

  /** `__real__ lv` (0) or `__imag__ lv` (1) of a complex object or rvalue; an lvalue when lv is. */
  partOf(te: TExpr, which: 0 | 1): TExpr {
    const c = unqual(te.type) as ComplexType;
    return { k: "member", type: c.of, pos: te.pos, base: te, offset: which * c.of.size };
  }

  private part(b: Bound, which: 0 | 1): TExpr {
    return this.h.rvalue(this.partOf(b.ref(), which));
  }

  /** A complex rvalue of type c from its two real parts (already of c's real type). */
  private make(c: ComplexType, re: TExpr, im: TExpr, pos: number): TExpr {
    const size = 2 * c.of.size;
    const offset = this.h.alloc(size, c.of.size);
    const init: TExpr = { k: "init", type: c, pos, offset, size, zero: false, stores: [{ offset: 0, value: re }, { offset: c.of.size, value: im }] };
    return this.h.rvalue(init);
  }

  private zero(t: FloatType, pos: number): TExpr {
    return this.h.conv({ k: "const", type: T.int, pos, value: 0n }, t);
  }

  private real(op: "+" | "-" | "*" | "/", t: FloatType, left: TExpr, right: TExpr, pos: number): TExpr {
    return { k: "arith", op, type: t, pos, left, right };
  }

  /** Conversions with a complex type on either side (the other side's type differs). */
  convert(te: TExpr, to: CType): TExpr {
    const from = unqual(te.type);
    const target = unqual(to);
    const pos = te.pos;
    if (target.kind === "complex") {
      if (from.kind === "complex") {
        const b = this.bind(te);
        return this.retype(this.seq([b], this.make(target, this.h.conv(this.part(b, 0), target.of), this.h.conv(this.part(b, 1), target.of), pos)), to);
      }
      return this.retype(this.make(target, this.h.conv(te, target.of), this.zero(target.of, pos), pos), to);
    }
    if (target.kind === "int" && target.bool) return this.truth(te);
    if (target.kind === "int" || target.kind === "enum" || target.kind === "float") return this.h.conv(this.h.rvalue(this.partOf(te, 0)), to);
    throw exprError("EXPR_TYPE", `cannot convert '${typeName(te.type)}' to '${typeName(to)}'`, pos);
  }

  private retype(te: TExpr, to: CType): TExpr {
    return te.type === to ? te : ({ ...te, type: to } as TExpr);
  }

  /** GNU C's imaginary constant `2.5i`: 0 + 2.5i of the constant's complex type. */
  imaginary(te: TExpr): TExpr {
    const c = complexOf(unqual(te.type) as FloatType);
    return this.make(c, this.zero(c.of, te.pos), te, te.pos);
  }

  /** `-z`. */
  negate(te: TExpr): TExpr {
    const c = unqual(te.type) as ComplexType;
    const b = this.bind(te);
    const neg = (x: TExpr): TExpr => ({ k: "neg", type: c.of, pos: te.pos, operand: x });
    return this.seq([b], this.make(c, neg(this.part(b, 0)), neg(this.part(b, 1)), te.pos));
  }

  /** GNU `~z`: the complex conjugate. */
  conjugate(te: TExpr): TExpr {
    const c = unqual(te.type) as ComplexType;
    const b = this.bind(te);
    return this.seq([b], this.make(c, this.part(b, 0), { k: "neg", type: c.of, pos: te.pos, operand: this.part(b, 1) }, te.pos));
  }

  /** l op r, at least one complex; both already rvalues. */
  arith(op: ComplexOp, l: TExpr, r: TExpr, pos: number): TExpr {
    const c = complexOf(unqual(realPart(commonReal(l.type, r.type))) as FloatType);
    const R = c.of;
    const lc = isComplex(l.type);
    const rc = isComplex(r.type);
    const L = this.bind(lc ? this.h.conv(l, c) : this.h.conv(l, R));
    const Rb = this.bind(rc ? this.h.conv(r, c) : this.h.conv(r, R));
    const re = (b: Bound, complex: boolean): TExpr => (complex ? this.part(b, 0) : this.h.rvalue(b.ref()));
    if (op === "+" || op === "-") {
      const real = this.real(op, R, re(L, lc), re(Rb, rc), pos);
      let imag: TExpr;
      if (lc && rc) imag = this.real(op, R, this.part(L, 1), this.part(Rb, 1), pos);
      else if (lc) imag = this.part(L, 1);
      else imag = op === "+" ? this.part(Rb, 1) : { k: "neg", type: R, pos, operand: this.part(Rb, 1) };
      return this.seq([L, Rb], this.make(c, real, imag, pos));
    }
    if (op === "*" && !(lc && rc)) {
      const [z, x] = lc ? [L, Rb] : [Rb, L];
      const scaled = (which: 0 | 1): TExpr => (lc ? this.real("*", R, this.part(z, which), this.h.rvalue(x.ref()), pos) : this.real("*", R, this.h.rvalue(x.ref()), this.part(z, which), pos));
      return this.seq([L, Rb], this.make(c, scaled(0), scaled(1), pos));
    }
    if (op === "/" && !rc) return this.seq([L, Rb], this.make(c, this.real("/", R, this.part(L, 0), this.h.rvalue(Rb.ref()), pos), this.real("/", R, this.part(L, 1), this.h.rvalue(Rb.ref()), pos), pos));
    // Both complex (a real dividend is made complex): the runtime routine, as gcc calls libgcc's.
    const Lz = lc ? L : this.bind(this.h.conv(this.h.rvalue(L.ref()), c));
    const symbol = routineSymbol(op, R);
    this.h.needsRoutine(symbol);
    const fn = functionType(c, [R, R, R, R]);
    const callee: TExpr = { k: "addr", type: pointerTo(fn), pos, lv: { k: "place", type: fn, pos, place: { k: "own", symbol } } };
    const call: TExpr = { k: "call", type: c, pos, callee, fn, args: [this.part(Lz, 0), this.part(Lz, 1), this.part(Rb, 0), this.part(Rb, 1)], routine: op === "*" ? "complex multiplication" : "complex division" };
    return this.seq(lc ? [L, Rb] : [L, Rb, Lz], call);
  }

  /** l == r or l != r, at least one complex: both parts equal (a real operand's imaginary part is 0). */
  equality(op: "==" | "!=", l: TExpr, r: TExpr, pos: number): TExpr {
    const R = unqual(realPart(commonReal(l.type, r.type))) as FloatType;
    const L = this.bind(this.h.conv(l, isComplex(l.type) ? complexOf(R) : R));
    const Rb = this.bind(this.h.conv(r, isComplex(r.type) ? complexOf(R) : R));
    const partOr = (b: Bound, complex: boolean, which: 0 | 1): TExpr => (complex ? this.part(b, which) : which === 0 ? this.h.rvalue(b.ref()) : this.zero(R, pos));
    const cmp = (which: 0 | 1): TExpr => ({ k: "compare", op, opType: R, type: T.int, pos, left: partOr(L, isComplex(l.type), which), right: partOr(Rb, isComplex(r.type), which) });
    const both: TExpr = { k: "logical", op: op === "==" ? "&&" : "||", type: T.int, pos, left: cmp(0), right: cmp(1) };
    return this.seq([L, Rb], both);
  }

  /** The truth of a complex value (C: it compares unequal to 0). */
  truth(te: TExpr): TExpr {
    return this.equality("!=", te, { k: "const", type: T.int, pos: te.pos, value: 0n }, te.pos);
  }
}

/** The usual arithmetic conversions' common real type of two arithmetic types (complex or not). */
function commonReal(a: CType, b: CType): CType {
  const x = unqual(realPart(a));
  const y = unqual(realPart(b));
  const size = (t: CType): number => (unqual(t).kind === "float" ? (sizeOf(t) ?? 0) : 0);
  return size(x) >= size(y) ? (size(x) > 0 ? x : T.double) : y;
}
