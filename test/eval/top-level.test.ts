/**
 * Top-level declarations in the console (LLDB's top-level expressions): typedefs, struct, union
 * and enum definitions (bit-fields of int/unsigned/long bases, nested, self-referencing,
 * anonymous) and global variables with initializers become part of the persistent console scope;
 * later expressions and a console function use them. Expected values come from a C twin with the
 * same declarations at file scope, built by gcc and run natively, at -O0 and -O2; redefinitions
 * are answered as README's console section says.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, compileSource, fixturesDir } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const FIXTURE = "console/top_level.c";
const BREAK_LINE = readFileSync(join(fixturesDir, FIXTURE), "utf8").split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

/** Console text, and the twin's C text when C spells it otherwise (`$p` is a console name; file-scope initializers are constants). */
const DECLARATIONS: { console: string; c?: string; cMain?: string }[] = [
  { console: "struct pair { int a, b; };" },
  { console: "typedef unsigned long u64;" },
  { console: "enum color { RED, GREEN = 5, BLUE };" },
  { console: "struct flags { unsigned lo : 3; int mid : 7; unsigned long hi : 40; long wide : 33; struct pair inner; enum color c; }" },
  { console: "int counter = 5;" },
  { console: "u64 big = 1UL << 40, small = big >> 38;", c: "u64 big = 1UL << 40, small = (1UL << 40) >> 38;" },
  { console: "struct pair $p = {1, 2};", c: "struct pair p_ = {1, 2};" },
  { console: "struct flags gflags = { 5, -3, 123456789, -4000000000, { 7, 8 }, BLUE };" },
  { console: "char greeting[] = \"hi there\";" },
  { console: "struct node { int v; struct node *next; }; struct node n2 = { 2, 0 }; struct node n1 = { 1, &n2 };", c: "struct node { int v; struct node *next; }; struct node n2 = { 2, 0 }; struct node n1 = { 1, &n2 };" },
  { console: "union u { int i; unsigned char b[4]; } uu = { 0x01020304 };" },
  { console: "struct { int x; short y; } anon_g = { 42, -1 };" },
  { console: "int fromProgram = base * 2 + prog.q;", c: "int fromProgram;", cMain: "fromProgram = base * 2 + prog.q;" },
  { console: "typedef struct { char tag; double d; } tagged_t; tagged_t tv = { 'z', 2.5 };" },
  { console: "struct pair pcopy = $p;", c: "struct pair pcopy;", cMain: "pcopy = p_;" },
  { console: "int bump(int k) { counter += k; return counter * 10 + $p.a; }", c: "int bump(int k) { counter += k; return counter * 10 + p_.a; }" },
];

const EXPRESSIONS: { console: string; c?: string }[] = [
  { console: "counter + 1" },
  { console: "big" },
  { console: "small" },
  { console: "$p.a + $p.b", c: "p_.a + p_.b" },
  { console: "sizeof(struct flags)" },
  { console: "sizeof(struct pair) + sizeof(u64) + sizeof(union u) + sizeof anon_g + sizeof(tagged_t)" },
  { console: "gflags.lo" },
  { console: "gflags.mid" },
  { console: "gflags.hi" },
  { console: "gflags.wide" },
  { console: "gflags.lo - 6" },
  { console: "gflags.inner.b" },
  { console: "(int)gflags.c" },
  { console: "BLUE * 10 + GREEN" },
  { console: "sizeof greeting" },
  { console: "greeting[3]" },
  { console: "n1.next->v + n1.v" },
  { console: "uu.b[0] * 1000 + uu.b[3]" },
  { console: "anon_g.x + anon_g.y" },
  { console: "fromProgram" },
  { console: "tv.tag + (int)(tv.d * 2)" },
  { console: "pcopy.b" },
  { console: "bump(3)" },
  { console: "bump(4) + counter" },
  { console: "((struct pair){ counter, 9 }).a" },
  { console: "(u64)-1 > 0" },
  { console: "gflags.hi = 99, gflags.hi * 2" },
];

function twin(): string {
  const src = readFileSync(join(fixturesDir, FIXTURE), "utf8");
  const decls = DECLARATIONS.map((d) => {
    const t = d.c ?? d.console;
    return t.trim().endsWith(";") || t.trim().endsWith("}") && t.includes("(") ? t : `${t};`;
  }).join("\n");
  const mainInit = DECLARATIONS.flatMap((d) => (d.cMain ? [d.cMain] : [])).join("\n  ");
  const prints = EXPRESSIONS.map((e, i) => `printf("T${i}: %lld\\n", (long long)(${e.c ?? e.console}));`).join("\n  ");
  return src.replace("int main(void) {", `${decls}\n\nint main(void) {\n  ${mainInit}`).replace("/*TWIN*/", prints);
}

