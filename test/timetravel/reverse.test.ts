/**
 * Time travel (issue 18) on programs built at test time, with short run slices and checkpoints so
 * every reverse operation crosses many of both: reverse continue lands on the previous hit with
 * the loop variable one less, stepping back retraces the lines (and values) a forward trace —
 * gdb's — went through, a reverse data breakpoint finds the statement that corrupted a global,
 * and going forward again replays to the same output as the native run.
 */
import { describe, expect, it } from "vitest";
import { Debugger, type LaunchOptions } from "../../src/debugger/debugger.js";
import { compileFixture, runNative } from "../helpers/compile.js";
import { gdbLocations, hasGdb } from "../helpers/gdb.js";
import { lineOf } from "../debugger/markers.js";

const HOT = "conditions/hot_loop.c";
const LEDGER = "timetravel/ledger.c";
const INPUT = "the ledger's input line\n";
/** Short slices and checkpoints: a reverse operation crosses many of each. */
const SHORT: Partial<LaunchOptions> = { sliceBlocks: 777, timeTravel: true, historyCheckpointBlocks: 5_000 };

interface Session {
  dbg: Debugger;
  stdout: string[];
  console: string[];
}

async function session(exe: string, opts: Partial<LaunchOptions>, body: (s: Session) => Promise<void>): Promise<void> {
  const stdout: string[] = [];
  const consoleOut: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true, ...SHORT, ...opts }, { output: (c, t) => (c === "stdout" ? stdout : consoleOut).push(t) });
  try {
    await body({ dbg, stdout, console: consoleOut });
  } finally {
    dbg.close();
  }
}

const value = (dbg: Debugger, expr: string): string => dbg.inspector.evaluate(expr, 0, { context: "hover" }).value;
const line = (dbg: Debugger): number => dbg.stackTrace()[0]!.source?.line ?? 0;
const func = (dbg: Debugger): string => dbg.stackTrace()[0]!.functionName ?? "?";

/**
 * The four-thread program stopped at its first watched write (breakpoint at `at`); after `body`,
 * the breakpoints go and it runs to its end, as natively.
 */
async function threaded(body: (dbg: Debugger, at: number) => Promise<void>): Promise<void> {
  const exe = compileFixture("fidelity/threads.c", { flags: ["-O0", "-g", "-pthread"] });
  const native = runNative(exe, ["6"]);
  await session(exe, { args: ["6"], historyCheckpointBlocks: 200_000 }, async ({ dbg, stdout }) => {
    const at = lineOf("fidelity/threads.c", "@watched-write");
    dbg.setSourceBreakpoints("threads.c", [{ line: at }]);
    await dbg.start();
    await body(dbg, at);
    dbg.setSourceBreakpoints("threads.c", []);
    const end = await dbg.continue();
    expect(end).toMatchObject({ reason: "exited", exitCode: native.status });
    expect(stdout.join("")).toBe(native.stdout);
  });
}

