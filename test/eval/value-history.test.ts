/**
 * gdb's value history in the console: `$` is the last value kept, `$$` the one before, `$$n` n
 * back; each names the `$N` it stands for when the text is evaluated, so a repeated text (a cached
 * module) follows the history as it grows. Asking past the start is an error saying how far it goes.
 */
import { describe, expect, it } from "vitest";
import { BUILDS, atBreak1, build } from "./fixture.js";

describe("value history ($, $$, $$n)", () => {
  it("counts back from the last kept value, in the console's repl context", async () => {
    const { exe, src } = build(BUILDS[0]!, [], ["counter"]);
    const s = await atBreak1(exe, src);
    try {
      const repl = (t: string) => s.dbg.inspector.evaluate(t, 0, { context: "repl" });
      expect(() => repl("$")).toThrow(/'\$' is 0 values back, but the value history has no values yet/);
      const counter = BigInt(repl("counter").value); // $1
      expect(repl("counter + 10").value).toBe(String(counter + 10n)); // $2
      expect(repl("$").value).toBe(String(counter + 10n)); // $3 = $2
      expect(repl("$$").value).toBe(String(counter + 10n)); // $4 = $2 (one before $3)
      expect(repl("$$3 * 2").value).toBe(String(counter * 2n)); // $5 = $1 * 2
      expect(repl("$$0 + $$4").value).toBe(String(counter * 2n + counter)); // $6 = $5 + $1
      expect(repl("$ - $1").value).toBe(String(counter * 2n)); // $7 = $6 - $1
      expect(repl("$1").value).toBe(String(counter));
      expect(() => repl("$$9")).toThrow(/'\$\$9' is 9 values back, but the value history has only \$1\.\.\$8/);
      expect(repl('"$" "$$"').value).toMatch(/"\$\$\$"/); // inside strings nothing changes
    } finally {
      s.dbg.close();
    }
  });
});
