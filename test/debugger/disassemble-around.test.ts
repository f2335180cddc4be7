/** Disassembly around an address: the rows before it are whole instructions that end exactly at it. */
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

describe("disassembleAround", () => {
  it("rows before an address in the middle of a function are the function's own instructions", async () => {
    const exe = compileFixture("debugger/insn_steps.c", { flags: ["-static", "-O0", "-g", "-no-pie"] });
    const { dbg } = launch(exe);
    try {
      const main = dbg.images[0]!.symbols.addressOf("main")!;
      const fromStart = await dbg.disassemble(main, 12);
      const middle = fromStart[8]!.address;
      const around = await dbg.disassembleAround(middle, -8, 12);
      expect(around.map((i) => i.address)).toEqual(fromStart.map((i) => i.address));
      expect(around.map((i) => i.text)).toEqual(fromStart.map((i) => i.text));
      // Before the start of the text there is nothing to decode: placeholders keep the row count.
      const early = await dbg.disassembleAround(0x1000n, -4, 6);
      expect(early).toHaveLength(6);
      expect(early.slice(0, 4).every((i) => !i.readable)).toBe(true);
      // ...in address order, like every row of the view.
      const addrs = early.map((i) => i.address);
      expect(addrs).toEqual([...addrs].sort((a, b) => (a < b ? -1 : 1)));
      // Far back from main (50 rows): the functions before it, decoded whole, end exactly at main.
      const back = await dbg.disassembleAround(main, -50, 51);
      expect(back.filter((i) => !i.readable)).toEqual([]);
      expect(back[50]!.address).toBe(main);
      for (let k = 1; k < back.length; k++) expect(back[k - 1]!.address + BigInt(back[k - 1]!.bytes.length)).toBe(back[k]!.address);
    } finally {
      dbg.process.close();
    }
  });

  it("loaded sources are the program's own files, not the system headers it includes", () => {
    const exe = compileFixture("debugger/insn_steps.c", { flags: ["-static", "-O0", "-g", "-no-pie"] });
    const { dbg } = launch(exe);
    try {
      const files = dbg.loadedSources();
      expect(files.some((f) => f.endsWith("/test/fixtures/debugger/insn_steps.c"))).toBe(true);
      expect(files.filter((f) => f.startsWith("/usr/"))).toEqual([]);
    } finally {
      dbg.process.close();
    }
  });
});
