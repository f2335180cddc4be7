/**
 * Run control on real programs: data, conditional, hit-count and log breakpoints, a crash, setting
 * variables and registers, memory, disassembly, run-to-line, goto and pause.
 */
import { describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import type { RunResult } from "../../src/debugger/run/stops.js";
import { compileFixture, runNative } from "../helpers/compile.js";
import { lineOf } from "./markers.js";

const VALUES = "debugger/values.c";
const build = (name: string, flags = ["-static", "-O0", "-g"]): string => compileFixture(name, { cc: "gcc", flags });

function session(exe: string): { dbg: Debugger; stdout: string[]; console: string[] } {
  const stdout: string[] = [];
  const consoleOut: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : consoleOut).push(t) });
  return { dbg, stdout, console: consoleOut };
}

function line(dbg: Debugger): number | undefined {
  return dbg.stackTrace()[0]?.source?.line;
}

function hover(dbg: Debugger, expr: string): string {
  return dbg.inspector.evaluate(expr, 0, { context: "hover" }).value;
}

async function withSession<T>(exe: string, body: (s: ReturnType<typeof session>) => Promise<T>): Promise<T> {
  const s = session(exe);
  try {
    return await body(s);
  } finally {
    s.dbg.close();
  }
}

describe("breakpoints that decide after the stop", () => {
  it("a data breakpoint catches the write and reports old and new values", async () => {
    await withSession(build(VALUES), async ({ dbg }) => {
      const addr = dbg.images[0]!.symbols.addressOf("g_counter")!;
      const [bp] = dbg.setDataBreakpoints([{ address: addr, size: 4, description: "g_counter" }]);
      expect(bp!.verified).toBe(true);
      const r = await dbg.start();
      expect(r.reason).toBe("data breakpoint");
      if (r.reason === "exited") throw new Error("exited");
      expect(r.dataChange).toMatchObject({ address: addr, size: 4, oldValue: 12345n, newValue: 777n });
      expect(r.description).toContain("from 12345 to 777");
      // Stopped right after the writing instruction, like gdb: it ended its line, so the next line.
      expect(line(dbg)).toBe(lineOf(VALUES, "@write") + 1);
      expect(hover(dbg, "g_counter")).toBe("777");
      expect((await dbg.continue()).reason).toBe("exited");
    });
  });

  it("each watched read-modify-write is caught once, and resuming does not run it again", async () => {
    await withSession(build("debugger/watch.c"), async ({ dbg, stdout }) => {
      const addr = dbg.images[0]!.symbols.addressOf("g")!;
      dbg.setDataBreakpoints([{ address: addr, size: 4, description: "g" }]);
      const changes: [bigint, bigint, number | undefined][] = [];
      let r = await dbg.start();
      while (r.reason === "data breakpoint") {
        changes.push([r.dataChange!.oldValue, r.dataChange!.newValue, line(dbg)]);
        r = await dbg.continue();
      }
      // As gdb reports them: after the first add (mid-line), after the second (the next line).
      const adds = lineOf("debugger/watch.c", "@adds");
      expect(changes).toEqual([[100n, 105n, adds], [105n, 112n, adds + 1]]);
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe("112\n");
    });
  });

  it("a conditional breakpoint in a loop stops only on the matching iteration", async () => {
    await withSession(build(VALUES), async ({ dbg }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@loop"), condition: "i == 6" }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      expect(hover(dbg, "i")).toBe("6");
      expect(hover(dbg, "total")).toBe(String([0, 1, 2, 3, 4, 5].reduce((a, i) => a + i * i, 0)));
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
    });
  });

  it("a plain hit count N skips N-1 hits and then stops at every hit (LLDB's ignore count); ==N stops once", async () => {
    await withSession(build(VALUES), async ({ dbg }) => {
      const line = lineOf(VALUES, "@step_value");
      const [bp] = dbg.setSourceBreakpoints("values.c", [{ line, hitCondition: "4" }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      expect(hover(dbg, "i")).toBe("3");
      expect(bp!.hits).toBe(4);
      expect((await dbg.continue()).reason).toBe("breakpoint");
      expect(hover(dbg, "i")).toBe("4");
      // Changing the hit condition counts afresh: "==2" is the second hit from now.
      dbg.setSourceBreakpoints("values.c", [{ line, hitCondition: "==2" }]);
      expect((await dbg.continue()).reason).toBe("breakpoint");
      expect(hover(dbg, "i")).toBe("6");
      expect((await dbg.continue()).reason).toBe("exited");
      expect(bp!.hits).toBe(5);
    });
  });

  it("a logpoint message that ends in a newline is printed with that one newline", async () => {
    await withSession(build(VALUES), async ({ dbg, console: out }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@step_value"), logMessage: "i={i} {not closed\n" }]);
      expect((await dbg.start()).reason).toBe("exited");
      const text = out.join("");
      expect(text).toContain("i=0 {not closed\ni=1 {not closed\n");
      expect(text).not.toContain("\n\n");
    });
  });

  it("a logpoint prints its message with {expressions} and does not stop", async () => {
    await withSession(build(VALUES), async ({ dbg, console: out }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@step_value"), logMessage: "i={i} square={i * i} letter={g_letter}" }]);
      expect((await dbg.start()).reason).toBe("exited");
      const logs = out.join("").split("\n").filter((l) => l.startsWith("i="));
      expect(logs).toEqual([...Array(10).keys()].map((i) => `i=${i} square=${i * i} letter=101 'e'`));
    });
  });
});

describe("a crash", () => {
  it("stops with SIGSEGV at the faulting line; continuing ends the program with 139", async () => {
    const exe = build("debugger/segv.c");
    await withSession(exe, async ({ dbg, stdout }) => {
      const r = await dbg.start();
      expect(r.reason).toBe("exception");
      if (r.reason === "exited") throw new Error("exited");
      expect(r.signal?.name).toBe("SIGSEGV");
      expect(r.description).toMatch(/^SIGSEGV: /);
      expect(r.signal?.address).toBe(0n);
      expect(line(dbg)).toBe(lineOf("debugger/segv.c", "@crash"));
      expect(dbg.stackTrace()[0]!.functionName).toBe("main");
      expect(hover(dbg, "i")).toBe("3");
      // stdout is a pipe, so the program's buffered lines die with it, as they do natively.
      expect(stdout.join("")).toBe(runNative(exe).stdout);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 139, signal: "SIGSEGV" });
    });
  });
});

describe("changing the program", () => {
  it("setVariable on a local reaches the program; on a register reads back", async () => {
    await withSession(build(VALUES), async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@print") }]);
      await dbg.start();
      const scopes = dbg.inspector.scopes(0);
      const locals = scopes.find((s) => s.kind === "locals")!;
      const set = dbg.inspector.setVariable(locals.variablesReference, "local_int", "42");
      expect(set.value).toBe("42");
      expect(hover(dbg, "local_int")).toBe("42");
      const regs = dbg.inspector.scopes(0).find((s) => s.kind === "registers")!;
      dbg.inspector.setVariable(regs.variablesReference, "r15", "0x1234");
      expect(dbg.process.cpu.reg("r15")).toBe(0x1234n);
      const r15 = dbg.inspector.variables(dbg.inspector.scopes(0).find((s) => s.kind === "registers")!.variablesReference).find((v) => v.name === "r15");
      expect(r15?.value).toMatch(/^0x0*1234$/);
      await dbg.continue();
      expect(stdout.join("")).toContain("local_int=42\n");
    });
  });

  it("writeMemory changes what the program reads; readMemory returns the readable part", async () => {
    await withSession(build(VALUES), async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@print") }]);
      await dbg.start();
      const grid = dbg.images[0]!.symbols.addressOf("g_grid")!;
      dbg.writeMemory(grid + 4n, new Uint8Array([0x63, 0, 0, 0])); // g_grid[0][1] = 99
      expect(hover(dbg, "g_grid[0][1]")).toBe("99");
      expect(dbg.readMemory(grid, 8).data).toEqual(new Uint8Array([1, 0, 0, 0, 0x63, 0, 0, 0]));
      expect(() => dbg.writeMemory(0n, new Uint8Array([1]))).toThrow(/not all of it is mapped/);
      await dbg.continue();
      expect(stdout.join("")).toContain("g_grid={{1, 99, 3}, {4, 5, 6}}\n");
    });
  });

  it("a memory write that changes a saved return address is seen by the next stack trace", async () => {
    const PAST_END = "dap/past_end.c";
    await withSession(build(PAST_END), async ({ dbg }) => {
      dbg.setSourceBreakpoints("past_end.c", [{ line: lineOf(PAST_END, "@cmp-end") }]);
      await dbg.start();
      const before = dbg.stackTrace();
      expect(before[1]!.functionName).not.toBe("main");
      const slot = before[0]!.cfa! - 8n; // the comparator's return address, into qsort's code
      const saved = dbg.readMemory(slot, 8).data;
      const intoMain = before.find((f) => f.functionName === "main")!.pc;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, intoMain, true);
      dbg.writeMemory(slot, bytes);
      expect(dbg.stackTrace()[1]!.functionName).toBe("main");
      dbg.writeMemory(slot, saved);
      expect(dbg.stackTrace()[1]!.functionName).toBe(before[1]!.functionName);
      dbg.setSourceBreakpoints("past_end.c", []);
      expect(await dbg.continue()).toMatchObject({ reason: "exited", exitCode: 7 });
    });
  });

  it("readMemory of a range that crosses into unmapped memory reports the unreadable tail", async () => {
    await withSession(build(VALUES), async ({ dbg }) => {
      const regions = dbg.process.space.list().sort((a, b) => (a.start < b.start ? -1 : 1));
      const edge = regions.find((r) => !dbg.process.space.isMapped(r.end, 1n))!;
      const r = dbg.readMemory(edge.end - 8n, 32);
      expect(r.data.length).toBe(8);
      expect(r.unreadable).toBe(24);
      expect(r.data).toEqual(dbg.readMemoryExact(edge.end - 8n, 8));
    });
  });
});

