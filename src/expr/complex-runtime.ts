/**
 * The runtime routines of complex multiplication and division, as C source the console's own
 * compiler builds into any object that needs them (the program may have no libgcc routines, a
 * dynamic one has no libgcc_s loaded). They compute what gcc 12's libgcc computes for
 * __mulsc3/__muldc3/__mulxc3 and __divsc3/__divdc3/__divxc3 — C11 Annex G's algorithm with
 * libgcc's scaling of the divisor — so results agree with the program's bit for bit.
 */
import { EXTENDED, formatExtended, round } from "../values/extended.js";
import { routineSymbol } from "./complex.js";
import { exprError } from "./errors.js";
import { T, type CType, type FloatType } from "./types.js";
import type { FunctionDef } from "./ast.js";
import { Checker } from "./check.js";
import type { FrameLayout } from "./frame.js";
import type { TStmt } from "./ir.js";
import { parseInput, type TypeEnv } from "./parser.js";
import type { Scope } from "./scope.js";

/** The per-type constants: the type's name, its sign-bit test, and libgcc's RBIG, RMIN, RMIN2, RMINSCAL. */
interface Real {
  t: string;
  /** C for "the sign bit of the parameter named n is set". */
  signOf: (n: string) => string;
  rbig: string;
  rmin: string;
  rmin2: string;
  rminscal: string;
}

const ext = (m: bigint, e: number): string => `${formatExtended(round(false, m, e, EXTENDED))}L`;

const REALS: Record<number, Real> = {
  4: { t: "float", signOf: (n) => `(*(int *)&${n} < 0)`, rbig: `${2 ** 127 * (2 - 2 ** -23) / 2}f`, rmin: `${2 ** -126}f`, rmin2: `${2 ** -23}f`, rminscal: `${2 ** 23}.0f` },
  8: { t: "double", signOf: (n) => `(*(long *)&${n} < 0)`, rbig: `${Number.MAX_VALUE / 2}`, rmin: `${2 ** -1022}`, rmin2: `${Number.EPSILON}`, rminscal: `${2 ** 52}.0` },
  16: {
    t: "long double",
    signOf: (n) => `(((signed char *)&${n})[9] < 0)`,
    rbig: ext((1n << 64n) - 1n, 16384 - 64 - 1),
    rmin: ext(1n, -16382),
    rmin2: ext(1n, -63),
    rminscal: ext(1n, 63),
  },
};

/** C helpers over one real type: isnan, isinf, isfinite, copysign (by the sign bit, so NaNs and -0 keep theirs), fabs. */
function prelude(r: Real): string {
  return `
  ${r.t} inf = (${r.t})(1.0 / 0.0);`;
}

const isnan = (x: string): string => `(${x} != ${x})`;
const isfinite = (x: string): string => `(${x} - ${x} == ${x} - ${x})`;
const isinf = (x: string): string => `(!${isnan(x)} && !${isfinite(x)})`;
const fabs = (x: string): string => `(${x} < 0 ? -${x} : ${x})`;

function multiply(real: FloatType): string {
  const r = REALS[real.size]!;
  const T_ = r.t;
  /** copysign(mag, n) where mag is 0, 1 or inf. */
  const copysign = (mag: string, n: string): string => `(${r.signOf(n)} ? -(${T_})(${mag}) : (${T_})(${mag}))`;
  // Copies of a, b, c, d whose signs copysign reads (the boxing below changes the originals).
  const box = (n: string): string => `{ ${T_} s_ = ${n}; ${n} = ${copysign(`${isinf("s_")} ? 1 : 0`, "s_")}; }`;
  const nanToZero = (n: string): string => `if (${isnan(n)}) { ${T_} s_ = ${n}; ${n} = ${copysign("0", "s_")}; }`;
  return `_Complex ${T_} ${routineSymbol("*", real)}(${T_} a, ${T_} b, ${T_} c, ${T_} d) {${prelude(r)}
  ${T_} ac = a * c; ${T_} bd = b * d; ${T_} ad = a * d; ${T_} bc = b * c;
  ${T_} x = ac - bd; ${T_} y = ad + bc;
  if (${isnan("x")} && ${isnan("y")}) {
    int recalc = 0;
    if (${isinf("a")} || ${isinf("b")}) { ${box("a")} ${box("b")} ${nanToZero("c")} ${nanToZero("d")} recalc = 1; }
    if (${isinf("c")} || ${isinf("d")}) { ${box("c")} ${box("d")} ${nanToZero("a")} ${nanToZero("b")} recalc = 1; }
    if (!recalc && (${isinf("ac")} || ${isinf("bd")} || ${isinf("ad")} || ${isinf("bc")})) { ${nanToZero("a")} ${nanToZero("b")} ${nanToZero("c")} ${nanToZero("d")} recalc = 1; }
    if (recalc) { x = inf * (a * c - b * d); y = inf * (a * d + b * c); }
  }
  _Complex ${T_} res; __real__ res = x; __imag__ res = y; return res;
}`;
}

