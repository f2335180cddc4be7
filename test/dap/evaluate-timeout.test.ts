/**
 * The time a console expression that calls the program's functions may run: 250 ms of emulated
 * time unless the launch's `evaluateTimeout` says otherwise; a call that runs out of it is stopped
 * and undone, the error names the option, and the session goes on. A long one can be cancelled
 * (DAP cancel), and requests sent meanwhile are answered after it (real adapter).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { continueToExit, errorOf, launchAndStop, programOutput, startClient } from "../helpers/dap.js";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { lineOf } from "../debugger/markers.js";
import { join } from "node:path";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const FIXTURE = "eval/spin.c";
let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

async function stopped(extra: Record<string, unknown>): Promise<{ c: DebugClient; frameId: number; output: () => string; exe: string }> {
  const exe = compileFixture(FIXTURE, { flags: ["-static", "-O0", "-g"] });
  const c = (dc = await startClient());
  const output = programOutput(c);
  await launchAndStop(c, { program: exe, tty: false, ...extra }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, FIXTURE) }, breakpoints: [{ line: lineOf(FIXTURE, "@stop") }] }));
  const st = await c.stackTraceRequest({ threadId: MAIN_THREAD });
  return { c, frameId: st.body.stackFrames[0]!.id, output, exe };
}

describe("evaluateTimeout", () => {
  it("a 200,000-iteration call finishes within the default 250 ms; with evaluateTimeout 1 it is stopped, undone, and the error says how to give it more", async () => {
    let s = await stopped({});
    const n = 200_000;
    const r = await s.c.evaluateRequest({ expression: `spin(${n})`, frameId: s.frameId, context: "repl" });
    expect(r.body.result).toBe(String((n * (n - 1)) / 2));
    await dc!.stop();
    s = await stopped({ evaluateTimeout: 1 });
    const e = await errorOf(s.c.evaluateRequest({ expression: `spin(${n})`, frameId: s.frameId, context: "repl" }));
    expect(e.message).toMatch(/did not finish within 1 ms of emulated time.*"evaluateTimeout" \(milliseconds\)/);
    // The session goes on, the program as it was.
    expect((await s.c.evaluateRequest({ expression: "spin(10)", frameId: s.frameId, context: "repl" })).body.result).toBe("45");
    expect(await continueToExit(s.c)).toBe(0);
    expect(s.output()).toBe(runNative(s.exe).stdout);
  });

  it("a value that is not a positive number of milliseconds is refused at launch", async () => {
    const exe = compileFixture(FIXTURE, { flags: ["-static", "-O0", "-g"] });
    const c = (dc = await startClient());
    await c.initializeRequest({ adapterID: "jitdbg" });
    for (const bad of [0, -5, "1000", 1e12]) {
      const e = await errorOf(c.launchRequest({ program: exe, evaluateTimeout: bad } as never));
      expect(e.message).toMatch(/'evaluateTimeout' must be a number of milliseconds from 1 to 3600000/);
    }
  });

  it("cancel stops a long console call between two slices, undone; a request sent meanwhile is answered after it, at the program's own stop", async () => {
    const s = await stopped({ evaluateTimeout: 600_000 });
    const c = s.c;
    // The next request's seq (DebugClient numbers its requests in order).
    const seq = (c as unknown as { sequence: number }).sequence;
    const t0 = Date.now();
    const long = errorOf(c.evaluateRequest({ expression: "spin(10000000000)", frameId: s.frameId, context: "repl" }));
    const stack = c.stackTraceRequest({ threadId: MAIN_THREAD });
    await new Promise((r) => setTimeout(r, 300));
    await c.customRequest("cancel", { requestId: seq });
    const e = await long;
    expect(e.message).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Answered once the call was undone: the program's frames, not the expression's.
    const frames = (await stack).body.stackFrames;
    expect(frames[0]!.name).toBe("main");
    expect(frames[0]!.line).toBe(lineOf(FIXTURE, "@stop"));
    expect((await c.evaluateRequest({ expression: "spin(10)", frameId: s.frameId, context: "repl" })).body.result).toBe("45");
    // A cancel of a request that has finished is a no-op.
    await c.customRequest("cancel", { requestId: seq });
    expect(await continueToExit(c)).toBe(0);
    expect(s.output()).toBe(runNative(s.exe).stdout);
  });
});
