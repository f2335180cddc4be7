/**
 * Name resolution and type checking: turns parsed syntax into the typed tree (ir.ts), resolving
 * identifiers against the Scope, applying C's conversions, and assigning argument-block slots to the
 * frame variables and registers the expression uses.
 */
import type { AssignOp, BinaryOp, Expr, FunctionDef, InitList, Stmt } from "./ast.js";
import { isTypeOperand, startPos } from "./ast.js";
import { libcPrototype } from "./builtins.js";
import { defaultPromotion, integerLiteralType, promote, usualArithmetic } from "./conversions.js";
import { ComplexLowering } from "./complex.js";
import { integerConstant } from "./constant.js";
import { didYouMean, exprError } from "./errors.js";
import { ENTRY_RESERVED, FrameLayout } from "./frame.js";
import { initialize } from "./initializers.js";
import { isLvalue, type ArithOp, type CompareOp, type Place, type TExpr, type TStmt } from "./ir.js";
import type { Scope, TlsModel, VariableLocation } from "./scope.js";
import { negate as negateExtended } from "../values/extended.js";
import {
  T, alignOf, arrayOf, findMember, isArithmetic, isComplex, isInteger, isPointer, isReal, isRecord, isScalar, isVoid, memberNames,
  pointee, pointerTo, sameType, sizeOf, typeName, unqual, type CType, type FunctionType, type RecordType,
} from "./types.js";
import { intOf } from "./types.js";

/** One 8-byte-aligned slot of the argument block the evaluator fills before calling the entry. */
export interface ArgSlot {
  /** Byte offset in the argument block. */
  offset: number;
  size: number;
  /** The identifier as written (`local`, `$rax`). */
  name: string;
  /** "address": store the variable's address; "value": store its value (registers, DWARF values). */
  fill: "address" | "value";
  location: VariableLocation;
  type: CType;
  /** The expression may modify the slot; copy it back to the register/value afterwards. */
  written: boolean;
}

/** Registers readable as `$name`, all through "value" slots (gdb's types for rsp, rbp, rip). */
const REGISTERS: Record<string, CType> = {
  rax: T.long, rbx: T.long, rcx: T.long, rdx: T.long, rsi: T.long, rdi: T.long, rbp: pointerTo(T.void), rsp: pointerTo(T.void),
  r8: T.long, r9: T.long, r10: T.long, r11: T.long, r12: T.long, r13: T.long, r14: T.long, r15: T.long,
  rip: pointerTo({ kind: "function", ret: T.void, params: [], variadic: false, prototyped: false }), eflags: T.int,
  fs_base: T.long, gs_base: T.long,
};

interface LocalVar {
  type: CType;
  offset: number;
}

/** Symbols without types (name as written): usable only under a cast or `&`. */
const NODEBUG = new WeakMap<TExpr, string>();

export interface CheckOptions {
  tlsModel: TlsModel;
}

export class Checker {
  readonly slots: ArgSlot[] = [];
  readonly rodata: number[] = [];
  /** Whether the code stores through an lvalue (an assignment, compound assignment, ++ or --). */
  assigns = false;
  private readonly strings = new Map<string, number>();
  frame = new FrameLayout(ENTRY_RESERVED);
  private localScopes: Map<string, LocalVar>[] = [];
  private fn: { name: string; type: FunctionType } | undefined;
  /** The loops and switches a break or continue here would leave, innermost last. */
  private breakables: ("loop" | "switch")[] = [];
  /** The switches being checked, innermost last: where their case labels go. */
  private switches: { type: CType; cases: { value: bigint; label: number; pos: number }[]; defaultLabel: number | undefined }[] = [];
  private labels = 0;
  /** Statement expressions being checked, innermost last (return may not leave one). */
  private statementExpressions = 0;
  /** Runtime routines (complex-runtime.ts) the object must define. */
  readonly routines = new Set<string>();
  private readonly complex = new ComplexLowering({
    alloc: (size, align) => this.frame.alloc(size, align),
    conv: (te, to) => this.conv(te, to),
    rvalue: (te) => this.rvalue(te),
    needsRoutine: (symbol) => this.routines.add(symbol),
  });

  constructor(
    private readonly scope: Scope,
    private readonly opts: CheckOptions,
  ) {}

  // ---- entry points

  /** The top-level expression: the entry stores its value (arrays and structs by bytes). */
  checkTopLevel(e: Expr): TExpr {
    const te = this.expr(e);
    const named = e.k === "ident" && te.k === "const" ? this.enumeratorShownByName(e.name, te) : undefined;
    if (named) return named;
    const u = unqual(te.type);
    if (u.kind === "array" && sizeOf(u) !== undefined) return te; // shown as the whole array, like gdb
    if (u.kind === "function") return this.rvalue(te);
    if (te.k === "place" && NODEBUG.has(te)) throw this.noDebugType(te);
    return this.rvalue(te);
  }

  checkFunction(def: FunctionDef): { params: { offset: number; type: CType }[]; body: TStmt[]; frame: FrameLayout } {
    const retU = unqual(def.type.ret);
    if ((retU.kind === "struct" || retU.kind === "union") && retU.incomplete) throw exprError("EXPR_TYPE", `function '${def.name}' returns the incomplete type '${typeName(def.type.ret)}'`, def.pos);
    if (retU.kind === "array") throw exprError("EXPR_TYPE", "function cannot return an array type", def.pos);
    this.frame = new FrameLayout(0);
    this.fn = { name: def.name, type: def.type };
    const params: { offset: number; type: CType }[] = [];
    const scope = new Map<string, LocalVar>();
    def.type.params.forEach((p, i) => {
      const size = sizeOf(p);
      if (size === undefined) throw exprError("EXPR_TYPE", `parameter ${i + 1} of '${def.name}' has the incomplete type '${typeName(p)}'`, def.pos);
      // A struct arriving in registers is stored by whole eightbytes: its slot is a multiple of 8.
      const offset = this.frame.alloc(isRecord(p) ? Math.ceil(size / 8) * 8 : size, alignOf(p));
      params.push({ offset, type: p });
      const name = def.paramNames[i];
      if (name) scope.set(name, { type: p, offset });
    });
    this.localScopes = [scope];
    const body = def.body.map((s) => this.stmt(s));
    this.localScopes = [];
    return { params, body, frame: this.frame };
  }

