/**
 * Structs and unions by value in console calls, and bit-field stores, under the debugger against
 * gcc: at BREAK1 every case is evaluated and compared with its printf twin (struct results: shown
 * as the console shows the twin's global holding gcc's result); at BREAK2 the console stores into
 * the g_ objects, and the program — doing the same stores natively into its n_ copies — prints
 * both: the stores' values, the fields read back (by the program and by the console), the bytes.
 */
import { describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import { BUILDS, atBreak1, normalize, twinLines, twinValue } from "./fixture.js";
import { CASES, DEFINITIONS, DUMPS, EFFECTS, READBACKS, SETUP } from "./struct-cases.js";
import { STEM, build } from "./struct-fixture.js";

function lines(output: string[], prefix: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of output.join("").split("\n")) {
    const m = new RegExp(`^${prefix}(\\d+): (.*)$`).exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/** Our value as the twin prints it (a _Bool shows as true/false); errors as they are. */
function asTwin(kind: "int" | "double", v: string): string {
  if (v.startsWith("error")) return v;
  if (v === "true" || v === "false") return v === "true" ? "1" : "0";
  return normalize(kind, v);
}

describe.skipIf(!hasCompiler("gcc"))("struct/union arguments and results by value, bit-field stores: as gcc", () => {
  for (const b of BUILDS) {
    it(b.label, async () => {
      const { exe, src } = build(b, CASES);
      const s = await atBreak1(exe, src, STEM);
      const evaluate = (text: string, context = "watch"): string => {
        try {
          return s.dbg.inspector.evaluate(text, 0, { context }).value;
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      };
      try {
        for (const d of DEFINITIONS) s.dbg.expressions.evaluate(d, 0);
        for (const t of SETUP) expect(evaluate(t, "repl")).not.toMatch(/^error/);
        const ours = CASES.map((c) => {
          const v = evaluate(c.expr);
          return c.kind === "struct" ? v : asTwin(c.kind, v);
        });
        expect((await s.dbg.continue()).reason).toBe("breakpoint");

        const twins = twinLines(s.output, "T");
        const expected = CASES.map((c, i) => (c.kind === "struct" ? evaluate(`twin_${i}`) : twinValue(c.kind, twins.get(i) ?? "<missing>")));
        expect(CASES.map((c, i) => ({ expr: c.expr, value: ours[i] }))).toEqual(CASES.map((c, i) => ({ expr: c.expr, value: expected[i] })));

        const stored = EFFECTS.map((e) => evaluate(e.expr, "repl"));
        const readByConsole = READBACKS.map((r) => asTwin("int", evaluate(r)));
        expect((await s.dbg.continue()).reason).toBe("exited");

        const e = lines(s.output, "E");
        const g = lines(s.output, "G");
        const n = lines(s.output, "N");
        const ourStores = EFFECTS.map((x, i) => ({ expr: x.expr, value: x.kind === "int" ? asTwin("int", stored[i]!) : stored[i]!.startsWith("error") ? stored[i] : "stored" }));
        expect(ourStores).toEqual(EFFECTS.map((x, i) => ({ expr: x.expr, value: x.kind === "int" ? (e.get(i) ?? "<missing>") : "stored" })));

        const rows = (f: (i: number) => string | undefined) => READBACKS.map((r, i) => ({ r, value: f(i) }));
        expect(rows((i) => g.get(i))).toEqual(rows((i) => n.get(i)));
        expect(rows((i) => readByConsole[i])).toEqual(rows((i) => n.get(i)));
        const bytes = lines(s.output, "B");
        expect(DUMPS.map((d, i) => ({ d: d.name, bytes: bytes.get(2 * i) }))).toEqual(DUMPS.map((d, i) => ({ d: d.name, bytes: bytes.get(2 * i + 1) })));
      } finally {
        s.dbg.close();
      }
    });
  }
});
