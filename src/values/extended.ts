/**
 * The x87 80-bit extended format (`long double` on x86-64) in software, exactly: decoding and
 * encoding, IEEE arithmetic rounded to nearest-even at 64-bit precision (the x87's default
 * precision control), conversions to and from integers, double and float as the x87 instructions
 * do them (fild, fld, fstp, fisttp), comparisons, and decimal text both ways. The interpreter
 * computes long double with it and the value model prints long double with it, as gdb does.
 */

/** |value| = m · 2^e exactly (m = 0: a signed zero); NaNs keep their 64-bit significand. */
export type Extended =
  | { k: "finite"; neg: boolean; m: bigint; e: number }
  | { k: "inf"; neg: boolean }
  | { k: "nan"; neg: boolean; mant: bigint };

/** A binary format's precision and exponent range, for rounding into it. */
export interface BinaryFormat {
  /** Significand bits. */
  p: number;
  /** Exponent of the least significant bit of the smallest denormal. */
  minLsb: number;
  /** Largest exponent of the least significant bit of a normal number. */
  maxLsb: number;
}

export const EXTENDED: BinaryFormat = { p: 64, minLsb: -16445, maxLsb: 16320 };
export const DOUBLE: BinaryFormat = { p: 53, minLsb: -1074, maxLsb: 971 };
export const FLOAT: BinaryFormat = { p: 24, minLsb: -149, maxLsb: 104 };

const BIAS = 16383;
const INT_BIT = 1n << 63n;
const QUIET_BIT = 1n << 62n;
/** The x87's "real indefinite", the NaN an invalid operation gives. */
export const INDEFINITE: Extended = { k: "nan", neg: true, mant: 0xc000000000000000n };

const bitLength = (m: bigint): number => (m === 0n ? 0 : m.toString(2).length);
export const zero = (neg = false): Extended => ({ k: "finite", neg, m: 0n, e: 0 });

/**
 * neg · m · 2^e rounded to nearest-even in `fmt` (denormals, overflow to infinity): the one
 * rounding every operation ends with.
 */
export function round(neg: boolean, m: bigint, e: number, fmt: BinaryFormat = EXTENDED): Extended {
  if (m === 0n) return zero(neg);
  let shift = bitLength(m) - fmt.p;
  if (e + shift < fmt.minLsb) shift = fmt.minLsb - e;
  let q: bigint;
  if (shift > 0) {
    const s = BigInt(shift);
    q = m >> s;
    const rest = m & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    if (q === 1n << BigInt(fmt.p)) {
      q >>= 1n;
      shift++;
    }
  } else q = m << BigInt(-shift);
  const lsb = e + shift;
  if (q === 0n) return zero(neg);
  if (lsb > fmt.maxLsb) return { k: "inf", neg };
  return { k: "finite", neg, m: q, e: lsb };
}

// ---- bytes

function le(b: Uint8Array, from: number, n: number): bigint {
  let x = 0n;
  for (let i = from + n - 1; i >= from; i--) x = (x << 8n) | BigInt(b[i] ?? 0);
  return x;
}

/** The 10 bytes of an x87 register or `long double` object. */
export function decodeExtended(b: Uint8Array): Extended {
  const mant = le(b, 0, 8);
  const se = (b[8] ?? 0) | ((b[9] ?? 0) << 8);
  const neg = (se & 0x8000) !== 0;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) return (mant & ~INT_BIT) === 0n && (mant & INT_BIT) !== 0n ? { k: "inf", neg } : { k: "nan", neg, mant };
  if (exp === 0) return { k: "finite", neg, m: mant, e: EXTENDED.minLsb };
  return { k: "finite", neg, m: mant, e: exp - BIAS - 63 };
}