  // ---- statements

  private stmt(s: Stmt): TStmt {
    switch (s.k) {
      case "expr": return { k: "expr", expr: this.expr(s.expr) };
      case "empty": return { k: "block", body: [] };
      case "block": {
        this.localScopes.push(new Map());
        const body = s.body.map((b) => this.stmt(b));
        this.localScopes.pop();
        return { k: "block", body };
      }
      case "decl": {
        const out: TStmt[] = [];
        const scope = this.localScopes[this.localScopes.length - 1]!;
        for (const d of s.decls) {
          if (isVoid(d.type)) throw exprError("EXPR_TYPE", `variable '${d.name}' has incomplete type '${typeName(d.type)}'`, d.pos);
          if (!d.init) {
            const size = sizeOf(d.type);
            if (size === undefined) throw exprError("EXPR_TYPE", `variable '${d.name}' has incomplete type '${typeName(d.type)}'`, d.pos);
            scope.set(d.name, { type: d.type, offset: this.frame.alloc(size, alignOf(d.type)) });
            continue;
          }
          // The name enters scope after its initializer: `int x = x + 1` reads an outer x (in C, the new indeterminate one).
          const init = this.initialized(d.type, d.init, d.init.k === "list" ? d.init.pos : startPos(d.init));
          scope.set(d.name, { type: init.type, offset: init.offset });
          out.push({ k: "expr", expr: init });
        }
        return { k: "block", body: out };
      }
      case "if": return { k: "if", cond: this.condition(s.cond), then: this.stmt(s.then), else: s.else ? this.stmt(s.else) : undefined };
      case "while": return this.loop(() => ({ k: "loop", cond: this.condition(s.cond), body: this.stmt(s.body), step: undefined, testFirst: true }));
      case "do": return this.loop(() => ({ k: "loop", body: this.stmt(s.body), cond: this.condition(s.cond), step: undefined, testFirst: false }));
      case "for": {
        this.localScopes.push(new Map());
        const init = s.init ? this.stmt(s.init) : undefined;
        const loop = this.loop((): TStmt => ({
          k: "loop",
          cond: s.cond ? this.condition(s.cond) : undefined,
          step: s.step ? this.expr(s.step) : undefined,
          body: this.stmt(s.body),
          testFirst: true,
        }));
        this.localScopes.pop();
        return { k: "block", body: init ? [init, loop] : [loop] };
      }
      case "return": {
        if (!this.fn || this.statementExpressions > 0) throw exprError("EXPR_SYNTAX", "'return' cannot leave a statement expression: its value is its last expression statement", s.pos);
        const ret = this.fn.type.ret;
        if (!s.value) {
          if (!isVoid(ret)) throw exprError("EXPR_TYPE", `non-void function '${this.fn!.name}' should return a value`, s.pos);
          return { k: "return", value: undefined };
        }
        if (isVoid(ret)) throw exprError("EXPR_TYPE", `void function '${this.fn!.name}' should not return a value`, s.value.pos);
        return { k: "return", value: this.assignable(this.rvalue(this.expr(s.value)), ret, s.value.pos, "returning") };
      }
      case "break":
        if (this.breakables.length === 0) throw exprError("EXPR_SYNTAX", "'break' statement not in a loop or switch", s.pos);
        return { k: "break" };
      case "continue":
        if (!this.breakables.includes("loop")) throw exprError("EXPR_SYNTAX", "'continue' statement not in a loop", s.pos);
        return { k: "continue" };
      case "switch": return this.switchStatement(s);
      case "case": return this.caseLabel(s);
    }
  }

  /**
   * `({ … })`: its own block scope; the last statement, when an expression, is the value (an
   * rvalue). Jumps out of it (break/continue of an outer loop, return) are refused: the code
   * around it may have values on the stack.
   */
  private statementExpression(e: Extract<Expr, { k: "stmtexpr" }>): TExpr {
    // Jumps into or out of it are refused: no break, continue or case reaches across it.
    const breakables = this.breakables;
    const switches = this.switches;
    this.breakables = [];
    this.switches = [];
    this.statementExpressions++;
    this.localScopes.push(new Map());
    try {
      const last = e.body[e.body.length - 1];
      const valued = last?.k === "expr";
      const body = (valued ? e.body.slice(0, -1) : e.body).map((s) => this.stmt(s));
      const value = valued ? this.rvalue(this.expr(last.expr)) : undefined;
      return { k: "stmtexpr", type: value?.type ?? T.void, pos: e.pos, body, value };
    } finally {
      this.localScopes.pop();
      this.statementExpressions--;
      this.breakables = breakables;
      this.switches = switches;
    }
  }

  /**
   * A new object of the frame initialized from `init` (compound literals, declarations, brace
   * assignment): its type is `type`, arrays of unknown length completed by the initializer.
   */
  private initialized(type: CType, init: Expr | InitList, pos: number): Extract<TExpr, { k: "init" }> {
    const u = unqual(type);
    if (u.kind === "function" || isVoid(type)) throw exprError("EXPR_TYPE", `cannot initialize an object of type '${typeName(type)}'`, pos);
    if ((u.kind === "struct" || u.kind === "union") && u.incomplete) throw exprError("EXPR_TYPE", `variable has incomplete type '${typeName(type)}'`, pos);
    const r = initialize({ expr: (e) => this.expr(e), rvalue: (te) => this.rvalue(te), assignable: (v, to, p, what) => this.assignable(v, to, p, what) }, type, init, pos);
    const size = sizeOf(r.type) ?? 0;
    const offset = this.frame.alloc(size, alignOf(r.type));
    // One store of the whole object needs no zero fill first.
    const [only] = r.stores;
    const zero = !(r.stores.length === 1 && only!.offset === 0 && sizeOf(only!.value.type) === size);
    return { k: "init", type: r.type, pos, offset, size, zero, stores: r.stores };
  }

