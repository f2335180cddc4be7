/**
 * gdb's artificial arrays in the debug console: `base@length` is `length` objects of base's type
 * from base's address, printed as an array (`*p@3`, `nums[1]@4`, rows of a 2-D array, structs,
 * chars as a string), with `@` binding as in gdb's grammar (looser than `+`), and a length that is
 * any integer the debugger can read (`*p@n`, `*p@(n-1)`). gdb (the machine's) is the oracle;
 * built -O0 and -O2.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, hasCompiler } from "../helpers/compile.js";
import { hasGdb } from "../helpers/gdb.js";

const EXPRESSIONS = ["*p@3", "nums[1]@4", "nums@1", "grid[0]@3", "ds[1]@2", "pts[0]@2", "msg[0]@5", "grid[0]@2", "*p@2+1", "*p@n", "*p@(n-1)", "nums[n]@n+1", "(*p@n)", "nums[0]@3 == 0"];

for (const opt of ["-O0", "-O2"]) {
  describe.skipIf(!hasCompiler("gcc") || !hasGdb())(`artificial arrays as gdb prints them (${opt})`, () => {
    const exe = compileFixture("eval/artificial.c", { flags: ["-static", opt, "-g"] });
    let dbg: Debugger | undefined;
    const stopped = async (): Promise<Debugger> => {
      if (!dbg) {
        dbg = Debugger.launch({ program: exe });
        dbg.setFunctionBreakpoints([{ name: "main" }]);
        expect((await dbg.start()).reason).toBe("function breakpoint");
      }
      return dbg;
    };
    afterAll(() => dbg?.close());

    it.each(EXPRESSIONS)("%s", async (text) => {
      const r = spawnSync("gdb", ["-batch", "-nx", "-ex", "break main", "-ex", "run", "-ex", `print ${text}`, exe], { encoding: "utf8" });
      const expected = /^\$1 = (.*)$/m.exec(r.stdout)?.[1];
      expect(expected, r.stdout + r.stderr).toBeDefined();
      const d = await stopped();
      expect(d.expressions.evaluateView(text, 0).value).toBe(expected);
      // The same through the interpreter (hover and watch read without running code).
      expect(d.expressions.evaluateView(text, 0, { context: "hover" }).value).toBe(expected);
    });

    it.each([
      ["1@3", /only values in memory can be extended with '@'/],
      ["*p@0", /the length after '@' must be positive \(it is 0\)/],
      ["nums[0]@ds[1]", /the length after '@' must be an integer \('ds\[1\]' is double\)/],
      ["*p@-n", /must be positive \(it is -3\)/],
    ])("%s is refused with a reason", async (text, why) => {
      const d = await stopped();
      expect(() => d.expressions.evaluateView(text, 0)).toThrow(why);
    });
  });
}
