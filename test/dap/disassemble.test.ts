/**
 * DAP `disassemble` as VS Code's disassembly view sends it: negative offsets, bytes that are no
 * instructions as (bad) rows, runaway counts refused; and stepOut from main refused as gdb does.
 */
import { afterEach, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { join } from "node:path";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

it("rows before the pc are whole instructions ending at it; absurd counts and offsets are errors and the session goes on", async () => {
  const exe = compileFixture("debugger/insn_steps.c", { flags: ["-static", "-O0", "-g", "-no-pie"] });
  dc = await startClient();
  const c = dc;
  await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, "debugger", "insn_steps.c") }, breakpoints: [{ line: lineOf("debugger/insn_steps.c", "@syscall") }] }));
  const pc = (await topFrame(c)).instructionPointerReference!;
  const r = await c.disassembleRequest({ memoryReference: pc, instructionOffset: -6, instructionCount: 10 });
  const rows = r.body!.instructions;
  expect(rows).toHaveLength(10);
  expect(BigInt(rows[6]!.address)).toBe(BigInt(pc));
  // Each row before the pc ends where the next begins.
  for (let i = 0; i < 6; i++) expect(BigInt(rows[i]!.address) + BigInt(rows[i]!.instructionBytes!.replace(/\s/g, "").length / 2)).toBe(BigInt(rows[i + 1]!.address));
  expect((await errorOf(c.disassembleRequest({ memoryReference: pc, instructionCount: 1e9 }))).message).toMatch(/instructionCount must be an integer from 0 to 10000/);
  expect((await errorOf(c.disassembleRequest({ memoryReference: pc, instructionOffset: -1e9, instructionCount: 5 }))).message).toMatch(/instructionOffset must be an integer within/);
  expect((await c.threadsRequest()).body.threads).toHaveLength(1);
});

it("bytes that are no instructions are one (bad) row each, the rest decode; stepOut from main is refused and the session goes on", async () => {
  const fixture = "dap/not_code.c";
  const exe = compileFixture(fixture, { flags: ["-static", "-O0", "-g"] });
  dc = await startClient();
  const c = dc;
  await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, fixture) }, breakpoints: [{ line: lineOf(fixture, "@main") }] }));
  const frameId = (await topFrame(c)).id;
  const junk = (await c.evaluateRequest({ expression: "&junk", frameId, context: "watch" })).body.memoryReference!;
  const rows = (await c.disassembleRequest({ memoryReference: junk, instructionCount: 6 })).body!.instructions;
  expect(rows.map((r) => [r.instructionBytes, r.instruction])).toEqual([
    ["06", "(bad) .byte 0x06"],
    ["07", "(bad) .byte 0x07"],
    ["0e", "(bad) .byte 0x0e"],
    ["16", "(bad) .byte 0x16"],
    ["90", "nop"],
    ["c3", "ret"],
  ]);
  expect(rows.map((r) => BigInt(r.address) - BigInt(junk))).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
  // Scrolling back over them from the nop: whole rows ending at it.
  const back = (await c.disassembleRequest({ memoryReference: junk, offset: 4, instructionOffset: -2, instructionCount: 3 })).body!.instructions;
  expect(back.map((r) => BigInt(r.address) - BigInt(junk))).toEqual([2n, 3n, 4n]);
  expect((await errorOf(c.stepOutRequest({ threadId: MAIN_THREAD }))).message).toMatch(/"step out" is not meaningful in the outermost frame \(main\); use continue/);
  const stepped = c.waitForEvent("stopped");
  await c.nextRequest({ threadId: MAIN_THREAD });
  expect((await stepped).body.reason).toBe("step");
});