/** 16 bytes (the 10 of the value, then the zero padding of a `long double` object). */
export function encodeExtended(x: Extended): Uint8Array {
  let mant: bigint;
  let exp: number;
  if (x.k === "inf") [mant, exp] = [INT_BIT, 0x7fff];
  else if (x.k === "nan") [mant, exp] = [x.mant, 0x7fff];
  else {
    const r = round(x.neg, x.m, x.e);
    if (r.k === "inf") [mant, exp] = [INT_BIT, 0x7fff];
    else if (r.k !== "finite" || r.m === 0n) [mant, exp] = [0n, 0];
    else {
      // Normalize: the integer bit set, unless the value is a denormal.
      let m = r.m;
      let e = r.e;
      while (m < INT_BIT && e > EXTENDED.minLsb) {
        m <<= 1n;
        e--;
      }
      [mant, exp] = m >= INT_BIT ? [m, e + BIAS + 63] : [m, 0];
    }
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) out[i] = Number((mant >> BigInt(8 * i)) & 0xffn);
  const se = exp | (x.neg ? 0x8000 : 0);
  out[8] = se & 0xff;
  out[9] = se >> 8;
  return out;
}

// ---- conversions

/** A JavaScript number (a double) exactly, as fld m64 loads it (a signalling NaN made quiet). */
export function fromNumber(x: number): Extended {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  const bits = dv.getBigUint64(0, true);
  const neg = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (exp === 0x7ff) return frac === 0n ? { k: "inf", neg } : { k: "nan", neg, mant: INT_BIT | QUIET_BIT | (frac << 11n) };
  if (exp === 0) return { k: "finite", neg, m: frac, e: -1074 };
  return { k: "finite", neg, m: frac | (1n << 52n), e: exp - 1075 };
}

/** An integer of up to 64 bits, exactly (fild). */
export function fromBigInt(v: bigint): Extended {
  return round(v < 0n, v < 0n ? -v : v, 0);
}

/** Rounded to a double or (FLOAT) a float, as fstp m64/m32 does; NaNs keep their sign. */
export function toNumber(x: Extended, fmt: BinaryFormat = DOUBLE): number {
  if (x.k === "nan") return NaN;
  if (x.k === "inf") return x.neg ? -Infinity : Infinity;
  const r = round(x.neg, x.m, x.e, fmt);
  if (r.k === "inf") return r.neg ? -Infinity : Infinity;
  if (r.k !== "finite") return NaN;
  const v = Number(r.m) * 2 ** r.e; // exact: both factors and the product are representable
  return r.neg ? -v : v;
}

const I64_MIN = -(1n << 63n);

/** Truncated toward zero to a 64-bit integer (fisttp m64): NaN and out-of-range give 0x8000000000000000. */
export function toInt64(x: Extended): bigint {
  if (x.k !== "finite") return I64_MIN;
  const mag = x.e >= 0 ? x.m << BigInt(x.e) : x.m >> BigInt(-x.e);
  const v = x.neg ? -mag : mag;
  return v < I64_MIN || v >= 1n << 63n ? I64_MIN : v;
}

// ---- arithmetic

const isSignalling = (x: Extended): boolean => x.k === "nan" && (x.mant & QUIET_BIT) === 0n;
const quiet = (x: Extended & { k: "nan" }): Extended => ({ k: "nan", neg: x.neg, mant: x.mant | QUIET_BIT });

/** The NaN an operation on a NaN gives (the x87's rules: a QNaN operand over an SNaN, else the larger significand). */
function propagateNaN(a: Extended, b: Extended): Extended | undefined {
  if (a.k !== "nan" && b.k !== "nan") return undefined;
  if (a.k !== "nan") return quiet(b as Extended & { k: "nan" });
  if (b.k !== "nan") return quiet(a);
  if (isSignalling(a) !== isSignalling(b)) return quiet(isSignalling(a) ? b : a);
  const ma = a.mant & ~QUIET_BIT;
  const mb = b.mant & ~QUIET_BIT;
  return quiet(mb > ma ? b : a);
}

