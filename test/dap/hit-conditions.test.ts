/**
 * Hit conditions and logpoint messages over DAP (issue 15), as LLDB and CodeLLDB read them: a
 * plain N skips N-1 hits and then stops at every hit (also when set after earlier hits: counted
 * from when it was set), `==N` stops once, `>=N`, `>N` and `%N` by comparison; a logpoint's lone
 * `{` or `}` is literal text and a message ending in a newline prints that one newline.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = join(fixturesDir, "debugger", "values.c");
const text = readFileSync(SRC, "utf8").split("\n");
/** step_value(i) runs for i = 0..9. */
const LINE = text.findIndex((l) => l.includes("/* @step_value */")) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

const exe = compileFixture("debugger/values.c", { flags: ["-static", "-O0", "-g"] });

async function iHere(c: DebugClient): Promise<number> {
  return Number((await c.evaluateRequest({ expression: "i", frameId: (await topFrame(c)).id, context: "watch" })).body.result);
}

/** Continues until the program exits: the values of i at each stop. */
async function stopsUntilExit(c: DebugClient, first?: DebugProtocol.Event): Promise<number[]> {
  const seen: number[] = [];
  let e: DebugProtocol.Event | undefined = first;
  for (;;) {
    if (e?.event === "stopped") seen.push(await iHere(c));
    else if (e?.event === "exited") return seen;
    const next = Promise.race([c.waitForEvent("stopped"), c.waitForEvent("exited")]);
    await c.continueRequest({ threadId: MAIN_THREAD });
    e = await next;
  }
}

async function run(hitCondition: string): Promise<number[]> {
  dc = await startClient();
  const c = dc;
  // Every condition here stops at least once.
  const first = await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: LINE, hitCondition }] }));
  return stopsUntilExit(c, first);
}

describe("hit conditions over DAP", () => {
  it('"2" set after five hits: skips one more hit, then stops at every one', async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: LINE }] }));
    expect(await iHere(c)).toBe(0);
    for (let n = 1; n < 5; n++) {
      const stopped = c.waitForEvent("stopped");
      await c.continueRequest({ threadId: MAIN_THREAD });
      await stopped;
    }
    expect(await iHere(c)).toBe(4);
    const set = await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: LINE, hitCondition: "2" }] });
    expect(set.body.breakpoints[0]!.verified).toBe(true);
    expect(await stopsUntilExit(c)).toEqual([6, 7, 8, 9]);
  });

  it.each([
    ["3", [2, 3, 4, 5, 6, 7, 8, 9]],
    ["==3", [2]],
    [">=8", [7, 8, 9]],
    [">8", [8, 9]],
    ["%4", [3, 7]],
    [" == 10 ", [9]],
  ])("%j stops at i = %j", async (hitCondition, want) => {
    expect(await run(hitCondition)).toEqual(want);
  });
});

describe("logpoint messages over DAP", () => {
  it("a lone { or } is literal text; a message ending in a newline prints one newline; {expressions} are interpolated", async () => {
    dc = await startClient();
    const c = dc;
    let logged = "";
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category !== "stdout" && e.body.category !== "stderr" && e.body.category !== "telemetry") logged += e.body.output;
    });
    await c.initializeRequest({ adapterID: "jitdbg" });
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program: exe } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: LINE, logMessage: "} lone i={i} sq={i * i} {open\n", hitCondition: ">=9" }] });
    const end = Promise.race([c.waitForEvent("exited"), c.waitForEvent("stopped")]);
    await c.configurationDoneRequest();
    expect((await end).event).toBe("exited"); // a logpoint does not stop
    expect(logged).toContain("} lone i=8 sq=64 {open\n} lone i=9 sq=81 {open\n");
    expect(logged).not.toContain("\n\n");
    expect(logged).not.toMatch(/error|parse/i);
  });
});
