/**
 * The type model: DWARF type DIEs as C types, each with its name as C prints it (gdb's ptype/whatis
 * spelling: `struct item *`, `int [3][4]`, `int (*)(int, char *)`) and its size in bytes.
 * Types are built lazily from DIEs and cached per DIE offset, so recursive types are cheap.
 */
import { DW_AT, DW_ATE, DW_TAG } from "./constants.js";
import type { Die } from "./die.js";

export type TypeKind =
  | "void" | "base" | "pointer" | "reference" | "rvalue-reference" | "const" | "volatile" | "restrict" | "atomic"
  | "typedef" | "struct" | "union" | "class" | "enum" | "array" | "function" | "unspecified";

export interface Member {
  readonly name: string | undefined;
  readonly type: DwarfType;
  /** Byte offset from the start of the aggregate (for bit-fields: the byte holding the first bit). */
  readonly byteOffset: number | undefined;
  /** DW_AT_data_member_location given as an expression (rare; C++ virtual bases). */
  readonly locationExpr?: Uint8Array;
  /** Bit-field width in bits; undefined for ordinary members. */
  readonly bitSize?: number;
  /** Bit-field position: bits from the start of the aggregate to the field's least significant bit. */
  readonly bitOffset?: number;
}

export interface Enumerator {
  readonly name: string;
  readonly value: bigint;
}

abstract class TypeBase {
  abstract readonly kind: TypeKind;
  constructor(
    /** Offset of the DIE in .debug_info; -1 for the implicit void. */
    readonly offset: number,
  ) {}
  private nameMade: string | undefined;
  /** The name as C prints it (made once: a type never changes, and every view of a value shows it). */
  get name(): string {
    return (this.nameMade ??= declarator(this as unknown as DwarfType, ""));
  }
  abstract get byteSize(): number | undefined;
  /** Strips typedefs and cv-qualifiers. */
  get stripped(): DwarfType {
    let t = this as unknown as DwarfType;
    for (let i = 0; i < 64; i++) {
      if (t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "atomic") t = t.target;
      else break;
    }
    return t;
  }
  toString(): string {
    return this.name;
  }
}

export class VoidType extends TypeBase {
  readonly kind = "void" as const;
  get byteSize(): number | undefined { return undefined; }
}

export class UnspecifiedType extends TypeBase {
  readonly kind = "unspecified" as const;
  constructor(offset: number, readonly typeName: string, private readonly size: number | undefined) { super(offset); }
  get byteSize(): number | undefined { return this.size; }
}

export class BaseType extends TypeBase {
  readonly kind = "base" as const;
  constructor(offset: number, readonly typeName: string, readonly size: number, readonly encoding: number) { super(offset); }
  get byteSize(): number { return this.size; }
  get isSigned(): boolean { return this.encoding === DW_ATE.signed || this.encoding === DW_ATE.signed_char; }
  get isFloat(): boolean { return this.encoding === DW_ATE.float; }
  /** `complex float/double/long double`: two floats of half the size. */
  get isComplex(): boolean { return this.encoding === DW_ATE.complex_float; }
  get isBool(): boolean { return this.encoding === DW_ATE.boolean; }
}

export class PointerType extends TypeBase {
  constructor(offset: number, readonly kind: "pointer" | "reference" | "rvalue-reference", private readonly lazyTarget: () => DwarfType, private readonly size: number) { super(offset); }
  get target(): DwarfType { return this.lazyTarget(); }
  get byteSize(): number { return this.size; }
}

export class QualifiedType extends TypeBase {
  constructor(offset: number, readonly kind: "const" | "volatile" | "restrict" | "atomic", private readonly lazyTarget: () => DwarfType) { super(offset); }
  get target(): DwarfType { return this.lazyTarget(); }
  get byteSize(): number | undefined { return this.target.byteSize; }
}

export class TypedefType extends TypeBase {
  readonly kind = "typedef" as const;
  constructor(offset: number, readonly typedefName: string, private readonly lazyTarget: () => DwarfType) { super(offset); }
  get target(): DwarfType { return this.lazyTarget(); }
  get byteSize(): number | undefined { return this.target.byteSize; }
}

