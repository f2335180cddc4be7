/**
 * Composite locations with missing pieces (a fuzzer finding): at -O2 gcc describes an array or
 * struct as pieces and leaves out the parts the program never reads. The parts that remain read as
 * usual (bit pieces assembled bit by bit), the missing ones are `<optimized out>` — not the whole
 * variable — in the console (read through the interpreter, since compiled code would take the
 * missing bytes for zeros) and in hover. The test first checks with the project's DWARF reader
 * that the location really has an empty piece, and compares with what the program prints.
 */
import { describe, expect, it } from "vitest";
import { locateVariable, type Variable } from "../../src/dwarf/index.js";
import { compileFixture } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { lineOf } from "./markers.js";

const FIXTURE = "frames/partial_composites.c";

describe("values with optimized-out pieces (gcc -O2)", () => {
  it("read the pieces that remain, and name the missing ones", async () => {
    const exe = compileFixture(FIXTURE, { flags: ["-static", "-O2", "-g"] });
    const { dbg, output } = launch(exe);
    try {
      dbg.setSourceBreakpoints("partial_composites.c", [{ line: lineOf(FIXTURE, "BREAK") }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      const frame = dbg.stackTrace()[0]!;
      const bias = frame.image?.bias ?? 0n;
      const fn = frame.image!.functionAt(frame.lookupPc)!.function;
      for (const name of ["arr", "s"]) {
        const v = frame.scopes!.flatMap((sc) => sc.variables as Variable[]).find((x) => x.name === name)!;
        const loc = locateVariable(v, frame.lookupPc - bias, fn, { readRegister: (r) => frame.registers.get(r), readMemory: () => undefined, callFrameCfa: () => frame.cfa, tlsAddress: () => undefined, addressBias: bias });
        expect(loc.kind === "pieces" && loc.pieces.some((p) => p.location.kind === "unavailable"), `${name} has an empty piece`).toBe(true);
      }
      for (const context of ["repl", "hover"] as const) {
        const show = (t: string) => dbg.inspector.evaluate(t, 0, { context }).value;
        expect(show("arr[1]"), context).toBe("230 '\\346'");
        expect(show("arr[4] + arr[0]"), context).toBe("61");
        expect(show("s.a"), context).toBe("204");
        expect(show("s.c + 0"), context).toBe("170");
        expect(show("arr[3]"), context).toBe("<optimized out>");
        expect(show("t.m14"), context).toBe("268435434");
        expect(show("s"), context).toMatch(/^\{a = 204, b = false, c = 170 '\\252'\}$/);
      }
      const locals = dbg.inspector.scopes(0).find((sc) => sc.kind === "locals")!;
      const arr = dbg.inspector.variables(locals.variablesReference).find((v) => v.name === "arr")!;
      const elements = dbg.inspector.variables(arr.variablesReference).map((v) => v.value);
      expect(elements).toEqual(["1 '\\001'", "230 '\\346'", "<optimized out>", "<optimized out>", "60 '<'"]);
      expect(() => dbg.inspector.evaluate("arr[1] = 5", 0, { context: "repl" })).toThrow(/'arr' is partly optimized out here .*; an expression that runs code cannot use it/);
      expect((await dbg.continue()).reason).toBe("exited");
      expect(output.join("")).toBe("1 230 60 204 170 268435434\n");
    } finally {
      dbg.close();
    }
  });
});
