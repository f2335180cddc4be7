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

  it("a program reading stdin in the Debug Console reads end of file, and the console says once how to give it input", async () => {
    const asker = compileFixture("dap/ask_name.c", { flags: ["-g", "-O0"] });
    dc = await startClient();
    const c = dc;
    const notes: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "console" && e.body.output.includes("standard input")) notes.push(e.body.output);
    });
    const out = programOutput(c);
    await c.initializeRequest();
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.launchRequest({ program: asker } as DebugProtocol.LaunchRequestArguments);
    await c.configurationDoneRequest();
    expect((await exited).body.exitCode).toBe(1); // scanf found no input
    expect(out()).toBe("terminal 1: 80x24\nname? ");
    expect(notes).toEqual([expect.stringMatching(/reads standard input, which the Debug Console cannot type into: it reads end of file\. Use "console": "integratedTerminal" .* or give it with "stdin"/)]);
  });

  it("a tty that is not true or false is refused, saying what it takes", async () => {
    dc = await startClient();
    await dc.initializeRequest();
    const e = await errorOf(dc.launchRequest({ program: exe, tty: "yes" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toMatch(/'tty' must be true .* or false/);
  });
});
