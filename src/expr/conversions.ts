/** C's implicit conversion rules (C11 6.3): integer promotions, usual arithmetic conversions. */
import { T, complexOf, intOf, isFloat, isInteger, realPart, unqual, type CType, type FloatType, type IntType } from "./types.js";

/** Integer promotion: anything narrower than int becomes int (all their values fit). */
export function promote(t: CType): CType {
  const u = unqual(t);
  if (u.kind === "enum") return promote(u.underlying);
  if (u.kind === "int" && u.rank < T.int.rank) return T.int;
  return t;
}

export function usualArithmetic(a: CType, b: CType): CType {
  const ua = unqual(a);
  const ub = unqual(b);
  // A complex operand: the complex type of the two real parts' common type (C11 6.3.1.8).
  if (ua.kind === "complex" || ub.kind === "complex") return complexOf(usualArithmetic(realPart(ua), realPart(ub)) as FloatType);
  if (isFloat(ua) || isFloat(ub)) {
    const fa = ua.kind === "float" ? ua.size : 0;
    const fb = ub.kind === "float" ? ub.size : 0;
    return (fa >= fb ? ua : ub) as FloatType;
  }
  const pa = intOf(promote(a));
  const pb = intOf(promote(b));
  if (pa === pb) return keepName(a, pa);
  if (pa.signed === pb.signed) return pa.rank >= pb.rank ? pa : pb;
  const [s, u] = pa.signed ? [pa, pb] : [pb, pa];
  if (u.rank >= s.rank) return u;
  if (s.size > u.size) return s;
  return unsignedOf(s);
}

/** Keep a typedef name (`size_t + size_t` is `size_t`) when promotion does not change the type. */
function keepName(orig: CType, promoted: IntType): CType {
  const u = unqual(orig);
  return u === promoted ? orig : promoted;
}

export function unsignedOf(t: IntType): IntType {
  switch (t.size) {
    case 1: return T.uchar;
    case 2: return T.ushort;
    case 4: return T.uint;
    default: return t.rank === T.llong.rank ? T.ullong : T.ulong;
  }
}

/** Default argument promotions for variadic and unprototyped calls. */
export function defaultPromotion(t: CType): CType {
  const u = unqual(t);
  if (u.kind === "float" && u.size === 4) return T.double;
  if (isInteger(u)) return promote(t);
  return t;
}

/** The type of an integer literal (C11 6.4.4.1): the first of its candidate list that holds it. */
export function integerLiteralType(value: bigint, suffix: string, nonDecimal: boolean): IntType | undefined {
  const fits = (t: IntType): boolean => (t.signed ? value <= (1n << BigInt(t.size * 8 - 1)) - 1n : value <= (1n << BigInt(t.size * 8)) - 1n);
  const lists: Record<string, IntType[]> = {
    "": nonDecimal ? [T.int, T.uint, T.long, T.ulong] : [T.int, T.long],
    u: [T.uint, T.ulong],
    l: nonDecimal ? [T.long, T.ulong] : [T.long],
    ul: [T.ulong],
    ll: nonDecimal ? [T.llong, T.ullong] : [T.llong],
    ull: [T.ullong],
  };
  const list = lists[suffix] ?? [T.int];
  const found = list.find(fits);
  if (found) return found;
  // Decimal without u that fits nothing signed: GCC makes it unsigned long with a warning; so do we.
  return value <= 0xffffffffffffffffn ? T.ulong : undefined;
}
