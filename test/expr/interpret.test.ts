/**
 * The two back ends of the one C front end agree: at a breakpoint in test/fixtures/expr/interpret.c,
 * every expression of a table gives the same type and the same formatted value when compiled and
 * run in the inferior and when interpreted over the same checked tree without running code —
 * including the cases the debugger's old second C parser got wrong (narrow unsigned arithmetic,
 * signed/unsigned comparisons, long-based bit-fields, char arithmetic, casts), which also equal
 * what gcc itself prints. The interpreter refuses side effects with a clean error and never
 * compiles or writes; data-breakpoint sizing, member completions and conditions before the
 * program's thread exists use it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Debugger } from "../../src/debugger/debugger.js";
import { typeName } from "../../src/expr/types.js";
import { formatValue } from "../../src/values/value.js";
import { compileFixture, fixturesDir, hasCompiler, runNative } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const SOURCE = readFileSync(join(fixturesDir, "expr", "interpret.c"), "utf8");
const BREAK_LINE = SOURCE.split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

/** Expressions over the fixture's globals, probe's arguments and locals, and registers. */
const TABLE: string[] = [
  // variables of every base type, as C reads them
  "uint_big", "neg", "uch", "sch", "ch", "sh", "ush", "lng", "ulng", "llmin", "flt", "dbl", "col", "local", "ulocal", "lc", "n", "u",
  // integer promotions and the usual arithmetic conversions
  "ush * ush", "uint_big + uint_big", "uch * 2", "sch * sch", "ch + 1", "lc - 'a'", "~uch", "-uch", "sh * sh", "u + n", "uint_big / neg", "neg / 2", "neg % 3", "-neg % 4",
  "lng * 3", "ulng + lng", "llmin + 1", "sizeof(ush * ush)", "sizeof(uch + uch)", "sizeof(ulng + neg)",
  // comparisons across signedness
  "neg < 1u", "ulng > lng", "ulocal > n", "neg < uint_big", "uch > sch", "(unsigned char)sch > uch", "neg == -7", "lng < neg",
  // shifts (the code's 64-bit shifts: counts modulo 64)
  "neg >> 1", "uint_big >> 31", "1L << 63", "neg >> 40", "1 << 33", "uch << 24", "ulng >> 60",
  // bit-fields: position, sign, and promotion by width
  "fl.u3", "fl.s5", "fl.ul3", "fl.sl40", "fl.uc2", "fl.b", "fl.u3 - 6", "fl.ul3 - 7", "fl.sl40 >> 4", "fl.s5 * 2", "fl.uc2 - 4", "-fl.ul3", "sizeof(fl.ul3 - 7)", "sizeof(fl.sl40 + 0)",
  // casts and floating point
  "(char)300", "(unsigned char)(uch + 100)", "(short)70000", "(long)uint_big * 2", "(int)dbl", "(unsigned)dbl", "(double)uint_big", "(float)lng", "(float)ulng", "(double)ulng",
  "(int)huge_d", "(long)huge_d", "(unsigned long)huge_d", "(long)nan_d", "(_Bool)nan_d", "(_Bool)0.0", "flt * 3", "flt / 7", "dbl / 3", "flt + dbl", "-dbl", "1 / 2.0", "7 / 2",
  "nan_d == nan_d", "nan_d != nan_d", "nan_d < 1", "!nan_d", "nan_d ? 1 : 2", "!flt", "dbl < flt",
  // pointers, arrays, members, address-of
  "head", "head + 1", "&nodes[2] - head", "head->next->next->id", "*head->next", "p->pos.y", "p->name", "&arr[3]", "arr + 2", "*(arr + 2)", "arr[5] - arr[0]", "grid[1][2]", "&grid[1]",
  "&grid[1][1] - &grid[0][0]", "nodes[1]", "nodes[2].next", "(long)head == (long)&nodes[0]", "head == &nodes[0]", "head->next == p", "(char *)p - (char *)head", "&head->pos",
  "(node_t *)p", "((node_t *)p)->id", "tail", "tail - head", "*(int *)&w", "w.u", "w.f", "w.b[3]", "&fl", "arr", "grid", "buf", "str", "str[1]", "*str", "buf[0] + buf[1]", "&buf[2]",
  // logical operators, conditionals, sizeof, enumerators, literals
  "head && head->next", "!head", "0 || neg", "neg ? 1 : 2", "neg < 0 ? uint_big : neg", "p ? p->id : -1", "(neg, uch)",
  "sizeof(struct node)", "sizeof arr / sizeof arr[0]", "sizeof(union word)", "_Alignof(struct node)", "sizeof(node_t *)",
  "col == BLUE", "GREEN + 1", "(enum color)5", "RED", "BLUE * 2u", "'a'", "'\\n' + 0", "\"abc\"", "sizeof(\"abc\")", "0x7fffffff + 1", "4000000000", "-2147483648", "1e300 * 1e10",
  // registers
  "$rsp == $rsp", "$rip != 0",
  // functions (designators decay to their entry address)
  "probe", "&stop_here", "stop_here == &stop_here", "(long)probe - (long)stop_here",
];