  /**
   * gdb's `{1, 2, 3}` standing alone: an array of its first element's type (nested lists: arrays
   * of arrays), as long as its items have no designators that would say otherwise.
   */
  private arrayLiteralType(list: InitList): CType {
    const [first] = list.items;
    if (!first) throw exprError("EXPR_TYPE", "an empty brace list has no type: write a compound literal '(type){}'", list.pos);
    const designated = list.items.find((i) => i.designators.length > 0);
    if (designated) throw exprError("EXPR_TYPE", "a brace list with designators needs a type: write a compound literal '(type){…}'", designated.pos);
    const element = first.value.k === "list" ? this.arrayLiteralType(first.value) : this.rvalue(this.expr(first.value)).type;
    if (isVoid(element)) throw exprError("EXPR_TYPE", "array elements cannot have type 'void'", first.pos);
    return arrayOf(element, list.items.length);
  }

  private loop(build: () => TStmt): TStmt {
    this.breakables.push("loop");
    try {
      return build();
    } finally {
      this.breakables.pop();
    }
  }

  /** `switch (e) body`: e's integer promotion is compared with each case value, converted to it (C11 6.8.4.2). */
  private switchStatement(s: Extract<Stmt, { k: "switch" }>): TStmt {
    const e = this.rvalue(this.expr(s.cond));
    if (!isInteger(e.type)) throw exprError("EXPR_TYPE", `switch quantity not an integer (it has type '${typeName(e.type)}')`, s.cond.pos);
    const cond = this.conv(e, promote(e.type));
    const sw = { type: cond.type, cases: [] as { value: bigint; label: number; pos: number }[], defaultLabel: undefined as number | undefined };
    this.switches.push(sw);
    this.breakables.push("switch");
    try {
      const body = this.stmt(s.body);
      return { k: "switch", cond, body, cases: sw.cases.map(({ value, label }) => ({ value, label })), defaultLabel: sw.defaultLabel };
    } finally {
      this.breakables.pop();
      this.switches.pop();
    }
  }

  /** `case v:` or `default:` of the innermost switch: a label the switch jumps to. */
  private caseLabel(s: Extract<Stmt, { k: "case" }>): TStmt {
    const sw = this.switches[this.switches.length - 1];
    const what = s.value ? "case label" : "'default' label";
    if (!sw) throw exprError("EXPR_SYNTAX", `${what} not within a switch statement`, s.pos);
    const label = this.labels++;
    if (!s.value) {
      if (sw.defaultLabel !== undefined) throw exprError("EXPR_SYNTAX", "multiple default labels in one switch", s.pos);
      sw.defaultLabel = label;
    } else {
      const v = this.rvalue(this.expr(s.value));
      const n = isInteger(v.type) ? integerConstant(v) : undefined;
      if (n === undefined) throw exprError("EXPR_TYPE", "case label does not reduce to an integer constant", s.value.pos);
      const it = intOf(sw.type);
      const value = it.signed ? BigInt.asIntN(it.size * 8, n) : BigInt.asUintN(it.size * 8, n);
      if (sw.cases.some((c) => c.value === value)) throw exprError("EXPR_SYNTAX", `duplicate case value ${value}`, s.value.pos);
      sw.cases.push({ value, label, pos: s.pos });
    }
    return { k: "label", label, body: this.stmt(s.body) };
  }

  private condition(e: Expr): TExpr {
    const te = this.rvalue(this.expr(e));
    if (!isScalar(te.type)) throw exprError("EXPR_TYPE", `statement requires expression of scalar type ('${typeName(te.type)}' invalid)`, e.pos);
    return this.truthOperand(te);
  }

  // ---- expressions

  expr(e: Expr): TExpr {
    switch (e.k) {
      case "int": {
        const t = integerLiteralType(e.value, e.suffix, e.nonDecimal);
        if (!t) throw exprError("EXPR_TYPE", `integer literal '${e.text}' is too large for any integer type`, e.pos);
        return { k: "const", type: t, pos: e.pos, value: e.value };
      }
      case "char": return { k: "const", type: T.int, pos: e.pos, value: e.value };
      case "float": {
        const value: TExpr = e.extended
          ? { k: "fconst", type: T.ldouble, pos: e.pos, value: e.value, extended: e.extended }
          : { k: "fconst", type: e.single ? T.float : T.double, pos: e.pos, value: e.value };
        return e.imaginary ? this.complex.imaginary(value) : value;
      }
      case "string": return { k: "place", type: arrayOf(T.char, e.bytes.length + 1), pos: e.pos, place: { k: "rodata", offset: this.stringOffset(e.bytes) } };
      case "ident": return this.ident(e.name, e.pos);
      case "unary": return this.unary(e);
      case "binary": return this.binary(e.op, this.expr(e.left), this.expr(e.right), e.pos);
      case "artificial": return this.artificialArray(e);
      case "assign":
        if (e.value.k === "initlist" && e.op === "=") return this.braceAssign(this.expr(e.target), e.value.list, e.pos, startPos(e.target));
        return this.assign(e.op, this.expr(e.target), this.expr(e.value), e.pos, startPos(e.target));
      case "literal": return this.initialized(e.type, e.init, e.pos);
      case "initlist": return this.initialized(this.arrayLiteralType(e.list), e.list, e.pos);
      case "cond": return this.conditional(e);
      case "call": return this.call(e);
      case "index": {
        const base = this.rvalue(this.expr(e.base));
        const index = this.rvalue(this.expr(e.index));
        let ptr = base;
        let int = index;
        if (!isPointer(base.type) && isPointer(index.type)) [ptr, int] = [index, base];
        if (!isPointer(ptr.type)) throw exprError("EXPR_TYPE", `subscripted value is not an array or pointer ('${typeName(base.type)}')`, e.pos);
        if (!isInteger(int.type)) throw exprError("EXPR_TYPE", `array subscript is not an integer ('${typeName(int.type)}')`, e.index.pos);
        return this.deref(this.pointerArith(ptr, int, false, e.pos), e.pos);
      }
      case "member": return this.member(e);
      case "cast": return this.cast(this.expr(e.operand), e.type, e.pos);
      case "stmtexpr": return this.statementExpression(e);
      case "sizeof": {
        const t = isTypeOperand(e.of) ? e.of : this.expr(e.of).type;
        const name = e.align ? "_Alignof" : "sizeof";
        const size = sizeOf(t);
        if (size === undefined || (isVoid(t) && e.align)) throw exprError("EXPR_TYPE", `invalid application of '${name}' to an incomplete type '${typeName(t)}'`, e.pos);
        return { k: "const", type: { kind: "typedef", name: "size_t", target: T.ulong }, pos: e.pos, value: BigInt(e.align ? alignOf(t) : size) };
      }
    }
  }

