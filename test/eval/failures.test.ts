/**
 * Evaluations that fail — at compile time or while running in the inferior — return an error and
 * leave the inferior's registers and memory exactly as they were; the session goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { BUILDS, atBreak1, build, lineOf, type Session } from "./fixture.js";
import { snapshot } from "./state.js";

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if ((e as { code?: string }).code === undefined) throw e;
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error("expected an error");
}

describe.skipIf(!hasCompiler("gcc"))("failed evaluations leave the inferior unchanged", () => {
  let s: Session;
  beforeAll(async () => {
    const { exe, src } = build(BUILDS[0]!, [], ["counter"]);
    s = await atBreak1(exe, src);
  });
  afterAll(() => s.dbg.close());

  const evaluate = (text: string, opts: { ignoreBreakpoints?: boolean; timeoutMicros?: number } = {}) => s.dbg.expressions.evaluate(text, 0, opts);

  const CASES: { name: string; expr: string; code: string; message: RegExp; opts?: { ignoreBreakpoints?: boolean; timeoutMicros?: number } }[] = [
    { name: "syntax error (with column)", expr: "counter + (2 * 3", code: "EXPR_SYNTAX", message: /./ },
    { name: "unknown identifier (with suggestion)", expr: "countr + 1", code: "EXPR_UNKNOWN_IDENTIFIER", message: /unknown identifier 'countr'; did you mean 'counter'\?/ },
    { name: "unknown member (with suggestion)", expr: "it->nmae", code: "EXPR_NO_MEMBER", message: /no member named 'nmae' in 'struct item'; did you mean 'name'\?/ },
    { name: "type error", expr: "it + buf", code: "EXPR_TYPE", message: /invalid operands to binary \+/ },
    { name: "division by zero inside the expression", expr: "counter / (counter - 42)", code: "EVAL_SIGNAL", message: /SIGFPE.*pc 0x[0-9a-f]+.*restored/ },
    { name: "null dereference inside the expression", expr: "*(int *)(counter - 42) + 1", code: "EVAL_SIGNAL", message: /SIGSEGV.*address 0x0.*restored/ },
    { name: "null dereference in a called function", expr: "crash((int *)0)", code: "EVAL_SIGNAL", message: /SIGSEGV.*crash.*address 0x0/ },
    { name: "an infinite loop (timeout)", expr: "forever()", code: "EVAL_TIMEOUT", message: /did not finish within 50 ms.*forever/, opts: { timeoutMicros: 50_000 } },
    { name: "an infinite loop in the expression itself (a statement expression: timeout)", expr: "({ while (counter > 0) ; 0; })", code: "EVAL_TIMEOUT", message: /did not finish within 50 ms/, opts: { timeoutMicros: 50_000 } },
  ];

  for (const c of CASES) {
    it(c.name, () => {
      const before = snapshot(s.dbg);
      const e = errorOf(() => evaluate(c.expr, c.opts));
      expect(e.code).toBe(c.code);
      expect(e.message).toMatch(c.message);
      expect(snapshot(s.dbg)).toEqual(before);
      // The session goes on: another evaluation works.
      expect(s.dbg.inspector.evaluate("counter + 1", 0, { context: "watch" }).value).toBe("43");
    });
  }

  it("syntax errors carry the column", () => {
    const e = (() => {
      try {
        evaluate("counter + (2 * 3");
      } catch (err) {
        return err as { column: number };
      }
      throw new Error("no error");
    })();
    expect(e.column).toBeGreaterThan(0);
  });

  it("a breakpoint in a called function: ignored by default, reported (and unwound) when not ignored", () => {
    s.dbg.setSourceBreakpoints(srcFile(s), [{ line: lineOf(s.src, "/* BREAK1 */") }, { line: lineOf(s.src, "/* BREAK2 */") }, { line: lineOf(s.src, "int bp_target(int v)") }]);
    expect(s.dbg.expressions.evaluate("bp_target(5)", 0).value).toBeDefined(); // sets sink = 5, its own side effect
    const before = snapshot(s.dbg);
    expect(s.dbg.inspector.evaluate("bp_target(5)", 0, { context: "watch" }).value).toBe("15");
    expect(snapshot(s.dbg)).toEqual(before);
    const e = errorOf(() => evaluate("bp_target(7) + 1", { ignoreBreakpoints: false }));
    expect(e.code).toBe("EVAL_BREAKPOINT");
    expect(e.message).toMatch(/stopped at a breakpoint: bp_target \(eval-probe-[0-9a-f]+\.c:\d+\)/);
    // Through a console function: the unwinder walks the JIT-linked frame by its .eh_frame.
    s.dbg.expressions.evaluate("int via_console(int v) { return bp_target(v) * 2; }", 0);
    const chained = errorOf(() => evaluate("via_console(7) + 1", { ignoreBreakpoints: false }));
    expect(chained.message).toMatch(/stopped at a breakpoint: bp_target \(eval-probe-[0-9a-f]+\.c:\d+\), called from via_console \[console\] ← __jitdbg_expr\w* \[console\]/);
    const after = snapshot(s.dbg);
    // bp_target stored to `sink` before the breakpoint? No: the breakpoint is at its first line; memory is as before.
    expect(after).toEqual(before);
    s.dbg.setSourceBreakpoints(srcFile(s), [{ line: lineOf(s.src, "/* BREAK1 */") }, { line: lineOf(s.src, "/* BREAK2 */") }]);
  });

  it("the program runs on normally afterwards", async () => {
    const r = await s.dbg.continue();
    expect(r.reason).toBe("breakpoint");
    const end = await s.dbg.continue();
    expect(end.reason).toBe("exited");
    expect(s.output.join("")).toMatch(/P0: 42\n/);
  });
});

function srcFile(s: Session): string {
  return s.dbg.stackTrace()[0]!.source!.file.split("/").pop()!;
}
