/**
 * Writes to a caller frame's register-resident local over DAP: the front end selects the caller
 * with its frameId (evaluate) or its scope (setVariable); the write goes where a callee saved the
 * register, and the program's output after the calls return shows it. The same program and
 * checks of where the locals live are in test/debugger/caller-frame-writes.test.ts.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, hasCompiler } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const FIXTURE = "frames/caller_registers.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe.each(["gcc", "clang"].filter(hasCompiler))("DAP writes in a caller frame (%s -O2)", (cc) => {
  it("evaluate with the caller's frameId and setVariable in its locals scope reach the program", async () => {
    const exe = compileFixture(FIXTURE, { cc, flags: ["-static", "-O2", "-g"] });
    dc = await startClient();
    const c = dc;
    const out: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "stdout") out.push(e.body.output);
    });
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, "BREAK_SAVING") }] }));
    const frames = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames;
    const caller = frames.find((f) => f.name === "caller")!;
    expect(caller).toBe(frames[1]);
    const set = await c.evaluateRequest({ expression: "l = 100", frameId: caller.id, context: "repl" });
    expect(set.body.result).toBe("100");
    const locals = (await c.scopesRequest({ frameId: caller.id })).body.scopes.find((s) => s.name === "Locals")!;
    const p = (await c.variablesRequest({ variablesReference: locals.variablesReference })).body.variables.find((v) => v.name === "p")!;
    expect((await c.setVariableRequest({ variablesReference: p.variablesReference, name: "y", value: "200" })).body.value).toBe("200");
    expect((await c.evaluateRequest({ expression: "l + p.y", frameId: caller.id, context: "watch" })).body.result).toBe("300");
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await terminated;
    expect(out.join("")).toMatch(/^after saving: l=100 p=\{12,200\}\n/);
  });
});