export class StructType extends TypeBase {
  private memberCache: Member[] | undefined;
  constructor(
    offset: number,
    readonly kind: "struct" | "union" | "class",
    /** The tag, undefined for anonymous aggregates. */
    readonly tagName: string | undefined,
    private readonly size: number | undefined,
    /** Only declared here (`struct x;`): no size or members in this unit. */
    readonly isDeclaration: boolean,
    private readonly lazyMembers: () => Member[],
  ) { super(offset); }
  get byteSize(): number | undefined { return this.size; }
  get members(): readonly Member[] {
    this.memberCache ??= this.lazyMembers();
    return this.memberCache;
  }
  member(name: string): Member | undefined {
    return this.members.find((m) => m.name === name);
  }
}

export class EnumType extends TypeBase {
  readonly kind = "enum" as const;
  constructor(
    offset: number,
    readonly tagName: string | undefined,
    private readonly size: number | undefined,
    readonly enumerators: readonly Enumerator[],
    private readonly lazyUnderlying: () => DwarfType | undefined,
  ) { super(offset); }
  get byteSize(): number | undefined { return this.size ?? this.underlying?.byteSize; }
  get underlying(): DwarfType | undefined { return this.lazyUnderlying(); }
}

export class ArrayType extends TypeBase {
  readonly kind = "array" as const;
  constructor(
    offset: number,
    private readonly lazyElement: () => DwarfType,
    /** Element counts per dimension, outermost first; undefined for an unknown bound (`[]`, VLA). */
    readonly dimensions: readonly (number | undefined)[],
    private readonly explicitSize: number | undefined,
  ) { super(offset); }
  get element(): DwarfType { return this.lazyElement(); }
  get byteSize(): number | undefined {
    if (this.explicitSize !== undefined) return this.explicitSize;
    const e = this.element.byteSize;
    if (e === undefined) return undefined;
    let n = e;
    for (const d of this.dimensions) {
      if (d === undefined) return undefined;
      n *= d;
    }
    return n;
  }
  /** The type of `a[i]`: the element for 1-D arrays, else an array of the remaining dimensions. */
  get indexed(): DwarfType {
    if (this.dimensions.length <= 1) return this.element;
    return new ArrayType(this.offset, this.lazyElement, this.dimensions.slice(1), undefined);
  }
}

export class FunctionType extends TypeBase {
  readonly kind = "function" as const;
  constructor(
    offset: number,
    private readonly lazyReturn: () => DwarfType,
    private readonly lazyParams: () => DwarfType[],
    readonly variadic: boolean,
    readonly prototyped: boolean,
  ) { super(offset); }
  get returnType(): DwarfType { return this.lazyReturn(); }
  get params(): DwarfType[] { return this.lazyParams(); }
  get byteSize(): number | undefined { return undefined; }
}

export type DwarfType =
  | VoidType | UnspecifiedType | BaseType | PointerType | QualifiedType | TypedefType | StructType | EnumType | ArrayType | FunctionType;

/** C declarator printing: the type wrapped around an inner declarator (e.g. "*", "[3]"). */
export function declarator(t: DwarfType, inner: string): string {
  const join = (base: string, inn: string): string => (inn === "" ? base : `${base} ${inn}`);
  switch (t.kind) {
    case "void": return join("void", inner);
    case "unspecified": return join(t.typeName, inner);
    case "base": return join(t.typeName, inner);
    case "typedef": return join(t.typedefName, inner);
    case "struct": case "union": case "class": return join(`${t.kind} ${t.tagName ?? "{...}"}`, inner);
    case "enum": return join(`enum ${t.tagName ?? "{...}"}`, inner);
    case "pointer": case "reference": case "rvalue-reference": {
      const sym = t.kind === "pointer" ? "*" : t.kind === "reference" ? "&" : "&&";
      return declarator(t.target, `${sym}${inner}`);
    }
    case "const": case "volatile": case "restrict": case "atomic": {
      const q = t.kind === "atomic" ? "_Atomic" : t.kind;
      const target = t.target;
      if (target.kind === "pointer" || target.kind === "reference" || target.kind === "rvalue-reference") {
        // Qualifier of the pointer itself goes after the star: char * const p.
        const sym = target.kind === "pointer" ? "*" : target.kind === "reference" ? "&" : "&&";
        return declarator(target.target, `${sym} ${q}${inner === "" ? "" : ` ${inner}`}`);
      }
      if (target.kind === "array" || target.kind === "function") return declarator(target, inner);
      return `${q} ${declarator(target, inner)}`;
    }
    case "array": {
      const dims = t.dimensions.map((d) => `[${d ?? ""}]`).join("");
      const inn = inner.startsWith("*") || inner.startsWith("&") ? `(${inner})${dims}` : `${inner}${dims}`;
      return declarator(t.element, inn);
    }
    case "function": {
      const ps = t.params.map((p) => p.name);
      if (t.variadic) ps.push("...");
      const list = ps.length > 0 ? ps.join(", ") : t.prototyped ? "void" : "";
      const inn = inner === "" ? `(${list})` : `(${inner})(${list})`;
      return declarator(t.returnType, inn);
    }
  }
}

