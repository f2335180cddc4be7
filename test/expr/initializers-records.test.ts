/**
 * Initializers of the program's own unions and bit-field structs (test/fixtures/expr/interpret.c:
 * `union word`, `struct flags` with int, long, unsigned char and _Bool bit-fields, `struct node`),
 * compiled in the stopped inferior, each equal to what gcc prints for the same C with the same
 * type definitions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Debugger } from "../../src/debugger/debugger.js";
import { formatValue } from "../../src/values/value.js";
import { compileFixture, compileSource, fixturesDir, hasCompiler, runNative } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const SOURCE = readFileSync(join(fixturesDir, "expr", "interpret.c"), "utf8");
const BREAK_LINE = SOURCE.split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

const EXPRS: string[] = [
  "(union word){7}.u",
  "(union word){.f = 1.5f}.u",
  "(union word){.b = {1, 2, 3, 4}}.u",
  "(union word){.u = 0xffffffff, .b[1] = 0}.u",
  "(union word){.b[2] = 9}.u",
  "(struct flags){1, -2, 3, -4, 1, 1}.sl40",
  "(struct flags){1, -2, 3, -4, 1, 1}.s5 * 100 + (struct flags){1, -2, 3, -4, 1, 1}.ul3",
  "(struct flags){.b = 2, .uc2 = 7}.b * 10 + (struct flags){.b = 2, .uc2 = 7}.uc2",
  "(struct flags){.u3 = 9}.u3",
  "(struct flags){.sl40 = -123456789012L, .s5 = -16}.sl40 + (struct flags){.s5 = -16}.s5",
  "(struct flags){.ul3 = 5, .sl40 = 1}.ul3 + (struct flags){.ul3 = 5, .sl40 = 1}.u3",
  "(struct node){1, {2, 3}, 0, \"n\"}.pos.y",
  "(struct node){.pos.x = 4, 5}.pos.y",
  "(struct node){.pos = {6}, .name = {'a', 'b'}}.name[1] + (struct node){.pos = {6}}.pos.x",
  // later initializers of a subobject override earlier ones as gcc does: braces and whole values
  // replace it, a designator chain into it keeps the rest, another union member discards the first
  "(union word){.b = {1, 2, 3, 4}, .b[1] = 0}.u",
  "(union word){.b = {1, 2, 3, 4}, .b = {[2] = 9}}.u",
  "(union word){.u = 0x11223344, .b[0] = 0x55}.u",
  "(union word){.f = 2, .u = 5}.u",
  "(struct node){.pos = {1, 2}, .pos.y = 5}.pos.x",
  "(struct node){.pos = {1, 2}, .pos = {.y = 5}}.pos.x",
  "({ struct point q = {1, 2}; (struct node){.pos = q, .id = 3, .pos.y = 7}.pos.x; })",
  "(struct flags){.s5 = 3, .u3 = 2, .s5 = -1}.s5 * 10 + (struct flags){.s5 = 3, .u3 = 2, .s5 = -1}.u3",
  "(struct node){.name = \"abc\", .name[1] = 'x'}.name[0]",
  "({ union word w2 = {.f = -2}; struct flags f2 = {3, 3}; w2.u + f2.s5; })",
];

/** gcc's answers: the fixture's type definitions and one printf per expression. */
function native(): string[] {
  const types = SOURCE.slice(SOURCE.indexOf("struct flags {"), SOURCE.indexOf("typedef struct node node_t;"));
  const prints = EXPRS.map((e) => `  printf("%lld\\n", (long long)(${e}));`).join("\n");
  const exe = compileSource(`#include <stdio.h>\n${types}\nint main(void) {\n${prints}\n  return 0;\n}\n`, { flags: ["-O0", "-w"] }, "initializers-records");
  return runNative(exe).stdout.trim().split("\n");
}

describe.skipIf(!hasCompiler("gcc"))("initializers of the program's unions and bit-field structs", () => {
  let dbg: Debugger;
  beforeAll(async () => {
    dbg = launch(compileFixture("expr/interpret.c", { flags: ["-static", "-O0", "-g"] })).dbg;
    dbg.setSourceBreakpoints("interpret.c", [{ line: BREAK_LINE }]);
    expect((await dbg.start()).reason).toBe("breakpoint");
  });
  afterAll(() => dbg?.close());

  it("equal gcc's", () => {
    const ours = EXPRS.map((e) => formatValue(dbg.inspector.memory, dbg.expressions.evaluate(`(long long)(${e})`, 0).value));
    const gcc = native();
    expect(EXPRS.map((e, i) => ({ e, v: ours[i] }))).toEqual(EXPRS.map((e, i) => ({ e, v: gcc[i] })));
  });
});
