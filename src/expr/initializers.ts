/**
 * C11 6.7.9 initialization, for compound literals, initialized declarations and gdb's brace
 * assignment alike: an initializer (an expression, a string for a char array, or a brace list with
 * designators, nested braces and brace elision) becomes the stores that fill a zeroed object.
 */
import { startPos, type Designator, type Expr, type InitItem, type InitList } from "./ast.js";
import { integerConstant } from "./constant.js";
import { didYouMean, exprError } from "./errors.js";
import type { InitStore, TExpr } from "./ir.js";
import { T, arrayOf, findMember, memberNames, sameType, sizeOf, typeName, unqual, type CType, type RecordType } from "./types.js";

/** What initialization needs of the checker. */
export interface InitContext {
  expr(e: Expr): TExpr;
  rvalue(te: TExpr): TExpr;
  assignable(value: TExpr, to: CType, pos: number, what: string): TExpr;
}

type Aggregate = Extract<CType, { kind: "array" | "struct" | "union" }>;

interface Sub {
  type: CType;
  offset: number;
  /** Bit-fields: bits from the object's start. */
  bits?: { offset: number; size: number };
}

/** The stores initializing an object of type `t` from `init`, and its type (arrays of unknown size completed). */
export function initialize(ctx: InitContext, t: CType, init: Expr | InitList, pos: number): { type: CType; stores: InitStore[] } {
  const u = unqual(t);
  const builder = new Initializer(ctx, u.kind === "array" && u.count === undefined ? u : undefined);
  let type = t;
  if (u.kind === "array" && u.count === undefined) {
    // `T x[] = …`: the initializer gives the length (C11 6.7.9p22).
    const only = init.k === "list" && init.items.length === 1 && init.items[0]!.designators.length === 0 ? init.items[0]!.value : init;
    if (only.k === "string" && isCharArray(u)) type = arrayOf(u.of, only.bytes.length + 1);
    else if (init.k === "list") return { type: arrayOf(u.of, builder.braced(u, 0, init)), stores: builder.stores };
    else throw exprError("EXPR_TYPE", "invalid initializer: an array takes a brace list or a string literal", pos);
  }
  builder.object(type, 0, init, pos);
  return { type, stores: builder.stores };
}

function isCharArray(u: CType): boolean {
  const a = unqual(u);
  if (a.kind !== "array") return false;
  const e = unqual(a.of);
  return e.kind === "int" && e.size === 1 && !e.bool;
}

function isAggregate(u: CType): u is Aggregate {
  return u.kind === "array" || u.kind === "struct" || u.kind === "union";
}

class Initializer {
  stores: InitStore[] = [];
  /** Items' expressions, checked once: brace elision looks at a value's type before placing it. */
  private readonly typed = new Map<Expr, TExpr>();

  /** `open`: the array of unknown length being initialized, which any index extends. */
  constructor(
    private readonly ctx: InitContext,
    private readonly open: Aggregate | undefined,
  ) {}

  /** The object of type t at offset, from one initializer. */
  object(t: CType, offset: number, init: Expr | InitList, pos: number): void {
    const u = unqual(t);
    if (init.k === "list") {
      const [only, extra] = init.items;
      // A char array's string may stand in braces (C11 6.7.9p14).
      if (u.kind === "array" && isCharArray(u) && only?.value.k === "string" && only.designators.length === 0 && !extra) {
        this.string(u, offset, only.value);
        return;
      }
      if (isAggregate(u)) {
        // A braced initializer initializes the whole subobject, overriding earlier ones (gcc).
        this.clear(offset, sizeOf(u) ?? 0);
        this.braced(u, offset, init);
        return;
      }
      const [first, second] = init.items;
      if (!first) throw exprError("EXPR_TYPE", "empty scalar initializer", init.pos); // as gcc 12: `{}` is for aggregates
      if (first.designators.length > 0) throw this.designatorMisuse(first.designators[0]!, t);
      if (second) throw exprError("EXPR_TYPE", "excess elements in scalar initializer", second.pos);
      this.object(t, offset, first.value, first.pos);
      return;
    }
    if (u.kind === "array") {
      if (init.k === "string" && isCharArray(u)) this.string(u, offset, init);
      else throw exprError("EXPR_TYPE", "invalid initializer: an array takes a brace list or a string literal", pos);
      return;
    }
    this.store({ type: t, offset }, init, pos);
  }

