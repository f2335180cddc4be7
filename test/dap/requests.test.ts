/**
 * DAP requests beyond the everyday ones, against the real adapter: breakpointLocations,
 * stepInTargets and stepIn into a chosen call, cancel as the spec has it, and every request
 * jitdbg does not do answering an error instead of the base class's silent success.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = join(fixturesDir, "dap-requests", "calls.c");
const text = readFileSync(SRC, "utf8").split("\n");
const lineOf = (marker: string) => text.findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("more DAP requests", () => {
  const exe = compileFixture("dap-requests/calls.c", { flags: ["-g", "-O0"] });

  async function stopAtCalls(c: DebugClient, extra: Record<string, unknown> = {}): Promise<void> {
    await launchAndStop(c, { program: exe, ...extra }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("CALLS") }] }));
  }

  it("breakpointLocations lists the lines of a range that have code, and advertises it", async () => {
    dc = await startClient();
    const c = dc;
    const init = await c.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    expect(init.body?.supportsBreakpointLocationsRequest).toBe(true);
    expect(init.body?.supportsStepInTargetsRequest).toBe(true);
    await c.launchRequest({ program: exe } as DebugProtocol.LaunchRequestArguments);
    const calls = lineOf("CALLS");
    const locations = (args: DebugProtocol.BreakpointLocationsArguments) => c.customRequest("breakpointLocations", args) as Promise<DebugProtocol.BreakpointLocationsResponse>;
    const r = await locations({ source: { path: SRC }, line: calls - 2, endLine: calls });
    // The comment line has no code; the lines around it do.
    expect(r.body.breakpoints.map((b) => b.line)).toEqual([calls - 2, calls]);
    expect((await locations({ source: { path: SRC }, line: calls - 1 })).body.breakpoints).toEqual([]);
    expect((await errorOf(locations({ source: { path: SRC }, line: 0 }))).message).toMatch(/line numbers from 1/);
  });

  it("stepInTargets names both calls of the line; stepIn with a targetId enters the one chosen", async () => {
    for (const [pick, marker] of [[0, "TWICE"], [1, "SQUARE"]] as const) {
      dc = await startClient();
      const c = dc;
      await stopAtCalls(c);
      const frame = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!;
      const targets = ((await c.customRequest("stepInTargets", { frameId: frame.id })) as DebugProtocol.StepInTargetsResponse).body.targets;
      expect(targets.map((t) => t.label)).toEqual(["twice", "square"]);
      const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await c.stepInRequest({ threadId: MAIN_THREAD, targetId: targets[pick]!.id });
      expect((await stopped).body.reason).toBe("step");
      const top = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!;
      expect(top.name).toBe(marker.toLowerCase());
      expect(top.line).toBe(lineOf(marker));
      await dc.stop();
      dc = undefined;
    }
  });

  it("stackTrace's format shows parameters (types, names, values), the line and the module as asked", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("TWICE") }] }));
    const name = async (format: DebugProtocol.StackFrameFormat) => (await c.stackTraceRequest({ threadId: MAIN_THREAD, levels: 1, format })).body.stackFrames[0]!.name;
    const module = exe.split("/").pop();
    expect(await name({ parameters: true })).toBe("twice(x = 3)");
    expect(await name({ parameters: true, parameterTypes: true, parameterValues: true })).toBe("twice(int 3)");
    expect(await name({ parameters: true, parameterNames: true })).toBe("twice(x)");
    expect(await name({ parameters: true, parameterValues: true, parameterNames: true, hex: true, line: true, module: true })).toBe(`twice(x = 0x3) Line ${lineOf("TWICE")} [${module}]`);
    expect(await name({ includeAll: true })).toBe(`twice(int x = 3) Line ${lineOf("TWICE")} [${module}]`);
    expect(await name({})).toBe("twice");
  });

  it("a step-in target from another stop is refused with why", async () => {
    dc = await startClient();
    const c = dc;
    await stopAtCalls(c);
    expect((await errorOf(c.stepInRequest({ threadId: MAIN_THREAD, targetId: 7 }))).message).toMatch(/no step-in target 7 here \(ask stepInTargets again/);
    expect((await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.line).toBe(lineOf("CALLS"));
  });

  it("requests jitdbg does not do answer an error saying why, and the session goes on", async () => {
    dc = await startClient();
    const c = dc;
    await stopAtCalls(c, { timeTravel: false });
    const refused: [string, Promise<unknown>, RegExp][] = [
      ["attach", c.attachRequest({} as DebugProtocol.AttachRequestArguments), /does not support 'attach'/],
      // Launched with timeTravel false there is no history to go back in.
      ["stepBack", c.stepBackRequest({ threadId: MAIN_THREAD }), /time travel is off for this session: launch with "timeTravel": true/],
      ["reverseContinue", c.reverseContinueRequest({ threadId: MAIN_THREAD }), /time travel is off/],
      ["source", c.sourceRequest({ sourceReference: 1 }), /'source'/],
      ["terminateThreads", c.customRequest("terminateThreads", { threadIds: [MAIN_THREAD] }), /'terminateThreads'/],
    ];
    // Each error is taken as it comes (all requests are in flight at once).
    const errors = refused.map(([, p]) => errorOf(p));
    for (const [i, [name, , re]] of refused.entries()) expect((await errors[i]!).message, name).toMatch(re);
    expect((await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.line).toBe(lineOf("CALLS"));
  });

  it("shadowed locals are all listed, named by their declaration; const ones read-only; empty Arguments and Thread-local scopes are left out", async () => {
    const shadowExe = compileFixture("dap-requests/shadow.c", { flags: ["-g", "-O0"] });
    const shadowSrc = join(fixturesDir, "dap-requests", "shadow.c");
    const lines = readFileSync(shadowSrc, "utf8").split("\n");
    const at = (m: string) => lines.findIndex((l) => l.includes(`/* ${m} */`)) + 1;
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: shadowExe }, () => c.setBreakpointsRequest({ source: { path: shadowSrc }, breakpoints: [{ line: at("SHADOW") }] }));
    const frame = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!;
    const scopes = (await c.scopesRequest({ frameId: frame.id })).body.scopes;
    expect(scopes.map((s) => s.name)).toEqual(["Locals", "Globals", "Registers"]);
    const vars = (await c.variablesRequest({ variablesReference: scopes[0]!.variablesReference })).body.variables;
    expect(vars.map((v) => [v.name, v.value])).toEqual([
      ["x", "3"],
      ["limit", "7"],
      [`x @ shadow.c:${at("MIDDLE")}`, "2"],
      [`x @ shadow.c:${at("OUTER")}`, "1"],
    ]);
    // A const local is shown read-only; the others are not.
    expect(vars.map((v) => v.presentationHint?.attributes ?? [])).toEqual([[], ["readOnly"], [], []]);
    // Each can be watched: the shadowed ones by their address.
    for (const v of vars) expect((await c.evaluateRequest({ expression: v.evaluateName!, frameId: frame.id, context: "watch" })).body.result).toBe(v.value);
    await c.setVariableRequest({ variablesReference: scopes[0]!.variablesReference, name: `x @ shadow.c:${at("OUTER")}`, value: "41" });
    const after = (await c.variablesRequest({ variablesReference: (await c.scopesRequest({ frameId: frame.id })).body.scopes[0]!.variablesReference })).body.variables;
    expect(after.map((v) => v.value)).toEqual(["3", "7", "2", "41"]);
  });

  it("cancel of a finished request is a no-op: a running program goes on running", async () => {
    dc = await startClient();
    const c = dc;
    await stopAtCalls(c);
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    let stops = 0;
    c.on("stopped", () => stops++);
    const cont = await c.continueRequest({ threadId: MAIN_THREAD });
    await c.customRequest("cancel", { requestId: cont.request_seq });
    expect((await exited).body.exitCode).toBe(0);
    expect(stops).toBe(0);
  });
});
