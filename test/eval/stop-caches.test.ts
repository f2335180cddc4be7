/**
 * What the evaluator keeps for one stop (the compiler's scope, the frame's variable reader and the
 * variables' values, see ExpressionEvaluator.stopState) never answers with something stale: a
 * name the console declares after a text failed to find it, a variable an expression assigned, a
 * register an expression assigned, a console function redefined with another type. And the
 * console's modules come and go in the arena's slots without a mapping per evaluation.
 */
import { describe, expect, it } from "vitest";
import { BUILDS, atBreak1, build } from "./fixture.js";

describe("what is kept per stop", () => {
  it("follows declarations, assignments and redefinitions made at the same stop", async () => {
    const { exe, src } = build(BUILDS[0]!, [], ["counter"]);
    const s = await atBreak1(exe, src);
    try {
      const repl = (t: string) => s.dbg.inspector.evaluate(t, 0, { context: "repl" });
      const watch = (t: string) => s.dbg.inspector.evaluate(t, 0, { context: "watch" }).value;
      const local = BigInt(watch("local"));
      // A `$` name unknown at first, then declared: found the next time at this very stop.
      expect(() => watch("$later + 1")).toThrow();
      repl("$later = 41");
      expect(watch("$later + 1")).toBe("42");
      // A console global: unknown, then declared (a top-level declaration) at the same stop.
      expect(() => watch("g_console * 2")).toThrow();
      repl("int g_console = 21;");
      expect(watch("g_console * 2")).toBe("42");
      // An assignment through compiled code: the next texts read the new value.
      expect(watch(`local = ${local + 5n}`)).toBe(String(local + 5n));
      expect(watch("local + 0")).toBe(String(local + 5n));
      expect(watch(`local = ${local}`)).toBe(String(local)); // the program's value back
      // A register assigned by an expression: the frame is read again.
      const rbx = BigInt(watch("$rbx"));
      expect(watch("$rbx = 12345")).toBe("12345");
      expect(watch("$rbx + 1")).toBe("12346");
      expect(watch(`$rbx = ${rbx}`)).toBe(String(rbx));
      // A console function redefined with another return type: callers at this stop see the new type.
      repl("int twice_it(int v) { return v * 2; }");
      expect(watch("twice_it(21)")).toBe("42");
      repl("double twice_it(int v) { return v * 2.5; }");
      expect(watch("twice_it(2) + 0")).toBe("5");
    } finally {
      s.dbg.close();
    }
  });

  it("a hundred new texts map nothing after the first: their modules take the arena's slots", async () => {
    const { exe, src } = build(BUILDS[0]!, [], ["counter"]);
    const s = await atBreak1(exe, src);
    try {
      const counter = BigInt(s.dbg.inspector.evaluate("counter", 0, { context: "watch" }).value);
      const regions = s.dbg.process.space.list().length;
      for (let i = 0; i < 100; i++) expect(s.dbg.inspector.evaluate(`counter * 3 + ${i}`, 0, { context: "watch" }).value).toBe(String(counter * 3n + BigInt(i)));
      expect(s.dbg.process.space.list().length).toBe(regions);
      expect((await s.dbg.continue()).reason).not.toBe("exited"); // BREAK2: the program goes on as before
    } finally {
      s.dbg.close();
    }
  });
});