  private stringOffset(bytes: Uint8Array): number {
    const key = Buffer.from(bytes).toString("latin1");
    let off = this.strings.get(key);
    if (off === undefined) {
      off = this.rodata.length;
      this.rodata.push(...bytes, 0);
      this.strings.set(key, off);
    }
    return off;
  }

  /**
   * An enumerator typed on its own (a name that checked as a constant and names an enumerator)
   * is shown by name, as gdb shows it (`red`, not `0`): the value gets its enumeration's type.
   * Anywhere else it is an int, as C says (`red + 1` is 1).
   */
  private enumeratorShownByName(name: string, te: Extract<TExpr, { k: "const" }>): TExpr | undefined {
    const ent = this.scope.lookup(name);
    return ent?.kind === "enumerator" && unqual(ent.type).kind === "enum" ? { ...te, type: ent.type } : undefined;
  }

  private ident(name: string, pos: number): TExpr {
    for (let i = this.localScopes.length - 1; i >= 0; i--) {
      const v = this.localScopes[i]!.get(name);
      if (v) return { k: "place", type: v.type, pos, place: { k: "frame", offset: v.offset } };
    }
    if (this.fn && name === this.fn.name) return { k: "place", type: this.fn.type, pos, place: { k: "own", symbol: name } };
    const ent = this.scope.lookup(name);
    // Enumeration constants have type int in C (the enum type only names the variable's type).
    if (ent?.kind === "enumerator") return { k: "const", type: ent.value >= -0x80000000n && ent.value <= 0x7fffffffn ? T.int : ent.type, pos, value: ent.value };
    if (ent?.kind === "function") {
      const type = ent.type ?? libcPrototype(name);
      const te: TExpr = { k: "place", type: type ?? { kind: "function", ret: T.int, params: [], variadic: false, prototyped: false }, pos, place: { k: "extern", symbol: ent.symbol } };
      if (!type) NODEBUG.set(te, name);
      return te;
    }
    if (ent?.kind === "variable") {
      const te = this.variable(name, ent.type ?? T.int, ent.location, pos);
      if (!ent.type) NODEBUG.set(te, name);
      return te;
    }
    if (name.startsWith("$") && REGISTERS[name.slice(1)]) {
      const reg = name.slice(1);
      return this.variable(name, REGISTERS[reg]!, { kind: "value", register: reg }, pos);
    }
    const proto = libcPrototype(name);
    if (proto) return { k: "place", type: proto, pos, place: { k: "extern", symbol: name } };
    const candidates = [...this.localScopes.flatMap((s) => [...s.keys()]), ...this.scope.names()];
    if (name.startsWith("$")) candidates.push(...Object.keys(REGISTERS).map((r) => `$${r}`));
    throw exprError("EXPR_UNKNOWN_IDENTIFIER", `unknown identifier '${name}'${didYouMean(name, candidates)}`, pos);
  }

  private variable(name: string, type: CType, loc: VariableLocation, pos: number): TExpr {
    let place: Place;
    switch (loc.kind) {
      case "global": place = { k: "extern", symbol: loc.symbol }; break;
      case "tls": place = { k: "tls", symbol: loc.symbol, model: loc.model ?? this.opts.tlsModel }; break;
      case "frame": case "value": {
        if (this.fn) throw exprError("EXPR_UNSUPPORTED", `console function '${this.fn.name}' cannot use '${name}', a variable of the stopped frame; pass it as a parameter`, pos);
        const fill = loc.kind === "frame" ? "address" : "value";
        let slot = this.slots.find((s) => s.name === name);
        if (!slot) {
          const size = fill === "address" ? 8 : Math.ceil((sizeOf(type) ?? 8) / 8) * 8;
          const offset = this.slots.reduce((n, s) => n + s.size, 0);
          slot = { offset, size, name, fill, location: loc, type, written: false };
          this.slots.push(slot);
        }
        place = fill === "address" ? { k: "argAddress", offset: slot.offset } : { k: "argValue", offset: slot.offset };
        break;
      }
    }
    return { k: "place", type, pos, place };
  }

  private noDebugType(te: TExpr): Error {
    const name = NODEBUG.get(te) ?? "symbol";
    if (unqual(te.type).kind === "function") {
      return exprError("EXPR_NO_PROTOTYPE", `'${name}' has no debug info and no known prototype; cast it to its type, e.g. '((int (*)(int))${name})(...)'`, te.pos);
    }
    return exprError("EXPR_NO_DEBUG_TYPE", `'${name}' has unknown type (no debug info); cast it to its declared type, e.g. '(int)${name}' or '*(int *)&${name}'`, te.pos);
  }

  /** Value of an expression: lvalues are loaded, arrays and functions decay to pointers. */
  rvalue(te: TExpr): TExpr {
    const u = unqual(te.type);
    if (NODEBUG.has(te) && u.kind !== "function") throw this.noDebugType(te);
    if (u.kind === "array") return { k: "addr", type: pointerTo(u.of), pos: te.pos, lv: te };
    if (u.kind === "function") return { k: "addr", type: pointerTo(te.type), pos: te.pos, lv: te };
    // Members of struct rvalues (`f().x`) are not lvalues but are still read from memory.
    if (te.k !== "place" && te.k !== "deref" && te.k !== "member" && te.k !== "init") return te;
    if (u.kind === "void") throw exprError("EXPR_TYPE", "cannot use a value of type 'void' (dereferencing a 'void *'? cast it to a typed pointer first)", te.pos);
    if ((u.kind === "struct" || u.kind === "union") && u.incomplete) throw exprError("EXPR_TYPE", `incomplete type '${typeName(te.type)}' has no known layout`, te.pos);
    return this.bitFieldValue(te, { k: "load", type: te.type, pos: te.pos, lv: te });
  }

  /**
   * A bit-field's value (its load, or an assignment to it) promotes by the field's width, whatever
   * integer type declares it (C11 6.3.1.1, and GCC for long-based fields): narrower than int →
   * int; exactly 32 bits of a wider type → int or unsigned int; wider fields keep their type.
   */
  private bitFieldValue(lv: TExpr, value: TExpr): TExpr {
    const t = bitFieldType(lv);
    return t ? this.conv(value, t) : value;
  }