describe("time travel", () => {
  it("reverse continue stops at the previous hit of a breakpoint in a loop, the loop variable one less", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    await session(exe, { args: ["3000"] }, async ({ dbg, stdout }) => {
      const at = lineOf(HOT, "@store");
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: at }]);
      await dbg.start();
      for (let k = 0; k < 40; k++) await dbg.continue();
      expect(value(dbg, "i")).toBe("40");
      const h = value(dbg, "h");
      for (const expected of ["39", "38", "37"]) {
        const r = await dbg.reverseContinue();
        expect(r.reason).toBe("breakpoint");
        expect(line(dbg)).toBe(at);
        expect(value(dbg, "i")).toBe(expected);
        expect(dbg.historyView()?.inPast).toBe(true);
      }
      // Forward again: the replay passes the same hits with the same values.
      for (const expected of ["38", "39", "40"]) {
        await dbg.continue();
        expect(value(dbg, "i")).toBe(expected);
      }
      expect(value(dbg, "h")).toBe(h);
      dbg.setSourceBreakpoints("hot_loop.c", []);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe, ["3000"]).stdout);
    });
  });

  it("stepping back N lines retraces the N lines stepped forward (the lines gdb's next shows), with the same values", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    const at = lineOf(HOT, "@hot");
    const N = 12;
    await session(exe, { args: ["3000"] }, async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: at }]);
      await dbg.start();
      for (let k = 0; k < 5; k++) await dbg.continue();
      dbg.setSourceBreakpoints("hot_loop.c", []);
      const forward: { line: number; i: string; h: string }[] = [];
      const here = () => ({ line: line(dbg), i: value(dbg, "i"), h: value(dbg, "h") });
      forward.push(here());
      for (let k = 0; k < N; k++) {
        await dbg.next();
        forward.push(here());
      }
      if (hasGdb()) {
        const gdb = gdbLocations(exe, ["3000"], [`break hot_loop.c:${at}`, "ignore 1 5"], Array(N).fill("next"));
        expect(forward.map((f) => f.line)).toEqual(gdb.map((g) => (g === "exited" ? 0 : g.line)));
      }
      const backward = [here()];
      for (let k = 0; k < N; k++) {
        const r = await dbg.stepBack();
        expect(r.reason).toBe("step");
        backward.push(here());
      }
      expect(backward).toEqual([...forward].reverse());
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe, ["3000"]).stdout);
    });
  });

  it("stepping back by instruction retraces the pcs stepped forward, into and out of calls", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    await session(exe, { args: ["200"] }, async ({ dbg }) => {
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot") }]);
      await dbg.start();
      await dbg.continue();
      dbg.setSourceBreakpoints("hot_loop.c", []);
      const forward = [dbg.process.pc];
      for (let k = 0; k < 40; k++) {
        await dbg.stepInstruction();
        forward.push(dbg.process.pc);
      }
      expect(new Set(forward.map((pc) => dbg.imageFor(pc)?.functionName(pc)))).toEqual(new Set(["main", "mix"]));
      const backward = [dbg.process.pc];
      for (let k = 0; k < 40; k++) {
        await dbg.stepBack("instruction");
        backward.push(dbg.process.pc);
      }
      expect(backward).toEqual([...forward].reverse());
    });
  });

  it("reverse step out goes back to the call that entered the frame, before the call ran", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    await session(exe, { args: ["300"] }, async ({ dbg, stdout }) => {
      const at = lineOf(HOT, "@hot");
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: at }]);
      await dbg.start();
      for (let k = 0; k < 7; k++) await dbg.continue();
      dbg.setSourceBreakpoints("hot_loop.c", []);
      const iteration = value(dbg, "i");
      await dbg.stepIn();
      await dbg.next();
      expect(func(dbg)).toBe("mix");
      const r = await dbg.reverseStepOut();
      expect(r.reason).toBe("step");
      expect(func(dbg)).toBe("main");
      expect(line(dbg)).toBe(at);
      expect(value(dbg, "i")).toBe(iteration);
      const [insn] = await dbg.disassemble(dbg.process.pc, 1);
      expect(insn?.text).toMatch(/^call\b/);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe, ["300"]).stdout);
    });
  });

  it("a data breakpoint run backwards finds the statement that corrupted a global", async () => {
    const exe = compileFixture(LEDGER, { flags: ["-O0", "-g"] });
    const native = runNative(exe, ["100"], {}, INPUT);
    await session(exe, { args: ["100"], stdin: new TextEncoder().encode(INPUT) }, async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("ledger.c", [{ line: lineOf(LEDGER, "@check") }]);
      await dbg.start();
      expect(line(dbg)).toBe(lineOf(LEDGER, "@check"));
      const finalBalance = value(dbg, "balance");
      dbg.setSourceBreakpoints("ledger.c", []);
      const address = dbg.process.lookupSymbol("balance")!.address;
      const [bp] = dbg.setDataBreakpoints([{ address, size: 8, description: "balance" }]);
      expect(bp?.verified).toBe(true);
      // The last write is the last round's deposit; the one before the corruption, round 37's audit.
      let r = await dbg.reverseContinue();
      expect(r.reason).toBe("data breakpoint");
      expect(line(dbg)).toBe(lineOf(LEDGER, "@deposit"));
      expect(value(dbg, "balance")).not.toBe(finalBalance); // before the write
      expect(r.reason !== "exited" && r.description).toMatch(/going backwards/);
      const writers: { func: string; line: number }[] = [];
      for (let k = 0; k < 130 && writers.every((w) => w.func !== "audit"); k++) {
        r = await dbg.reverseContinue();
        if (r.reason !== "data breakpoint") break;
        writers.push({ func: func(dbg), line: line(dbg) });
      }
      expect(writers[writers.length - 1]).toEqual({ func: "audit", line: lineOf(LEDGER, "@corrupt") });
      expect(value(dbg, "round")).toBe("37");
      // One step forward makes the write.
      const before = value(dbg, "balance");
      await dbg.stepInstruction();
      expect(value(dbg, "balance")).not.toBe(before);
      // Forward from the past: replayed to the present, then live to the end, as natively.
      dbg.setDataBreakpoints([]);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: native.status });
      expect(stdout.join("")).toBe(native.stdout);
    });
  });

  it("going back to the start and forward again replays a threaded program to its native output", async () => {
    await threaded(async (dbg, at) => {
      for (let k = 0; k < 10; k++) await dbg.continue();
      const tid = dbg.stoppedThread;
      const total = value(dbg, "total");
      dbg.setSourceBreakpoints("threads.c", []);
      const r = await dbg.reverseContinue();
      expect(r.reason).toBe("entry");
      expect(r.reason !== "exited" && r.description).toMatch(/start of the recorded history/);
      // Forward to the same hit: the same thread, the same shared total.
      dbg.setSourceBreakpoints("threads.c", [{ line: at }]);
      for (let k = 0; k < 11; k++) await dbg.continue();
      expect(dbg.historyView()?.inPast).toBe(true);
      expect(value(dbg, "total")).toBe(total);
      expect(dbg.stoppedThread).toBe(tid);
    });
  });

  it("in the past every thread is there with its registers of then, as at the same stop live", async () => {
    await threaded(async (dbg) => {
      // Each thread's innermost frame: function, line and the stack pointer.
      const picture = () => {
        const stopped = dbg.stoppedThread;
        const out = dbg.threads().map((t) => {
          dbg.selectThread(t.id);
          const f = dbg.stackTrace()[0]!;
          return `${t.id} ${f.functionName}:${f.source?.line ?? "?"} sp=${dbg.process.cpu.reg("rsp").toString(16)}`;
        });
        dbg.selectThread(stopped);
        return out;
      };
      const live: string[][] = [];
      for (let k = 0; k < 8; k++) {
        await dbg.continue();
        live.push(picture());
      }
      expect(live[7]!.length).toBeGreaterThan(2);
      // Back three hits, then forward again: each stop shows the same threads as it did live.
      for (let k = 0; k < 3; k++) expect((await dbg.reverseContinue()).reason).toBe("breakpoint");
      expect(dbg.historyView()?.inPast).toBe(true);
      expect(picture()).toEqual(live[4]);
      await dbg.continue();
      expect(picture()).toEqual(live[5]);
    });
  });

  it("the past cannot be changed: writes are refused, an expression's effects are undone", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    await session(exe, { args: ["500"] }, async ({ dbg, stdout }) => {
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@store") }]);
      await dbg.start();
      for (let k = 0; k < 5; k++) await dbg.continue();
      await dbg.reverseContinue();
      expect(value(dbg, "i")).toBe("4");
      expect(() => dbg.setExpression("i", "100", 0)).toThrow(/in its past/);
      expect(() => dbg.writeMemory(dbg.process.cpu.reg("rsp"), new Uint8Array(8))).toThrow(/in its past/);
      // A console expression that writes runs, and what it wrote is undone.
      dbg.inspector.evaluate("g_last = 5", 0, { context: "repl" });
      expect(value(dbg, "g_last")).not.toBe("5");
      dbg.setSourceBreakpoints("hot_loop.c", []);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe, ["500"]).stdout);
    });
  });

  it("with a small budget the oldest history is dropped, and going back says how far it reaches", async () => {
    const exe = compileFixture("fidelity/memrandom.c", { flags: ["-O0", "-g"] });
    const stdout: string[] = [];
    const dbg = Debugger.launch({ program: exe, reproducible: true, ...SHORT, historyMegabytes: 16, historyCheckpointBlocks: 200_000, stopOnEntry: true }, { output: (c, t) => (c === "stdout" ? stdout.push(t) : 0) });
    try {
      await dbg.start();
      const pending = dbg.continue();
      await new Promise((r) => setTimeout(r, 1500));
      dbg.pause();
      const paused = await pending;
      if (paused.reason === "exited") return; // ran to the end before the pause: nothing to check
      const view = dbg.historyView()!;
      expect(view.bytes).toBeLessThanOrEqual(view.budgetBytes + 8 * 1024 * 1024);
      expect(view.truncated).toBe(true);
      const r = await dbg.reverseContinue();
      expect(r.reason !== "exited" && r.description).toMatch(/older history was dropped/);
    } finally {
      dbg.close();
    }
  });
});
