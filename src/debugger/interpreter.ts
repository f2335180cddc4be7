/**
 * A small C expression interpreter over the stopped program's variables: what breakpoint
 * conditions, logpoint interpolation, watch and hover use until (and where) the compiled
 * expression evaluator is not needed. It reads memory only; it never calls functions or writes.
 * Supports literals, identifiers, registers ($rax), . -> [] unary * & - ! ~, arithmetic,
 * comparisons, logical and bitwise operators, and the ternary.
 */
import { JitdbgError } from "../errors.js";
import { ArrayType, BaseType, EnumType, PointerType, StructType, type DwarfType } from "../dwarf/index.js";
import { floatOf, readBytes, scalarOf, strip, type Memory, type Value } from "./values.js";

export interface NameResolver {
  /** A variable, register or enumerator visible in the selected frame. */
  lookup(name: string): Value | bigint | undefined;
  /** Names visible, for "did you mean". */
  names(): string[];
}

/** A computed result: a plain number, or a Value (an lvalue in the inferior, or computed bytes). */
export type Result = { kind: "int"; value: bigint; unsigned?: boolean; /** An address (from &): shown in hex. */ address?: boolean } | { kind: "float"; value: number } | { kind: "value"; value: Value };

const PRECEDENCE: Record<string, number> = {
  "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
};

type Token = { kind: "num"; text: string; col: number } | { kind: "id"; text: string; col: number } | { kind: "op"; text: string; col: number } | { kind: "char"; text: string; col: number } | { kind: "end"; col: number; text: "" };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const ops = ["->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "!", "~", "&", "|", "^", "(", ")", "[", "]", ".", "?", ":"];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0x[0-9a-f]+|\d+\.\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|\d+(e[+-]?\d+)|\d+)[uUlLfF]*/i.exec(src.slice(i));
    if (num && /[\d.]/.test(c)) {
      out.push({ kind: "num", text: num[0], col: i + 1 });
      i += num[0].length;
      continue;
    }
    const id = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: "id", text: id[0], col: i + 1 });
      i += id[0].length;
      continue;
    }
    const ch = /^'(\\.|[^\\'])'/.exec(src.slice(i));
    if (ch) {
      out.push({ kind: "char", text: ch[1]!, col: i + 1 });
      i += ch[0].length;
      continue;
    }
    const op = ops.find((o) => src.startsWith(o, i));
    if (!op) throw new JitdbgError("EXPR_SYNTAX", `error: unexpected character '${c}' at column ${i + 1}`);
    out.push({ kind: "op", text: op, col: i + 1 });
    i += op.length;
  }
  out.push({ kind: "end", col: src.length + 1, text: "" });
  return out;
}

export class Interpreter {
  private toks: Token[] = [];
  private pos = 0;

  constructor(
    private readonly mem: Memory,
    private readonly names: NameResolver,
  ) {}

  evaluate(src: string): Result {
    this.toks = tokenize(src);
    this.pos = 0;
    const r = this.ternary();
    const t = this.peek();
    if (t.kind !== "end") throw new JitdbgError("EXPR_SYNTAX", `error: unexpected '${t.text}' at column ${t.col}`);
    return r;
  }

  /** Truth value of a condition, as C decides it. */
  truth(src: string): boolean {
    return this.isTrue(this.evaluate(src));
  }

  private peek(): Token {
    return this.toks[this.pos]!;
  }

