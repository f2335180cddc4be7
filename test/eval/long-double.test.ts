/**
 * long double (x87 80-bit) in the console against gcc: the program's variables, members and an
 * -O2 local, arithmetic, comparisons, logic, conversions with every integer and floating type,
 * constants, calls of program, libm and console functions (stack arguments, st0 results,
 * variadic), each against its printf twin; stores at BREAK2 equal the program's own, value and
 * bytes (padding untouched); and the inferior's x87/SSE state is the same after every evaluation.
 */
import { describe, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { X87_BUILDS, runSuite, type X87Case } from "./x87-fixture.js";

const DEFINITIONS = [
  "long double cf_scale(long double x, int k) { return x * k - 0.5L; }",
  "long double cf_pick(int i, long double a, double d, long double b) { return i ? a / d : b; }",
  "long double cf_l1(struct l1 a, struct lds b) { return a.x * b.y + b.tag; }",
  "struct l1 cf_mk(long double v, int k) { struct l1 r = { v * k }; return r; }",
];

export const CASES: X87Case[] = [
  // reading
  { expr: "ld1", kind: "ld" }, { expr: "ld2", kind: "ld" }, { expr: "ldbig", kind: "ld" }, { expr: "ldtiny", kind: "ld" },
  { expr: "ldnan", kind: "ld" }, { expr: "ldinf", kind: "ld" }, { expr: "-ldinf", kind: "ld" }, { expr: "-ldzero", kind: "ld" },
  { expr: "s.x", kind: "ld" }, { expr: "sp->y", kind: "ld" }, { expr: "loc", kind: "ld", o2: false },
  // constants
  { expr: "1.1L", kind: "ld" }, { expr: "1e4000L", kind: "ld" }, { expr: "0.1L + 0.2L", kind: "ld" }, { expr: "(long double)1 / 3", kind: "ld" },
  // arithmetic
  { expr: "ld1 + ld2", kind: "ld" }, { expr: "ld1 - ld2", kind: "ld" }, { expr: "ld1 * ld2", kind: "ld" }, { expr: "ld1 / ld2", kind: "ld" },
  { expr: "-ld1", kind: "ld" }, { expr: "ldbig * ldbig", kind: "ld" }, { expr: "ldtiny / 3", kind: "ld" }, { expr: "ldinf - ldinf", kind: "ld" },
  { expr: "ld1 * ival + dbl", kind: "ld" }, { expr: "ld1 + flt", kind: "ld" }, { expr: "ld1 + ulmax", kind: "ld" }, { expr: "s.x * sp->y / 7", kind: "ld" },
  { expr: "ld1 > 1 ? ld1 : ld2", kind: "ld" }, { expr: "ival > 100 ? ld1 : 2", kind: "ld" },
  // comparisons and logic
  { expr: "ld1 < ld2", kind: "int" }, { expr: "ld1 > ld2", kind: "int" }, { expr: "ld1 <= 1.1L", kind: "int" }, { expr: "ld1 >= ld2", kind: "int" },
  { expr: "ld1 == 1.1L", kind: "int" }, { expr: "ld1 == 1.1", kind: "int" }, { expr: "ld1 != ld2", kind: "int" },
  { expr: "ldnan == ldnan", kind: "int" }, { expr: "ldnan != ldnan", kind: "int" }, { expr: "ldnan < 1", kind: "int" }, { expr: "ldnan >= 1", kind: "int" },
  { expr: "!ld1", kind: "int" }, { expr: "!ldzero", kind: "int" }, { expr: "!ldnan", kind: "int" }, { expr: "ld1 && ldzero", kind: "int" }, { expr: "ldzero || ld2", kind: "int" },
  // conversions
  { expr: "(int)ld2", kind: "int" }, { expr: "(long)ldlarge", kind: "int" }, { expr: "(unsigned long)ldu", kind: "int" },
  { expr: "(unsigned)ld1", kind: "int" }, { expr: "(short)ld2", kind: "int" }, { expr: "(signed char)ld2", kind: "int" }, { expr: "(_Bool)ld1", kind: "int" }, { expr: "(_Bool)ldzero", kind: "int" },
  { expr: "(unsigned long)ld1", kind: "int" }, { expr: "(long long)ld2", kind: "int" },
  { expr: "(double)ld1", kind: "double" }, { expr: "(double)(float)ld1", kind: "double" }, { expr: "(double)ldbig", kind: "double" }, { expr: "(double)ldtiny", kind: "double" },
  { expr: "(long double)dbl", kind: "ld" }, { expr: "(long double)flt", kind: "ld" }, { expr: "(long double)ulmax", kind: "ld" }, { expr: "(long double)lneg", kind: "ld" },
  { expr: "(long double)ival", kind: "ld" }, { expr: "(long double)(unsigned char)200", kind: "ld" },
  // calls
  { expr: "ld_add(ld1, ld2)", kind: "ld" }, { expr: "ld_add(1, 2.5)", kind: "ld" }, { expr: "ld_mix(3, ld1, 2.5, ld2, 0.5f)", kind: "ld" },
  { expr: "ld_sum(3, ld1, ld2, 10.0L)", kind: "ld" }, { expr: "ld_sign(ld2)", kind: "int" }, { expr: "ld_add(ld_add(ld1, ld1), ld_sum(1, ld2))", kind: "ld" },
  { expr: "sqrtl(ld1)", kind: "ld" }, { expr: "fabsl(ld2)", kind: "ld" }, { expr: "sqrtl(-ld1)", kind: "ld" },
  { expr: "printf(\"<%Lf %.3Lg>\\n\", ld1, ld2)", kind: "int" },
  { expr: "make_l1(ld1).x", kind: "ld" }, { expr: "l1_x(make_l1(ld2))", kind: "ld" }, { expr: "l1_x(l1v)", kind: "ld" }, { expr: "lds_sum(s)", kind: "ld" }, { expr: "lds_sum(*sp)", kind: "ld" },
  { expr: "cf_l1(make_l1(ld1), s)", kind: "ld" }, { expr: "cf_mk(ld1, 3).x", kind: "ld" }, { expr: "l1_x(cf_mk(ld2, 2))", kind: "ld" },
  { expr: "cf_scale(ld1, 3)", kind: "ld" }, { expr: "cf_pick(1, ld1, 4, ld2)", kind: "ld" }, { expr: "cf_pick(0, ld1, 4, ld2)", kind: "ld" },
];

const STORES = ["g_ld1 = ld1 * 2", "g_ld2 += ld2", "g_ld3 = g_ld2++", "g_ld2 *= 3", "--g_ld3", "g_s.x -= 0.5L", "g_s.y = ival", "g_ld3 /= ldzero"];
const DUMPS = [{ name: "ld1", size: 16 }, { name: "ld2", size: 16 }, { name: "ld3", size: 16 }, { name: "s", size: 48 }];

describe.skipIf(!hasCompiler("gcc"))("long double in the console: as the C compiler computes it", () => {
  for (const b of X87_BUILDS) it(b.label, () => runSuite(b, { cases: CASES, definitions: DEFINITIONS, stores: STORES, dumps: DUMPS }));
});
