/**
 * Breakpoint conditions compiled into the program's path (issue 19): a million hits of a false
 * condition never stop the emulated CPU, the true one stops at the right iteration with the
 * right locals, and the program's output equals its native run.
 */
import { describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, runNative } from "../helpers/compile.js";
import { lineOf } from "../debugger/markers.js";

const HOT = "conditions/hot_loop.c";

async function session(exe: string, body: (dbg: Debugger, stdout: string[], important: string[]) => Promise<void>): Promise<void> {
  const stdout: string[] = [];
  const important: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : c === "important" ? important : []).push(t) });
  try {
    await body(dbg, stdout, important);
  } finally {
    dbg.close();
  }
}

const value = (dbg: Debugger, expr: string): string => dbg.inspector.evaluate(expr, 0, { context: "hover" }).value;

describe("conditions compiled into the program", () => {
  for (const opt of ["-O0", "-O2"]) {
    it(`a condition true on iteration 999,999 of 1,000,000 stops once there (gcc ${opt})`, async () => {
      const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", opt, "-g"] });
      const native = runNative(exe);
      await session(exe, async (dbg, stdout) => {
        const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i == 999999" }]);
        expect(bp!.verified).toBe(true);
        let r = await dbg.start();
        // The first hit may come before the thread could run compiled code; from then on the program tests it.
        expect(r.reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe("999999");
        expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!)).toBeUndefined();
        expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
        expect(dbg.stackTrace()[0]!.source?.line).toBe(lineOf(HOT, "@hot"));
        r = await dbg.continue();
        expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
        expect(stdout.join("")).toBe(native.stdout);
      });
    });
  }

  it("hit conditions and logpoints in the same loop", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const line = lineOf(HOT, "@hot");
      dbg.setSourceBreakpoints("hot_loop.c", [{ line, condition: "(h & 0xfff) == 0x123", hitCondition: "3" }]);
      const seen: string[] = [];
      let r = await dbg.start();
      while (r.reason === "breakpoint" && seen.length < 3) {
        seen.push(value(dbg, "i"));
        r = await dbg.continue();
      }
      // Natively the same loop: which iterations have (h & 0xfff) == 0x123 before the line runs.
      expect(seen.length).toBe(3);
      expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => a - b));
      dbg.setSourceBreakpoints("hot_loop.c", []);
      await dbg.continue();
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("a condition that faults stops at the site and says why; the program goes on unchanged", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout, important) => {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i > 5 && *(int *)0 == 1" }]);
      let r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      // The first hits may be the debugger's; continue until the program's own check faults.
      while (r.reason === "breakpoint" && !important.join("").includes("SIGSEGV")) r = await dbg.continue();
      expect(important.join("")).toContain("cannot evaluate condition");
      expect(dbg.stackTrace()[0]!.source?.line).toBe(lineOf(HOT, "@hot"));
      expect(value(dbg, "i")).toBe("6");
      dbg.setSourceBreakpoints("hot_loop.c", []);
      expect(dbg.readMemory(bp!.addresses[0]!, 8).data).toEqual(dbg.process.cpu.read(bp!.addresses[0]!, 8));
      r = await dbg.continue();
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });
});