function divide(real: FloatType): string {
  const r = REALS[real.size]!;
  const T_ = r.t;
  const copysign = (mag: string, n: string): string => `(${r.signOf(n)} ? -(${T_})(${mag}) : (${T_})(${mag}))`;
  const box = (n: string): string => `{ ${T_} s_ = ${n}; ${n} = ${copysign(`${isinf("s_")} ? 1 : 0`, "s_")}; }`;
  const scaleAll = (f: string): string => `a = a ${f}; b = b ${f}; c = c ${f}; d = d ${f};`;
  // float: computed in double, the simple formula (libgcc's choice where double hardware exists).
  const body = real.size === 4
    ? `double aa = a; double bb = b; double cc = c; double dd = d;
  double denom = (cc * cc) + (dd * dd);
  ${T_} x = ((aa * cc) + (bb * dd)) / denom;
  ${T_} y = ((bb * cc) - (aa * dd)) / denom;`
    : `${T_} rbig = ${r.rbig}; ${T_} rmin = ${r.rmin}; ${T_} rmin2 = ${r.rmin2}; ${T_} rminscal = ${r.rminscal}; ${T_} rmax2 = rbig * rmin2;
  ${T_} denom; ${T_} ratio; ${T_} x; ${T_} y;
  if (${fabs("c")} < ${fabs("d")}) {
    if (${fabs("d")} >= rbig) { ${scaleAll("/ 2")} }
    if (${fabs("d")} < rmin2) { ${scaleAll("* rminscal")} }
    else if ((${fabs("a")} < rmin && ${fabs("b")} < rmax2 && ${fabs("d")} < rmax2) || (${fabs("b")} < rmin && ${fabs("a")} < rmax2 && ${fabs("d")} < rmax2)) { ${scaleAll("* rminscal")} }
    ratio = c / d;
    denom = (c * ratio) + d;
    if (${fabs("ratio")} > rmin) { x = ((a * ratio) + b) / denom; y = ((b * ratio) - a) / denom; }
    else { x = ((c * (a / d)) + b) / denom; y = ((c * (b / d)) - a) / denom; }
  } else {
    if (${fabs("c")} >= rbig) { ${scaleAll("/ 2")} }
    if (${fabs("c")} < rmin2) { ${scaleAll("* rminscal")} }
    else if ((${fabs("a")} < rmin && ${fabs("b")} < rmax2 && ${fabs("c")} < rmax2) || (${fabs("b")} < rmin && ${fabs("a")} < rmax2 && ${fabs("c")} < rmax2)) { ${scaleAll("* rminscal")} }
    ratio = d / c;
    denom = (d * ratio) + c;
    if (${fabs("ratio")} > rmin) { x = ((b * ratio) + a) / denom; y = (b - (a * ratio)) / denom; }
    else { x = (a + (d * (b / c))) / denom; y = (b - (d * (a / c))) / denom; }
  }`;
  return `_Complex ${T_} ${routineSymbol("/", real)}(${T_} a, ${T_} b, ${T_} c, ${T_} d) {${prelude(r)}
  ${body}
  if (${isnan("x")} && ${isnan("y")}) {
    if (c == 0.0 && d == 0.0 && (!${isnan("a")} || !${isnan("b")})) { x = ${copysign("inf", "c")} * a; y = ${copysign("inf", "c")} * b; }
    else if ((${isinf("a")} || ${isinf("b")}) && ${isfinite("c")} && ${isfinite("d")}) { ${box("a")} ${box("b")} x = inf * (a * c + b * d); y = inf * (b * c - a * d); }
    else if ((${isinf("c")} || ${isinf("d")}) && ${isfinite("a")} && ${isfinite("b")}) { ${box("c")} ${box("d")} x = 0.0 * (a * c + b * d); y = 0.0 * (b * c - a * d); }
  }
  _Complex ${T_} res; __real__ res = x; __imag__ res = y; return res;
}`;
}

const REAL_OF: Record<string, FloatType> = { sc3: T.float, dc3: T.double, xc3: T.ldouble };

/** A routine checked for both back ends: its parameters' frame slots, body and frame; and the routines it needs in turn. */
export interface CheckedRoutine {
  def: FunctionDef;
  params: { offset: number; type: CType }[];
  body: TStmt[];
  frame: FrameLayout;
  needs: string[];
}

/** The routines use C's own types only: no typedef or tag of the program can change how they parse. */
const NO_TYPES: TypeEnv = { typedef: () => undefined, tag: () => undefined, tagNames: () => [] };

/** Parses and checks a routine's C definition (it names nothing outside itself). */
export function checkRoutine(symbol: string, scope: Scope): CheckedRoutine {
  const input = parseInput(routineSource(symbol), NO_TYPES);
  if (input.k !== "function") throw exprError("EXPR_UNSUPPORTED", `the runtime routine '${symbol}' is not a function definition (a compiler bug)`, 0);
  const c = new Checker(scope, { tlsModel: "initial-exec" });
  const checked = c.checkFunction(input.def);
  return { def: input.def, ...checked, needs: [...c.routines] };
}

/** The C definition of a routine routineSymbol() named. */
export function routineSource(symbol: string): string {
  const m = /^__jitdbg_(mul|div)(sc3|dc3|xc3)$/.exec(symbol);
  if (!m) throw exprError("EXPR_UNSUPPORTED", `no complex runtime routine '${symbol}' (a compiler bug; please report the expression)`, 0);
  const real = REAL_OF[m[2]!]!;
  return m[1] === "mul" ? multiply(real) : divide(real);
}
