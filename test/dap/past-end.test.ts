/**
 * Stepping past the end of a function whose caller has no line information (main's caller in
 * libc's start-up code, libc's qsort calling a comparator back): `next` finishes the code without
 * lines and stops at the next line with source, or the program ends (LLDB's step-out-avoid-nodebug;
 * gdb stops at a bare address there). A stop in code without source still shows a proper frame.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const FIXTURE = "dap/past_end.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("stepping past a function's end into code without lines", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0", "-static"] });

  async function stopAt(marker: string): Promise<DebugClient> {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, marker) }] }));
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });
    return c;
  }

  it.each(["next", "stepIn"] as const)("%s at main's closing brace runs to the program's end: exited, then terminated, no stop", async (request) => {
    const c = await stopAt("@main-end");
    const events: string[] = [];
    c.on("stopped", (e: DebugProtocol.StoppedEvent) => events.push(`stopped:${e.body.description}`));
    c.on("exited", (e: DebugProtocol.ExitedEvent) => events.push(`exited:${e.body.exitCode}`));
    const terminated = c.waitForEvent("terminated");
    await (request === "next" ? c.nextRequest({ threadId: MAIN_THREAD }) : c.stepInRequest({ threadId: MAIN_THREAD }));
    await terminated;
    expect(events).toEqual(["exited:7"]);
  });

  it("next at a qsort comparator's closing brace stops at main's line after the qsort call", async () => {
    const c = await stopAt("@cmp-end");
    const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.nextRequest({ threadId: MAIN_THREAD });
    expect((await stopped).body.reason).toBe("step");
    const top = await topFrame(c);
    expect({ name: top.name, line: top.line, path: top.source?.path }).toEqual({ name: "main", line: lineOf(FIXTURE, "@after-sort"), path: SRC });
  });

  it("a stop in libc shows a named, subtle frame with its pc, and open registers; next leaves it for main's next line", async () => {
    const c = await stopAt("@sort");
    // Instruction steps to the first instruction of qsort (no line information in a static libc).
    for (let i = 0; i < 20 && (await topFrame(c)).name === "main"; i++) {
      const stopped = c.waitForEvent("stopped");
      await c.stepInRequest({ threadId: MAIN_THREAD, granularity: "instruction" });
      await stopped;
    }
    const top = await topFrame(c);
    expect(top).toMatchObject({ name: expect.stringMatching(/qsort/), presentationHint: "subtle", line: 0 });
    expect(top.source).toBeUndefined();
    const scopes = (await c.scopesRequest({ frameId: top.id })).body.scopes;
    expect(scopes.map((s) => [s.name, s.expensive])).toEqual([["Registers", false]]);
    const regs = (await c.variablesRequest({ variablesReference: scopes[0]!.variablesReference })).body.variables;
    expect(BigInt(regs.find((r) => r.name === "rip")!.value.split(" ")[0]!)).toBe(BigInt(top.instructionPointerReference!));

    const stopped = c.waitForEvent("stopped");
    await c.nextRequest({ threadId: MAIN_THREAD });
    await stopped;
    const back = await topFrame(c);
    expect({ name: back.name, line: back.line }).toEqual({ name: "main", line: lineOf(FIXTURE, "@after-sort") });
  });
});
