/**
 * The C type model of the expression compiler: plain values, no DWARF offsets, so the compiler can
 * build types of its own (casts, literals, libc prototypes) and the debugger can bridge DWARF types
 * into it (dwarf-bridge.ts). Qualifiers are dropped: they change no code the compiler emits.
 */

export interface VoidType {
  readonly kind: "void";
}

export interface IntType {
  readonly kind: "int";
  /** The name as C spells it: "int", "unsigned long", "_Bool", "char". */
  readonly name: string;
  readonly size: 1 | 2 | 4 | 8;
  readonly signed: boolean;
  /** Conversion rank (C11 6.3.1.1): _Bool 0, char 1, short 2, int 3, long 4, long long 5. */
  readonly rank: number;
  readonly bool?: boolean;
}

export interface FloatType {
  readonly kind: "float";
  readonly name: "float" | "double" | "long double";
  readonly size: 4 | 8 | 16;
}

/** `_Complex float/double/long double`: the real part, then the imaginary part, each of type `of`. */
export interface ComplexType {
  readonly kind: "complex";
  readonly of: FloatType;
}

export interface PointerType {
  readonly kind: "pointer";
  readonly to: CType;
}

export interface ArrayType {
  readonly kind: "array";
  readonly of: CType;
  /** undefined for `T[]`. */
  readonly count: number | undefined;
}

export interface Member {
  readonly name: string | undefined;
  readonly type: CType;
  /** Byte offset from the start of the aggregate. */
  readonly offset: number;
  /** Bit-fields: bits from the start of the aggregate to the field's least significant bit. */
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

export interface RecordType {
  readonly kind: "struct" | "union";
  readonly tag: string | undefined;
  /** Filled in after creation so recursive types (`struct node *next`) can refer to themselves. */
  members: Member[];
  size: number | undefined;
  /** Only declared (`struct x;`): no size or members known. */
  incomplete: boolean;
}

export interface Enumerator {
  readonly name: string;
  readonly value: bigint;
}

export interface EnumType {
  readonly kind: "enum";
  readonly tag: string | undefined;
  readonly enumerators: readonly Enumerator[];
  readonly underlying: IntType;
}

export interface FunctionType {
  readonly kind: "function";
  readonly ret: CType;
  readonly params: readonly CType[];
  readonly variadic: boolean;
  /** false for `int f()`: arguments get the default promotions. */
  readonly prototyped: boolean;
}

export interface TypedefType {
  readonly kind: "typedef";
  readonly name: string;
  readonly target: CType;
}

export type CType = VoidType | IntType | FloatType | ComplexType | PointerType | ArrayType | RecordType | EnumType | FunctionType | TypedefType;

const int = (name: string, size: 1 | 2 | 4 | 8, signed: boolean, rank: number): IntType => ({ kind: "int", name, size, signed, rank });

/** The built-in types, one object each, so identity comparison works for them. */
export const T = {
  void: { kind: "void" } as VoidType,
  bool: { kind: "int", name: "_Bool", size: 1, signed: false, rank: 0, bool: true } as IntType,
  char: int("char", 1, true, 1),
  schar: int("signed char", 1, true, 1),
  uchar: int("unsigned char", 1, false, 1),
  short: int("short", 2, true, 2),
  ushort: int("unsigned short", 2, false, 2),
  int: int("int", 4, true, 3),
  uint: int("unsigned int", 4, false, 3),
  long: int("long", 8, true, 4),
  ulong: int("unsigned long", 8, false, 4),
  llong: int("long long", 8, true, 5),
  ullong: int("unsigned long long", 8, false, 5),
  float: { kind: "float", name: "float", size: 4 } as FloatType,
  double: { kind: "float", name: "double", size: 8 } as FloatType,
  ldouble: { kind: "float", name: "long double", size: 16 } as FloatType,
};

const COMPLEX = new Map<FloatType, ComplexType>([T.float, T.double, T.ldouble].map((f) => [f, { kind: "complex", of: f }]));

/** The complex type of a real floating type (one object each). */
export function complexOf(f: FloatType): ComplexType {
  return COMPLEX.get(f) ?? COMPLEX.get(f.size === 4 ? T.float : f.size === 8 ? T.double : T.ldouble)!;
}

/** The real type of an arithmetic type's parts: a complex type's element type, else the type itself. */
export function realPart(t: CType): CType {
  const u = unqual(t);
  return u.kind === "complex" ? u.of : t;
}

export const isComplex = (t: CType): boolean => unqual(t).kind === "complex";

export const pointerTo = (to: CType): PointerType => ({ kind: "pointer", to });
export const arrayOf = (of: CType, count: number | undefined): ArrayType => ({ kind: "array", of, count });
export const functionType = (ret: CType, params: CType[], variadic = false, prototyped = true): FunctionType => ({ kind: "function", ret, params, variadic, prototyped });
export const typedef = (name: string, target: CType): TypedefType => ({ kind: "typedef", name, target });

/** Strips typedefs: the type the operations work on. */
export function unqual(t: CType): Exclude<CType, TypedefType> {
  let u = t;
  while (u.kind === "typedef") u = u.target;
  return u;
}

export const isInteger = (t: CType): boolean => {
  const u = unqual(t);
  return u.kind === "int" || u.kind === "enum";
};
export const isFloat = (t: CType): boolean => unqual(t).kind === "float";
/** Real types: integers and real floating types (C11 6.2.5p17). */
export const isReal = (t: CType): boolean => isInteger(t) || isFloat(t);
/** Arithmetic types: the real types and the complex types. */
export const isArithmetic = (t: CType): boolean => isReal(t) || isComplex(t);
export const isPointer = (t: CType): boolean => unqual(t).kind === "pointer";
export const isScalar = (t: CType): boolean => isArithmetic(t) || isPointer(t);
export const isRecord = (t: CType): boolean => {
  const k = unqual(t).kind;
  return k === "struct" || k === "union";
};
export const isVoid = (t: CType): boolean => unqual(t).kind === "void";

/** The integer type an integer or enum type computes as. */
export function intOf(t: CType): IntType {
  const u = unqual(t);
  if (u.kind === "int") return u;
  if (u.kind === "enum") return u.underlying;
  if (u.kind === "pointer") return T.ulong;
  throw new Error(`intOf on ${typeName(t)}`);
}

export function pointee(t: CType): CType {
  const u = unqual(t);
  if (u.kind === "pointer") return u.to;
  if (u.kind === "array") return u.of;
  throw new Error(`pointee of ${typeName(t)}`);
}

export function sizeOf(t: CType): number | undefined {
  const u = unqual(t);
  switch (u.kind) {
    case "void": return 1; // GNU C: sizeof(void) == 1, so void * arithmetic works like gdb's
    case "int": case "float": return u.size;
    case "complex": return 2 * u.of.size;
    case "pointer": return 8;
    case "array": {
      const e = sizeOf(u.of);
      return u.count === undefined || e === undefined ? undefined : e * u.count;
    }
    case "struct": case "union": return u.incomplete ? undefined : u.size;
    case "enum": return u.underlying.size;
    case "function": return 1; // GNU C, as gdb
  }
}

export function alignOf(t: CType): number {
  const u = unqual(t);
  switch (u.kind) {
    case "void": case "function": return 1;
    case "int": case "float": return u.size;
    case "complex": return u.of.size;
    case "pointer": return 8;
    case "array": return alignOf(u.of);
    case "enum": return u.underlying.size;
    case "struct": case "union": {
      // DWARF carries no alignment; the largest member alignment is what the ABI gives.
      let a = 1;
      for (const m of u.members) a = Math.max(a, alignOf(m.type));
      return a;
    }
  }
}

/** Structural equality as C's "compatible type", typedefs seen through. */
export function sameType(a: CType, b: CType): boolean {
  const x = unqual(a);
  const y = unqual(b);
  if (x === y) return true;
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case "void": return true;
    case "int": return x.name === (y as IntType).name || (x.size === (y as IntType).size && x.signed === (y as IntType).signed && x.rank === (y as IntType).rank);
    case "float": return x.name === (y as FloatType).name;
    case "complex": return x.of.name === (y as ComplexType).of.name;
    case "pointer": return sameType(x.to, (y as PointerType).to);
    case "array": return sameType(x.of, (y as ArrayType).of);
    case "struct": case "union": return x.tag !== undefined && x.tag === (y as RecordType).tag && x.size === (y as RecordType).size;
    case "enum": return x.tag !== undefined && x.tag === (y as EnumType).tag;
    case "function": {
      const f = y as FunctionType;
      return sameType(x.ret, f.ret) && x.params.length === f.params.length && x.params.every((p, i) => sameType(p, f.params[i]!));
    }
  }
}

