/**
 * Completions over DAP (issue 15): C keywords with the program's names (`str` → `struct`), after
 * an operator (`g_rec.id + g_rec.we`), with spaces around `.` and `->`, and the range each
 * completion replaces (the word before the cursor).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";

const SRC = join(fixturesDir, "debugger", "values.c");
const LINE = readFileSync(SRC, "utf8").split("\n").findIndex((l) => l.includes("/* @print */")) + 1;

let dc: DebugClient;
beforeAll(async () => {
  const exe = compileFixture("debugger/values.c", { flags: ["-static", "-O0", "-g"] });
  dc = await startClient();
  await launchAndStop(dc, { program: exe }, () => dc.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: LINE }] }));
});
afterAll(async () => {
  await dc?.stop();
});

async function complete(text: string) {
  const frameId = (await topFrame(dc)).id;
  return (await dc.completionsRequest({ text, column: text.length + 1, frameId })).body.targets;
}

describe("completions over DAP", () => {
  it("C keywords come with the names in scope, typed as keywords", async () => {
    const t = await complete("str");
    expect(t.find((x) => x.label === "struct")).toMatchObject({ type: "keyword", start: 0, length: 3 });
    expect((await complete("un")).map((x) => x.label)).toEqual(expect.arrayContaining(["union", "unsigned"]));
    expect((await complete("local_d")).map((x) => x.label)).toEqual(["local_double"]);
  });

  it("after an operator, the word before the cursor is completed and replaced", async () => {
    const text = "g_rec.id + g_rec.we";
    const t = await complete(text);
    expect(t.map((x) => x.label)).toEqual(["weight"]);
    expect(t[0]).toMatchObject({ start: text.length - 2, length: 2 });
    expect((await complete("local_int * loc")).map((x) => x.label)).toEqual(expect.arrayContaining(["local_int", "local_char", "local_double"]));
  });

  it("spaces around . and -> do not matter", async () => {
    expect((await complete("g_rec . we")).map((x) => x.label)).toEqual(["weight"]);
    expect((await complete("g_rec. f.mo")).map((x) => x.label)).toEqual(["mode"]);
    expect((await complete("r -> ne")).map((x) => x.label)).toEqual(["next"]);
    expect((await complete("r->")).map((x) => x.label).sort()).toEqual(["f", "id", "label", "mood", "next", "weight"]);
  });
});