  /** u's own brace list: every item must find a place. Returns the elements used (arrays). */
  braced(u: Aggregate, offset: number, list: InitList): number {
    const { next, used } = this.members(u, offset, list.items, 0, true, undefined);
    const extra = list.items[next];
    if (extra) throw exprError("EXPR_TYPE", `excess elements in ${u.kind} initializer`, extra.pos);
    return used;
  }

  /**
   * Initializes u's members (elements) from items[idx…]. In u's own list (`own`) designators
   * reposition within u; under brace elision it stops at u's end or at a designated item, which
   * belongs to an enclosing list. `chain`: the designators to apply to items[idx] instead of its
   * own (the rest of a chain `.a[1] = …` that led into u; [] when they were used already).
   */
  private members(u: CType, offset: number, items: InitItem[], idx: number, own: boolean, chain: Designator[] | undefined): { next: number; used: number } {
    const au = unqual(u);
    let m = 0;
    let used = 0;
    let chosen: number | undefined;
    for (let first = true; idx < items.length; first = false) {
      const item = items[idx]!;
      let ds = first && chain ? chain : item.designators;
      if (!(first && chain) && ds.length > 0 && !own) break;
      if (ds.length > 0) {
        const at = this.position(au, ds[0]!);
        m = at.index;
        ds = [...at.rest, ...ds.slice(1)];
      }
      if (!isAggregate(au)) break;
      const sub = this.memberAt(au, offset, m);
      if (!sub) break;
      used = Math.max(used, m + 1);
      // Another member of a union discards the one initialized before (gcc).
      if (au.kind === "union" && chosen !== undefined && chosen !== m) this.clear(offset, sizeOf(au) ?? 0);
      chosen = m;
      if (ds.length > 0) {
        // `.p.y = …` keeps p's earlier members, unless p was set as a whole by a value (gcc).
        this.stores = this.stores.filter((st) => !(isAggregate(unqual(st.value.type)) && st.offset <= sub.offset && st.offset + (sizeOf(st.value.type) ?? 0) >= sub.offset + (sizeOf(sub.type) ?? 0)));
        idx = this.members(sub.type, sub.offset, items, idx, false, ds).next;
      } else idx = this.one(sub, items, idx);
      m = au.kind === "union" ? Infinity : m + 1;
    }
    return { next: idx, used };
  }

  /** One subobject from items[idx]: braced, a whole value, or (brace elision) its first members. */
  private one(sub: Sub, items: InitItem[], idx: number): number {
    const item = items[idx]!;
    const v = item.value;
    const su = unqual(sub.type);
    if (v.k === "list" || !isAggregate(su)) {
      if (v.k === "list") this.object(sub.type, sub.offset, v, item.pos);
      else this.store(sub, v, startPos(v));
      return idx + 1;
    }
    if (su.kind === "array" && v.k === "string" && isCharArray(su)) {
      this.string(su, sub.offset, v);
      return idx + 1;
    }
    if (su.kind !== "array" && sameType(unqual(this.check(v).type), su)) {
      this.store(sub, v, startPos(v));
      return idx + 1;
    }
    return this.members(su, sub.offset, items, idx, false, []).next;
  }

