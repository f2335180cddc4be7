/**
 * Conditions compiled into the program's path (issue 19) while time travel records (issue 18):
 * the trampolines' blocks are not counted, so a position is the same instruction with the
 * condition in the path or not, and a recording made with compiled conditions replays — in the
 * past, where the breakpoints are the debugger's hooks — to the same hits and the native output.
 */
import { describe, expect, it } from "vitest";
import { Debugger, type LaunchOptions } from "../../src/debugger/debugger.js";
import { compileFixture, runNative } from "../helpers/compile.js";
import { lineOf } from "../debugger/markers.js";

const HOT = "conditions/hot_loop.c";
const SHORT: Partial<LaunchOptions> = { sliceBlocks: 777, timeTravel: true, historyCheckpointBlocks: 5_000 };

const value = (dbg: Debugger, expr: string): string => dbg.inspector.evaluate(expr, 0, { context: "hover" }).value;

async function session(exe: string, opts: Partial<LaunchOptions>, body: (dbg: Debugger, stdout: string[]) => Promise<void>): Promise<void> {
  const stdout: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true, args: ["3000"], ...opts }, { output: (c, t) => (c === "stdout" ? stdout.push(t) : 0) });
  try {
    await body(dbg, stdout);
  } finally {
    dbg.close();
  }
}

describe("compiled conditions while time travel records", () => {
  it("the block count at a stop is the same with the condition compiled into the program or tested by the debugger", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    const line = lineOf(HOT, "@store");
    const stopAt = async (condition: string, compiled: boolean): Promise<bigint> => {
      let count = 0n;
      await session(exe, SHORT, async (dbg) => {
        const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line, condition }]);
        const r = await dbg.start();
        expect(r.reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe("2999");
        expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!) !== undefined).toBe(compiled);
        count = dbg.process.cpu.blockCount;
      });
      return count;
    };
    // The second condition calls a function: it cannot be compiled, the debugger tests it at every hit.
    const compiled = await stopAt("i == 2999", true);
    const hooked = await stopAt("mix(1) == mix(1) && i == 2999", false);
    expect(compiled).toBe(hooked);
  });

  it("a recording made with a compiled condition goes back to its earlier hits and forward again to the native output", async () => {
    const exe = compileFixture(HOT, { flags: ["-O0", "-g"] });
    const native = runNative(exe, ["3000"]);
    await session(exe, SHORT, async (dbg, stdout) => {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@store"), condition: "i % 700 == 699" }]);
      await dbg.start();
      while (value(dbg, "i") !== "2799") expect((await dbg.continue()).reason).toBe("breakpoint");
      const site = bp!.addresses[0]!;
      expect(dbg.breakpoints.armedTrapAt(site)).toBeDefined();
      const h = value(dbg, "h");
      for (const expected of ["2099", "1399"]) {
        const r = await dbg.reverseContinue();
        expect(r.reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe(expected);
        // The past runs the program's own code: the breakpoint is the debugger's hook there.
        expect(dbg.breakpoints.armedTrapAt(site)).toBeUndefined();
      }
      for (const expected of ["2099", "2799"]) {
        expect((await dbg.continue()).reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe(expected);
      }
      expect(value(dbg, "h")).toBe(h);
      const end = await dbg.continue();
      expect(end).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(native.stdout);
    });
  });

  it("a site whose moved instructions call keeps the debugger's hook while recording, and says why", async () => {
    const TICKS = "timetravel/ticks.c";
    const exe = compileFixture(TICKS, { flags: ["-O0", "-g"] });
    const native = runNative(exe);
    for (const timeTravel of [false, true]) {
      await session(exe, { ...SHORT, timeTravel, args: [] }, async (dbg, stdout) => {
        const [bp] = dbg.setSourceBreakpoints("ticks.c", [{ line: lineOf(TICKS, "@call"), condition: "i == 1500" }]);
        const r = await dbg.start();
        expect(r.reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe("1500");
        const site = bp!.addresses[0]!;
        const [insn] = await dbg.disassemble(site, 1);
        expect(insn?.text).toMatch(/^call\b/);
        if (timeTravel) {
          expect(dbg.breakpoints.armedTrapAt(site)).toBeUndefined();
          expect(dbg.breakpoints.refusalAt(site)).toMatch(/time travel is recording/);
          expect((await dbg.reverseContinue()).reason).toBe("entry");
        } else {
          expect(dbg.breakpoints.armedTrapAt(site)).toBeDefined();
        }
        dbg.setSourceBreakpoints("ticks.c", []);
        expect(await dbg.continue()).toMatchObject({ reason: "exited", exitCode: 0 });
        expect(stdout.join("")).toBe(native.stdout);
      });
    }
  });
});