/** C declarator printing: `struct item *`, `int [3]`, `int (*)(int, char *)`. */
export function typeName(t: CType, inner = ""): string {
  const join = (base: string, inn: string): string => (inn === "" ? base : inn.startsWith("(") || inn.startsWith("[") ? `${base} ${inn}` : `${base} ${inn}`);
  switch (t.kind) {
    case "void": return join("void", inner);
    case "int": case "float": return join(t.name, inner);
    case "complex": return join(`complex ${t.of.name}`, inner); // gcc's DWARF name, as gdb shows it
    case "typedef": return join(t.name, inner);
    case "struct": case "union": return join(`${t.kind} ${t.tag ?? "<anonymous>"}`, inner);
    case "enum": return join(`enum ${t.tag ?? "<anonymous>"}`, inner);
    case "pointer": return typeName(t.to, `*${inner}`);
    case "array": {
      const dims = `[${t.count ?? ""}]`;
      return typeName(t.of, inner.startsWith("*") ? `(${inner})${dims}` : `${inner}${dims}`);
    }
    case "function": {
      const ps = t.params.map((p) => typeName(p));
      if (t.variadic) ps.push("...");
      const list = ps.length > 0 ? ps.join(", ") : t.prototyped ? "void" : "";
      return typeName(t.ret, inner === "" ? `(${list})` : `(${inner})(${list})`);
    }
  }
}

/** Struct member look-up, descending into anonymous struct/union members; offsets accumulate. */
export function findMember(rec: RecordType, name: string): Member | undefined {
  for (const m of rec.members) {
    if (m.name === name) return m;
    if (m.name === undefined) {
      const u = unqual(m.type);
      if (u.kind === "struct" || u.kind === "union") {
        const inner = findMember(u, name);
        if (inner) {
          return {
            ...inner,
            offset: m.offset + inner.offset,
            ...(inner.bitOffset !== undefined ? { bitOffset: inner.bitOffset + m.offset * 8 } : {}),
          };
        }
      }
    }
  }
  return undefined;
}

/** All member names reachable by `.` (for "did you mean" suggestions). */
export function memberNames(rec: RecordType): string[] {
  const out: string[] = [];
  for (const m of rec.members) {
    if (m.name !== undefined) out.push(m.name);
    else {
      const u = unqual(m.type);
      if (u.kind === "struct" || u.kind === "union") out.push(...memberNames(u));
    }
  }
  return out;
}
