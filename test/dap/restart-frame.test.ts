/**
 * restartFrame over DAP: the frame's caller is put back at the call that entered it (stopped event
 * "restart" on the call's line), a step in enters the function again and the program's output
 * shows it ran twice; inlined frames, main and a signal handler's frame are refused, saying why.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as THREAD } from "../../src/inferior/process.js";

const FIXTURE = "dap/restart_frame.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

function stdout(c: DebugClient): () => string {
  let text = "";
  c.on("output", (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === "stdout") text += e.body.output;
  });
  return () => text;
}

const frames = async (c: DebugClient) => (await c.stackTraceRequest({ threadId: THREAD })).body.stackFrames;

describe("restartFrame", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0"] });
  const at = (marker: string) => ({ line: lineOf(FIXTURE, marker) });

  it("is advertised", async () => {
    dc = await startClient();
    expect((await dc.initializeRequest()).body?.supportsRestartFrame).toBe(true);
  });

  it("goes back to the call, a step in re-enters the function, and it runs again", async () => {
    dc = await startClient();
    const c = dc;
    const output = stdout(c);
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [at("@after_print")] }));
    expect(output()).toBe("bump 1\n");
    const [bump, main] = await frames(c);
    expect([bump!.name, main!.name]).toEqual(["bump", "main"]);
    const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.restartFrameRequest({ frameId: bump!.id });
    const stop = await stopped;
    expect(stop.body.reason).toBe("restart");
    expect(stop.body.description).toMatch(/^Restarted bump: stopped at its call in main/);
    const now = await frames(c);
    expect([now[0]!.name, now[0]!.line]).toEqual(["main", lineOf(FIXTURE, "@call")]);
    // The stack is the caller's as it was at the call: a step in enters bump again, at its first line.
    const stepped = c.waitForEvent("stopped");
    await c.stepInRequest({ threadId: THREAD });
    await stepped;
    const inside = await frames(c);
    expect([inside[0]!.name, inside[1]!.name, inside[1]!.line]).toEqual(["bump", "main", lineOf(FIXTURE, "@call")]);
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.continueRequest({ threadId: THREAD });
    expect((await exited).body.exitCode).toBe(0);
    expect(output()).toBe("bump 1\nbump 2\nadd 5\ndone 2\n");
  });

  it("gives a function its arguments again: the caller's argument registers get the parameters' values", async () => {
    dc = await startClient();
    const c = dc;
    const output = stdout(c);
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [at("@in_add")] }));
    expect(output()).toBe("bump 1\nadd 5\n");
    const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.restartFrameRequest({ frameId: (await frames(c))[0]!.id });
    expect((await stopped).body.description).toMatch(/step in to enter it again with its arguments as the frame held them \(a, b\)$/);
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    const exited = c.waitForEvent("exited");
    await c.continueRequest({ threadId: THREAD });
    await exited;
    expect(output()).toBe("bump 1\nadd 5\nadd 5\ndone 1\n");
  });

  it("refuses an inlined frame, main, and a signal handler's frame, saying why, and the session goes on", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [at("@inlined"), at("@handler")] }));
    const inl = await frames(c);
    expect(inl.slice(0, 3).map((f) => f.name)).toEqual(["twice [inlined]", "bump", "main"]);
    expect((await errorOf(c.restartFrameRequest({ frameId: inl[0]!.id }))).message).toMatch(/^cannot restart frame 0 \(twice\): the compiler inlined this call/);
    expect((await errorOf(c.restartFrameRequest({ frameId: inl[2]!.id }))).message).toMatch(/^cannot restart frame 2 \(main\): main is the outermost frame/);
    expect((await frames(c))[0]!.line).toBe(lineOf(FIXTURE, "@inlined"));
    const stopped = c.waitForEvent("stopped");
    await c.continueRequest({ threadId: THREAD });
    await stopped;
    const handler = await frames(c);
    expect(handler[0]!.name).toBe("on_signal");
    expect((await errorOf(c.restartFrameRequest({ frameId: handler[0]!.id }))).message).toMatch(/^cannot restart frame 0 \(on_signal\): no call instruction ends at its return address/);
    expect((await errorOf(c.restartFrameRequest({ frameId: 999_999 }))).message).toMatch(/frame 999999 does not exist/);
  });
});
