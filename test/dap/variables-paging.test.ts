/** DAP `variables` paging: a missing or zero count returns every child, as the specification says. */
import { afterEach, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { join } from "node:path";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

it("variables with count 0 or no count lists all children; start and count page them", async () => {
  const exe = compileFixture("debugger/values.c", { flags: ["-static", "-O0", "-g"] });
  dc = await startClient();
  const c = dc;
  await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, "debugger", "values.c") }, breakpoints: [{ line: lineOf("debugger/values.c", "@print") }] }));
  const frame = await topFrame(c);
  const grid = await c.evaluateRequest({ expression: "g_grid[1]", frameId: frame.id, context: "watch" });
  const ref = grid.body.variablesReference;
  expect(ref).toBeGreaterThan(0);
  const values = async (args: { start?: number; count?: number }) => (await c.variablesRequest({ variablesReference: ref, ...args })).body.variables.map((v) => v.value);
  expect(await values({})).toEqual(["4", "5", "6"]);
  expect(await values({ count: 0 })).toEqual(["4", "5", "6"]);
  expect(await values({ start: 1, count: 0 })).toEqual(["5", "6"]);
  expect(await values({ start: 1, count: 1 })).toEqual(["5"]);
});
