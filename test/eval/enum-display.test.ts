/**
 * Enum values in the debug console read as gdb prints them: an enumerator's name, a flag enum's
 * bits as `(F_A | F_C | unknown: 0x20)`, the number otherwise; an enumerator on its own by name,
 * in arithmetic as the int it is. gdb (the machine's) is the oracle.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, hasCompiler } from "../helpers/compile.js";
import { hasGdb } from "../helpers/gdb.js";

const EXPRESSIONS = ["f3", "f5", "f8", "f0", "fmix", "f1", "d3", "n3", "z0", "z9", "(enum flags)6", "(enum flags)0x40"];
/** Enumerators typed on their own read as names (a duplicate value as its first name); in arithmetic they are ints. */
const ENUMERATORS = ["F_B", "D3", "D2", "N1", "ZA", "Z0", "(F_A)", "F_A + 1", "F_A | F_C", "-N1", "sizeof(F_A)"];

describe.skipIf(!hasCompiler("gcc") || !hasGdb())("enum values as gdb prints them", () => {
  const exe = compileFixture("eval/enums.c", { flags: ["-static", "-O0", "-g"] });
  let dbg: Debugger | undefined;
  afterAll(() => dbg?.close());

  it.each([...EXPRESSIONS, ...ENUMERATORS])("%s", async (text) => {
    const r = spawnSync("gdb", ["-batch", "-nx", "-ex", "break main", "-ex", "run", "-ex", `print ${text}`, exe], { encoding: "utf8" });
    const expected = /^\$1 = (.*)$/m.exec(r.stdout)?.[1];
    expect(expected, r.stdout + r.stderr).toBeDefined();
    if (!dbg) {
      dbg = Debugger.launch({ program: exe });
      dbg.setFunctionBreakpoints([{ name: "main" }]);
      expect((await dbg.start()).reason).toBe("function breakpoint");
    }
    expect(dbg.expressions.evaluateView(text, 0).value).toBe(expected);
  });
});