  /**
   * gdb's `base@length`: an array of `length` objects of base's type, from base's address (`*p@10`,
   * `arr[2]@5`). The length is an integer constant here; the debugger puts in the value of a
   * variable length first (artificial.ts).
   */
  private artificialArray(e: Extract<Expr, { k: "artificial" }>): TExpr {
    const base = this.expr(e.base);
    if (base.k === "member" && base.bitSize !== undefined) throw exprError("EXPR_TYPE", "a bit-field cannot be the start of an array with '@'", startPos(e.base));
    if (!isLvalue(base)) throw exprError("EXPR_NOT_LVALUE", "only values in memory can be extended with '@' (write an object, as in *p@10 or arr[2]@5)", startPos(e.base));
    const length = integerConstant(this.rvalue(this.expr(e.length)));
    if (length === undefined) throw exprError("EXPR_TYPE", "the length after '@' must be an integer (a constant, or a value the debugger can read without running code)", startPos(e.length));
    if (length <= 0n) throw exprError("EXPR_TYPE", `the length after '@' must be positive (it is ${length})`, startPos(e.length));
    if (length > 1n << 24n) throw exprError("EXPR_TYPE", `the length after '@' is ${length}: at most ${1 << 24} elements`, startPos(e.length));
    const array = arrayOf(base.type, Number(length));
    this.markWritten(base);
    return this.deref({ k: "addr", type: pointerTo(array), pos: e.pos, lv: base }, e.pos);
  }

  private deref(ptr: TExpr, pos: number): TExpr {
    const u = unqual(ptr.type);
    if (u.kind !== "pointer") throw exprError("EXPR_TYPE", `indirection requires pointer operand ('${typeName(ptr.type)}' invalid)`, pos);
    return { k: "deref", type: u.to, pos, ptr };
  }

  /** Converts an rvalue to another type (identity when only typedef names differ). */
  conv(te: TExpr, to: CType): TExpr {
    const a = unqual(te.type);
    const b = unqual(to);
    if (a === b || (a.kind === "pointer" && b.kind === "pointer") || (a.kind === "int" && b.kind === "int" && a.size === b.size && a.signed === b.signed && !a.bool && !b.bool)) {
      return te.type === to ? te : ({ ...te, type: to } as TExpr);
    }
    if (te.k === "const" && b.kind === "int" && !b.bool) return { ...te, type: to, value: b.signed ? BigInt.asIntN(b.size * 8, te.value) : BigInt.asUintN(b.size * 8, te.value) };
    if ((a.kind === "complex" || b.kind === "complex") && b.kind !== "void") return this.complex.convert(te, to);
    return { k: "conv", type: to, pos: te.pos, operand: te };
  }

  /** Implicit conversion as by assignment (also arguments, initializers, return). */
  assignable(value: TExpr, to: CType, pos: number, what: string): TExpr {
    const a = unqual(value.type);
    const b = unqual(to);
    // As C: pointers from pointers or a null pointer constant; integers never silently from pointers.
    const ok =
      (isArithmetic(a) && isArithmetic(b)) ||
      (b.kind === "pointer" && (a.kind === "pointer" || (value.k === "const" && value.value === 0n))) ||
      (b.kind === "int" && b.bool && a.kind === "pointer") ||
      ((b.kind === "struct" || b.kind === "union") && sameType(a, b));
    if (!ok) throw exprError("EXPR_TYPE", `${what} '${typeName(to)}' from incompatible type '${typeName(value.type)}'`, pos);
    return this.conv(value, to);
  }

  private unary(e: Extract<Expr, { k: "unary" }>): TExpr {
    const pos = e.pos;
    switch (e.op) {
      case "&": {
        const te = this.expr(e.operand);
        if (NODEBUG.has(te) && unqual(te.type).kind !== "function") return { k: "addr", type: pointerTo(T.void), pos, lv: te };
        if (te.k === "member" && te.bitSize !== undefined) throw exprError("EXPR_TYPE", "cannot take the address of a bit-field", pos);
        if (!isLvalue(te)) throw exprError("EXPR_NOT_LVALUE", "cannot take the address of an rvalue", startPos(e.operand));
        this.markWritten(te);
        return { k: "addr", type: pointerTo(te.type), pos, lv: te };
      }
      case "*": {
        const te = this.rvalue(this.expr(e.operand));
        return this.deref(te, pos);
      }
      case "+": case "-": case "~": {
        const te = this.rvalue(this.expr(e.operand));
        // GNU C: `~` of a complex value is its conjugate.
        const okType = e.op === "~" ? isInteger(te.type) || isComplex(te.type) : isArithmetic(te.type);
        if (!okType) throw exprError("EXPR_TYPE", `invalid argument type '${typeName(te.type)}' to unary expression '${e.op}'`, pos);
        const p = this.conv(te, promote(te.type));
        if (e.op === "+") return p;
        if (isComplex(p.type)) return e.op === "-" ? this.complex.negate(p) : this.complex.conjugate(p);
        if (p.k === "const" && e.op === "-") {
          // Wrapped to the operand's type: -(205u) is 4294967091u, not -205 under an unsigned type.
          const it = intOf(p.type);
          return { ...p, value: it.signed ? BigInt.asIntN(it.size * 8, -p.value) : BigInt.asUintN(it.size * 8, -p.value) };
        }
        if (p.k === "fconst" && e.op === "-") return { ...p, value: -p.value, ...(p.extended ? { extended: negateExtended(p.extended) } : {}) };
        return { k: e.op === "-" ? "neg" : "bitnot", type: p.type, pos, operand: p };
      }
      case "!": {
        const te = this.rvalue(this.expr(e.operand));
        if (!isScalar(te.type)) throw exprError("EXPR_TYPE", `invalid argument type '${typeName(te.type)}' to unary expression '!'`, pos);
        return { k: "lnot", type: T.int, pos, operand: this.truthOperand(te) };
      }
      case "__real__": case "__imag__": {
        const te = this.expr(e.operand);
        const which = e.op === "__real__" ? 0 : 1;
        if (isComplex(te.type)) return this.complex.partOf(isLvalue(te) ? te : this.rvalue(te), which);
        const v = this.rvalue(te);
        if (!isArithmetic(v.type)) throw exprError("EXPR_TYPE", `invalid argument type '${typeName(v.type)}' to '${e.op}': it takes an arithmetic value`, pos);
        // GNU C: the real part of a real value is the value, its imaginary part 0 (after evaluating it).
        if (which === 0) return v;
        return { k: "comma", type: v.type, pos, left: v, right: this.conv({ k: "const", type: T.int, pos, value: 0n }, v.type) };
      }
      default: {
        const target = this.expr(e.operand);
        const what = e.op.startsWith("++") ? "increment" : "decrement";
        this.requireModifiable(target, startPos(e.operand));
        if (!isReal(target.type) && !isPointer(target.type)) throw exprError("EXPR_TYPE", `cannot ${what} value of type '${typeName(target.type)}'`, pos);
        if (isPointer(target.type)) this.elementSize(target.type, pos);
        return this.bitFieldValue(target, { k: "incdec", type: target.type, pos, target, delta: e.op.startsWith("++") ? 1 : -1, post: e.op.endsWith("post") });
      }
    }
  }

