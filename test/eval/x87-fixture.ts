/**
 * Test support for long double and _Complex: test/fixtures/eval/x87.c with printf twins, console
 * function twins and the BREAK2 stores filled in, built with gcc at test time (static -O0/-O2,
 * static-pie, and dynamic so libm's functions come from a shared library), a session at BREAK1,
 * and the twins' text and ours reduced to one form: long doubles as `%.21Lg` (exact), doubles and
 * floats as JavaScript reads them, complex values as their two parts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { fpuState } from "./fpu-state.js";
import { compileSource, fixturesDir, hasCompiler } from "../helpers/compile.js";
import type { Build } from "./fixture.js";
import { atBreak1, twinLines, type Session } from "./fixture.js";

export type X87Kind = "int" | "double" | "ld" | "cf" | "cd" | "cl";

export interface X87Case {
  expr: string;
  kind: X87Kind;
  /** The twin's C expression (default: expr, console functions `cf_x` renamed `cf_x_native`). */
  c?: string;
  /** false: not compared at -O2 (a value the optimizer may not keep). */
  o2?: boolean;
}

/** Whether the interpreter (hover) must refuse the case: it calls a function or is a statement expression. */
export const runsCode = (c: X87Case): boolean => c.expr.startsWith("({") || /[A-Za-z_]\w*\(/.test(c.expr.replace(/\b(sizeof|_Alignof)\(/g, "("));

export const STEM = "eval-x87";

/** A build, by gcc unless `cc` says otherwise. */
export type X87Build = Build & { cc?: string };

export const X87_BUILDS: X87Build[] = [
  { label: "gcc -static -O0", flags: ["-static", "-O0", "-g"] },
  { label: "gcc -static -O2", flags: ["-static", "-O2", "-g"] },
  { label: "gcc -static-pie -O0", flags: ["-static-pie", "-O0", "-g"] },
  { label: "gcc -O0 (dynamic: libm and libc shared)", flags: ["-O0", "-g"] },
  ...(hasCompiler("clang") ? [{ label: "clang -static -O0", flags: ["-static", "-O0", "-g"], cc: "clang" }, { label: "clang -static -O2", flags: ["-static", "-O2", "-g"], cc: "clang" }] : []),
];

const template = readFileSync(join(fixturesDir, "eval", "x87.c"), "utf8");

const native = (text: string): string => text.replace(/\bcf_(\w+)/g, "cf_$1_native");

function twin(i: number, c: X87Case): string {
  const e = native(c.c ?? c.expr);
  switch (c.kind) {
    case "int": return `printf("T${i}: %lld\\n", (long long)(${e}));`;
    case "double": return `printf("T${i}: %.17g\\n", (double)(${e}));`;
    case "ld": return `printf("T${i}: %.21Lg\\n", (long double)(${e}));`;
    case "cf": case "cd": return `{ double _Complex q = (${e}); printf("T${i}: %.17g + %.17gi\\n", creal(q), cimag(q)); }`;
    case "cl": return `{ long double _Complex q = (${e}); printf("T${i}: %.21Lg + %.21Lgi\\n", creall(q), cimagl(q)); }`;
  }
}

/** `stores` run by the console at BREAK2 on g_ objects; the program does them on the n_ copies and prints both, value and bytes. */
export interface X87Suite {
  cases: X87Case[];
  /** Console function definitions, made at BREAK1 before the cases. */
  definitions: string[];
  /** Console stores at BREAK2 into g_ objects. */
  stores: string[];
  /** Objects whose g_ and n_ bytes the program prints at the end. */
  dumps: { name: string; size: number }[];
}

/**
 * One build's run: at BREAK1 every case compiled (the x87/SSE state unchanged after each) and
 * interpreted (hover); at BREAK2 the stores; at the end, both against the twins, and the bytes.
 */
export async function runSuite(b: X87Build, suite: X87Suite): Promise<void> {
  const { cases, definitions, stores, dumps } = suite;
  const src = source(cases, definitions, stores, dumps);
  const s = await session(b, src);
  try {
    for (const d of definitions) s.dbg.expressions.evaluate(d, 0);
    const cpu = s.dbg.process.cpu;
    const ours = cases.map((c) => {
      const before = fpuState(cpu);
      const v = evaluate(s, c.expr);
      expect({ expr: c.expr, state: fpuState(cpu) }).toEqual({ expr: c.expr, state: before });
      return v;
    });
    const hover = cases.map((c) => evaluate(s, c.expr, "hover"));
    expect((await s.dbg.continue()).reason).toBe("breakpoint");
    const stored = stores.map((st) => evaluate(s, st, "repl"));
    expect((await s.dbg.continue()).reason).toBe("exited");
    compareTwins(s, b, cases, ours);
    compareHover(s, b, cases, hover);
    expect(stored.filter((v) => v.startsWith("error"))).toEqual([]);
    compareDumps(s, dumps);
  } finally {
    s.dbg.close();
  }
}

export function source(cases: X87Case[], definitions: string[], stores: string[], dumps: { name: string; size: number }[]): string {
  const effects = [
    ...stores.map((s) => `${s.replace(/\bg_/g, "n_")};`),
    ...dumps.map((d, i) => `dump("B", ${2 * i}, &g_${d.name}, ${d.size}); dump("B", ${2 * i + 1}, &n_${d.name}, ${d.size});`),
  ];
  return template
    .replace("/*DEFS*/", definitions.map((d) => `static NI ${native(d)}`).join("\n"))
    .replace("/*TWINS*/", cases.map((c, i) => twin(i, c)).join("\n  "))
    .replace("/*EFFECTS*/", effects.join("\n  "));
}

export function build(b: X87Build, src: string): string {
  return compileSource(src, { ...(b.cc ? { cc: b.cc } : {}), flags: [...b.flags, ...(b.cc === "clang" ? [] : ["-Wno-psabi"])] }, STEM);
}

/** A printed real reduced: long double text as it is (NaNs without gdb's payload), others through Number. */
function real(kind: "ld" | "double" | "float", text: string): string {
  const t = text.trim().replace(/\(0x[0-9a-f]+\)$/, "");
  if (kind === "ld") return t;
  const x = Number(t.replace(/^[-+]?nan$/i, "NaN").replace(/^([-+]?)inf$/i, "$1Infinity"));
  return String(kind === "float" ? Math.fround(x) : x);
}

/** Our formatted value, or the twin's printed one, in the one form compared. */
export function reduce(kind: X87Kind, text: string): string {
  if (text.startsWith("error") || text === "<missing>") return text;
  switch (kind) {
    // Compared as the twin's `long long` prints them (unsigned 64-bit values modulo 2^64).
    case "int": return text === "true" ? "1" : text === "false" ? "0" : String(BigInt.asIntN(64, BigInt(text.split(" ")[0]!)));
    case "double": return real("double", text);
    case "ld": return real("ld", text);
    case "cf": case "cd": case "cl": {
      const m = /^(.*) \+ (.*)i$/.exec(text);
      if (!m) return `not complex: ${text}`;
      const k = kind === "cl" ? "ld" : kind === "cf" ? "float" : "double";
      return `${real(k, m[1]!)} + ${real(k, m[2]!)}i`;
    }
  }
}

export async function session(b: X87Build, src: string): Promise<Session> {
  return atBreak1(build(b, src), src, STEM);
}

export function evaluate(s: Session, text: string, context = "watch"): string {
  try {
    return s.dbg.inspector.evaluate(text, 0, { context }).value;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** Our values of the cases against the twins' (run after BREAK1, so read once the program has gone on). */
export function compareTwins(s: Session, b: Build, cases: X87Case[], ours: string[], twinIndex: number[] = cases.map((_, i) => i)): void {
  const twins = twinLines(s.output, "T");
  const compared = (c: X87Case): boolean => !(b.flags.includes("-O2") && c.o2 === false);
  const rows = cases.map((c, i) => ({ expr: c.expr, value: reduce(c.kind, ours[i]!) })).filter((_, i) => compared(cases[i]!));
  const want = cases.map((c, i) => ({ expr: c.expr, value: reduce(c.kind, twins.get(twinIndex[i]!) ?? "<missing>") })).filter((_, i) => compared(cases[i]!));
  expect(rows).toEqual(want);
}

/**
 * The interpreter's values (hover: no code runs) against the twins: equal for every case that
 * runs no code, and a clear refusal for those that do.
 */
export function compareHover(s: Session, b: Build, cases: X87Case[], hover: string[]): void {
  // (The interpreter's scope is the program's: console functions are unknown names to it.)
  const refused = cases.map((c, i) => ({ expr: c.expr, hover: hover[i]!, runs: runsCode(c) })).filter((r) => r.runs && !/does not run code|unknown identifier 'cf_/.test(r.hover));
  expect(refused).toEqual([]);
  const kept = cases.map((c, i) => ({ c, i })).filter(({ c }) => !runsCode(c));
  compareTwins(s, b, kept.map((k) => k.c), kept.map((k) => hover[k.i]!), kept.map((k) => k.i));
}

/** The g_ and n_ bytes the program dumped after BREAK2, pairwise equal. */
export function compareDumps(s: Session, dumps: { name: string; size: number }[]): void {
  const bytes = twinLines(s.output, "B");
  expect(bytes.size).toBe(2 * dumps.length);
  expect(dumps.map((d, i) => ({ d: d.name, bytes: bytes.get(2 * i) }))).toEqual(dumps.map((d, i) => ({ d: d.name, bytes: bytes.get(2 * i + 1) })));
}
