/**
 * Time travel over DAP against the real adapter process (issue 18): the capability is announced
 * once a launch asks for it, Reverse Continue and Step Back (line and instruction granularity)
 * stop where the in-process tests say, every stop in the past says so and how far back history
 * reaches, the views (stack, variables) are as at a live stop, the past refuses changes, and
 * continuing forward replays back to the present and on to the native output.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { continueToExit, errorOf, programOutput, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as THREAD } from "../../src/inferior/process.js";

const FIXTURE = "conditions/hot_loop.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

async function local(c: DebugClient, name: string): Promise<string | undefined> {
  const frame = await topFrame(c);
  const scopes = (await c.scopesRequest({ frameId: frame.id })).body.scopes;
  const vars = (await c.variablesRequest({ variablesReference: scopes[0]!.variablesReference })).body.variables;
  return vars.find((v) => v.name === name)?.value;
}

describe("time travel over DAP", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0"] });
  const store = lineOf(FIXTURE, "@store");

  it("announces stepping back, goes back and forth, and the program's output is the native one", async () => {
    dc = await startClient();
    const c = dc;
    const output = programOutput(c);
    const init = await c.initializeRequest();
    expect(init.body?.supportsStepBack).toBe(false);
    const capabilities = c.waitForEvent("capabilities") as Promise<DebugProtocol.CapabilitiesEvent>;
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program: exe, args: ["3000"], timeTravel: true, sliceBlocks: 777 } as DebugProtocol.LaunchRequestArguments);
    expect((await capabilities).body.capabilities.supportsStepBack).toBe(true);
    await initialized;
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: store }] });
    let stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.configurationDoneRequest();
    await stopped;
    for (let k = 0; k < 20; k++) {
      stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await c.continueRequest({ threadId: THREAD });
      await stopped;
    }
    expect(await local(c, "i")).toBe("20");

    stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.reverseContinueRequest({ threadId: THREAD });
    let stop = await stopped;
    expect(stop.body.reason).toBe("breakpoint");
    expect(stop.body.description).toMatch(/going backwards\) — in the past: \d+ blocks before the present/);
    expect((await topFrame(c)).line).toBe(store);
    expect(await local(c, "i")).toBe("19");

    stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.stepBackRequest({ threadId: THREAD });
    stop = await stopped;
    expect(stop.body.reason).toBe("step");
    expect((await topFrame(c)).line).toBe(lineOf(FIXTURE, "@store") - 1);

    const pc = (await topFrame(c)).instructionPointerReference;
    stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.stepBackRequest({ threadId: THREAD, granularity: "instruction" });
    await stopped;
    expect((await topFrame(c)).instructionPointerReference).not.toBe(pc);

    // Reverse step out (the extension's toolbar button, a custom request): to the call of main.
    stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.customRequest("reverseStepOut", { threadId: THREAD });
    expect((await stopped).body.description).toMatch(/^Went back to the call at /);

    // The past cannot be changed.
    const frame = await topFrame(c);
    const scopes = (await c.scopesRequest({ frameId: frame.id })).body.scopes;
    expect((await errorOf(c.setVariableRequest({ variablesReference: scopes[0]!.variablesReference, name: "i", value: "5" }))).message).toMatch(/in its past/);

    // Forward: replayed to the present, then live to the end.
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    expect(await continueToExit(c)).toBe(0);
    expect(output()).toBe(runNative(exe, ["3000"]).stdout);
  });
});
