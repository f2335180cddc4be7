/**
 * Right after a data-breakpoint stop every view reads the value just written: Variables (the
 * member through its struct), Watch and hover (compiled and interpreted, evaluated at the
 * previous stop too so cached code runs again) and the console, whether the stop ended a
 * continue or interrupted a step, with one-block run slices so a slice end can fall anywhere.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const FIXTURE = "dap/watched.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("views after a data-breakpoint stop", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0", "-static"] });

  /** c.value as Variables (Globals → c → value), Watch, hover and the console show it now. */
  async function views(c: DebugClient): Promise<{ variables: string; watch: string; hover: string; repl: string; memberRef: number }> {
    const frame = await topFrame(c);
    const scopes = (await c.scopesRequest({ frameId: frame.id })).body.scopes;
    const globals = scopes.find((s) => s.name === "Globals")!;
    const cell = (await c.variablesRequest({ variablesReference: globals.variablesReference })).body.variables.find((v) => v.name === "c")!;
    const value = (await c.variablesRequest({ variablesReference: cell.variablesReference })).body.variables.find((v) => v.name === "value")!;
    const evaluate = async (context: string) => (await c.evaluateRequest({ expression: "c.value", frameId: frame.id, context })).body.result;
    return { variables: value.value, watch: await evaluate("watch"), hover: await evaluate("hover"), repl: await evaluate("repl"), memberRef: cell.variablesReference };
  }

  it("Variables, Watch, hover and the console show the new value at each stop", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe, sliceBlocks: 1 }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, "@store") }] }));
    const before = await views(c);
    expect(before).toMatchObject({ variables: "1", watch: "1", hover: "1", repl: "1" });
    const frame = await topFrame(c);
    const info = await c.dataBreakpointInfoRequest({ variablesReference: before.memberRef, name: "value", frameId: frame.id });
    expect(info.body.dataId).toMatch(/:4:c\.value$/);
    const watched = info.body.dataId!.split(":").slice(2).join(":");
    await c.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
    await c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [] });

    const seen: { how: string; description?: string; views: Omit<Awaited<ReturnType<typeof views>>, "memberRef"> }[] = [];
    for (const how of ["continue", "continue", "next", "continue"] as const) {
      const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await (how === "next" ? c.nextRequest({ threadId: MAIN_THREAD }) : c.continueRequest({ threadId: MAIN_THREAD }));
      const stop = await stopped;
      expect(stop.body.reason).toBe("data breakpoint");
      const { memberRef: _, ...now } = await views(c);
      seen.push({ how, description: stop.body.description?.replace(/ at .*/, ""), views: now });
    }
    const at = (v: number) => ({ variables: `${v}`, watch: `${v}`, hover: `${v}`, repl: `${v}` });
    expect(seen).toEqual([
      { how: "continue", description: `Data breakpoint 2: ${watched} changed from 1 to 2`, views: at(2) },
      { how: "continue", description: `Data breakpoint 2: ${watched} changed from 2 to 7`, views: at(7) },
      { how: "next", description: `Data breakpoint 2: ${watched} changed from 7 to 40`, views: at(40) },
      { how: "continue", description: `Data breakpoint 2: ${watched} changed from 40 to 0`, views: at(0) },
    ]);
  });
});