export function negate(x: Extended): Extended {
  return { ...x, neg: !x.neg };
}

export function add(a: Extended, b: Extended): Extended {
  const nan = propagateNaN(a, b);
  if (nan) return nan;
  if (a.k === "inf" || b.k === "inf") {
    if (a.k === "inf" && b.k === "inf" && a.neg !== b.neg) return INDEFINITE;
    return a.k === "inf" ? a : b;
  }
  if (a.k !== "finite" || b.k !== "finite") return INDEFINITE;
  if (a.m === 0n && b.m === 0n) return zero(a.neg && b.neg);
  if (a.m === 0n) return round(b.neg, b.m, b.e);
  if (b.m === 0n) return round(a.neg, a.m, a.e);
  const e = Math.min(a.e, b.e);
  const va = (a.m << BigInt(a.e - e)) * (a.neg ? -1n : 1n);
  const vb = (b.m << BigInt(b.e - e)) * (b.neg ? -1n : 1n);
  const s = va + vb;
  if (s === 0n) return zero(false); // an exact cancellation is +0 when rounding to nearest
  return round(s < 0n, s < 0n ? -s : s, e);
}

export function sub(a: Extended, b: Extended): Extended {
  return propagateNaN(a, b) ?? add(a, negate(b));
}

export function mul(a: Extended, b: Extended): Extended {
  const nan = propagateNaN(a, b);
  if (nan) return nan;
  const neg = a.neg !== b.neg;
  const isZero = (x: Extended): boolean => x.k === "finite" && x.m === 0n;
  if (a.k === "inf" || b.k === "inf") return isZero(a) || isZero(b) ? INDEFINITE : { k: "inf", neg };
  if (a.k !== "finite" || b.k !== "finite") return INDEFINITE;
  return round(neg, a.m * b.m, a.e + b.e);
}

export function div(a: Extended, b: Extended): Extended {
  const nan = propagateNaN(a, b);
  if (nan) return nan;
  const neg = a.neg !== b.neg;
  if (a.k === "inf") return b.k === "inf" ? INDEFINITE : { k: "inf", neg };
  if (b.k === "inf") return zero(neg);
  if (a.k !== "finite" || b.k !== "finite") return INDEFINITE;
  if (b.m === 0n) return a.m === 0n ? INDEFINITE : { k: "inf", neg };
  if (a.m === 0n) return zero(neg);
  return quotient(neg, a.m, b.m, a.e - b.e);
}

/** neg · (num / den) · 2^e, rounded once: enough quotient bits, and a sticky bit for any remainder. */
function quotient(neg: boolean, num: bigint, den: bigint, e: number, fmt: BinaryFormat = EXTENDED): Extended {
  const k = Math.max(0, fmt.p + 2 + bitLength(den) - bitLength(num));
  const n = num << BigInt(k);
  let q = n / den;
  let shift = k;
  if (n % den !== 0n) {
    q = (q << 1n) | 1n;
    shift++;
  }
  return round(neg, q, e - shift, fmt);
}