describe.each([["-O0"], ["-O2"]])("console top-level declarations (gcc %s)", (opt) => {
  it("are used by later expressions and a console function, as gcc compiles them at file scope", async () => {
    const twinExe = compileSource(twin(), { flags: ["-static", opt, "-g"] }, "top-level-twin");
    const run = spawnSync(twinExe, { encoding: "utf8" });
    expect(run.status).toBe(3);
    const expected = new Map<number, string>();
    for (const line of run.stdout.split("\n")) {
      const m = /^T(\d+): (.*)$/.exec(line);
      if (m) expected.set(Number(m[1]), m[2]!);
    }
    expect(expected.size).toBe(EXPRESSIONS.length);

    const exe = compileFixture(FIXTURE, { flags: ["-static", opt, "-g"] });
    const { dbg } = launch(exe);
    try {
      dbg.setSourceBreakpoints("top_level.c", [{ line: BREAK_LINE }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      const repl = (t: string) => dbg.inspector.evaluate(t, 0, { context: "repl" }).value;
      for (const d of DECLARATIONS) expect(repl(d.console), d.console).toMatch(/defined/);
      const got = EXPRESSIONS.map((e) => {
        const v = repl(e.console);
        return /^-?\d+/.test(v) ? String(BigInt(/^-?\d+/.exec(v)![0])) : v.startsWith("'") ? String(BigInt(/^'.*' ?(-?\d+)?/.exec(v)?.[1] ?? "0")) : v;
      });
      EXPRESSIONS.forEach((e, i) => expect(got[i], e.console).toBe(expected.get(i)));
    } finally {
      dbg.close();
    }
  });
});

describe("console top-level redefinitions", () => {
  it("accept an identical definition, refuse a different one or a program's name, and keep definitions out of expressions", async () => {
    const exe = compileFixture(FIXTURE, { flags: ["-static", "-O0", "-g"] });
    const { dbg } = launch(exe);
    try {
      dbg.setSourceBreakpoints("top_level.c", [{ line: BREAK_LINE }]);
      await dbg.start();
      const repl = (t: string) => dbg.inspector.evaluate(t, 0, { context: "repl" }).value;
      expect(repl("struct pair { int a, b; }; int counter = 5")).toBe("defined struct pair (8 bytes); defined int counter");
      expect(repl("struct pair { int a; int b; };")).toBe("struct pair: unchanged");
      expect(() => repl("struct pair { long a; };")).toThrow(/redefinition of 'struct pair': it is already defined in the console as struct pair \{ int a; int b; \}; choose another tag/);
      expect(() => repl("int counter = 7;")).toThrow(/redefinition of 'counter' \(already 'int counter' in the console\); assign to it with 'counter = …'/);
      expect(repl("counter = 7")).toBe("7");
      expect(() => repl("int base = 1;")).toThrow(/redefinition of 'base': it is already a global variable of the program or the console/);
      expect(repl("struct prog_s { int q; long r; };")).toBe("struct prog_s: unchanged");
      expect(() => repl("struct prog_s { int q; };")).toThrow(/redefinition of 'struct prog_s': it is already defined by the program as struct prog_s \{ int q; long r; \}/);
      expect(repl("typedef unsigned int uint_t; typedef unsigned uint_t;")).toBe("defined typedef unsigned int uint_t; typedef uint_t: unchanged");
      expect(() => repl("typedef long uint_t;")).toThrow(/conflicting types for typedef 'uint_t': it is already 'unsigned int'/);
      expect(() => repl("enum e1 { ONE, counter };")).toThrow(/redeclaration of enumerator 'counter'/);
      expect(() => repl("(struct zz { int a; } *)0")).toThrow(/a struct type can be defined only in a declaration of its own at the console's top level/);
      expect(() => repl("struct bad { int f : 40; };")).toThrow(/the width of bit-field 'f' \(40 bits\) exceeds its type 'int' \(32 bits\)/);
      expect(() => repl("struct later lv;")).toThrow(/unknown type 'struct later'/);
      expect(() => repl("int $rax = 1;")).toThrow(/'\$rax' is a register/);
    } finally {
      dbg.close();
    }
  });
});
