/**
 * Breakpoint conditions compiled into the program, over DAP against the real adapter: a
 * condition true once in a million iterations stops once, with the iteration's locals; one
 * that calls a function stays the debugger's and its breakpoint says so; the output is native.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const HOT = "conditions/hot_loop.c";
const SRC = `${fixturesDir}/${HOT}`;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

function collect(c: DebugClient): { out: string[]; stops: DebugProtocol.StoppedEvent[]; changed: DebugProtocol.Breakpoint[] } {
  const got = { out: [] as string[], stops: [] as DebugProtocol.StoppedEvent[], changed: [] as DebugProtocol.Breakpoint[] };
  c.on("output", (e: DebugProtocol.OutputEvent) => void (e.body.category === "stdout" && got.out.push(e.body.output)));
  c.on("stopped", (e: DebugProtocol.StoppedEvent) => void got.stops.push(e));
  c.on("breakpoint", (e: DebugProtocol.BreakpointEvent) => void got.changed.push(e.body.breakpoint));
  return got;
}

describe("compiled breakpoint conditions over DAP", () => {
  it("one true hit in a million stops once, at the right iteration; the output is native", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-O2", "-g"] });
    dc = await startClient();
    const c = dc;
    const got = collect(c);
    let set: DebugProtocol.SetBreakpointsResponse | undefined;
    await launchAndStop(c, { program: exe }, async () => (set = await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(HOT, "@hot"), condition: "i == 999999" }] })));
    expect(set!.body.breakpoints[0]!.verified).toBe(true);
    const frameId = (await topFrame(c)).id;
    expect((await c.evaluateRequest({ expression: "i", frameId, context: "watch" })).body.result).toBe("999999");
    expect(got.changed.filter((b) => b.message?.includes("evaluated by the debugger"))).toEqual([]);
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await terminated;
    expect(got.stops).toHaveLength(1);
    expect(got.out.join("")).toBe(runNative(exe).stdout);
  });

  it("a condition that calls a function is evaluated by the debugger, and its breakpoint says why", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-O0", "-g"] });
    dc = await startClient();
    const c = dc;
    const got = collect(c);
    await launchAndStop(c, { program: exe, args: ["3000"] }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(HOT, "@hot"), condition: "mix(i) == mix(2500)" }] }));
    const frameId = (await topFrame(c)).id;
    expect((await c.evaluateRequest({ expression: "i", frameId, context: "watch" })).body.result).toBe("2500");
    const note = got.changed.find((b) => b.message?.includes("evaluated by the debugger"));
    expect(note?.message).toMatch(/calls functions/);
    expect(note?.verified).toBe(true);
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await terminated;
    expect(got.out.join("")).toBe(runNative(exe, ["3000"]).stdout);
  });
});
