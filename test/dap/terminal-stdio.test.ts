/**
 * The program's standard streams in a debug session are a terminal by default (stdout
 * line-buffered: a printed line shows at once, as under gdb), or pipes with "tty": false (fully
 * buffered: nothing shows before exit, as natively into a pipe).
 */
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { continueToExit, errorOf, launchAndStop, programOutput, startClient } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";

const FIXTURE = "dap/line_buffered.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("standard streams in a debug session", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0"] });
  /** The program's stdout shown at the breakpoint after the loop, and at its end. */
  async function shownAtStopAndEnd(launch: Record<string, unknown>): Promise<[string, string]> {
    dc = await startClient();
    const c = dc;
    const out = programOutput(c);
    await launchAndStop(c, launch, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, "@after") }] }));
    const atStop = out();
    expect(await continueToExit(c)).toBe(0);
    return [atStop, out()];
  }

  it("are a terminal by default: the line printed before the loop is there at the stop after it", async () => {
    expect(await shownAtStopAndEnd({ program: exe })).toEqual(["first line\n", "first line\nsecond line\n"]);
  });

  it('are pipes with "tty": false: nothing shows before exit, as natively into a pipe', async () => {
    // Natively into a pipe the output comes out at exit, all at once.
    expect(execFileSync("sh", ["-c", `'${exe}' | cat`]).toString()).toBe("first line\nsecond line\n");
    expect(await shownAtStopAndEnd({ program: exe, tty: false })).toEqual(["", "first line\nsecond line\n"]);
  });

  it("a tty that is not true or false is refused, saying what it takes", async () => {
    dc = await startClient();
    await dc.initializeRequest();
    const e = await errorOf(dc.launchRequest({ program: exe, tty: "yes" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toMatch(/'tty' must be true .* or false/);
  });
});
