/**
 * Fix-and-continue (`:patch`, `:unpatch`): a buggy function of a running program is replaced at a
 * stop in the middle of a 300,000-iteration loop (many run slices), called directly and through
 * a function pointer taken before the patch, then put back; the program's whole output equals
 * what its -DORACLE build (fixed score between the two stops) prints natively. The original bytes
 * come back; wrong definitions are refused with their reasons, and nothing changes then.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { jumpTo } from "../../src/debugger/evaluate/function-patches.js";
import { decodeLoaded, disassemble } from "../../src/debugger/inspect/disassembly.js";

const SOURCE = `${fixturesDir}/patch/score.c`;
const PHASE = readFileSync(SOURCE, "utf8").split("\n").findIndex((l) => l.includes("/* PHASE */")) + 1;
const BUILDS: Record<string, string[]> = {
  "-O0 static": ["-O0", "-g", "-static"],
  "-O2 static-pie": ["-O2", "-g", "-static-pie", "-fPIE"],
  "-O2 dynamic (PIE)": ["-O2", "-g"],
};
const FIX = ":patch int score(int x) { return x * x + 1; }";

describe("fix-and-continue", () => {
  for (const [build, flags] of Object.entries(BUILDS)) {
    it(`${build}: a patched function's callers run the fix until it is unpatched; the output is the oracle's`, async () => {
      const exe = compileFixture("patch/score.c", { flags });
      const oracle = runNative(compileFixture("patch/score.c", { flags: [...flags, "-DORACLE"] }));
      const { dbg, output } = launch(exe);
      try {
        dbg.setSourceBreakpoints(SOURCE, [{ line: PHASE, condition: "i == 100000" }]);
        expect((await dbg.start()).reason).toBe("breakpoint");
        const entry = BigInt(dbg.inspector.evaluate("(unsigned long)score", 0, { context: "watch" }).value);
        const original = dbg.process.cpu.read(entry, 16);

        // Refusals change nothing.
        expect(() => dbg.inspector.evaluate(":patch long score(int x) { return x; }", 0, { context: "repl" })).toThrow(/has type 'long \(int\)' but the program's function has type 'int \(int\)'/);
        expect(() => dbg.inspector.evaluate(":patch int nosuch(int x) { return x; }", 0, { context: "repl" })).toThrow(/no function 'nosuch'/);
        expect(() => dbg.inspector.evaluate(":unpatch score", 0, { context: "repl" })).toThrow(/'score' is not patched/);
        expect(dbg.process.cpu.read(entry, 16)).toEqual(original);

        expect(dbg.inspector.evaluate(FIX, 0, { context: "repl" }).value).toMatch(/^patched int score\(int\): calls from now on run the new code/);
        expect(dbg.inspector.evaluate("score(3) + through_pointer(3)", 0, { context: "watch" }).value).toBe("20");

        dbg.setSourceBreakpoints(SOURCE, [{ line: PHASE, condition: "i == 200000" }]);
        expect((await dbg.continue()).reason).toBe("breakpoint");
        expect(dbg.inspector.evaluate(":unpatch score", 0, { context: "repl" }).value).toMatch(/^unpatched score/);
        expect(dbg.process.cpu.read(entry, 16)).toEqual(original);
        expect(dbg.inspector.evaluate("score(3)", 0, { context: "watch" }).value).toBe("8");

        dbg.setSourceBreakpoints(SOURCE, []);
        expect((await dbg.continue()).reason).toBe("exited");
        expect(output.join("")).toBe(oracle.stdout);
      } finally {
        dbg.close();
      }
    }, 120_000);
  }

  it("a function the compiler also inlined is refused, naming the call sites that would keep the old code", async () => {
    const exe = compileFixture("patch/inlined.c", { flags: ["-O2", "-g", "-static"] });
    const { dbg } = launch(exe);
    try {
      dbg.setFunctionBreakpoints([{ name: "main" }]);
      expect((await dbg.start()).reason).toBe("function breakpoint");
      expect(() => dbg.inspector.evaluate(":patch int twice(int x) { return 3 * x; }", 0, { context: "repl" })).toThrow(/'twice' was also inlined into its callers at inlined\.c:7; those copies would keep the old code/);
    } finally {
      dbg.close();
    }
  });
});

describe("the patch's jump", () => {
  it("is jmp rel32 within ±2 GiB and movabs r11 + jmp r11 beyond, landing on the target either way", async () => {
    await disassemble({ read: () => undefined, imageFor: () => undefined }, 0n, 0); // loads the disassembler
    const decode = (from: bigint, to: bigint) => decodeLoaded(jumpTo(from, to), from)!.map((i) => `${i.mnemonic} ${i.opStr}`);
    expect(decode(0x401000n, 0x7fff_0000n)).toEqual(["jmp 0x7fff0000"]);
    expect(decode(0x7fff_0000n, 0x401000n)).toEqual(["jmp 0x401000"]);
    expect(decode(0x5555_5555_4000n, 0x6000_0000_1000n)).toEqual(["movabs r11, 0x600000001000", "jmp r11"]);
  });
});