/** Builds and caches types for the DIEs of one DebugInfo. */
export class TypeFactory {
  private readonly cache = new Map<number, DwarfType>();
  readonly void = new VoidType(-1);

  /** The type a DIE's DW_AT_type names (void when absent). */
  typeOfAttr(die: Die): DwarfType {
    return this.typeOf(die.typeDie());
  }

  typeOf(die: Die | undefined): DwarfType {
    if (!die) return this.void;
    const cached = this.cache.get(die.offset);
    if (cached) return cached;
    const t = this.build(die);
    this.cache.set(die.offset, t);
    return t;
  }

  private build(die: Die): DwarfType {
    const target = (): DwarfType => this.typeOfAttr(die);
    const size = die.num(DW_AT.byte_size);
    switch (die.tag) {
      case DW_TAG.base_type:
        return new BaseType(die.offset, die.name ?? "<unnamed>", size ?? 0, die.num(DW_AT.encoding) ?? 0);
      case DW_TAG.pointer_type:
        return new PointerType(die.offset, "pointer", target, size ?? die.unit.addressSize);
      case DW_TAG.reference_type:
        return new PointerType(die.offset, "reference", target, size ?? die.unit.addressSize);
      case DW_TAG.rvalue_reference_type:
        return new PointerType(die.offset, "rvalue-reference", target, size ?? die.unit.addressSize);
      case DW_TAG.const_type:
        return new QualifiedType(die.offset, "const", target);
      case DW_TAG.volatile_type:
        return new QualifiedType(die.offset, "volatile", target);
      case DW_TAG.restrict_type:
        return new QualifiedType(die.offset, "restrict", target);
      case DW_TAG.atomic_type:
        return new QualifiedType(die.offset, "atomic", target);
      case DW_TAG.typedef:
        return new TypedefType(die.offset, die.name ?? "<unnamed>", target);
      case DW_TAG.structure_type:
      case DW_TAG.union_type:
      case DW_TAG.class_type: {
        const kind = die.tag === DW_TAG.union_type ? "union" : die.tag === DW_TAG.class_type ? "class" : "struct";
        return new StructType(die.offset, kind, die.name, size, die.flag(DW_AT.declaration), () => this.members(die));
      }
      case DW_TAG.enumeration_type: {
        const enumerators: Enumerator[] = [];
        for (const c of die.children) {
          if (c.tag !== DW_TAG.enumerator) continue;
          enumerators.push({ name: c.name ?? "", value: enumValue(c) });
        }
        return new EnumType(die.offset, die.name, size, enumerators, () => (die.typeDie() ? this.typeOfAttr(die) : undefined));
      }
      case DW_TAG.array_type: {
        const dims: (number | undefined)[] = [];
        for (const c of die.children) {
          if (c.tag === DW_TAG.subrange_type) dims.push(subrangeCount(c));
          else if (c.tag === DW_TAG.enumeration_type) dims.push(undefined);
        }
        if (dims.length === 0) dims.push(undefined);
        return new ArrayType(die.offset, target, dims, size);
      }
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram: {
        const params = (): DwarfType[] => die.children.filter((c) => c.tag === DW_TAG.formal_parameter).map((c) => this.typeOfAttr(c));
        const variadic = die.children.some((c) => c.tag === DW_TAG.unspecified_parameters);
        return new FunctionType(die.offset, target, params, variadic, die.flag(DW_AT.prototyped));
      }
      case DW_TAG.unspecified_type:
        return new UnspecifiedType(die.offset, die.name ?? "void", size);
      case DW_TAG.ptr_to_member_type:
        return new UnspecifiedType(die.offset, "<pointer to member>", size ?? die.unit.addressSize);
      default:
        return new UnspecifiedType(die.offset, `<${die.tagName}>`, size);
    }
  }

