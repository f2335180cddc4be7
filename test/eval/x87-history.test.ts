/**
 * long double and complex values kept by the console — persistent `$name` variables and value
 * history (`$`, `$$n`) — keep their bytes: later expressions on them equal the same expressions
 * on the program's variables (which long-double.test.ts and complex.test.ts compare with gcc).
 */
import { describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { X87_BUILDS, evaluate, session, source } from "./x87-fixture.js";

describe.skipIf(!hasCompiler("gcc"))("kept long double and complex values", () => {
  it("persistent variables and history hold them exactly", async () => {
    const src = source([], [], [], []);
    const s = await session(X87_BUILDS[0]!, src);
    try {
      const repl = (t: string): string => evaluate(s, t, "repl");
      repl("$zp = zd * zd2");
      repl("$lp = ld1 / 3");
      repl("$wp = zl / zl2");
      const kept = ["$zp + 1", "$lp * $lp", "$wp * 2", "__imag__ $wp", "$zp == zd * zd2"].map(repl);
      const direct = ["zd * zd2 + 1", "(ld1 / 3) * (ld1 / 3)", "zl / zl2 * 2", "__imag__ (zl / zl2)", "1"].map(repl);
      expect(kept).toEqual(direct);
      repl("ldtiny");
      expect(repl("$ * 1")).toBe(repl("ldtiny"));
      repl("zlinf");
      repl("1");
      expect(repl("$$1")).toBe(repl("zlinf")); // $$0 is the last value, $$1 the one before
    } finally {
      s.dbg.close();
    }
  });
});
