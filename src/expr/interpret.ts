/**
 * The second back end of the one C front end: an interpreter over the checked tree (ir.ts) that
 * check.ts produces for the code generator too, in the spirit of LLDB's IRInterpreter. It runs no
 * code and writes nothing: it reads memory and the frame's variables and registers through the
 * narrow InterpreterReader it is given, and evaluates what needs no code to run — arithmetic with
 * C's promotions and conversions exactly as the x86-64 code does them (integers normalized to their
 * type's width, the same shift counts, truncating conversions and NaN rules), comparisons, logical
 * operators, casts, member access (bit-fields too), indexing, pointer arithmetic, address-of,
 * sizeof, enumerators, character and string literals; long double exactly (values/extended.ts, as
 * the x87 computes at its default precision); complex values through the checker's lowering, whose
 * frame objects (and compound literals) live in a frame buffer of the interpreter's own, and
 * complex × and ÷ run the very C routines the compiled code calls (complex-runtime.ts), each on a
 * frame of its own that only it stores to. Calls of functions, assignments, increments and
 * console function definitions are refused before anything is read.
 */
import { readLocation, shiftedMissing, type MemoryReader, type ValueLocation } from "../values/value.js";
import { Checker, type ArgSlot } from "./check.js";
import { typeEnvOf } from "./compile.js";
import { exprError } from "./errors.js";
import { isLvalue, type ArithOp, type Place, type TExpr, type TStmt } from "./ir.js";
import { checkRoutine } from "./complex-runtime.js";
import { parseInput } from "./parser.js";
import type { Scope } from "./scope.js";
import { intOf, pointee, sizeOf, typeName, unqual, type CType } from "./types.js";
import * as X from "../values/extended.js";

/** What the interpreter may read: memory, and where the names the scope gave it live. */
export interface InterpreterReader extends MemoryReader {
  /** Storage of a frame variable or register (`$rax`) the tree reaches through an argument-block slot. */
  slot(slot: ArgSlot): ValueLocation;
  /** Run-time address of a linker symbol the scope named (a global, a function); undefined when unknown. */
  symbol(name: string): bigint | undefined;
  /** Address of the thread-local variable the scope named by this symbol; undefined when unknown. */
  tls(name: string): bigint | undefined;
}

export interface InterpretOptions {
  /**
   * Give a top-level lvalue back as the object (where it lives, with its bit-field position)
   * instead of its loaded value: what hover shows and a data breakpoint watches.
   */
  keepLvalue?: boolean;
  /** What is refusing to run code, for the refusal's message (default "hover"). */
  purpose?: string;
}

/** A result: C-typed bytes at a location (the caller bridges the type to DWARF to show it). */
export interface Interpreted {
  type: CType;
  location: ValueLocation;
  /** Bit-fields: which bits of the bytes at the location hold the value. */
  bits?: Bits;
  /** An object of the program (kept by keepLvalue), not a computed value. */
  lvalue: boolean;
}

interface Bits {
  offset: number;
  size: number;
}

type Scalar = { k: "int"; v: bigint } | { k: "float"; v: number } | { k: "ld"; v: X.Extended };
/** An object: an lvalue, or an aggregate (struct, array, complex) rvalue. */
type Obj = { k: "obj"; loc: ValueLocation; bits?: Bits };
type V = Scalar | Obj;

/** The checked tree of an expression, without evaluating it (completions need only its type). */
export function checkExpression(source: string, scope: Scope, opts: InterpretOptions = {}): { expr: TExpr; slots: ArgSlot[]; rodata: number[]; frameSize: number; bareMember: boolean } {
  const input = parseInput(source, typeEnvOf(scope));
  const purpose = opts.purpose ?? "hover";
  if (input.k === "function") throw exprError("EXPR_SIDE_EFFECT", `${purpose} does not run code: function definitions, calls and assignments are evaluated in the debug console`, input.def.pos);
  if (input.k === "declarations") throw exprError("EXPR_SIDE_EFFECT", `${purpose} does not define anything: declarations of types and variables are made in the debug console`, input.items[0]?.pos ?? 0);
  const checker = new Checker(scope, { tlsModel: "initial-exec" });
  const expr = checker.checkTopLevel(input.expr);
  // A member named alone (`s.f`): its bit-field's promotion is the checker's, not the user's.
  return { expr, slots: checker.slots, rodata: checker.rodata, frameSize: checker.frame.aligned, bareMember: input.expr.k === "member" };
}