  private members(die: Die): Member[] {
    const out: Member[] = [];
    for (const c of die.children) {
      if (c.tag !== DW_TAG.member) continue;
      if (c.flag(DW_AT.declaration) || c.flag(DW_AT.external)) continue; // C++ static data members
      const type = this.typeOfAttr(c);
      const loc = c.attr(DW_AT.data_member_location);
      let byteOffset: number | undefined = 0;
      let locationExpr: Uint8Array | undefined;
      if (loc?.kind === "constant") byteOffset = Number(loc.value);
      else if (loc?.kind === "block") {
        const simple = plusUconst(loc.bytes);
        if (simple !== undefined) byteOffset = simple;
        else {
          byteOffset = undefined;
          locationExpr = loc.bytes;
        }
      }
      const bitSize = c.num(DW_AT.bit_size);
      if (bitSize === undefined) {
        out.push({ name: c.name, type, byteOffset, locationExpr });
        continue;
      }
      let bitOffset: number;
      const dbo = c.num(DW_AT.data_bit_offset);
      if (dbo !== undefined) bitOffset = dbo;
      else {
        // DWARF 2–4: DW_AT_bit_offset counts from the most significant bit of the storage unit.
        const storage = c.num(DW_AT.byte_size) ?? type.byteSize ?? 0;
        const bo = Number(c.sdata(DW_AT.bit_offset) ?? 0n);
        bitOffset = (byteOffset ?? 0) * 8 + storage * 8 - bo - bitSize;
      }
      out.push({ name: c.name, type, byteOffset: Math.floor(bitOffset / 8), bitSize, bitOffset });
    }
    return out;
  }
}

function enumValue(c: Die): bigint {
  const v = c.attr(DW_AT.const_value);
  if (!v || v.kind !== "constant") return 0n;
  if (v.signed || v.size === 0) return v.value;
  // Fixed-size data: gcc uses the enum's signedness; treat values with the top bit set as negative
  // only when the enum is signed (its underlying type is signed or it has negative siblings).
  const parent = c.parent;
  const under = parent?.typeDie();
  const enc = under?.num(DW_AT.encoding);
  if (enc === DW_ATE.signed || enc === DW_ATE.signed_char) return BigInt.asIntN(v.size * 8, v.value);
  return v.value;
}

function subrangeCount(c: Die): number | undefined {
  const count = c.attr(DW_AT.count);
  if (count?.kind === "constant") return Number(count.value);
  const ub = c.attr(DW_AT.upper_bound);
  if (!ub || ub.kind !== "constant") return undefined;
  const lower = Number(c.sdata(DW_AT.lower_bound) ?? 0n);
  const upper = ub.signed || ub.size === 0 ? ub.value : fixedBound(c, ub.value, ub.size);
  const n = Number(upper) - lower + 1;
  return n < 0 ? 0 : n;
}

/**
 * An upper bound in fixed-size data (signedness not in the form): signed when the subrange's type
 * is; all ones in 4 or 8 bytes is -1, older gcc's bound of a zero-length array. gcc writes the
 * bound of `char b[256]` as data1 0xff: 255, not -1.
 */
function fixedBound(c: Die, value: bigint, size: number): bigint {
  const enc = c.typeDie()?.num(DW_AT.encoding);
  if (enc === DW_ATE.signed || enc === DW_ATE.signed_char) return BigInt.asIntN(size * 8, value);
  return size >= 4 && value === (1n << BigInt(size * 8)) - 1n ? -1n : value;
}

/** DW_OP_plus_uconst N (the DWARF 2 way to write a member offset) → N. */
function plusUconst(b: Uint8Array): number | undefined {
  if (b.length < 2 || b[0] !== 0x23) return undefined;
  let v = 0;
  let mul = 1;
  for (let i = 1; i < b.length; i++) {
    v += (b[i]! & 0x7f) * mul;
    mul *= 128;
    if ((b[i]! & 0x80) === 0) return i === b.length - 1 ? v : undefined;
  }
  return undefined;
}
