/**
 * Random well-defined C expressions over a program's leaves: unary, binary (arithmetic, bitwise,
 * shifts, comparisons, logical), conditional, casts, sizeof and literals of each type. Each
 * candidate is evaluated by the C model as it is built; one that would be undefined (signed
 * overflow, division by zero, a shift out of range, an out-of-range float conversion) is dropped
 * and another drawn, so the twin's value is the one C defines.
 */
import { Rng } from "./rng.js";
import { SCALARS, TY, Undefined, binary, convert, isTrue, sizeOfTy, unary, usual, type Ty, type Val } from "./c-model.js";
import { literal, randomValue, type Leaf } from "./program.js";

interface Node {
  text: string;
  ty: Ty;
  value: Val;
  leaf?: Leaf;
  /** Of an enum type (an enum object, or a comma or ?: over them): the console shows its enumerator's name. */
  isEnum?: boolean;
}

const BINARY = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||"];
const UNARY = ["-", "~", "!", "+"];

export class ExpressionGenerator {
  constructor(
    private readonly rng: Rng,
    private readonly leaves: readonly Leaf[],
  ) {}

  /** One expression whose value is not an enum object's (the console names those). */
  expression(maxDepth = 4): string {
    const n = this.node(this.rng.int(1, maxDepth));
    return n.isEnum ? `(int)(${n.text})` : n.text;
  }

  private node(depth: number): Node {
    for (let attempt = 0; ; attempt++) {
      try {
        return depth <= 0 || attempt > 20 ? this.leaf() : this.compound(depth);
      } catch (e) {
        if (!(e instanceof Undefined)) throw e;
      }
    }
  }

  private leaf(): Node {
    if (this.leaves.length === 0 || this.rng.chance(0.25)) {
      const ty = this.rng.pick([TY.int, TY.int, TY.uint, TY.long, TY.ulong, TY.double, TY.float, TY.char]);
      if (ty === TY.char) {
        const code = this.rng.int(97, 122); // 'a'..'z': a char constant has type int
        return { text: `'${String.fromCharCode(code)}'`, ty: TY.int, value: BigInt(code) };
      }
      const v = ty.k === "int" && this.rng.chance(0.7) ? BigInt(this.rng.int(0, 70)) : randomValue(this.rng, ty);
      return { text: this.literalText(v, ty), ty, value: v };
    }
    const l = this.rng.pick(this.leaves);
    return { text: l.text, ty: l.ty, value: l.value, leaf: l, isEnum: l.isEnum };
  }

  /** A C literal of that type: plain and suffixed integer spellings, hex, char constants (type int), floats. */
  private literalText(v: Val, ty: Ty): string {
    if (ty.k === "float" || (v as bigint) < 0n) return literal(v, ty);
    const x = v as bigint;
    const fitsInt = x < 1n << 31n;
    const fitsUint = x < 1n << 32n;
    switch (ty) {
      case TY.int: return fitsInt ? String(x) : literal(v, ty);
      case TY.uint: return fitsUint ? `${x}u` : literal(v, ty);
      case TY.long: return this.rng.chance(0.5) ? `${x}L` : `0x${x.toString(16)}L`;
      default: return fitsUint && this.rng.chance(0.3) ? `0x${x.toString(16)}ul` : `${x}UL`;
    }
  }

  private compound(depth: number): Node {
    const kind = this.rng.int(0, 9);
    if (kind <= 4) {
      const op = this.rng.pick(BINARY);
      const a = this.node(depth - 1);
      // Shift counts and divisors are mostly small, in range: more draws keep their meaning.
      const b = op === "<<" || op === ">>" ? this.shiftCount(a, depth) : this.node(depth - 1);
      const r = binary(op, a.value, a.ty, b.value, b.ty);
      return { text: `(${a.text}) ${op} (${b.text})`, ty: r.t, value: r.v };
    }
    if (kind <= 6) {
      const op = this.rng.pick(UNARY);
      const a = this.node(depth - 1);
      const r = unary(op, a.value, a.ty);
      return { text: `${op}(${a.text})`, ty: r.t, value: r.v };
    }
    if (kind === 7) {
      const to = this.rng.pick(SCALARS);
      const a = this.node(depth - 1);
      return { text: `(${to.name})(${a.text})`, ty: to, value: convert(a.value, a.ty, to) };
    }
    if (kind === 8 && this.rng.chance(0.25)) {
      // The comma operator: the right operand's value and type.
      const a = this.node(depth - 1);
      const b = this.node(depth - 1);
      // gcc 12 crashes (an internal compiler error in gimplify) on a sizeof in a comma's operands inside the twin's _Generic.
      if (a.text.includes("sizeof") || b.text.includes("sizeof")) throw new Undefined("a sizeof in a comma's operands");
      // gcc gives a bit-field the comma leaves unpromoted its own N-bit type ((0, s.f16) is a short); clang and jitdbg, the declared int.
      if (b.leaf?.bitField) throw new Undefined("a bit-field as the comma's result");
      return { text: `((${a.text}), (${b.text}))`, ty: b.ty, value: b.value, isEnum: b.isEnum };
    }
    if (kind === 8) {
      const c = this.node(depth - 1);
      const a = this.node(depth - 1);
      const b = this.node(depth - 1);
      const t = usual(a.ty, b.ty);
      const chosen = isTrue(c.value) ? a : b;
      return { text: `(${c.text}) ? (${a.text}) : (${b.text})`, ty: t, value: convert(chosen.value, chosen.ty, t), isEnum: a.isEnum === true && b.isEnum === true };
    }
    const a = this.node(depth - 1);
    if (a.leaf?.bitField) throw new Undefined("sizeof of a bit-field");
    return { text: `sizeof (${a.text})`, ty: TY.ulong, value: BigInt(sizeOfTy(a.ty)) };
  }

  private shiftCount(a: Node, depth: number): Node {
    if (this.rng.chance(0.7)) {
      const bits = a.ty.k === "int" && a.ty.bits === 64 ? 64 : 32;
      const v = BigInt(this.rng.int(0, bits - 1));
      return { text: String(v), ty: TY.int, value: v };
    }
    return this.node(depth - 1);
  }
}