  /** A scalar whose truth is asked: a complex value becomes `z != 0` (both back ends test real scalars). */
  private truthOperand(te: TExpr): TExpr {
    return isComplex(te.type) ? this.complex.truth(te) : te;
  }

  /** `wholeArray`: gdb's brace assignment, which copies into an array as into a struct. */
  private requireModifiable(te: TExpr, pos: number, wholeArray = false): void {
    if (!isLvalue(te)) throw exprError("EXPR_NOT_LVALUE", "expression is not assignable (not an lvalue)", pos);
    const u = unqual(te.type);
    if (u.kind === "array" && !wholeArray) throw exprError("EXPR_NOT_LVALUE", `array type '${typeName(te.type)}' is not assignable`, pos);
    if (u.kind === "function") throw exprError("EXPR_NOT_LVALUE", "a function is not assignable", pos);
    if (NODEBUG.has(te)) throw this.noDebugType(te);
    this.assigns = true;
    this.markWritten(te);
  }

  /** Marks the argument-block slot under an lvalue as modified, so the evaluator writes it back. */
  private markWritten(te: TExpr): void {
    let t = te;
    while (t.k === "member") t = t.base;
    if (t.k === "place" && t.place.k === "argValue") {
      const offset = t.place.offset;
      const slot = this.slots.find((s) => s.offset === offset);
      if (slot) slot.written = true;
    }
  }

  private elementSize(ptrType: CType, pos: number): number {
    const el = pointee(ptrType);
    const size = sizeOf(el);
    if (size === undefined) throw exprError("EXPR_TYPE", `arithmetic on a pointer to an incomplete type '${typeName(el)}'`, pos);
    return size;
  }

  private pointerArith(ptr: TExpr, int: TExpr, sub: boolean, pos: number): TExpr {
    const scale = this.elementSize(ptr.type, pos);
    return { k: "ptradd", type: ptr.type, pos, sub, ptr, int: this.conv(int, T.long), scale };
  }

  private invalidOperands(op: string, l: TExpr, r: TExpr, pos: number): Error {
    return exprError("EXPR_TYPE", `invalid operands to binary ${op} ('${typeName(l.type)}' and '${typeName(r.type)}')`, pos);
  }

  private arithmetic(l: TExpr, r: TExpr): [TExpr, TExpr, CType] {
    const t = usualArithmetic(l.type, r.type);
    return [this.conv(l, t), this.conv(r, t), t];
  }

  binary(op: BinaryOp, lraw: TExpr, rraw: TExpr, pos: number): TExpr {
    if (op === ",") {
      const r = this.rvalue(rraw);
      return { k: "comma", type: r.type, pos, left: this.rvalue(lraw), right: r };
    }
    const l = this.rvalue(lraw);
    const r = this.rvalue(rraw);
    const lt = unqual(l.type);
    const rt = unqual(r.type);
    if (op === "&&" || op === "||") {
      if (!isScalar(lt) || !isScalar(rt)) throw this.invalidOperands(op, l, r, pos);
      return { k: "logical", op, type: T.int, pos, left: this.truthOperand(l), right: this.truthOperand(r) };
    }
    if (lt.kind === "complex" || rt.kind === "complex") {
      if (!isArithmetic(lt) || !isArithmetic(rt)) throw this.invalidOperands(op, l, r, pos);
      if (op === "==" || op === "!=") return this.complex.equality(op, l, r, pos);
      if (op === "+" || op === "-" || op === "*" || op === "/") return this.complex.arith(op, l, r, pos);
      throw exprError("EXPR_TYPE", `invalid operands to binary ${op} ('${typeName(l.type)}' and '${typeName(r.type)}'): complex values have only + - * / == !=`, pos);
    }
    switch (op) {
      case "+":
        if (lt.kind === "pointer" && isInteger(rt)) return this.pointerArith(l, r, false, pos);
        if (rt.kind === "pointer" && isInteger(lt)) return this.pointerArith(r, l, false, pos);
        break;
      case "-":
        if (lt.kind === "pointer" && isInteger(rt)) return this.pointerArith(l, r, true, pos);
        if (lt.kind === "pointer" && rt.kind === "pointer") {
          if (!sameType(lt.to, rt.to)) throw exprError("EXPR_TYPE", `'${typeName(l.type)}' and '${typeName(r.type)}' are not pointers to compatible types`, pos);
          return { k: "ptrdiff", type: T.long, pos, left: l, right: r, scale: this.elementSize(l.type, pos) };
        }
        break;
      case "<": case ">": case "<=": case ">=": case "==": case "!=": {
        if (isArithmetic(lt) && isArithmetic(rt)) {
          const [a, b, t] = this.arithmetic(l, r);
          return { k: "compare", op, opType: t, type: T.int, pos, left: a, right: b };
        }
        if ((lt.kind === "pointer" && (rt.kind === "pointer" || isInteger(rt))) || (rt.kind === "pointer" && isInteger(lt))) {
          return { k: "compare", op, opType: T.ulong, type: T.int, pos, left: this.conv(l, T.ulong), right: this.conv(r, T.ulong) };
        }
        throw this.invalidOperands(op, l, r, pos);
      }
      default: break;
    }
    const intOnly = op === "%" || op === "<<" || op === ">>" || op === "&" || op === "|" || op === "^";
    if (intOnly ? !(isInteger(lt) && isInteger(rt)) : !(isArithmetic(lt) && isArithmetic(rt))) throw this.invalidOperands(op, l, r, pos);
    if (op === "<<" || op === ">>") {
      const t = promote(l.type);
      return { k: "arith", op, type: t, pos, left: this.conv(l, t), right: this.conv(this.conv(r, promote(r.type)), t) };
    }
    const [a, b, t] = this.arithmetic(l, r);
    if (op === "/" || op === "%") {
      if (b.k === "const" && b.value === 0n) throw exprError("EXPR_TYPE", `division by zero`, pos);
    }
    return { k: "arith", op: op as ArithOp, type: t, pos, left: a, right: b };
  }

