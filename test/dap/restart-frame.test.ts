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
import { continueToExit, errorOf, launchAndStop, programOutput, startClient } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as THREAD } from "../../src/inferior/process.js";

const FIXTURE = "dap/restart_frame.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

const frames = async (c: DebugClient) => (await c.stackTraceRequest({ threadId: THREAD })).body.stackFrames;

describe("restartFrame", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0"] });
  const at = (marker: string) => ({ line: lineOf(FIXTURE, marker) });

  it("is advertised", async () => {
    dc = await startClient();
    expect((await dc.initializeRequest()).body?.supportsRestartFrame).toBe(true);
  });

  /** Runs to the breakpoint at `marker` and restarts the top frame: what was printed before, that frame's name, and the stop. */
  async function restartTopAt(marker: string): Promise<{ c: DebugClient; output: () => string; before: string; restarted: string; stop: DebugProtocol.StoppedEvent }> {
    dc = await startClient();
    const c = dc;
    const output = programOutput(c);
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [at(marker)] }));
    const before = output();
    const top = (await frames(c))[0]!;
    const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.restartFrameRequest({ frameId: top.id });
    return { c, output, before, restarted: top.name, stop: await stopped };
  }

  /** Without breakpoints to the end: all the program printed. */
  async function runToEnd(c: DebugClient, output: () => string): Promise<string> {
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    expect(await continueToExit(c)).toBe(0);
    return output();
  }

  it("goes back to the call, a step in re-enters the function, and it runs again", async () => {
    const { c, output, before, restarted, stop } = await restartTopAt("@after_print");
    expect([before, restarted]).toEqual(["bump 1\n", "bump"]);
    expect(stop.body.reason).toBe("restart");
    expect(stop.body.description).toMatch(/^Restarted bump: stopped at its call in main/);
    const now = await frames(c);
    expect([now[0]!.name, now[0]!.line]).toEqual(["main", lineOf(FIXTURE, "@call")]);
    // The stack is the caller's as it was at the call: a step in enters bump again.
    const stepped = c.waitForEvent("stopped");
    await c.stepInRequest({ threadId: THREAD });
    await stepped;
    const inside = await frames(c);
    expect([inside[0]!.name, inside[1]!.name, inside[1]!.line]).toEqual(["bump", "main", lineOf(FIXTURE, "@call")]);
    expect(await runToEnd(c, output)).toBe("bump 1\nbump 2\nadd 5\nscaled -6\ndone 2\n");
  });

  it("gives a function its arguments again: the caller's argument registers get the parameters' values", async () => {
    const { c, output, before, stop } = await restartTopAt("@in_add");
    expect(before).toBe("bump 1\nadd 5\n");
    expect(stop.body.description).toMatch(/step in to enter it again with its arguments as the frame held them \(a, b\)$/);
    expect(await runToEnd(c, output)).toBe("bump 1\nadd 5\nadd 5\nscaled -6\ndone 1\n");
  });

  it("floating-point arguments go back in the SSE registers, integers in the integer ones", async () => {
    const { c, output, before, stop } = await restartTopAt("@in_scaled");
    expect(before).toBe("bump 1\nadd 5\nscaled -6\n");
    expect(stop.body.description).toMatch(/with its arguments as the frame held them \(x, n\)$/);
    expect(await runToEnd(c, output)).toBe("bump 1\nadd 5\nscaled -6\nscaled -6\ndone 1\n");
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