  /** Where a designator points in u: a member or element index, and designators still to apply inside it. */
  private position(u: CType, d: Designator): { index: number; rest: Designator[] } {
    if (d.k === "field") {
      if (u.kind !== "struct" && u.kind !== "union") throw this.designatorMisuse(d, u);
      const i = u.members.findIndex((m) => m.name === d.name);
      if (i >= 0) return { index: i, rest: [] };
      // A member of an anonymous struct/union member is designated through it.
      const anon = u.members.findIndex((m) => {
        const mu = unqual(m.type);
        return m.name === undefined && (mu.kind === "struct" || mu.kind === "union") && findMember(mu, d.name) !== undefined;
      });
      if (anon >= 0) return { index: anon, rest: [d] };
      throw exprError("EXPR_NO_MEMBER", `'${typeName(u)}' has no member named '${d.name}'${didYouMean(d.name, memberNames(u as RecordType))}`, d.pos);
    }
    if (u.kind !== "array") throw this.designatorMisuse(d, u);
    const index = integerConstant(this.ctx.rvalue(this.ctx.expr(d.index)));
    const at = startPos(d.index);
    if (index === undefined) throw exprError("EXPR_TYPE", "nonconstant array index in initializer", at);
    if (index < 0n || (u.count !== undefined && index >= BigInt(u.count))) throw exprError("EXPR_TYPE", `array index ${index} in initializer exceeds array bounds of '${typeName(u)}'`, at);
    return { index: Number(index), rest: [] };
  }

  /** Forgets the stores into [from, from + size): a later initializer overrides them. */
  private clear(from: number, size: number): void {
    this.stores = this.stores.filter((st) => st.offset < from || st.offset >= from + size);
  }

  /** Member or element m of u at base offset, or undefined past its end. */
  private memberAt(u: Aggregate, offset: number, m: number): Sub | undefined {
    if (u.kind === "array") {
      // A nested array without a length (a flexible array member) takes no initializers.
      if (m >= (u.count ?? (u === this.open ? Infinity : 0))) return undefined;
      return { type: u.of, offset: offset + m * (sizeOf(u.of) ?? 0) };
    }
    const member = u.members[m];
    if (!member) return undefined;
    const sub: Sub = { type: member.type, offset: offset + member.offset };
    if (member.bitSize !== undefined) sub.bits = { offset: offset * 8 + (member.bitOffset ?? member.offset * 8), size: member.bitSize };
    return sub;
  }

  private designatorMisuse(d: Designator, t: CType): Error {
    const what = d.k === "field" ? "field name not in record or union initializer" : "array index in non-array initializer";
    return exprError("EXPR_TYPE", `${what} (initializing '${typeName(t)}')`, d.pos);
  }

  private check(e: Expr): TExpr {
    let te = this.typed.get(e);
    if (!te) {
      te = this.ctx.expr(e);
      this.typed.set(e, te);
    }
    return te;
  }

  private store(sub: Sub, e: Expr, pos: number): void {
    const value = this.ctx.assignable(this.ctx.rvalue(this.check(e)), sub.type, pos, "initializing");
    // A later initializer of the same subobject overrides an earlier one.
    const bits = sub.bits;
    if (bits) this.stores = this.stores.filter((st) => st.bits?.offset !== bits.offset);
    else this.clear(sub.offset, sizeOf(sub.type) ?? 0);
    // The object is zero-filled: a bit-field's zero needs no store.
    if (sub.bits && value.k === "const" && value.value === 0n) return;
    this.stores.push({ offset: sub.offset, value, ...(sub.bits ? { bits: sub.bits } : {}) });
  }

  /** A string literal's bytes (its NUL when it fits; the rest is zero already), 8 at a time. */
  private string(u: Extract<CType, { kind: "array" }>, offset: number, e: Extract<Expr, { k: "string" }>): void {
    const count = u.count ?? e.bytes.length + 1;
    if (e.bytes.length > count) throw exprError("EXPR_TYPE", `initializer-string for array of '${typeName(u.of)}' is too long (${e.bytes.length} chars into ${count})`, e.pos);
    this.clear(offset, count * (sizeOf(u.of) ?? 1));
    for (let i = 0; i < e.bytes.length; ) {
      const n = [8, 4, 2, 1].find((w) => i + w <= e.bytes.length)!;
      let v = 0n;
      for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(e.bytes[i + k]!);
      const type = n === 8 ? T.ulong : n === 4 ? T.uint : n === 2 ? T.ushort : T.uchar;
      if (v !== 0n) this.stores.push({ offset: offset + i, value: { k: "const", type, pos: e.pos, value: v } });
      i += n;
    }
  }
}
