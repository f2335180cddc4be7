/**
 * The software x87 extended format against the host's x87 (gcc's long double): the same operands,
 * fed as bytes to a C program, give the same result bytes for + - * /, comparisons and every
 * conversion, and the same `%.21Lg` text; decimal and hexadecimal constants round as strtold.
 */
import { describe, expect, it } from "vitest";
import { compileSource, hasCompiler, runNative } from "../helpers/compile.js";
import {
  DOUBLE, FLOAT, add, compare, decodeExtended, div, encodeExtended, formatExtended, fromBigInt, fromNumber, mul, parseFloatText, sub, toInt64, toNumber,
  type Extended,
} from "../../src/values/extended.js";

const ORACLE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static long double get(const char *h) {
  unsigned char b[16] = {0};
  for (int i = 0; i < 10; i++) { unsigned v; sscanf(h + 2 * i, "%2x", &v); b[i] = (unsigned char)v; }
  long double x; memcpy(&x, b, sizeof x); return x;
}
static void put(long double x) {
  unsigned char b[16]; memcpy(b, &x, sizeof x);
  for (int i = 0; i < 10; i++) printf("%02x", b[i]);
}
int main(void) {
  char op[16], ha[64], hb[256];
  while (scanf("%15s %63s %255s", op, ha, hb) == 3) {
    long double a = get(ha), b = get(hb);
    switch (op[0]) {
      case '+': put(a + b); break;
      case '-': put(a - b); break;
      case '*': put(a * b); break;
      case '/': put(a / b); break;
      case '<': printf("%d%d%d", a < b, a == b, a > b); break;
      case 'g': printf("%.21Lg", a); break;
      case 'd': { double d = (double)a; unsigned long long u; memcpy(&u, &d, 8); printf("%016llx", u); break; }
      case 'f': { float f = (float)a; unsigned u; memcpy(&u, &f, 4); printf("%08x", u); break; }
      case 'i': printf("%lld", (long long)a); break;
      case 's': put(strtold(hb, 0)); break;
      case 'D': { unsigned long long u = strtoull(hb, 0, 16); double d; memcpy(&d, &u, 8); put((long double)d); break; }
      case 'I': put((long double)strtoll(hb, 0, 10)); break;
    }
    printf("\n");
  }
  return 0;
}
`;

const hexOf = (x: Extended): string => Buffer.from(encodeExtended(x).subarray(0, 10)).toString("hex");
const fromHex = (h: string): Extended => decodeExtended(Uint8Array.from(Buffer.from(h, "hex")));

/** A deterministic generator (xorshift) of operands across the classes: normals, denormals, zeros, infinities, NaNs, near-overflow. */
function operands(n: number): string[] {
  let s = 0x9e3779b97f4a7c15n;
  const next = (): bigint => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return s;
  };
  const special = ["0000000000000000" + "0000", "0000000000000000" + "0080", "0000000000000080" + "ff7f", "0000000000000080" + "ffff", "00000000000000c0" + "ffff",
    "00000000000000a0" + "ff7f", "0100000000000000" + "0000", "ffffffffffffffff" + "fe7f", "0000000000000080" + "ff3f", "cdcccccccccccc8c" + "ff3f"];
  const out = [...special];
  while (out.length < n) {
    const mant = next() | (1n << 63n);
    const r = Number(next() & 0xffffn);
    const exp = r % 7 === 0 ? 0 : r % 11 === 0 ? 0x7ffe - (r % 3) : 0x3fff + ((r % 200) - 100) * (r % 5 === 0 ? 80 : 1);
    const m = exp === 0 ? mant >> 3n : mant;
    const se = exp | (r & 0x8000);
    const b = new Uint8Array(10);
    for (let i = 0; i < 8; i++) b[i] = Number((m >> BigInt(8 * i)) & 0xffn);
    b[8] = se & 0xff;
    b[9] = se >> 8;
    out.push(Buffer.from(b).toString("hex"));
  }
  return out;
}

function oracle(lines: string[]): string[] {
  const exe = compileSource(ORACLE, { flags: ["-O0"] }, "extended-oracle");
  const r = runNative(exe, [], {}, lines.join("\n") + "\n");
  return r.stdout.trim().split("\n");
}

const ours = (op: string, a: Extended, b: Extended): string => {
  switch (op) {
    case "+": return hexOf(add(a, b));
    case "-": return hexOf(sub(a, b));
    case "*": return hexOf(mul(a, b));
    case "/": return hexOf(div(a, b));
    case "<": { const c = compare(a, b); return `${c === -1 ? 1 : 0}${c === 0 ? 1 : 0}${c === 1 ? 1 : 0}`; }
    case "g": return formatExtended(a);
    case "d": { const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, toNumber(a, DOUBLE), true); return dv.getBigUint64(0, true).toString(16).padStart(16, "0"); }
    case "f": { const dv = new DataView(new ArrayBuffer(4)); dv.setFloat32(0, toNumber(a, FLOAT), true); return dv.getUint32(0, true).toString(16).padStart(8, "0"); }
    case "i": return String(toInt64(a));
    default: throw new Error(op);
  }
};

describe.skipIf(!hasCompiler("gcc"))("x87 extended in software equals the host's long double", () => {
  const xs = operands(120);
  it("arithmetic and comparisons, bit for bit", () => {
    const rows: { op: string; a: string; b: string }[] = [];
    for (let i = 0; i < xs.length; i++) for (const op of ["+", "-", "*", "/", "<"]) rows.push({ op, a: xs[i]!, b: xs[(i * 7 + 3) % xs.length]! });
    for (const op of ["+", "-", "*", "/", "<"]) for (let i = 0; i < 10; i++) for (let j = 0; j < 10; j++) rows.push({ op, a: xs[i]!, b: xs[j]! });
    const want = oracle(rows.map((r) => `${r.op} ${r.a} ${r.b}`));
    const got = rows.map((r) => ours(r.op, fromHex(r.a), fromHex(r.b)));
    expect(rows.map((r, i) => `${r.op} ${r.a} ${r.b} = ${got[i]}`)).toEqual(rows.map((r, i) => `${r.op} ${r.a} ${r.b} = ${want[i]}`));
  });

  it("%.21Lg text and conversions to double, float and long long", () => {
    // A NaN's text is gdb's (`nan(0xc000000000000000)`, printf says `nan`); a double in
    // JavaScript keeps no NaN payload, so NaNs are converted in the compiled path only.
    const rows = xs.flatMap((a) => ["g", "d", "f", "i"].map((op) => ({ op, a }))).filter((r) => fromHex(r.a).k !== "nan" || r.op === "i");
    const want = oracle(rows.map((r) => `${r.op} ${r.a} 0`));
    const got = rows.map((r) => ours(r.op, fromHex(r.a), fromHex(r.a)));
    expect(rows.map((r, i) => `${r.op} ${r.a} = ${got[i]}`)).toEqual(rows.map((r, i) => `${r.op} ${r.a} = ${want[i]}`));
  });

  it("NaNs and infinities print as gdb prints them", () => {
    expect(["00000000000000c0ffff", "00000000000000a0ff7f", "0000000000000080ff7f", "0000000000000080ffff"].map((h) => formatExtended(fromHex(h)))).toEqual(["-nan(0xc000000000000000)", "nan(0xa000000000000000)", "inf", "-inf"]);
  });

  it("constants round as strtold; doubles and integers convert exactly", () => {
    const texts = ["1.1", "0.1", "1e4000", "1e-4950", "3.6e-4951", "1e-5000", "1e5000", "123456789012345678901234567890", "0x1.8p3", "0x1p-16445", ".5e-3", "2.5", "18446744073709551615", "0.333333333333333333333333333"];
    const doubles = [1.1, -0, 5e-324, 1e308, -Infinity, NaN, 0.1, 2 ** 63];
    const ints = [0n, -1n, 9223372036854775807n, -9223372036854775808n, 123456789n];
    const dbits = (d: number): string => { const dv = new DataView(new ArrayBuffer(8)); dv.setFloat64(0, d, true); return dv.getBigUint64(0, true).toString(16); };
    const lines = [...texts.map((t) => `s 0 ${t}`), ...doubles.map((d) => `D 0 ${dbits(d)}`), ...ints.map((i) => `I 0 ${i}`)];
    const want = oracle(lines);
    const got = [...texts.map((t) => hexOf(parseFloatText(t)!)), ...doubles.map((d) => hexOf(fromNumber(d))), ...ints.map((i) => hexOf(fromBigInt(i)))];
    expect(lines.map((l, i) => `${l} = ${got[i]}`)).toEqual(lines.map((l, i) => `${l} = ${want[i]}`));
  });
});