/** The cases where the debugger's old interpreter and the compiled path disagreed, with gcc's answer. */
const DRIFT: [string, string][] = [
  ["ush * ush", "-69967296"],
  ["ulng > lng", "0"],
  ["uint_big + uint_big", "3705032704"],
  ["neg < 1u", "0"],
  ["fl.ul3 - 7", "-1"],
  ["fl.u3 - 6", "-1"],
];

describe.skipIf(!hasCompiler("gcc"))("the interpreter back end equals the compiled back end", () => {
  let exe: string;
  let dbg: Debugger;
  let writes = 0;
  beforeAll(async () => {
    exe = compileFixture("expr/interpret.c", { flags: ["-static", "-O0", "-g"] });
    dbg = launch(exe).dbg;
    const [bp] = dbg.setSourceBreakpoints("interpret.c", [{ line: BREAK_LINE }]);
    expect(bp!.verified).toBe(true);
    const r = await dbg.start();
    expect(r.reason).toBe("breakpoint");
    expect(dbg.stackTrace()[0]!.functionName).toBe("probe");
  });
  afterAll(() => dbg?.close());

  const compiled = (text: string): { type: string; value: string } => {
    const e = dbg.expressions.evaluate(text, 0);
    return { type: typeName(e.type), value: formatValue(dbg.inspector.memory, e.value) };
  };
  const interpreted = (text: string): { type: string; value: string } => {
    const r = dbg.inspector.interpret(text, 0, { keepLvalue: false });
    return { type: typeName(r.type), value: formatValue(dbg.inspector.memory, r.value) };
  };

  it.each(TABLE)("%s", (text) => {
    expect(interpreted(text)).toEqual(compiled(text));
  });

  it("the old interpreter's drift cases give gcc's answers through both back ends", () => {
    const native = runNative(exe).stdout;
    const printed = /^D: 65000\*65000=(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/m.exec(native);
    expect(printed).not.toBeNull();
    // printf's %lu of fl.ul3 - 7 shows the int -1 as 4294967295: gcc promotes it to int.
    expect(printed!.slice(1)).toEqual(["-69967296", "0", "3705032704", "0", "4294967295", "-1"]);
    for (const [text, want] of DRIFT) {
      expect(interpreted(text).value, text).toBe(want);
      expect(compiled(text).value, text).toBe(want);
      expect(dbg.inspector.evaluate(text, 0, { context: "hover" }).value, text).toBe(want);
    }
    expect(interpreted("fl.ul3 - 7").type).toBe("int");
  });

  it("hover shows a cast (or unary +) as that conversion, not as the object under it (fuzzer findings)", () => {
    for (const text of ["(unsigned char)fl.sl40", "(char)fl.sl40", "+fl.ul3", "+fl.u3", "(long)fl.s5", "(short)fl.u3", "(long)llmin"]) {
      const hover = dbg.inspector.evaluate(text, 0, { context: "hover" });
      const watch = dbg.inspector.evaluate(text, 0, { context: "watch" });
      expect({ type: hover.type, value: hover.value }, text).toEqual({ type: watch.type, value: watch.value });
    }
    expect(dbg.inspector.evaluate("+fl.ul3", 0, { context: "hover" }).type).toBe("int");
  });

  it("hover keeps objects: where they live, bit-fields with their position", () => {
    const r = dbg.inspector.interpret("nodes[1].id", 0);
    expect(r.kind).toBe("value");
    expect(r.value.location).toEqual({ kind: "memory", address: BigInt(compiled("&nodes[1].id").value.split(" ")[0]!) });
    const bits = dbg.inspector.interpret("fl.s5", 0);
    expect(bits.kind).toBe("value");
    expect(bits.value.bits).toEqual({ offset: 3, size: 5 });
    expect(dbg.inspector.evaluate("fl.s5", 0, { context: "hover" }).value).toBe("-3");
    expect(dbg.inspector.interpret("neg + 1", 0).kind).toBe("computed");
    const hover = dbg.inspector.evaluate("*head", 0, { context: "hover" });
    expect(hover.variablesReference).toBeGreaterThan(0);
    expect(hover.value).toBe(compiled("*head").value);
  });

  it("computes compound literals in a frame of its own, writing nothing to the program", () => {
    const texts = ["(int){3}", "(struct node){.id = 4, .pos = {1, 2}}.pos.y * 2", "(struct point){neg}.x - 1", "(int[2]){neg, 1}[1] + 1", "*&(long){7} + 1"];
    const want = texts.map((t) => compiled(t).value);
    const cpu = dbg.process.cpu;
    const write = cpu.write.bind(cpu);
    let stores = 0;
    cpu.write = (a, d) => {
      stores++;
      write(a, d);
    };
    try {
      expect(texts.map((t) => dbg.inspector.evaluate(t, 0, { context: "hover" }).value)).toEqual(want);
    } finally {
      cpu.write = write;
    }
    expect(stores).toBe(0);
    // Its objects have no address in the program: a pointer to one is not a value to show.
    expect(() => dbg.inspector.evaluate("&(int){3}", 0, { context: "hover" })).toThrow(/points into a compound literal, which is not in the program's memory/);
  });

  it("refuses side effects with a clean error, compiling and writing nothing", () => {
    const before = dbg.expressions.compiles;
    const cpu = dbg.process.cpu;
    const write = cpu.write.bind(cpu);
    cpu.write = (a, d) => {
      writes++;
      write(a, d);
    };
    try {
      for (const text of ["neg = 1", "neg += 2", "neg++", "--neg", "stop_here()", "0 && (neg = 0)", "head->id = 3", "int twice(int x) { return 2 * x; }", "(int[2]){neg, (neg = 1)}[0] + 1"]) {
        let err: unknown;
        try {
          dbg.inspector.evaluate(text, 0, { context: "hover" });
        } catch (e) {
          err = e;
        }
        expect(err, text).toMatchObject({ code: "EXPR_SIDE_EFFECT" });
        expect((err as Error).message, text).toMatch(/^error: hover does not run code: .*(calls and assignments are evaluated in the debug console)/);
      }
    } finally {
      cpu.write = write;
    }
    expect(writes).toBe(0);
    expect(dbg.expressions.compiles).toBe(before);
    expect(compiled("neg").value).toBe("-7");
  });

  it("reports what it cannot evaluate: division by zero, unreadable memory, no address", () => {
    expect(() => interpreted("neg / (uch - 200)")).toThrow(/division by zero/);
    expect(() => interpreted("llmin / (neg + 6)")).toThrow(/LONG_MIN \/ -1/);
    expect(() => interpreted("*(int *)16")).toThrow(/cannot read memory at 0x10/);
    expect(() => interpreted("&\"abc\"")).toThrow(/string literal/);
    expect(() => interpreted("no_such_name")).toThrow(/unknown identifier 'no_such_name'/);
  });

  it("data breakpoints size the objects it names; completions list members from the checked type", () => {
    const at = (text: string) => BigInt(compiled(`&${text}`).value.split(" ")[0]!);
    expect(dbg.inspector.watchable("arr[2]", 0)).toEqual({ address: at("arr[2]"), size: 4 });
    expect(dbg.inspector.watchable("head->next", 0)).toEqual({ address: at("head->next"), size: 8 });
    expect(dbg.inspector.watchable("ush", 0)).toEqual({ address: at("ush"), size: 2 });
    expect(dbg.inspector.watchable("dbl", 0)).toEqual({ address: at("dbl"), size: 8 });
    expect(dbg.inspector.watchable("flt", 0)).toEqual({ address: at("flt"), size: 4 });
    expect(dbg.inspector.watchable("col", 0)).toEqual({ address: at("col"), size: 4 });
    expect(dbg.inspector.watchable("fl", 0)).toBeUndefined();
    expect(dbg.inspector.watchable("fl.u3", 0)).toBeUndefined();
    expect(dbg.inspector.watchable("neg + 1", 0)).toBeUndefined();
    expect(dbg.inspector.watchable("*(int *)16", 0)).toBeUndefined();
    expect(dbg.inspector.completions("head->", 0).sort()).toEqual(["id", "name", "next", "pos"]);
    expect(dbg.inspector.completions("nodes[0].pos.", 0)).toEqual(["x", "y"]);
    expect(dbg.inspector.completions("p->n", 0).sort()).toEqual(["name", "next"]);
    expect(dbg.inspector.completions("ulo", 0)).toEqual(["ulocal"]);
    // Spaces around the operator, the last operand of a longer text, subscripts with spaces inside.
    expect(dbg.inspector.completions("nodes[0].pos . ", 0)).toEqual(["x", "y"]);
    expect(dbg.inspector.completions("ulocal + nodes[0].pos.", 0)).toEqual(["x", "y"]);
    expect(dbg.inspector.completions("ulocal * (nodes[ 1 - 1 ].pos.x + nodes[0].pos.y", 0)).toEqual(["y"]);
    expect(dbg.inspector.completions("1 + p -> n", 0).sort()).toEqual(["name", "next"]);
    // C keywords after the names.
    expect(dbg.inspector.completions("str", 0)).toContain("struct");
    expect(dbg.inspector.completions("unsi", 0)).toEqual(["unsigned"]);
  });
});

describe.skipIf(!hasCompiler("gcc"))("conditions before the program's thread exists", () => {
  it("are interpreted (no compiled code can run yet), with the compiled path's C rules", () => {
    const exe = compileFixture("expr/interpret.c", { flags: ["-static", "-O0", "-g"] });
    const { dbg } = launch(exe);
    try {
      expect(dbg.expressions.available()).toBe(false);
      expect(dbg.inspector.condition("uint_big + uint_big == 3705032704u && col == BLUE", 0)).toBe(true);
      expect(dbg.inspector.condition("neg < 1u", 0)).toBe(false);
      expect(dbg.inspector.condition("fl.ul3 - 7 < 0", 0)).toBe(true);
      expect(dbg.inspector.condition("-0.0", 0)).toBe(false);
      expect(() => dbg.inspector.condition("fl", 0)).toThrow(/a condition must be a number or a pointer/);
      expect(() => dbg.inspector.condition("stop_here()", 0)).toThrow(/does not run code/);
    } finally {
      dbg.close();
    }
  });

  it("a conditional logpoint in the C runtime's start-up, before the thread pointer is set, is interpreted", async () => {
    const exe = compileFixture("expr/interpret.c", { flags: ["-static", "-O0", "-g"] });
    const { dbg, output } = launch(exe);
    try {
      const [bp] = dbg.setFunctionBreakpoints([{ name: "__libc_start_main", condition: "uint_big + uint_big == 3705032704u", logMessage: "start-up: {ush * ush} {fl.ul3 - 7} {col} {neg < 1u}" }]);
      expect(bp!.verified).toBe(true);
      expect((await dbg.start()).reason).toBe("exited");
      expect(output.join("")).toContain("start-up: -69967296 -1 BLUE 0\n");
      expect(bp!.hits).toBe(1);
    } finally {
      dbg.close();
    }
  });
});