  private assign(op: AssignOp, target: TExpr, valueRaw: TExpr, pos: number, targetPos: number): TExpr {
    this.requireModifiable(target, targetPos);
    const value = this.rvalue(valueRaw);
    if (op === "=") {
      const tu = unqual(target.type);
      if ((tu.kind === "struct" || tu.kind === "union") && tu.incomplete) throw exprError("EXPR_TYPE", `incomplete type '${typeName(target.type)}' is not assignable`, pos);
      // The value of `s.f = v` is the field's after the store: v truncated to the field's width.
      return this.bitFieldValue(target, { k: "assign", type: target.type, pos, target, value: this.assignable(value, target.type, pos, "assigning to") });
    }
    const bop = op.slice(0, -1) as ArithOp;
    const tt = unqual(target.type);
    if (tt.kind === "complex" || isComplex(value.type)) return this.complexCompound(bop, target, value, pos, targetPos);
    if (tt.kind === "pointer" && (bop === "+" || bop === "-") && isInteger(value.type)) {
      return { k: "compound", op: bop, opType: target.type, type: target.type, pos, target, value: this.conv(value, T.long), scale: this.elementSize(target.type, pos) };
    }
    // Type-check as the binary operator on the target's value (a bit-field's promoted by its
    // width, as its loads are); the result converts back.
    const probe = this.binary(bop as BinaryOp, { k: "const", type: bitFieldType(target) ?? target.type, pos: targetPos, value: 0n }, value, pos);
    if (probe.k !== "arith") throw this.invalidOperands(bop, target, value, pos);
    return this.bitFieldValue(target, { k: "compound", op: bop, opType: probe.type, type: target.type, pos, target, value: probe.right });
  }

  /**
   * `target op= value` where either side is complex: `*p = *p op value` through the target's
   * address taken once (a complex result assigned to a real target keeps its real part).
   */
  private complexCompound(op: ArithOp, target: TExpr, value: TExpr, pos: number, targetPos: number): TExpr {
    if (op !== "+" && op !== "-" && op !== "*" && op !== "/") throw this.invalidOperands(op, target, value, pos);
    if (!isArithmetic(target.type)) throw this.invalidOperands(op, target, value, pos);
    if (target.k === "member" && target.bitSize !== undefined) throw exprError("EXPR_TYPE", "a bit-field cannot take a complex value", targetPos);
    const ptrType = pointerTo(target.type);
    const offset = this.frame.alloc(8, 8);
    const setup: TExpr = { k: "init", type: ptrType, pos, offset, size: 8, zero: false, stores: [{ offset: 0, value: { k: "addr", type: ptrType, pos, lv: target } }] };
    const ptr = (): TExpr => this.rvalue({ k: "place", type: ptrType, pos, place: { k: "frame", offset } });
    const lv = (): TExpr => this.deref(ptr(), pos);
    const combined = this.binary(op, this.rvalue(lv()), value, pos);
    const store: TExpr = { k: "assign", type: target.type, pos, target: lv(), value: this.conv(combined, target.type) };
    return { k: "comma", type: target.type, pos, left: setup, right: store };
  }

  /** gdb's `object = {…}`: the list initializes a new object of the target's type, which is copied in (arrays too). */
  private braceAssign(target: TExpr, list: InitList, pos: number, targetPos: number): TExpr {
    const tu = unqual(target.type);
    if (!isRecord(tu) && tu.kind !== "array") throw exprError("EXPR_TYPE", `a brace list can only be assigned to a struct, union or array, not '${typeName(target.type)}'`, list.pos);
    if (tu.kind === "array" && sizeOf(tu) === undefined) throw exprError("EXPR_TYPE", `array type '${typeName(target.type)}' of unknown size is not assignable`, targetPos);
    this.requireModifiable(target, targetPos, true);
    const value = this.initialized(target.type, list, list.pos);
    return { k: "assign", type: target.type, pos, target, value: tu.kind === "array" ? value : this.rvalue(value) };
  }

  private conditional(e: Extract<Expr, { k: "cond" }>): TExpr {
    const cond = this.truthOperand(this.rvalue(this.expr(e.cond)));
    if (!isScalar(cond.type)) throw exprError("EXPR_TYPE", `used type '${typeName(cond.type)}' where arithmetic or pointer type is required`, e.cond.pos);
    const a = this.rvalue(this.expr(e.then));
    const b = this.rvalue(this.expr(e.else));
    const at = unqual(a.type);
    const bt = unqual(b.type);
    let t: CType;
    if (isArithmetic(at) && isArithmetic(bt)) t = usualArithmetic(a.type, b.type);
    else if (at.kind === "pointer" && (bt.kind === "pointer" || isInteger(bt))) t = at.kind === "pointer" && unqual(at.to).kind === "void" && bt.kind === "pointer" ? b.type : a.type;
    else if (bt.kind === "pointer" && isInteger(at)) t = b.type;
    else if (sameType(at, bt)) t = a.type;
    else throw exprError("EXPR_TYPE", `incompatible operand types ('${typeName(a.type)}' and '${typeName(b.type)}')`, e.pos);
    return { k: "cond", type: t, pos: e.pos, cond, then: this.conv(a, t), else: this.conv(b, t) };
  }

