/**
 * A long double in an x87 register (gcc -O2 describes `y` as DW_OP_regx 33, st(0)): the console
 * reads it as gcc computed it, and an assignment writes the register, which the program then
 * computes with; and a stop with seven values on the x87 stack. The program prints what gcc
 * computes for the same values.
 */
import { describe, expect, it } from "vitest";
import { compileFixture, fixturesDir, hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { fpuState } from "./fpu-state.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The fixture at -O2, stopped at the line with `marker`; `printed(k)` reads the program's `k: value` lines. */
async function stoppedAt(marker: string) {
  const exe = compileFixture("eval/x87-regs.c", { flags: ["-O2", "-g"] });
  const line = readFileSync(join(fixturesDir, "eval", "x87-regs.c"), "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
  const { dbg, output } = launch(exe);
  dbg.setSourceBreakpoints("x87-regs.c", [{ line }]);
  const first = await dbg.start();
  const printed = (k: string): string | undefined => new RegExp(`^${k}: (.*)$`, "m").exec(output.join(""))?.[1];
  return { dbg, first, printed };
}

describe.skipIf(!hasCompiler("gcc"))("long double held in st(0) at -O2", () => {
  it("evaluates with seven values on the program's x87 stack, and leaves them there", async () => {
    const { dbg, first, printed } = await stoppedAt("/* DEEP */");
    try {
      expect(first.reason).toBe("breakpoint");
      const cpu = dbg.process.cpu;
      const before = fpuState(cpu);
      const texts = ["g * 3 + 1.5L", "(g + 1) * (g + 2) / (g + 3) - (g + 4) * (g + 5)", "f(g) + f(g + 1)"];
      const ours = texts.map((t) => dbg.inspector.evaluate(t, 0, { context: "watch" }).value);
      expect(fpuState(cpu)).toEqual(before);
      expect(Buffer.from(cpu.regBytes("st0")).toString("hex")).toBe("35c26821a2da0fc90040"); // fldpi, still on top
      expect((await dbg.continue()).reason).toBe("exited");
      expect(ours).toEqual(["D0", "D1", "D2"].map(printed));
    } finally {
      dbg.close();
    }
  });

  it("reads and writes the x87 register the DWARF names", async () => {
    const { dbg, first, printed } = await stoppedAt("/* HERE */");
    try {
      expect(first.reason).toBe("breakpoint");
      const y = dbg.inspector.evaluate("y", 0, { context: "watch" }).value;
      const hover = dbg.inspector.evaluate("y", 0, { context: "hover" }).value;
      dbg.inspector.evaluate("y = 5", 0, { context: "repl" });
      dbg.setSourceBreakpoints("x87-regs.c", []); // main calls f again for its own prints
      expect((await dbg.continue()).reason).toBe("exited");
      expect({ y, hover }).toEqual({ y: printed("Y"), hover: printed("Y") });
      expect(printed("R")).toBeDefined();
      expect(printed("R")).toBe(printed("S"));
    } finally {
      dbg.close();
    }
  });
});
