/**
 * Fix-and-continue over DAP, as a user types it in VS Code's debug console: `:patch` a buggy
 * function at a breakpoint, continue, and the program's output (the DAP output events) is what
 * the fixed program prints natively from there on; a refused patch answers an error and the
 * session goes on. The real adapter process.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = `${fixturesDir}/patch/score.c`;
const PHASE = readFileSync(SRC, "utf8").split("\n").findIndex((l) => l.includes("/* PHASE */")) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("fix-and-continue over DAP", () => {
  it("':patch' at a breakpoint, ':unpatch' at the next: the output is the oracle's, a bad patch is an error", async () => {
    const exe = compileFixture("patch/score.c", { flags: ["-O0", "-g"] });
    const oracle = runNative(compileFixture("patch/score.c", { flags: ["-O0", "-g", "-DORACLE"] }));
    dc = await startClient();
    const c = dc;
    const out: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "stdout") out.push(e.body.output);
    });
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: PHASE, condition: "i == 100000" }] }));
    const frameId = (await topFrame(c)).id;

    const bad = await errorOf(c.evaluateRequest({ expression: ":patch double score(int x) { return x; }", frameId, context: "repl" }));
    expect(bad.message).toMatch(/the program's function has type 'int \(int\)'/);
    // A breakpoint in score's body (past its entry): bound, then not reached while score is patched.
    const inScore = readFileSync(SRC, "utf8").split("\n").findIndex((l) => l.includes("/* BUG */")) + 1;
    const [bug] = (await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: PHASE, condition: "i == 100000" }, { line: inScore, condition: "x == -1" }] })).body.breakpoints.slice(1);
    expect(bug!.verified).toBe(true);
    const marked = c.waitForEvent("breakpoint") as Promise<DebugProtocol.BreakpointEvent>;
    const fixed = await c.evaluateRequest({ expression: ":patch int score(int x) { return x * x + 1; }", frameId, context: "repl" });
    expect(fixed.body.result).toMatch(/^patched int score\(int\)/);
    const event = (await marked).body.breakpoint;
    expect({ id: event.id, verified: event.verified, message: event.message }).toEqual({ id: bug!.id, verified: false, message: "not reached while 'score' is patched: its calls run the patch (':unpatch score' puts it back)" });

    const whilePatched = await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: PHASE, condition: "i == 200000" }, { line: inScore, condition: "x == -1" }] });
    expect(whilePatched.body.breakpoints[1]!.verified).toBe(false); // set while patched: marked at once
    const stopped = c.waitForEvent("stopped");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await stopped;
    const back = await c.evaluateRequest({ expression: ":unpatch score", frameId: (await topFrame(c)).id, context: "repl" });
    expect(back.body.result).toMatch(/^unpatched score/);
    const again = await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: inScore, condition: "x == -1" }] });
    expect(again.body.breakpoints[0]!.verified).toBe(true);

    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await terminated;
    expect(out.join("")).toBe(oracle.stdout);
  }, 120_000);
});
