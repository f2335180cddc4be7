/**
 * The pipeline's order and reuse: one evaluation's linker calls (look-ups before finalize, neither
 * look-up writing inferior memory), the watch cache (same text and scope does not recompile),
 * persistent results and variables, console functions and their redefinition reaching earlier
 * callers, breakpoint conditions compiled once, hover never running code, and formatting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import type { Cpu } from "../../src/emu/cpu.js";
import type { LinkerEvent } from "../../src/jit/linker.js";
import { hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { BUILDS, build, lineOf } from "./fixture.js";
import type { Debugger } from "../../src/debugger/debugger.js";

/** A CPU that counts writes into the inferior and notes, at each run, whether its translations are optimized. */
function countingCpu(): { cpu: Cpu; writes: () => number; runs: boolean[] } {
  const raw = createUnicornCpu();
  let n = 0;
  const runs: boolean[] = [];
  const cpu = new Proxy(raw, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "write") return (a: bigint, d: Uint8Array) => { n++; target.write(a, d); };
      if (prop === "run") return (...a: Parameters<Cpu["run"]>) => (runs.push(target.optimizedTranslation), target.run(...a));
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { cpu, writes: () => n, runs };
}

describe.skipIf(!hasCompiler("gcc"))("the evaluation pipeline", () => {
  let dbg: Debugger;
  let writes: () => number;
  let runs: boolean[];
  let output: string[];
  let src: string;
  let file: string;
  beforeAll(async () => {
    const b = build(BUILDS[0]!, [], ["counter"]);
    src = b.src;
    const c = countingCpu();
    writes = c.writes;
    runs = c.runs;
    const l = launch(b.exe, { cpu: c.cpu });
    dbg = l.dbg;
    output = l.output;
    dbg.setSourceBreakpoints("probe", []);
    file = b.exe.split("/").pop()!.replace(/-gcc-.*$/, ".c");
    dbg.setSourceBreakpoints(file, [{ line: lineOf(src, "/* BREAK1 */") }]);
    const r = await dbg.start();
    expect(r.reason).toBe("breakpoint");
  });
  afterAll(() => dbg.close());

  it("one evaluation: compile → addObject → look-ups (no writes) → finalize → call → restore, in that order", () => {
    const steps: string[] = [];
    const rt = dbg.expressions.jit();
    const stop = rt.observe((e: LinkerEvent) => steps.push(`${e.call}${e.symbol ? ` ${e.symbol}` : ""} [writes ${writes()}]`));
    dbg.expressions.trace = (s) => steps.push(`${s} [writes ${writes()}]`);
    try {
      expect(dbg.inspector.evaluate("add(counter, n) * 2", 0, { context: "watch" }).value).toBe("90");
    } finally {
      stop();
      dbg.expressions.trace = undefined;
    }
    const names = steps.map((s) => s.replace(/ \[.*$/, "").replace(/ __jitdbg_expr_\d+$/, " <entry>"));
    expect(names).toEqual(["compile", "addObject", "getSymbolAddress <entry>", "getSymbolLoadAddress <entry>", "finalize", "call", "restore"]);
    const w = steps.map((s) => Number(/writes (\d+)/.exec(s)![1]));
    // Nothing is written into the inferior from addObject through both look-ups; finalize writes.
    expect(w[1]).toBe(w[0]);
    expect(w[2]).toBe(w[0]);
    expect(w[3]).toBe(w[0]);
    expect(w[5]).toBeGreaterThan(w[4]!);
  });

  it("the watch cache: the same text in the same scope links once", () => {
    const before = dbg.expressions.compiles;
    for (let i = 0; i < 5; i++) expect(dbg.inspector.evaluate("numbers[4] * it->id", 0, { context: "watch" }).value).toBe("160");
    expect(dbg.expressions.compiles - before).toBe(1);
    // Another text compiles once more; the first is still cached.
    dbg.inspector.evaluate("numbers[0]", 0, { context: "watch" });
    dbg.inspector.evaluate("numbers[4] * it->id", 0, { context: "watch" });
    expect(dbg.expressions.compiles - before).toBe(2);
  });

  it("a new text does not wait for an unload once the last answer was followed by tidy(); without it the cache stays bounded", () => {
    const steps: string[] = [];
    dbg.expressions.trace = (s) => steps.push(s);
    try {
      // Past the cache's limit (64 modules): each new text needs an arena slot another held.
      for (let i = 0; i < 80; i++) {
        steps.length = 0;
        expect(dbg.inspector.evaluate(`counter + ${i}`, 0, { context: "watch" }).value).toBe(String(42 + i));
        expect(steps.slice(0, 2)).toEqual(["compile", "call"]);
        dbg.tidy();
      }
      const unloads = (): number => steps.filter((s) => s === "unload").length;
      steps.length = 0;
      for (let i = 0; i < 10; i++) dbg.inspector.evaluate(`counter - ${i}`, 0, { context: "watch" });
      // Without tidy() every new text unloads the least recently used first (the first found room).
      expect(unloads()).toBe(9);
      expect(dbg.inspector.evaluate("counter + 79", 0, { context: "watch" }).value).toBe("121");
    } finally {
      dbg.expressions.trace = undefined;
    }
  });

  it("the console's own code is translated without TCG's optimizer; a call into the program keeps it", () => {
    runs.length = 0;
    expect(dbg.inspector.evaluate("counter * 7 - 1", 0, { context: "watch" }).value).toBe("293");
    expect(runs).toEqual([false]);
    runs.length = 0;
    expect(dbg.inspector.evaluate("add(counter, 1) * 7", 0, { context: "watch" }).value).toBe("301");
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((on) => on)).toBe(true);
    // Switched back after the call: the program's next run translates with the optimizer.
    expect(dbg.process.cpu.optimizedTranslation).toBe(true);
  });

  it("hover never runs code: no call, no write, no compile", () => {
    const w = writes();
    const c = dbg.expressions.compiles;
    expect(dbg.inspector.evaluate("counter", 0, { context: "hover" }).value).toBe("42");
    expect(() => dbg.inspector.evaluate("counter = 5", 0, { context: "hover" })).toThrow();
    expect(() => dbg.inspector.evaluate("add(1, 2)", 0, { context: "hover" })).toThrow();
    expect(writes()).toBe(w);
    expect(dbg.expressions.compiles).toBe(c);
  });

  it("formats like a C debugger: chars, doubles, pointers with symbols, strings, hex, expandable structs", () => {
    const ev = (e: string, hex = false) => dbg.inspector.evaluate(e, 0, { context: "watch", hex });
    expect(ev("message[1]").value).toBe("101 'e'");
    expect(ev("0.1 + 0.2").value).toBe("0.30000000000000004");
    expect(ev("&items[1]").value).toMatch(/^0x[0-9a-f]+ <items\+0x30>$/);
    expect(ev("greeting").value).toMatch(/^0x[0-9a-f]+ "greetings"$/);
    expect(ev("it->name").value).toBe('"item-1"');
    expect(ev("counter", true).value).toBe("0x2a");
    expect(ev("counter,x").value).toBe("0x2a");
    expect(ev("/x counter * 2").value).toBe("0x54"); // gdb's print/x
    expect(ev("/d counter").value).toBe("42");
    const st = ev("*it");
    expect(st.type).toBe("struct item");
    expect(st.variablesReference).toBeGreaterThan(0);
    const kids = dbg.inspector.variables(st.variablesReference);
    expect(kids.map((k) => `${k.name}=${k.value}`)).toEqual(["id=20", 'name="item-1"', "weight=3", expect.stringMatching(/^next=0x[0-9a-f]+ <items\+0x60>$/), "pos={x = 1, y = -1}"]);
    const arr = ev("numbers");
    expect(arr.indexedVariables).toBe(5);
  });

  it("persistent results and variables live in inferior memory and are usable later", async () => {
    const r1 = dbg.inspector.evaluate("counter * 2", 0, { context: "repl" });
    expect(r1.value).toBe("84");
    const n = r1.evaluateName!;
    expect(n).toMatch(/^\$\d+$/);
    expect(dbg.inspector.evaluate(`${n} + 1`, 0, { context: "repl" }).value).toBe("85");
    expect(dbg.inspector.evaluate("$total = it->weight * 2", 0, { context: "repl" }).value).toBe("6");
    expect(dbg.inspector.evaluate("$total += 0.5", 0, { context: "repl" }).value).toBe("6.5");
    expect(dbg.inspector.evaluate("$pt = make_point(7, 8)", 0, { context: "repl" }).value).toBe("{x = 7, y = 8}");
    const addr = dbg.expressions.persistent.variable("$total")!.address;
    const bytes = dbg.readMemoryExact(addr, 8)!;
    expect(new DataView(bytes.buffer).getFloat64(0, true)).toBe(6.5);
  });

  it("console functions persist; a redefinition reaches earlier callers", () => {
    expect(dbg.inspector.evaluate("int sq(int v) { return v * v; }", 0, { context: "repl" }).value).toMatch(/^defined int sq\(int\)/);
    expect(dbg.inspector.evaluate("int quad(int v) { return sq(sq(v)) + counter; }", 0, { context: "repl" }).value).toMatch(/^defined/);
    expect(dbg.inspector.evaluate("quad(3)", 0, { context: "repl" }).value).toBe("123");
    expect(dbg.inspector.evaluate("int sq(int v) { return v + v; }", 0, { context: "repl" }).value).toMatch(/^redefined int sq\(int\)/);
    // quad (linked against the first sq) and the cached `quad(3)` module now reach the new sq.
    expect(dbg.inspector.evaluate("quad(3)", 0, { context: "repl" }).value).toBe(String(12 + 42));
    expect(dbg.inspector.evaluate("sq(5) + $total", 0, { context: "repl" }).value).toBe("16.5");
  });

  it("a breakpoint hit inside an expression with ignore-breakpoints off honours its condition", () => {
    dbg.setSourceBreakpoints(file, [{ line: lineOf(src, "/* BREAK1 */") }, { line: lineOf(src, "int bp_target(int v)"), condition: "v == 5 && $total > 6" }]);
    expect(dbg.expressions.evaluate("bp_target(4)", 0, { ignoreBreakpoints: false }).value).toBeDefined();
    expect(() => dbg.expressions.evaluate("bp_target(5)", 0, { ignoreBreakpoints: false })).toThrow(/stopped at a breakpoint: bp_target/);
    expect(dbg.inspector.evaluate("bp_target(5)", 0, { context: "repl" }).value).toBe("15");
  });

  it("breakpoint conditions and logpoints compile once per breakpoint; persistent values survive running on", async () => {
    const c0 = dbg.expressions.compiles;
    dbg.setSourceBreakpoints(file, [
      { line: lineOf(src, "int bp_target(int v)"), condition: "v * 10 == (int)$total * 5 + 20" },
      { line: lineOf(src, "/* BREAK2 */"), logMessage: "log counter={counter} sq={sq(4)}" },
    ]);
    const r = await dbg.continue();
    expect(r.reason).toBe("breakpoint");
    // The program called bp_target(0..5); only v == 5 makes the condition true (6 * 5 / 10 + 2 = 5).
    expect(dbg.inspector.evaluate("v", 0, { context: "watch" }).value).toBe("5");
    expect(output.join("")).toMatch(/log counter=42 sq=8\n/);
    // Six hits of the condition, one logpoint with two parts, one watch: four compilations.
    expect(dbg.expressions.compiles - c0).toBe(4);
    dbg.setSourceBreakpoints(file, []);
    const end = await dbg.continue();
    expect(end.reason).toBe("exited");
    expect(output.join("")).toMatch(/P0: 42\n/);
  });
});