/** -1, 0 or 1; undefined when either is a NaN (unordered). */
export function compare(a: Extended, b: Extended): -1 | 0 | 1 | undefined {
  if (a.k === "nan" || b.k === "nan") return undefined;
  const sign = (x: Extended): number => (x.k === "finite" && x.m === 0n ? 0 : x.neg ? -1 : 1);
  const sa = sign(a);
  const sb = sign(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  const mag = magnitudeOrder(a, b);
  return (sa < 0 ? -mag : mag) as -1 | 0 | 1;
}

function magnitudeOrder(a: Extended, b: Extended): number {
  if (a.k === "inf" || b.k === "inf") return a.k === b.k ? 0 : a.k === "inf" ? 1 : -1;
  if (a.k !== "finite" || b.k !== "finite") return 0;
  const e = Math.min(a.e, b.e);
  const x = a.m << BigInt(a.e - e);
  const y = b.m << BigInt(b.e - e);
  return x === y ? 0 : x > y ? 1 : -1;
}

export const isZero = (x: Extended): boolean => x.k === "finite" && x.m === 0n;

// ---- decimal text

/** `digits` significant decimal digits of m · 2^e (m > 0), rounded to nearest-even, and the decimal exponent of the first. */
function decimalDigits(m: bigint, e: number, digits: number): { d: string; exp10: number } {
  const num = e >= 0 ? m << BigInt(e) : m;
  const den = e >= 0 ? 1n : 1n << BigInt(-e);
  let exp10 = Math.floor((bitLength(num) - bitLength(den)) * Math.LOG10E * Math.LN2);
  const lo = 10n ** BigInt(digits - 1);
  const hi = lo * 10n;
  for (;;) {
    const scale = digits - 1 - exp10;
    const n = scale >= 0 ? num * 10n ** BigInt(scale) : num;
    const dd = scale >= 0 ? den : den * 10n ** BigInt(-scale);
    let q = n / dd;
    if (q >= hi) { exp10++; continue; }
    if (q < lo) { exp10--; continue; }
    const r2 = (n % dd) * 2n;
    if (r2 > dd || (r2 === dd && (q & 1n) === 1n)) q += 1n;
    if (q === hi) {
      q = lo;
      exp10++;
    }
    return { d: q.toString(), exp10 };
  }
}

/** printf's `%.{precision}Lg` of a finite value, without its sign. */
function gFormat(m: bigint, e: number, precision: number): string {
  if (m === 0n) return "0";
  const { d, exp10 } = decimalDigits(m, e, precision);
  const trim = (s: string): string => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp10 < -4 || exp10 >= precision) {
    const mant = trim(`${d[0]}.${d.slice(1)}`);
    const x = Math.abs(exp10);
    return `${mant}e${exp10 < 0 ? "-" : "+"}${x < 10 ? "0" : ""}${x}`;
  }
  if (exp10 >= 0) return trim(`${d.slice(0, exp10 + 1)}.${d.slice(exp10 + 1)}`);
  return trim(`0.${"0".repeat(-exp10 - 1)}${d}`);
}

/** The text gdb prints for a long double: `%.21Lg`, `inf`, `nan(0xc000000000000000)`, with the sign. */
export function formatExtended(x: Extended): string {
  const sign = x.neg ? "-" : "";
  if (x.k === "inf") return `${sign}inf`;
  if (x.k === "nan") return `${sign}nan(0x${x.mant.toString(16)})`;
  return sign + gFormat(x.m, x.e, 21);
}

/**
 * A C floating constant's text (without suffix), rounded once to the format: decimal
 * (`1.1`, `1e4000`, `.5e-3`) or hexadecimal (`0x1.8p3`). Undefined for text that is neither.
 */
export function parseFloatText(text: string, fmt: BinaryFormat = EXTENDED): Extended | undefined {
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(text);
  if (hex) {
    const int = hex[1] ?? "";
    const frac = hex[2] ?? "";
    if (int === "" && frac === "") return undefined;
    return round(false, BigInt(`0x${int}${frac}`), Number(hex[3]) - 4 * frac.length, fmt);
  }
  const dec = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!dec) return undefined;
  const int = dec[1] ?? "";
  const frac = dec[2] ?? "";
  if (int === "" && frac === "") return undefined;
  const digits = BigInt(`${int}${frac}` || "0");
  // Exponents far outside any format's range only decide between zero and infinity.
  const exp10 = Math.max(-20000, Math.min(20000, Number(dec[3] ?? "0"))) - frac.length;
  if (digits === 0n) return zero();
  if (exp10 >= 0) return round(false, digits * 10n ** BigInt(exp10), 0, fmt);
  return quotient(false, digits, 10n ** BigInt(-exp10), 0, fmt);
}
