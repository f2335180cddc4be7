/**
 * The text of long double and complex values is gdb's: the machine's gdb prints the same
 * variables and expressions at the same stop (BREAK1 of test/fixtures/eval/x87.c), and the console
 * (compiled) and hover (interpreted) show exactly what it prints — %.21Lg digits, inf, nan with its
 * significand, denormals, negative zero, `re + imi`.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { hasGdb } from "../helpers/gdb.js";
import { lineOf } from "./fixture.js";
import { build, evaluate, session, source } from "./x87-fixture.js";

/**
 * Values whose text gdb and jitdbg agree on by design (double parts print alike only when short).
 * Not `-ldnan` or `-ldzero`: gdb negates as 0 − x (nan, 0), C and gcc flip the sign (-nan, -0),
 * and gcc is the oracle of arithmetic (long-double.test.ts compares `-ldzero` with it).
 */
const EXPRESSIONS = [
  "ld1", "ld2", "ldbig", "ldtiny", "ldnan", "ldinf", "-ldinf", "ldzero", "ldu", "ldlarge", "s.x", "sp->y", "loc",
  "ld1 * ld2", "ld1 / 3", "ldtiny * 1e10", "ldbig * 10", "(long double)dbl", "1.1L", "0.1L", "1e21L", "123456789012345678901.0L", "1.5e-7L",
  "zl", "zl2", "cs.w", "zl * 2", "zlinf", "zd", "zd2", "zf", "zf2", "cs.z", "-zd",
];
const BUILD = { label: "gcc -static -O0", flags: ["-static", "-O0", "-g"] };

describe.skipIf(!hasCompiler("gcc") || !hasGdb())("long double and complex values read as gdb prints them", () => {
  it("console and hover equal gdb's print", async () => {
    const src = source([], [], [], []);
    const exe = build(BUILD, src);
    const line = lineOf(src, "/* BREAK1 */");
    const r = spawnSync("gdb", ["-batch", "-nx", "-ex", `break ${line}`, "-ex", "run", ...EXPRESSIONS.flatMap((e) => ["-ex", `print ${e}`]), exe], { encoding: "utf8" });
    const printed = new Map<number, string>();
    for (const m of r.stdout.matchAll(/^\$(\d+) = (.*)$/gm)) printed.set(Number(m[1]) - 1, m[2]!);
    expect(printed.size, r.stdout + r.stderr).toBe(EXPRESSIONS.length);
    const s = await session(BUILD, src);
    try {
      const rows = EXPRESSIONS.map((e) => ({ e, console: evaluate(s, e), hover: evaluate(s, e, "hover") }));
      expect(rows).toEqual(EXPRESSIONS.map((e, i) => ({ e, console: printed.get(i), hover: printed.get(i) })));
    } finally {
      s.dbg.close();
    }
  });
});