  private next(): Token {
    return this.toks[this.pos++]!;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t.text !== text) throw new JitdbgError("EXPR_SYNTAX", `error: expected '${text}' at column ${t.col}`);
  }

  private ternary(): Result {
    const cond = this.binary(1);
    if (this.peek().text !== "?") return cond;
    this.next();
    const a = this.ternary();
    this.expect(":");
    const b = this.ternary();
    return this.isTrue(cond) ? a : b;
  }

  private binary(min: number): Result {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "op" ? PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < min) return left;
      this.next();
      if (t.text === "&&" && !this.isTrue(left)) {
        this.binary(prec + 1);
        left = int(0n);
        continue;
      }
      if (t.text === "||" && this.isTrue(left)) {
        this.binary(prec + 1);
        left = int(1n);
        continue;
      }
      const right = this.binary(prec + 1);
      left = this.apply(t.text, left, right, t.col);
    }
  }

  private unary(): Result {
    const t = this.peek();
    if (t.kind === "op" && ["-", "!", "~", "*", "&", "+"].includes(t.text)) {
      this.next();
      const v = this.unary();
      switch (t.text) {
        case "-":
          return this.arith(v, (x) => -x, (x) => -x);
        case "+":
          return this.rvalue(v);
        case "!":
          return int(this.isTrue(v) ? 0n : 1n);
        case "~":
          return int(~this.toInt(v, t.col));
        case "*":
          return this.deref(v, t.col);
        case "&": {
          if (v.kind !== "value" || v.value.location.kind !== "memory") throw new JitdbgError("EXPR_TYPE", `error: cannot take the address of an rvalue at column ${t.col}`);
          return { kind: "int", value: v.value.location.address, unsigned: true, address: true };
        }
      }
    }
    return this.postfix(this.primary());
  }

  private postfix(v: Result): Result {
    for (;;) {
      const t = this.peek();
      if (t.text === "." || t.text === "->") {
        this.next();
        const name = this.next();
        if (name.kind !== "id") throw new JitdbgError("EXPR_SYNTAX", `error: expected a member name at column ${name.col}`);
        const base = t.text === "->" ? this.deref(v, t.col) : v;
        v = this.member(base, name.text, name.col);
      } else if (t.text === "[") {
        this.next();
        const idx = this.toInt(this.ternary(), t.col);
        this.expect("]");
        v = this.deref(this.add(v, idx, t.col), t.col);
      } else return v;
    }
  }

  private primary(): Result {
    const t = this.next();
    if (t.kind === "num") {
      if (/^0x/i.test(t.text)) return int(BigInt(t.text.replace(/[ul]+$/i, "")), /u/i.test(t.text));
      if (/[.e]/i.test(t.text) && !/^0x/i.test(t.text)) return { kind: "float", value: Number(t.text.replace(/[fl]+$/i, "")) };
      return int(BigInt(t.text.replace(/[ul]+$/i, "")), /u/i.test(t.text));
    }
    if (t.kind === "char") {
      const esc: Record<string, number> = { "\\n": 10, "\\t": 9, "\\0": 0, "\\r": 13, "\\\\": 92, "\\'": 39 };
      return int(BigInt(esc[t.text] ?? t.text.charCodeAt(t.text.length - 1)));
    }
    if (t.kind === "id") {
      const v = this.names.lookup(t.text);
      if (v === undefined) {
        const hint = closest(t.text, this.names.names());
        throw new JitdbgError("EXPR_UNKNOWN", `error: unknown identifier '${t.text}' at column ${t.col}${hint ? `; did you mean '${hint}'?` : ""}`);
      }
      return typeof v === "bigint" ? int(v) : { kind: "value", value: v };
    }
    if (t.text === "(") {
      const v = this.ternary();
      this.expect(")");
      return v;
    }
    throw new JitdbgError("EXPR_SYNTAX", t.kind === "end" ? `error: expected an expression at column ${t.col}` : `error: unexpected '${t.text}' at column ${t.col}`);
  }

  private member(v: Result, name: string, col: number): Result {
    if (v.kind !== "value") throw new JitdbgError("EXPR_TYPE", `error: member reference base is not a structure at column ${col}`);
    const t = strip(v.value.type);
    if (!(t instanceof StructType)) throw new JitdbgError("EXPR_TYPE", `error: member reference base type '${v.value.type.name}' is not a structure or union at column ${col}`);
    const m = t.member(name);
    if (!m) {
      const hint = closest(name, t.members.map((x) => x.name ?? "").filter(Boolean));
      throw new JitdbgError("EXPR_MEMBER", `error: no member named '${name}' in '${t.name}' at column ${col}${hint ? `; did you mean '${hint}'?` : ""}`);
    }
    const loc = v.value.location;
    // Bit-field offsets count from the start of the struct.
    const bitOffset = m.bitSize !== undefined ? (m.bitOffset ?? (m.byteOffset ?? 0) * 8) : 0;
    const off = m.bitSize !== undefined ? 0n : BigInt(m.byteOffset ?? 0);
    const bits = m.bitSize !== undefined ? { offset: bitOffset % 8, size: m.bitSize } : undefined;
    const extra = BigInt(Math.floor(bitOffset / 8));
    if (loc.kind === "memory") return { kind: "value", value: { type: m.type, location: { kind: "memory", address: loc.address + off + extra }, bits } };
    if (loc.kind === "bytes") {
      const s = Number(off + extra);
      return { kind: "value", value: { type: m.type, location: { kind: "bytes", bytes: loc.bytes.subarray(s, s + (m.type.byteSize ?? 8)) }, bits } };
    }
    return v;
  }

  private deref(v: Result, col: number): Result {
    if (v.kind === "value") {
      const t = strip(v.value.type);
      if (t instanceof PointerType) {
        const p = scalarOf(this.mem, v.value);
        if (typeof p === "string") throw new JitdbgError("EXPR_MEMORY", `error: ${p}`);
        if (this.mem.read(p, Math.max(1, t.target.byteSize ?? 1)) === undefined) throw new JitdbgError("EXPR_MEMORY", `error: cannot read memory at 0x${p.toString(16)} (column ${col})`);
        return { kind: "value", value: { type: t.target, location: { kind: "memory", address: p } } };
      }
      if (t instanceof ArrayType && v.value.location.kind === "memory") return { kind: "value", value: { type: t.indexed, location: v.value.location } };
    }
    throw new JitdbgError("EXPR_TYPE", `error: indirection requires a pointer operand at column ${col}`);
  }

  private add(v: Result, n: bigint, col: number): Result {
    if (v.kind === "value") {
      const t = strip(v.value.type);
      if (t instanceof PointerType) {
        const p = scalarOf(this.mem, v.value);
        if (typeof p === "string") throw new JitdbgError("EXPR_MEMORY", `error: ${p}`);
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, p + n * BigInt(t.target.byteSize ?? 1)), true);
        return { kind: "value", value: { type: v.value.type, location: { kind: "bytes", bytes } } };
      }
      if (t instanceof ArrayType && v.value.location.kind === "memory") {
        const elem = t.indexed;
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setBigUint64(0, v.value.location.address + n * BigInt(elem.byteSize ?? 1), true);
        return { kind: "value", value: { type: new PointerType(-1, "pointer", () => elem, 8), location: { kind: "bytes", bytes } } };
      }
    }
    const r = this.rvalue(v);
    if (r.kind === "float") return { kind: "float", value: r.value + Number(n) };
    if (r.kind === "int") return int(r.value + n, r.unsigned);
    throw new JitdbgError("EXPR_TYPE", `error: subscripted value is not an array or pointer at column ${col}`);
  }

  private apply(op: string, a: Result, b: Result, col: number): Result {
    if ((op === "+" || op === "-") && a.kind === "value" && isPointerish(a.value.type)) {
      const n = this.toInt(b, col);
      return this.add(a, op === "+" ? n : -n, col);
    }
    const x = this.rvalue(a);
    const y = this.rvalue(b);
    if (x.kind === "value" || y.kind === "value") throw new JitdbgError("EXPR_TYPE", `error: invalid operands to binary ${op} at column ${col}`);
    if (x.kind === "float" || y.kind === "float") {
      const p = Number(x.value);
      const q = Number(y.value);
      const cmp: Record<string, boolean> = { "==": p === q, "!=": p !== q, "<": p < q, ">": p > q, "<=": p <= q, ">=": p >= q };
      if (op in cmp) return int(cmp[op] ? 1n : 0n);
      const f: Record<string, number> = { "+": p + q, "-": p - q, "*": p * q, "/": p / q };
      if (op in f) return { kind: "float", value: f[op]! };
      throw new JitdbgError("EXPR_TYPE", `error: invalid operands to binary ${op} (double) at column ${col}`);
    }
    const p = x.value;
    const q = y.value;
    const unsigned = !!(x.unsigned || y.unsigned);
    switch (op) {
      case "+": return int(p + q, unsigned);
      case "-": return int(p - q, unsigned);
      case "*": return int(p * q, unsigned);
      case "/":
      case "%":
        if (q === 0n) throw new JitdbgError("EXPR_DIV_ZERO", `error: division by zero at column ${col}`);
        return int(op === "/" ? p / q : p % q, unsigned);
      case "<<": return int(p << q, unsigned);
      case ">>": return int(p >> q, unsigned);
      case "&": return int(p & q, unsigned);
      case "|": return int(p | q, unsigned);
      case "^": return int(p ^ q, unsigned);
      case "==": return int(p === q ? 1n : 0n);
      case "!=": return int(p !== q ? 1n : 0n);
      case "<": return int(p < q ? 1n : 0n);
      case ">": return int(p > q ? 1n : 0n);
      case "<=": return int(p <= q ? 1n : 0n);
      case ">=": return int(p >= q ? 1n : 0n);
      case "&&": return int(p !== 0n && q !== 0n ? 1n : 0n);
      case "||": return int(p !== 0n || q !== 0n ? 1n : 0n);
    }
    throw new JitdbgError("EXPR_SYNTAX", `error: unknown operator ${op} at column ${col}`);
  }

  private arith(v: Result, fi: (x: bigint) => bigint, ff: (x: number) => number): Result {
    const r = this.rvalue(v);
    if (r.kind === "float") return { kind: "float", value: ff(r.value) };
    if (r.kind === "int") return int(fi(r.value), r.unsigned);
    throw new JitdbgError("EXPR_TYPE", "error: invalid argument type to unary expression");
  }

  /** Loads a scalar Value into a number; aggregates stay Values. */
  rvalue(v: Result): Result {
    if (v.kind !== "value") return v;
    const t = strip(v.value.type);
    if (t instanceof BaseType && t.isFloat) {
      const b = readBytes(this.mem, v.value);
      if (typeof b === "string") throw new JitdbgError("EXPR_MEMORY", `error: ${b}`);
      return { kind: "float", value: floatOf(b, t.byteSize) };
    }
    if (t instanceof BaseType || t instanceof EnumType || t instanceof PointerType) {
      const x = scalarOf(this.mem, v.value);
      if (typeof x === "string") throw new JitdbgError("EXPR_MEMORY", `error: ${x}`);
      return int(x, t instanceof PointerType || (t instanceof BaseType && !t.isSigned));
    }
    if (t instanceof ArrayType && v.value.location.kind === "memory") return int(v.value.location.address, true);
    return v;
  }

  private toInt(v: Result, col: number): bigint {
    const r = this.rvalue(v);
    if (r.kind === "int") return r.value;
    if (r.kind === "float") return BigInt(Math.trunc(r.value));
    throw new JitdbgError("EXPR_TYPE", `error: expression is not an integer at column ${col}`);
  }

  isTrue(v: Result): boolean {
    const r = this.rvalue(v);
    if (r.kind === "int") return r.value !== 0n;
    if (r.kind === "float") return r.value !== 0;
    throw new JitdbgError("EXPR_TYPE", `error: a value of type '${r.value.type.name}' is not a condition (it is not a scalar)`);
  }
}

function int(value: bigint, unsigned = false): Result {
  return { kind: "int", value: unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value), unsigned };
}

function isPointerish(t: DwarfType): boolean {
  const s = strip(t);
  return s instanceof PointerType || s instanceof ArrayType;
}

/** The known name nearest to a misspelt one (edit distance ≤ 2, or a third of its length). */
export function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
