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
import { errorOf, launchAndStop, startClient } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as THREAD } from "../../src/inferior/process.js";

const FIXTURE = "dap/line_buffered.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

/** The program's stdout as it arrives, and what had arrived when each stop came. */
function recordOutput(c: DebugClient): { text: () => string } {
  let text = "";
  c.on("output", (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === "stdout") text += e.body.output;
  });
  return { text: () => text };
}

describe("standard streams in a debug session", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0"] });
  const breakAfter = () => dc!.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, "@after") }] });

  it("are a terminal by default: the line printed before the loop is there at the stop after it", async () => {
    dc = await startClient();
    const out = recordOutput(dc);
    await launchAndStop(dc, { program: exe }, breakAfter);
    expect(out.text()).toBe("first line\n");
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId: THREAD });
    await exited;
    expect(out.text()).toBe("first line\nsecond line\n");
  });

  it('are pipes with "tty": false: nothing shows before exit, as natively into a pipe', async () => {
    // Natively into a pipe the output comes out at exit, all at once.
    expect(execFileSync("sh", ["-c", `'${exe}' | cat`]).toString()).toBe("first line\nsecond line\n");
    dc = await startClient();
    const out = recordOutput(dc);
    await launchAndStop(dc, { program: exe, tty: false }, breakAfter);
    expect(out.text()).toBe("");
    const exited = dc.waitForEvent("exited");
    await dc.continueRequest({ threadId: THREAD });
    await exited;
    expect(out.text()).toBe("first line\nsecond line\n");
  });

  it("a tty that is not true or false is refused, saying what it takes", async () => {
    dc = await startClient();
    await dc.initializeRequest();
    const e = await errorOf(dc.launchRequest({ program: exe, tty: "yes" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toMatch(/'tty' must be true .* or false/);
  });
});
