/**
 * _Complex float/double/long double in the console against gcc: the program's variables and
 * members, __real__/__imag__ (read and assigned), + - * / with C's rules for real operands,
 * complex × and ÷ bit for bit with libgcc's __mulsc3…__divxc3 (infinities and NaNs included),
 * conversions between complex and real types, equality and truth, calls passing and returning
 * complex values in every ABI class (one SSE eightbyte, two, memory with st0/st1), creal/cimag,
 * console functions; stores at BREAK2 equal the program's own, value and bytes.
 */
import { describe, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { X87_BUILDS, runSuite, type X87Case } from "./x87-fixture.js";

const DEFINITIONS = [
  "double _Complex cf_swap(double _Complex z) { double _Complex r; __real__ r = __imag__ z; __imag__ r = __real__ z; return r; }",
  "long double _Complex cf_lmul(long double _Complex a, int k, long double _Complex b) { return a * b * k; }",
  "float _Complex cf_fdiv(float _Complex a, float _Complex b) { return a / b; }",
];

export const CASES: X87Case[] = [
  // reading, parts
  { expr: "zd", kind: "cd" }, { expr: "zf", kind: "cf" }, { expr: "zl", kind: "cl" }, { expr: "zinf", kind: "cd" }, { expr: "zlinf", kind: "cl" },
  { expr: "cs.z", kind: "cd" }, { expr: "cs.w", kind: "cl" }, { expr: "zloc", kind: "cd", o2: false },
  { expr: "__real__ zd", kind: "double" }, { expr: "__imag__ zd", kind: "double" }, { expr: "__imag__ zl", kind: "ld" }, { expr: "__real__ cs.w", kind: "ld" },
  { expr: "__imag__ zf * 2", kind: "double" }, { expr: "__real__ (zd + zd2)", kind: "double" }, { expr: "__imag__ ival", kind: "int" }, { expr: "__real__ ld1", kind: "ld" },
  // arithmetic
  { expr: "zd + zd2", kind: "cd" }, { expr: "zd - zd2", kind: "cd" }, { expr: "zd * zd2", kind: "cd" }, { expr: "zd / zd2", kind: "cd" },
  { expr: "zf * zf2", kind: "cf" }, { expr: "zf / zf2", kind: "cf" }, { expr: "zl * zl2", kind: "cl" }, { expr: "zl / zl2", kind: "cl" },
  { expr: "zd * 2", kind: "cd" }, { expr: "2 * zd", kind: "cd" }, { expr: "zd / 4", kind: "cd" }, { expr: "3 / zd", kind: "cd" }, { expr: "zd + 1", kind: "cd" },
  { expr: "1 - zzero", kind: "cd" }, { expr: "zzero - 1", kind: "cd" }, { expr: "-zd", kind: "cd" }, { expr: "~zd", kind: "cd" }, { expr: "-zzero", kind: "cd" },
  { expr: "zinf * zd", kind: "cd" }, { expr: "zinf * 2.0", kind: "cd" }, { expr: "zd / zzero", kind: "cd" }, { expr: "zinf / zd", kind: "cd" }, { expr: "zd / zinf", kind: "cd" },
  { expr: "zlinf * zl", kind: "cl" }, { expr: "zl / zlinf", kind: "cl" }, { expr: "zf * zd", kind: "cd" }, { expr: "zd * ld1", kind: "cl" }, { expr: "zl + dbl", kind: "cl" },
  { expr: "zd + 2.5i", kind: "cd" }, { expr: "zl - 1.5Li", kind: "cl" }, { expr: "(zf + 1.0fi) * 2", kind: "cf" }, { expr: "1 + 2.0i", kind: "cd" }, { expr: "2.0i * 2.0i", kind: "cd" },
  { expr: "(zd * zd2 - zd) / (zd2 + 1)", kind: "cd" }, { expr: "ival ? zd : zd2", kind: "cd" },
  // equality, truth
  { expr: "zd == zd", kind: "int" }, { expr: "zd == zd2", kind: "int" }, { expr: "zd != zd2", kind: "int" }, { expr: "zzero == 0", kind: "int" }, { expr: "zinf == zinf", kind: "int" },
  { expr: "zf == zf", kind: "int" }, { expr: "!zd", kind: "int" }, { expr: "!zzero", kind: "int" }, { expr: "zzero || zd", kind: "int" }, { expr: "zd && 0", kind: "int" },
  { expr: "zzero ? 1 : 2", kind: "int" }, { expr: "({ int n = 0; if (zd) n += 1; if (zzero) n += 2; while (zd2 != 0 && n < 5) n++; n; })", kind: "int", c: "5" },
  { expr: "sizeof(long double _Complex) + _Alignof(long double _Complex) + sizeof zf", kind: "int" },
  { expr: "({ double _Complex w = zd; __imag__ w *= 3; __real__ w = -__real__ w; w; })", kind: "cd", c: "-1.5 + 6.0i" },
  { expr: "({ long double x = 1; x += zd; x; })", kind: "ld", c: "2.5L" },
  // conversions
  { expr: "(double)zd", kind: "double" }, { expr: "(int)zd2", kind: "int" }, { expr: "(_Bool)zzero", kind: "int" }, { expr: "(_Bool)zd", kind: "int" },
  { expr: "(float _Complex)zd", kind: "cf" }, { expr: "(long double _Complex)zd", kind: "cl" }, { expr: "(double _Complex)zl", kind: "cd" }, { expr: "(double _Complex)3", kind: "cd" },
  { expr: "(long double _Complex)ld1", kind: "cl" }, { expr: "(long double)zl", kind: "ld" },
  // calls
  { expr: "cd_add(zd, zd2)", kind: "cd" }, { expr: "cd_add(1, zd)", kind: "cd" }, { expr: "fc_conj(zf)", kind: "cf" }, { expr: "cl_mul(zl, zl2)", kind: "cl" },
  { expr: "cx_mix(1, zf, 2.5, zd, zl)", kind: "double" }, { expr: "creal(zd2)", kind: "double" }, { expr: "cimag(zd2)", kind: "double" },
  { expr: "cf_swap(zd)", kind: "cd" }, { expr: "cf_lmul(zl, 3, zl2)", kind: "cl" }, { expr: "cf_fdiv(zf, zf2)", kind: "cf" },
];

const STORES = ["g_ld_from_z = zl * zl2", "g_zd2 = g_zd2 == zd ? zd : zd2","g_zd = zd * zd2", "g_zd2 += 1", "g_zd2 *= zd", "__imag__ g_zd = 5", "g_zf /= zf2", "g_zl = zl * 2", "g_zl2 -= zl", "__real__ g_zl2 = ld2"];
const DUMPS = [{ name: "ld_from_z", size: 16 }, { name: "zd", size: 16 }, { name: "zd2", size: 16 }, { name: "zf", size: 8 }, { name: "zl", size: 32 }, { name: "zl2", size: 32 }];

describe.skipIf(!hasCompiler("gcc"))("_Complex values in the console: as the C compiler computes them", () => {
  for (const b of X87_BUILDS) it(b.label, () => runSuite(b, { cases: CASES, definitions: DEFINITIONS, stores: STORES, dumps: DUMPS }));
});