/** Evaluates an expression without running code in the inferior. */
export function interpret(source: string, scope: Scope, reader: InterpreterReader, opts: InterpretOptions = {}): Interpreted {
  const checked = checkExpression(source, scope, opts);
  const frame = new Uint8Array(checked.frameSize);
  return new Interpreter(reader, scope, checked.slots, Uint8Array.from(checked.rodata), frame, opts.purpose ?? "hover", 0).top(checked.expr, opts.keepLvalue ?? false, checked.bareMember);
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const I64_MIN = -(1n << 63n);

/**
 * Where the interpreter's frames seem to be, for `&` of their objects: a range of the address
 * space no user program has (the kernel half), one 4 GiB window per call depth.
 */
const FRAME_BASE = 0xffffc00000000000n;
const FRAME_WINDOW = 1n << 32n;
/** Iterations a routine's loops may take (the routines have none; a bound all the same). */
const STEP_LIMIT = 1_000_000;

type Flow = { k: "next" } | { k: "break" } | { k: "continue" } | { k: "return"; value: V | undefined };

class Interpreter {
  private steps = 0;

  constructor(
    private readonly reader: InterpreterReader,
    private readonly scope: Scope,
    private readonly slots: readonly ArgSlot[],
    private readonly rodata: Uint8Array,
    /** The checked code's frame objects (rbp offsets from the end): temporaries and compound literals. */
    private readonly frame: Uint8Array,
    private readonly purpose: string,
    /** 0: the expression; a runtime routine's body runs one deeper, and may store into its own frame. */
    private readonly depth: number,
  ) {}

  private get frameAddress(): bigint {
    return FRAME_BASE + BigInt(this.depth) * FRAME_WINDOW;
  }

  /** The frame bytes at a pseudo-address of this frame, if it is one. */
  private frameAt(address: bigint): Uint8Array | undefined {
    const off = address - this.frameAddress;
    return off >= 0n && off < BigInt(this.frame.length) ? this.frame.subarray(Number(off)) : undefined;
  }

  /** Whether a location is (inside) this interpreter's frame. */
  private inFrame(loc: ValueLocation): loc is { kind: "bytes"; bytes: Uint8Array } {
    return loc.kind === "bytes" && loc.bytes.buffer === this.frame.buffer;
  }

  /** `bareMember`: the text is just a member access, so a conversion over its bit-field load is the promotion, not a cast or `+`. */
  top(te: TExpr, keepLvalue: boolean, bareMember = false): Interpreted {
    this.refuseSideEffects(te);
    // checkTopLevel loads scalars (`load`; bit-fields then promoted by a `conv`) and leaves whole
    // arrays as their lvalue.
    const loaded = bareMember && te.k === "conv" && te.operand.k === "load" && te.operand.lv.k === "member" && te.operand.lv.bitSize !== undefined ? te.operand : te;
    // A load whose type is not its object's has a cast folded in (`(long)x` of a long long x): a value, not the object.
    const lv = loaded.k === "load" ? (loaded.type === loaded.lv.type || bareMember ? loaded.lv : undefined) : isLvalue(te) ? te : undefined;
    if (keepLvalue && lv) {
      const o = this.object(lv);
      return { type: lv.type, location: o.loc, ...(o.bits ? { bits: o.bits } : {}), lvalue: true };
    }
    const v = this.value(te);
    if (v.k === "int" && unqual(te.type).kind === "pointer" && this.frameAt(v.v)) {
      throw exprError("EXPR_NO_ADDRESS", "the pointer points into a compound literal, which is not in the program's memory; evaluate it in the debug console", te.pos);
    }
    if (v.k === "obj") return { type: te.type, location: v.loc, ...(v.bits ? { bits: v.bits } : {}), lvalue: isLvalue(te) };
    return { type: te.type, location: { kind: "bytes", bytes: encode(te.type, v) }, lvalue: false };
  }

  // ---- refusals

  private refuseSideEffects(te: TExpr): void {
    const what = ((): string | undefined => {
      switch (te.k) {
        case "call": return te.routine ? undefined : "a function call";
        case "assign": case "compound": return "an assignment";
        case "stmtexpr": return "a statement expression";
        case "incdec": return te.delta > 0 ? "an increment" : "a decrement";
        default: return undefined;
      }
    })();
    if (what) throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: calls and assignments are evaluated in the debug console (this expression has ${what})`, te.pos);
    for (const c of children(te)) this.refuseSideEffects(c);
  }

  // ---- objects (lvalues and aggregates)

  /** Where an lvalue (or an aggregate rvalue) lives. */
  private object(te: TExpr): Obj {
    switch (te.k) {
      case "place": return { k: "obj", loc: this.placeLocation(te.place, te.type, te.pos) };
      case "deref": {
        const inPlace = this.inPlace(te.ptr);
        if (inPlace) return inPlace;
        const address = U64(this.int(te.ptr));
        const local = this.frameAt(address);
        return { k: "obj", loc: local ? { kind: "bytes", bytes: local } : { kind: "memory", address } };
      }
      case "member": {
        const base = this.object(te.base);
        if (te.bitSize !== undefined) {
          const bitOffset = te.bitOffset ?? te.offset * 8;
          return { k: "obj", loc: offsetLocation(base.loc, Math.floor(bitOffset / 8)), bits: { offset: bitOffset % 8, size: te.bitSize } };
        }
        return { k: "obj", loc: offsetLocation(base.loc, te.offset) };
      }
      default: {
        const v = this.value(te);
        if (v.k === "obj") return v;
        return { k: "obj", loc: { kind: "bytes", bytes: encode(te.type, v) } };
      }
    }
  }

  private placeLocation(p: Place, type: CType, pos: number): ValueLocation {
    switch (p.k) {
      case "extern": return this.at(this.reader.symbol(p.symbol), `'${p.symbol}' has no address known to the debugger`, pos);
      case "tls": return this.at(this.reader.tls(p.symbol), `the thread-local '${p.symbol}' has no block in this thread yet`, pos);
      case "rodata": return { kind: "bytes", bytes: this.rodata.subarray(p.offset, p.offset + (sizeOf(type) ?? 0)) };
      case "argAddress": case "argValue": {
        const slot = this.slots.find((s) => s.offset === p.offset);
        if (!slot) throw exprError("EXPR_UNSUPPORTED", "the checked tree names an argument slot it did not allocate (a front-end bug; please report the expression)", pos);
        return this.reader.slot(slot);
      }
      case "frame": return { kind: "bytes", bytes: this.frame.subarray(this.frame.length + p.offset) };
      case "own":
        throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: console functions are evaluated in the debug console`, pos);
    }
  }

  private at(address: bigint | undefined, why: string, pos: number): ValueLocation {
    if (address === undefined) throw exprError("EXPR_NO_ADDRESS", why, pos);
    return { kind: "memory", address };
  }

  /** Bytes of an object, or a clear error naming what could not be read. */
  private bytes(o: Obj, size: number, pos: number): Uint8Array {
    const b = readLocation(this.reader, o.loc, size, o.bits);
    if (typeof b === "string") {
      const text = b.startsWith("<") && b.endsWith(">") ? b.slice(1, -1) : b;
      throw exprError("EXPR_MEMORY", o.loc.kind === "memory" ? `cannot read memory at 0x${o.loc.address.toString(16)} (${size} bytes)` : text, pos);
    }
    if (b.length < size) throw exprError("EXPR_MEMORY", `the value has ${b.length} bytes, not the ${size} its type needs`, pos);
    return b;
  }

  /** Loads a scalar of type t from an object, as the code generator's load does. */
  private load(t: CType, o: Obj, pos: number): V {
    const u = unqual(t);
    if (o.bits) {
      // Just the bytes holding the field (an -O2 value in pieces may end right after it), then its bits.
      const { offset, size } = o.bits;
      const raw = (le(this.bytes(o, Math.ceil((offset + size) / 8), pos)) >> BigInt(offset)) & ((1n << BigInt(size)) - 1n);
      return { k: "int", v: intOf(t).signed ? BigInt.asIntN(size, raw) : raw };
    }
    switch (u.kind) {
      case "float": {
        if (u.size === 16) return { k: "ld", v: X.decodeExtended(this.bytes(o, 10, pos)) };
        const b = this.bytes(o, u.size, pos);
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        return { k: "float", v: u.size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true) };
      }
      case "int": case "enum": {
        const it = intOf(u);
        const x = le(this.bytes(o, it.size, pos));
        return { k: "int", v: it.signed ? BigInt.asIntN(it.size * 8, x) : x };
      }
      case "pointer": return { k: "int", v: le(this.bytes(o, 8, pos)) };
      default: return o; // aggregates stay where they are
    }
  }

  /**
   * `a[i]`, `*(a + i)`, `*a` of an array that is not in memory (an optimized local kept in
   * registers or as computed pieces): the element is read from the array's own bytes, as there is
   * no address to compute with; undefined when the pointer is not such an array's.
   */
  private inPlace(ptr: TExpr): Obj | undefined {
    const add = ptr.k === "ptradd" && ptr.ptr.k === "addr" ? ptr : undefined;
    const at = add ? add.ptr : ptr;
    if (at.k !== "addr" || unqual(at.lv.type).kind !== "array") return undefined;
    const base = this.object(at.lv);
    if (base.loc.kind !== "bytes") return undefined;
    const offset = add ? Number(this.int(add.int)) * add.scale * (add.sub ? -1 : 1) : 0;
    const size = sizeOf(pointee(ptr.type)) ?? 0;
    if (offset < 0 || offset + size > base.loc.bytes.length) throw exprError("EXPR_MEMORY", `the element at byte ${offset} is outside the array (${base.loc.bytes.length} bytes), which is not in memory`, ptr.pos);
    return { k: "obj", loc: offsetLocation(base.loc, offset) };
  }

  // ---- values

  private scalar(te: TExpr): Scalar {
    const v = this.value(te);
    if (v.k === "obj") throw exprError("EXPR_TYPE", `'${typeName(te.type)}' is not a scalar`, te.pos);
    return v;
  }

  private int(te: TExpr): bigint {
    const v = this.scalar(te);
    if (v.k !== "int") throw exprError("EXPR_TYPE", `'${typeName(te.type)}' is not an integer`, te.pos);
    return v.v;
  }

  private value(te: TExpr): V {
    switch (te.k) {
      case "const": return { k: "int", v: norm(te.type, te.value) };
      case "fconst":
        if (isExtended(te.type)) return { k: "ld", v: te.extended ?? X.fromNumber(te.value) };
        return { k: "float", v: isSingle(te.type) ? Math.fround(te.value) : te.value };
      case "place": case "deref": case "member": return this.object(te); // an aggregate in value position
      case "init": return this.initialize(te);
      case "load": return this.load(te.type, this.object(te.lv), te.pos);
      case "addr": {
        const o = this.object(te.lv);
        if (o.loc.kind === "memory") return { k: "int", v: o.loc.address };
        if (o.loc.kind === "error") throw exprError("EXPR_NO_ADDRESS", o.loc.message, te.pos);
        if (this.inFrame(o.loc)) return { k: "int", v: this.frameAddress + BigInt(o.loc.bytes.byteOffset - this.frame.byteOffset) };
        const what = te.lv.k === "place" && te.lv.place.k === "rodata"
          ? "a string literal is not in the program's memory"
          : te.lv.k === "init" || (te.lv.k === "place" && te.lv.place.k === "frame")
            ? "a compound literal is not in the program's memory"
            : "the value is held in a register or computed, not in memory";
        throw exprError("EXPR_NO_ADDRESS", `cannot take its address: ${what}; evaluate it in the debug console`, te.pos);
      }
      case "neg": {
        const x = this.scalar(te.operand);
        if (x.k === "float") return { k: "float", v: -x.v };
        if (x.k === "ld") return { k: "ld", v: X.negate(x.v) };
        return { k: "int", v: norm(te.type, -x.v) };
      }
      case "bitnot": return { k: "int", v: norm(te.type, ~this.int(te.operand)) };
      case "lnot": return { k: "int", v: this.truth(te.operand) ? 0n : 1n };
      case "arith": return this.arith(te);
      case "compare": {
        const a = this.scalar(te.left);
        const b = this.scalar(te.right);
        const r = a.k === "ld" || b.k === "ld" ? compareExtended(te.op, toExtended(a), toExtended(b)) : compare(te.op, a.v as number | bigint, b.v as number | bigint);
        return { k: "int", v: r ? 1n : 0n };
      }
      case "ptradd": {
        const p = this.int(te.ptr);
        const n = this.int(te.int) * BigInt(te.scale);
        return { k: "int", v: U64(te.sub ? p - n : p + n) };
      }
      case "ptrdiff": {
        const d = BigInt.asIntN(64, this.int(te.left) - this.int(te.right));
        return { k: "int", v: te.scale === 1 ? d : d / BigInt(te.scale) };
      }
      case "logical": {
        const l = this.truth(te.left);
        if (te.op === "&&" ? !l : l) return { k: "int", v: te.op === "&&" ? 0n : 1n };
        return { k: "int", v: this.truth(te.right) ? 1n : 0n };
      }
      case "comma": this.value(te.left); return this.value(te.right);
      case "cond": return this.truth(te.cond) ? this.value(te.then) : this.value(te.else);
      case "conv": return this.convert(te.operand.type, te.type, this.value(te.operand), te.pos);
      case "call":
        if (te.routine) return this.routine(te);
        throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: calls and assignments are evaluated in the debug console`, te.pos);
      case "assign": case "compound":
        if (this.depth > 0) return this.store(te);
        throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: calls and assignments are evaluated in the debug console`, te.pos);
      case "incdec": case "stmtexpr":
        throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: calls and assignments are evaluated in the debug console`, te.pos);
    }
  }

  /** C's truth of a scalar; NaN is true, as the compiled code's ucomis + parity says. */
  private truth(te: TExpr): boolean {
    const v = this.scalar(te);
    if (v.k === "ld") return !X.isZero(v.v);
    return v.k === "float" ? v.v !== 0 || Number.isNaN(v.v) : v.v !== 0n;
  }

  // ---- runtime routines (complex × and ÷): their C bodies, run here on a frame of their own

  private routine(te: Extract<TExpr, { k: "call" }>): V {
    const lv = te.callee.k === "addr" ? te.callee.lv : undefined;
    const symbol = lv?.k === "place" && lv.place.k === "own" ? lv.place.symbol : undefined;
    if (!symbol) throw exprError("EXPR_UNSUPPORTED", "a runtime routine is called through a pointer (a front-end bug; please report the expression)", te.pos);
    const r = checkRoutine(symbol, this.scope);
    const args = te.args.map((a) => this.value(a));
    const child = new Interpreter(this.reader, this.scope, [], new Uint8Array(0), new Uint8Array(r.frame.aligned), this.purpose, this.depth + 1);
    r.params.forEach((p, i) => child.frame.set(encode(p.type, args[i] as Scalar), child.frame.length + p.offset));
    const flow = child.run(r.body);
    if (flow.k !== "return" || !flow.value) throw exprError("EXPR_UNSUPPORTED", `the runtime routine '${symbol}' ended without a value (a front-end bug)`, te.pos);
    const v = flow.value;
    // The result outlives the routine's frame: its bytes are copied out.
    return v.k === "obj" ? { k: "obj", loc: { kind: "bytes", bytes: Uint8Array.from(this.bytes(v, sizeOf(te.type) ?? 0, te.pos)) } } : v;
  }

  private run(body: TStmt[]): Flow {
    for (const s of body) {
      const f = this.exec(s);
      if (f.k !== "next") return f;
    }
    return { k: "next" };
  }

  private exec(s: TStmt): Flow {
    switch (s.k) {
      case "expr": this.value(s.expr); return { k: "next" };
      case "block": return this.run(s.body);
      case "if": return this.truth(s.cond) ? this.exec(s.then) : s.else ? this.exec(s.else) : { k: "next" };
      case "return": return { k: "return", value: s.value ? this.value(s.value) : undefined };
      case "break": case "continue": return { k: s.k };
      case "label": return this.exec(s.body);
      case "switch": {
        const v = this.int(s.cond);
        const target = s.cases.find((c) => c.value === v)?.label ?? s.defaultLabel;
        const f = target === undefined ? undefined : this.seek(s.body, target);
        return !f || f.k === "break" ? { k: "next" } : f;
      }
      case "loop": {
        for (let first = true; ; first = false) {
          if (++this.steps > STEP_LIMIT) throw exprError("EXPR_UNSUPPORTED", `a runtime routine looped more than ${STEP_LIMIT} times`, 0);
          if ((s.testFirst || !first) && s.cond && !this.truth(s.cond)) return { k: "next" };
          const f = this.exec(s.body);
          if (f.k === "break") return { k: "next" };
          if (f.k === "return") return f;
          if (s.step) this.value(s.step);
        }
      }
    }
  }

  /** Runs `s` from its case label `label` on (a switch's jump); undefined when the label is not in it. */
  private seek(s: TStmt, label: number): Flow | undefined {
    switch (s.k) {
      case "label": return s.label === label ? this.exec(s.body) : this.seek(s.body, label);
      case "if": return this.seek(s.then, label) ?? (s.else ? this.seek(s.else, label) : undefined);
      case "block": {
        let found = false;
        for (const b of s.body) {
          const f = found ? this.exec(b) : this.seek(b, label);
          if (f === undefined) continue;
          found = true;
          if (f.k !== "next") return f;
        }
        return found ? { k: "next" } : undefined;
      }
      default: return undefined; // a label inside a loop (Duff's device) is not followed
    }
  }

  /** `=` and `op=` inside a routine: only its own frame objects are stored to. */
  private store(te: Extract<TExpr, { k: "assign" | "compound" }>): V {
    const o = this.object(te.target);
    if (!this.inFrame(o.loc) || o.bits) throw exprError("EXPR_SIDE_EFFECT", `${this.purpose} does not run code: a runtime routine stored outside its frame`, te.pos);
    let v: V;
    if (te.k === "assign") v = this.value(te.value);
    else {
      const old = this.convert(te.target.type, te.opType, this.load(te.target.type, o, te.pos), te.pos);
      v = this.convert(te.opType, te.target.type, this.combine(te.op, te.opType, old as Scalar, this.scalar(te.value), te.pos), te.pos);
    }
    const size = sizeOf(te.target.type) ?? 0;
    o.loc.bytes.set((v.k === "obj" ? this.bytes(v, size, te.pos) : encode(te.target.type, v)).subarray(0, size));
    return v;
  }

  /** A frame object filled from its stores, as the compiled code fills it where it is evaluated. */
  private initialize(te: Extract<TExpr, { k: "init" }>): Obj {
    const at = this.frame.length + te.offset;
    const obj = this.frame.subarray(at, at + te.size);
    if (te.zero) obj.fill(0);
    for (const s of te.stores) {
      const v = this.value(s.value);
      const size = sizeOf(s.value.type) ?? 0;
      const bytes = v.k === "obj" ? this.bytes(v, size, s.value.pos) : encode(s.value.type, v);
      if (!s.bits) {
        obj.set(bytes.subarray(0, size), s.offset);
        continue;
      }
      // A bit-field: OR its bits into the zero-filled bytes holding them.
      const first = Math.floor(s.bits.offset / 8);
      const n = Math.ceil(((s.bits.offset % 8) + s.bits.size) / 8);
      const field = BigInt.asUintN(s.bits.size, le(bytes)) << BigInt(s.bits.offset % 8);
      for (let i = 0; i < n; i++) obj[first + i]! |= Number((field >> BigInt(8 * i)) & 0xffn);
    }
    return { k: "obj", loc: { kind: "bytes", bytes: obj } };
  }

  private arith(te: Extract<TExpr, { k: "arith" }>): V {
    return this.combine(te.op, te.type, this.scalar(te.left), this.scalar(te.right), te.pos);
  }

  /** a op b, both already of type t, as the code generator's combine(). */
  private combine(op: ArithOp, t: CType, a: Scalar, b: Scalar, pos: number): V {
    const te = { op, type: t, pos };
    if (a.k === "ld" || b.k === "ld") {
      const f = { "+": X.add, "-": X.sub, "*": X.mul, "/": X.div }[te.op as "+"];
      return { k: "ld", v: f(toExtended(a), toExtended(b)) };
    }
    if (a.k === "float" || b.k === "float") {
      const x = Number(a.v);
      const y = Number(b.v);
      const r = te.op === "+" ? x + y : te.op === "-" ? x - y : te.op === "*" ? x * y : x / y;
      return { k: "float", v: isSingle(te.type) ? Math.fround(r) : r };
    }
    const x = a.v;
    const y = b.v;
    const signed = intOf(t).signed;
    switch (te.op) {
      case "+": return { k: "int", v: norm(t, x + y) };
      case "-": return { k: "int", v: norm(t, x - y) };
      case "*": return { k: "int", v: norm(t, x * y) };
      case "&": return { k: "int", v: norm(t, x & y) };
      case "|": return { k: "int", v: norm(t, x | y) };
      case "^": return { k: "int", v: norm(t, x ^ y) };
      // The code shifts the 64-bit register by cl: the count is taken modulo 64.
      case "<<": return { k: "int", v: norm(t, x << (U64(y) & 63n)) };
      case ">>": return { k: "int", v: norm(t, (signed ? x : U64(x)) >> (U64(y) & 63n)) };
      case "/": case "%": {
        // 64-bit idiv/div on the normalized operands: a zero divisor, or LONG_MIN / -1, traps.
        if (y === 0n) throw exprError("EXPR_ARITHMETIC", "division by zero (the compiled code would receive SIGFPE)", te.pos);
        if (signed && x === I64_MIN && y === -1n) throw exprError("EXPR_ARITHMETIC", "LONG_MIN / -1 overflows (the compiled code would receive SIGFPE)", te.pos);
        const q = signed ? x / y : U64(x) / U64(y);
        return { k: "int", v: norm(t, te.op === "/" ? q : x - q * y) };
      }
    }
  }

  /** A conversion, exactly as the code generator's convert(). */
  private convert(from: CType, to: CType, v: V, pos: number): V {
    const t = unqual(to);
    if (t.kind === "void") return { k: "int", v: 0n };
    if (v.k === "obj") {
      if (t.kind === "struct" || t.kind === "union" || t.kind === "array" || t.kind === "complex") return v;
      throw exprError("EXPR_UNSUPPORTED", `converting '${typeName(from)}' to '${typeName(to)}' is not supported`, pos);
    }
    if (t.kind === "struct" || t.kind === "union" || t.kind === "array" || t.kind === "complex") return v;
    if (v.k === "ld") return fromExtended(t, v.v);
    if (t.kind === "float") {
      if (t.size === 16) return { k: "ld", v: toExtended(v) };
      const single = t.size === 4;
      if (v.k === "float") return { k: "float", v: single ? Math.fround(v.v) : v.v };
      return { k: "float", v: single ? bigintToFloat32(v.v) : Number(v.v) };
    }
    if (t.kind === "pointer") return { k: "int", v: U64(v.k === "int" ? v.v : 0n) };
    // To an integer type.
    if (v.k === "float") {
      const it = intOf(t);
      if (it.bool) return { k: "int", v: v.v !== 0 || Number.isNaN(v.v) ? 1n : 0n };
      const x = it.signed || it.size !== 8 ? cvttsd2si(v.v) : doubleToU64(v.v);
      return { k: "int", v: norm(t, x) };
    }
    return { k: "int", v: norm(t, v.v) };
  }
}

/** A long double's conversions, exactly as the code generator's (x87.ts). */
function fromExtended(t: Exclude<CType, { kind: "typedef" }>, x: X.Extended): V {
  if (t.kind === "float") return t.size === 16 ? { k: "ld", v: x } : { k: "float", v: X.toNumber(x, t.size === 4 ? X.FLOAT : X.DOUBLE) };
  if (t.kind === "pointer") return { k: "int", v: U64(X.toInt64(x)) };
  const it = intOf(t);
  if (it.bool) return { k: "int", v: X.isZero(x) ? 0n : 1n };
  if (it.signed || it.size !== 8) return { k: "int", v: norm(t, X.toInt64(x)) };
  // unsigned long: from 2^63 up, converted less 2^63 and bit 63 flipped (NaN: the plain conversion).
  const big = X.compare(x, TWO_63);
  return { k: "int", v: U64(big !== undefined && big >= 0 ? X.toInt64(X.sub(x, TWO_63)) ^ I64_MIN : X.toInt64(x)) };
}

const TWO_63 = X.fromBigInt(1n << 63n);

function isExtended(t: CType): boolean {
  const u = unqual(t);
  return u.kind === "float" && u.size === 16;
}

/** A scalar as a long double, exactly (integers as fild, doubles and floats as fld). */
function toExtended(v: Scalar): X.Extended {
  if (v.k === "ld") return v.v;
  if (v.k === "float") return X.fromNumber(v.v);
  return X.fromBigInt(v.v);
}

function compareExtended(op: string, a: X.Extended, b: X.Extended): boolean {
  const c = X.compare(a, b);
  if (c === undefined) return op === "!=";
  switch (op) {
    case "<": return c < 0;
    case ">": return c > 0;
    case "<=": return c <= 0;
    case ">=": return c >= 0;
    case "==": return c === 0;
    default: return c !== 0;
  }
}

/** The direct sub-expressions of a node. */
function children(te: TExpr): TExpr[] {
  switch (te.k) {
    case "const": case "fconst": case "place": return [];
    case "deref": return [te.ptr];
    case "member": return [te.base];
    case "load": case "addr": return [te.lv];
    case "neg": case "bitnot": case "lnot": case "conv": return [te.operand];
    case "arith": case "compare": case "ptrdiff": case "logical": case "comma": return [te.left, te.right];
    case "ptradd": return [te.ptr, te.int];
    case "cond": return [te.cond, te.then, te.else];
    case "assign": case "compound": return [te.target, te.value];
    case "incdec": return [te.target];
    case "call": return [te.callee, ...te.args];
    case "stmtexpr": return te.value ? [te.value] : [];
    case "init": return te.stores.map((s) => s.value);
  }
}

function offsetLocation(loc: ValueLocation, offset: number): ValueLocation {
  if (offset === 0) return loc;
  if (loc.kind === "memory") return { kind: "memory", address: U64(loc.address + BigInt(offset)) };
  if (loc.kind === "bytes") return { kind: "bytes", bytes: loc.bytes.subarray(offset), ...(loc.missing ? { missing: shiftedMissing(loc.missing, offset, loc.bytes.length - offset) } : {}) };
  return loc;
}

function le(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

function isSingle(t: CType): boolean {
  const u = unqual(t);
  return u.kind === "float" && u.size === 4;
}

/**
 * An integer as the code keeps it in rax, read back as its type's value: narrow integers sign- or
 * zero-extended from their width, _Bool as 0/1, pointers as 64-bit addresses.
 */
function norm(t: CType, x: bigint): bigint {
  const u = unqual(t);
  if (u.kind === "pointer") return U64(x);
  if (u.kind !== "int" && u.kind !== "enum") return x;
  const it = intOf(u);
  if (it.bool) return BigInt.asUintN(64, x) !== 0n ? 1n : 0n;
  return it.signed ? BigInt.asIntN(it.size * 8, x) : BigInt.asUintN(it.size * 8, x);
}

function compare(op: string, a: bigint | number, b: bigint | number): boolean {
  if (typeof a === "number" || typeof b === "number") {
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case "<": return x < y;
      case ">": return x > y;
      case "<=": return x <= y;
      case ">=": return x >= y;
      case "==": return x === y;
      default: return x !== y;
    }
  }
  switch (op) {
    case "<": return a < b;
    case ">": return a > b;
    case "<=": return a <= b;
    case ">=": return a >= b;
    case "==": return a === b;
    default: return a !== b;
  }
}

/** cvttsd2si: truncation toward zero; NaN and values outside int64 give the "integer indefinite" 0x8000000000000000. */
function cvttsd2si(x: number): bigint {
  if (!Number.isFinite(x) || x >= 2 ** 63 || x < -(2 ** 63)) return I64_MIN;
  return BigInt(Math.trunc(x));
}

/** The code's double → unsigned long: values from 2^63 up are converted less 2^63, then bit 63 flipped. */
function doubleToU64(x: number): bigint {
  if (x >= 2 ** 63) return U64(cvttsd2si(x - 2 ** 63) ^ (1n << 63n));
  return U64(cvttsd2si(x));
}

/** An integer rounded once to float (round to nearest, ties to even), as cvtsi2ss does. */
function bigintToFloat32(v: bigint): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  if (m < 1n << 53n) return Math.fround(Number(v)); // exact as a double: one rounding
  const bits = m.toString(2).length;
  const drop = BigInt(bits - 24);
  const rest = m & ((1n << drop) - 1n);
  m >>= drop;
  const half = 1n << (drop - 1n);
  if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
  const r = Number(m) * 2 ** Number(drop);
  return Math.fround(neg ? -r : r);
}

/** A scalar's bytes in its C type's representation. */
function encode(t: CType, v: Scalar): Uint8Array {
  const u = unqual(t);
  const size = u.kind === "void" ? 0 : (sizeOf(t) ?? 8);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  if (v.k === "ld") return X.encodeExtended(v.v).subarray(0, size);
  if (v.k === "float") {
    if (size === 4) dv.setFloat32(0, v.v, true);
    else if (size >= 8) dv.setFloat64(0, v.v, true);
    return out;
  }
  let x = BigInt.asUintN(Math.max(size, 1) * 8, v.v);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

