/**
 * Views answered again at the same stop (kept while the program's state is the same) always show
 * the state as it is: after an expression that assigns (compiled code run in the program), a
 * setVariable, a writeMemory, a register set and a step, the same requests show the new values.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = join(fixturesDir, "dap-requests", "calls.c");
const text = readFileSync(SRC, "utf8").split("\n");
const lineOf = (marker: string) => text.findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("views at one stop follow the program's state", () => {
  const exe = compileFixture("dap-requests/calls.c", { flags: ["-g", "-O0"] });

  it("locals, registers and stack after an assigning expression, setVariable, writeMemory, a register set and a step", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("CALLS") }] }));
    const frameId = async () => (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.id;
    const scope = async (name: string) => (await c.scopesRequest({ frameId: await frameId() })).body.scopes.find((s) => s.name === name)!.variablesReference;
    const values = async (name: string): Promise<Record<string, DebugProtocol.Variable>> =>
      Object.fromEntries((await c.variablesRequest({ variablesReference: await scope(name) })).body.variables.map((v) => [v.name, v]));
    const locals = async () => Object.fromEntries(Object.entries(await values("Locals")).map(([k, v]) => [k, v.value]));

    expect(await locals()).toMatchObject({ a: "3", b: "4" });
    expect(await locals()).toMatchObject({ a: "3", b: "4" }); // asked again at the same state

    await c.evaluateRequest({ expression: "a = 7", frameId: await frameId(), context: "repl" });
    expect(await locals()).toMatchObject({ a: "7", b: "4" });

    await c.setVariableRequest({ variablesReference: await scope("Locals"), name: "b", value: "9" });
    expect(await locals()).toMatchObject({ a: "7", b: "9" });

    const a = (await values("Locals")).a!;
    await c.customRequest("writeMemory", { memoryReference: a.memoryReference, data: Buffer.from([11, 0, 0, 0]).toString("base64") });
    expect(await locals()).toMatchObject({ a: "11", b: "9" });

    const rax = async () => (await values("Registers")).rax!.value;
    await rax();
    await c.setVariableRequest({ variablesReference: await scope("Registers"), name: "rax", value: "0x1234" });
    expect(await rax()).toBe("0x0000000000001234");

    const stopped = c.waitForEvent("stopped");
    await c.nextRequest({ threadId: MAIN_THREAD });
    await stopped;
    // r = twice(11) + square(9), from the values written above.
    expect(await locals()).toMatchObject({ a: "11", b: "9", r: String(2 * 11 + 9 * 9) });
    expect((await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.line).toBe(lineOf("CALLS") + 1);
  });
});
