/** DAP `disassemble` as VS Code's disassembly view sends it: negative offsets, and runaway counts refused. */
import { afterEach, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { join } from "node:path";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";

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