describe("code and position", () => {
  it("disassembles around the pc with source lines", async () => {
    await withSession(build(VALUES), async ({ dbg }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@print") }]);
      const r = (await dbg.start()) as Exclude<RunResult, { reason: "exited" }>;
      const insns = await dbg.disassemble(r.pc, 8);
      expect(insns).toHaveLength(8);
      expect(insns[0]!.address).toBe(r.pc);
      expect(insns[0]!.source).toMatchObject({ line: lineOf(VALUES, "@print") });
      expect(insns[0]!.symbol).toMatch(/^inspect\+0x[0-9a-f]+$/);
      for (let i = 1; i < insns.length; i++) expect(insns[i]!.address).toBe(insns[i - 1]!.address + BigInt(insns[i - 1]!.bytes.length));
      expect(insns.every((x) => x.readable && x.text.length > 0)).toBe(true);
    });
  });

  it("runToLine stops at the line; gotoLine skips code without running it", async () => {
    await withSession(build(VALUES), async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("values.c", [{ line: lineOf(VALUES, "@loop"), condition: "i == 9" }]);
      await dbg.start();
      const r = await dbg.runToLine("values.c", lineOf(VALUES, "@write"));
      expect(r.reason).toBe("step");
      expect(line(dbg)).toBe(lineOf(VALUES, "@write"));
      expect(hover(dbg, "g_counter")).toBe("12345");
      // Jump over the write: the program then prints the old value.
      const g = dbg.gotoLine("values.c", lineOf(VALUES, "@write") + 1);
      expect(g.reason).toBe("goto");
      expect(line(dbg)).toBe(lineOf(VALUES, "@write") + 1);
      expect(() => dbg.gotoLine("values.c", lineOf(VALUES, "@step_value"))).toThrow(/not in the current function/);
      expect((await dbg.continue()).reason).toBe("exited");
      expect(stdout.join("")).toContain("g_counter=12345\n");
    });
  });

  it("pause stops a long-running loop", async () => {
    await withSession(build("debugger/spin.c"), async ({ dbg }) => {
      const timer = setTimeout(() => dbg.pause(), 200);
      const r = await dbg.start();
      clearTimeout(timer);
      expect(r.reason).toBe("pause");
      expect(dbg.stackTrace()[0]!.functionName).toBe("spin");
      expect(Number(hover(dbg, "spins"))).toBeGreaterThan(0);
      // It can be resumed and paused again.
      const again = setTimeout(() => dbg.pause(), 100);
      const r2 = await dbg.continue();
      clearTimeout(again);
      expect(r2.reason).toBe("pause");
    });
  });
});
