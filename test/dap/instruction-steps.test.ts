/** Over DAP, `next`/`stepIn` with instruction granularity from a breakpoint's pc are gdb's nexti/stepi. */
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { join } from "node:path";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { gdbPcs, hasGdb } from "../helpers/gdb.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = "debugger/insn_steps.c";
let dc: DebugClient | undefined;

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe.skipIf(!hasGdb())("instruction granularity over DAP", () => {
  it.each([
    ["next", "nexti"],
    ["stepIn", "stepi"],
  ] as const)("%s from a breakpoint visits gdb's %s pcs", async (request, gdbCommand) => {
    const exe = compileFixture(SRC, { flags: ["-static", "-O0", "-g", "-no-pie"] });
    const line = lineOf(SRC, "@call");
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, SRC) }, breakpoints: [{ line }] }));
    const pc = async () => (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.instructionPointerReference!;
    const ours = [await pc()];
    for (let i = 0; i < 8; i++) {
      const stopped = c.waitForEvent("stopped");
      await (request === "next" ? c.nextRequest({ threadId: MAIN_THREAD, granularity: "instruction" }) : c.stepInRequest({ threadId: MAIN_THREAD, granularity: "instruction" }));
      await stopped;
      ours.push(await pc());
    }
    const gdb = gdbPcs(exe, [`break insn_steps.c:${line}`], Array(8).fill(gdbCommand));
    expect(ours.map((p) => BigInt(p))).toEqual(gdb.map((p) => BigInt(p)));
  });
});