  private call(e: Extract<Expr, { k: "call" }>): TExpr {
    const callee = this.expr(e.callee);
    if (NODEBUG.has(callee)) throw this.noDebugType(callee);
    let fn: FunctionType;
    const u = unqual(callee.type);
    if (u.kind === "function") fn = u;
    else {
      const pt = u.kind === "pointer" ? unqual(u.to) : undefined;
      if (pt?.kind !== "function") throw exprError("EXPR_NOT_FUNCTION", `called object type '${typeName(callee.type)}' is not a function or function pointer`, startPos(e.callee));
      fn = pt;
    }
    const fnValue = this.rvalue(callee);
    const n = fn.params.length;
    if (fn.prototyped && (e.args.length < n || (e.args.length > n && !fn.variadic))) {
      const few = e.args.length < n;
      throw exprError("EXPR_TYPE", `too ${few ? "few" : "many"} arguments to function call, expected ${n}${fn.variadic ? " or more" : ""}, have ${e.args.length}`, few ? e.pos : startPos(e.args[n]!));
    }
    const args = e.args.map((a, i) => {
      const v = this.rvalue(a.k === "initlist" ? this.listArgument(a, fn, i) : this.expr(a));
      if (isVoid(v.type)) throw exprError("EXPR_TYPE", "argument has type 'void'", a.pos);
      const p = fn.prototyped ? fn.params[i] : undefined;
      if (p && isRecord(p) && sizeOf(p) === undefined) throw exprError("EXPR_TYPE", `parameter ${i + 1} has the incomplete type '${typeName(p)}'`, startPos(a));
      return p ? this.assignable(v, p, startPos(a), `passing to parameter ${i + 1} of type`) : this.conv(v, defaultPromotion(v.type));
    });
    const ret = unqual(fn.ret);
    if ((ret.kind === "struct" || ret.kind === "union") && ret.incomplete) throw exprError("EXPR_TYPE", `calling a function returning the incomplete type '${typeName(fn.ret)}'`, e.pos);
    return { k: "call", type: fn.ret, pos: e.pos, callee: fnValue, fn, args };
  }

  /** gdb's brace-list argument: an array of the pointer parameter's element type, passed by its address. */
  private listArgument(a: Extract<Expr, { k: "initlist" }>, fn: FunctionType, i: number): TExpr {
    const p = fn.prototyped ? fn.params[i] : undefined;
    const pu = p && unqual(p);
    if (pu?.kind !== "pointer" || sizeOf(pu.to) === undefined) {
      throw exprError("EXPR_TYPE", `a brace list argument needs a parameter of pointer type to say its element type${p ? ` (parameter ${i + 1} has type '${typeName(p)}')` : ""}`, a.pos);
    }
    return this.initialized(arrayOf(pu.to, undefined), a.list, a.pos);
  }

  private member(e: Extract<Expr, { k: "member" }>): TExpr {
    let base = this.expr(e.base);
    if (e.arrow) {
      base = this.rvalue(base);
      const u = unqual(base.type);
      if (u.kind !== "pointer") {
        const hint = isRecord(u) ? "; did you mean to use '.'?" : "";
        throw exprError("EXPR_TYPE", `member reference type '${typeName(base.type)}' is not a pointer${hint}`, e.pos);
      }
      base = this.deref(base, e.pos);
    } else if (isPointer(base.type) && isRecord(pointee(base.type))) {
      throw exprError("EXPR_TYPE", `member reference type '${typeName(base.type)}' is a pointer; did you mean to use '->'?`, e.pos);
    }
    const rec = unqual(base.type);
    if (rec.kind !== "struct" && rec.kind !== "union") {
      throw exprError("EXPR_TYPE", `member reference base type '${typeName(base.type)}' is not a structure or union`, e.pos);
    }
    if (rec.incomplete) throw exprError("EXPR_TYPE", `incomplete type '${typeName(base.type)}' has no members`, e.pos);
    const m = findMember(rec as RecordType, e.name);
    if (!m) throw exprError("EXPR_NO_MEMBER", `no member named '${e.name}' in '${typeName(base.type)}'${didYouMean(e.name, memberNames(rec))}`, e.namePos);
    return {
      k: "member", type: m.type, pos: e.pos, base, offset: m.offset,
      ...(m.bitSize !== undefined ? { bitSize: m.bitSize, bitOffset: m.bitOffset ?? m.offset * 8 } : {}),
    };
  }

  private cast(operand: TExpr, to: CType, pos: number): TExpr {
    const b = unqual(to);
    if (NODEBUG.has(operand)) {
      // gdb's rule for symbols without debug info: the cast says what type the object has.
      if (unqual(operand.type).kind === "function") {
        if (b.kind !== "pointer" || unqual(b.to).kind !== "function") throw exprError("EXPR_TYPE", `cast '${NODEBUG.get(operand) ?? "function"}' to a function pointer type, e.g. '(int (*)(int))'`, pos);
        return { k: "addr", type: to, pos, lv: operand };
      }
      return this.rvalue({ ...operand, type: to } as TExpr);
    }
    const v = this.rvalue(operand);
    const a = unqual(v.type);
    if (b.kind === "void") return { k: "conv", type: to, pos, operand: v };
    if (isScalar(b) && isScalar(a)) {
      if ((b.kind === "pointer" && !isInteger(a) && a.kind !== "pointer") || (a.kind === "pointer" && !isInteger(b) && b.kind !== "pointer")) throw exprError("EXPR_TYPE", `cannot cast '${typeName(v.type)}' to '${typeName(to)}'`, pos);
      return this.conv(v, to);
    }
    if ((b.kind === "struct" || b.kind === "union") && sameType(a, b)) return { ...v, type: to } as TExpr;
    throw exprError("EXPR_TYPE", `cannot cast '${typeName(v.type)}' to '${typeName(to)}'`, pos);
  }
}

/** The type a bit-field's value promotes to (see bitFieldValue); undefined: not a bit-field, or it keeps its type. */
function bitFieldType(lv: TExpr): CType | undefined {
  if (lv.k !== "member" || lv.bitSize === undefined) return undefined;
  const u = unqual(lv.type);
  if (u.kind !== "int" && u.kind !== "enum") return undefined;
  const it = u.kind === "enum" ? u.underlying : u;
  if (lv.bitSize < 32 && !it.bool) return T.int;
  if (lv.bitSize === 32 && it.size > 4) return it.signed ? T.int : T.uint;
  return undefined;
}

export type { CompareOp };
