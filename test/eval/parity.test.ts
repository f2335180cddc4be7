/**
 * Every construct evaluated by the compiled pipeline at a breakpoint gives the same value as the
 * program's own printf twin of the same C expression at that point (the twins run right after the
 * breakpoint line); side effects done at the second breakpoint show in what the program prints next.
 */
import { describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { CASES, EFFECTS } from "./cases.js";
import { BUILDS, atBreak1, build, normalize, twinLines, twinValue } from "./fixture.js";

describe.skipIf(!hasCompiler("gcc"))("compiled evaluation matches the program's printf twins", () => {
  for (const b of BUILDS) {
    it(b.label, async () => {
      const { exe, src } = build(b, CASES, EFFECTS.map((e) => e.post));
      const s = await atBreak1(exe, src);
      try {
        const ours = CASES.map((c) => {
          try {
            return normalize(c.kind, s.dbg.inspector.evaluate(c.expr, 0, { context: "watch" }).value);
          } catch (e) {
            return `error: ${(e as Error).message}`;
          }
        });
        expect(s.dbg.inspector.evaluate("favorite", 0, { context: "watch" }).value).toBe("BLUE");
        const r2 = await s.dbg.continue();
        expect(r2.reason).toBe("breakpoint");
        for (const e of EFFECTS) s.dbg.inspector.evaluate(e.expr, 0, { context: "repl" });
        // The effects are visible to later evaluations too.
        expect(Number(s.dbg.inspector.evaluate("counter", 0, { context: "watch" }).value)).toBe(99);
        expect(Number(s.dbg.inspector.evaluate("local", 0, { context: "watch" }).value)).toBe(77);
        const end = await s.dbg.continue();
        expect(end.reason).toBe("exited");
        const twins = twinLines(s.output, "T");
        const compared = (c: (typeof CASES)[number]): boolean => !(b.flags.includes("-O2") && c.o2 === false);
        const rows = CASES.map((c, i) => ({ expr: c.expr, value: ours[i] })).filter((_, i) => compared(CASES[i]!));
        const expected = CASES.map((c, i) => ({ expr: c.expr, value: twinValue(c.kind, twins.get(i) ?? "<missing>") })).filter((_, i) => compared(CASES[i]!));
        expect(rows).toEqual(expected);
        const post = twinLines(s.output, "P");
        expect(EFFECTS.map((e, i) => ({ expr: e.expr, after: Number(post.get(i)) }))).toEqual(EFFECTS.map((e) => ({ expr: e.expr, after: e.expected })));
      } finally {
        s.dbg.close();
      }
    });
  }
});
