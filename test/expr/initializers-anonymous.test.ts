/**
 * Initializers of records with anonymous struct/union members, an unnamed bit-field (gcc leaves it
 * out of DWARF, so positional initializers pass over it as gcc does) and a flexible
 * array member, compiled in a stopped program whose own printf twins (right after the breakpoint)
 * print gcc's values of the same C.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatValue } from "../../src/values/value.js";
import { compileSource, hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const EXPRS: string[] = [
  "(struct anon){1, 2, 3, 4, 5, 6}.g",
  "(struct anon){1, 2, 3, 4, 5, 6}.f * 100 + (struct anon){1, 2, 3, 4, 5, 6}.e",
  "(struct anon){.c = 1.5f}.b",
  "(struct anon){.e = 7, 8}.f",
  "(struct anon){.d = 1, .a = 2, 3}.b",
  "(struct anon){.a = 1, {2}, {3, 4}, 5}.e",
  "sizeof((struct flex){7}) + (struct flex){7}.n",
  "({ struct anon x = {.g = 9, .b = 4}; x.g * 10 + x.b + x.d; })",
];

const SOURCE = `#include <stdio.h>
struct anon { int a; union { int b; float c; }; struct { short d, e; }; int : 3; int f : 4; int g; };
struct flex { int n; int d[]; };
volatile int sink;
__attribute__((noinline)) void stop(void) { sink = 1; }
int main(void) {
  struct anon keep = {0};
  struct flex *fp = 0;
  stop(); /* BREAK */
  ${EXPRS.map((e, i) => `printf("T${i}: %lld\\n", (long long)(${e}));`).join("\n  ")}
  return keep.a + (fp != 0);
}
`;

describe.skipIf(!hasCompiler("gcc"))("initializers of anonymous members, unnamed bit-fields, flexible arrays", () => {
  it("equal gcc's", async () => {
    const exe = compileSource(SOURCE, { flags: ["-static", "-O0", "-g", "-w"] }, "initializers-anonymous");
    const { dbg, output } = launch(exe);
    try {
      const file = `initializers-anonymous-${createHash("sha256").update(SOURCE).digest("hex").slice(0, 16)}.c`;
      const line = SOURCE.split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;
      dbg.setSourceBreakpoints(file, [{ line }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      const ours = EXPRS.map((e) => formatValue(dbg.inspector.memory, dbg.expressions.evaluate(`(long long)(${e})`, 0).value));
      expect((await dbg.continue()).reason).toBe("exited");
      const printed = new Map([...output.join("").matchAll(/^T(\d+): (.*)$/gm)].map((m) => [Number(m[1]), m[2]]));
      expect(EXPRS.map((e, i) => ({ e, v: ours[i] }))).toEqual(EXPRS.map((e, i) => ({ e, v: printed.get(i) })));
    } finally {
      dbg.close();
    }
  });
});
