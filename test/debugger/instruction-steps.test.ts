/**
 * One instruction is one instruction: stepi and nexti from a breakpoint's pc, over a call, into a
 * syscall and onto a faulting store visit exactly the pcs gdb's stepi/nexti visit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { gdbPcs, hasGdb } from "../helpers/gdb.js";
import { launch } from "../helpers/debug-session.js";
import { lineOf } from "./markers.js";
import type { Debugger } from "../../src/debugger/debugger.js";

const SRC = "debugger/insn_steps.c";
let exe: string;

beforeAll(() => {
  exe = compileFixture(SRC, { flags: ["-static", "-O0", "-g", "-no-pie"] });
});

async function pcsAfter(marker: string, steps: ("stepi" | "nexti")[]): Promise<string[]> {
  const { dbg } = launch(exe);
  try {
    dbg.setSourceBreakpoints("insn_steps.c", [{ line: lineOf(SRC, marker) }]);
    const first = await dbg.start();
    expect(first.reason).toBe("breakpoint");
    const out = [hex(dbg)];
    for (const s of steps) {
      const r = s === "stepi" ? await dbg.stepInstruction() : await dbg.nextInstruction();
      out.push(r.reason === "exited" ? "exited" : hex(dbg));
      if (r.reason === "exited") break;
    }
    return out;
  } finally {
    dbg.process.close();
  }
}

const hex = (dbg: Debugger) => `0x${dbg.process.pc.toString(16)}`;

describe.skipIf(!hasGdb())("instruction steps equal gdb's", () => {
  it.each([
    ["stepi into a call, from a breakpoint", "@call", Array(12).fill("stepi")],
    ["nexti over a call, from a breakpoint", "@call", Array(8).fill("nexti")],
    ["stepi through write() and its syscall instruction", "@syscall", Array(16).fill("stepi")],
    ["nexti over write()", "@syscall", Array(6).fill("nexti")],
  ] as const)("%s", async (_name, marker, steps) => {
    const ours = await pcsAfter(marker, [...steps]);
    const gdb = gdbPcs(exe, [`break insn_steps.c:${lineOf(SRC, marker)}`], [...steps]);
    expect(ours).toEqual(gdb.slice(0, ours.length));
    expect(ours.length).toBe(steps.length + 1);
  });

  it("steps and the continue after them drop no translations (nothing is re-translated)", async () => {
    const { dbg } = launch(exe);
    try {
      dbg.setSourceBreakpoints("insn_steps.c", [{ line: lineOf(SRC, "@call") }]);
      await dbg.start();
      const before = dbg.process.cpu.translationDrops;
      for (let i = 0; i < 6; i++) await dbg.stepInstruction();
      for (let i = 0; i < 3; i++) await dbg.nextInstruction();
      dbg.setSourceBreakpoints("insn_steps.c", []);
      // The program runs on to its own faulting store (@fault).
      expect((await dbg.continue()).reason).toBe("exception");
      expect(dbg.process.cpu.translationDrops).toBe(before);
    } finally {
      dbg.process.close();
    }
  });

  it("a step onto a faulting store stops at it with SIGSEGV, as gdb does", async () => {
    const { dbg } = launch(exe);
    try {
      dbg.setSourceBreakpoints("insn_steps.c", [{ line: lineOf(SRC, "@fault") }]);
      await dbg.start();
      const pcs = [hex(dbg)];
      let r = await dbg.stepInstruction();
      for (let i = 0; i < 10 && r.reason === "step"; i++) {
        pcs.push(hex(dbg));
        r = await dbg.stepInstruction();
      }
      expect(r.reason).toBe("exception");
      pcs.push(hex(dbg));
      const gdb = gdbPcs(exe, [`break insn_steps.c:${lineOf(SRC, "@fault")}`], Array(pcs.length - 1).fill("stepi"));
      expect(pcs).toEqual(gdb);
    } finally {
      dbg.process.close();
    }
  });
});
