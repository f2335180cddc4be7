/**
 * Writes to a caller frame's register-resident locals (gdb's `up` + `set var l = 4`): the value
 * goes where a callee saved the register (found through the CFI of the frames below), or into the
 * live register when none did, and the program prints it after the calls return. The console's
 * assignment and setVariable share that one mechanism. The test reads each local's DWARF location
 * at the caller's pc first, so it cannot pass on a local that happens to be in memory.
 */
import { describe, expect, it } from "vitest";
import { locateVariable, type Location, type Variable } from "../../src/dwarf/index.js";
import type { Debugger } from "../../src/debugger/debugger.js";
import type { Frame } from "../../src/debugger/inspect/stack.js";
import { CALLEE_SAVED_REGS, DWARF_GPRS } from "../../src/debugger/inspect/registers.js";
import { compileFixture, hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { lineOf } from "./markers.js";

const FIXTURE = "frames/caller_registers.c";
const COMPILERS = ["gcc", "clang"].filter(hasCompiler);

/** The DWARF location of `name` in `frame` (a frame of `caller`), by the project's DWARF reader. */
function locationIn(frame: Frame, name: string): Location {
  const v = frame.scopes!.flatMap((s) => s.variables as Variable[]).find((x) => x.name === name);
  if (!v) throw new Error(`no local '${name}' in frame ${frame.index}`);
  const bias = frame.image?.bias ?? 0n;
  const fn = frame.image!.functionAt(frame.lookupPc)!.function;
  return locateVariable(v, frame.lookupPc - bias, fn, { readRegister: (r) => frame.registers.get(r), readMemory: () => undefined, callFrameCfa: () => frame.cfa, tlsAddress: () => undefined, addressBias: bias });
}

/** The callee-saved register a location names (a whole local, or one piece of it). */
function calleeSavedRegister(loc: Location, piece?: number): number {
  const simple = piece === undefined ? loc : loc.kind === "pieces" ? loc.pieces[piece]!.location : undefined;
  if (simple?.kind !== "register" || !CALLEE_SAVED_REGS.includes(simple.reg)) throw new Error(`not in a callee-saved register: ${JSON.stringify(simple ?? loc, (_k, x) => (typeof x === "bigint" ? x.toString() : x))}`);
  return simple.reg;
}

function callerFrame(dbg: Debugger): Frame {
  const f = dbg.stackTrace().find((x) => x.functionName === "caller");
  if (!f) throw new Error("no frame of caller");
  return f;
}

function repl(dbg: Debugger, text: string, frame: number): string {
  return dbg.inspector.evaluate(text, frame, { context: "repl" }).value;
}

/** setVariable on a local of the frame, or on a member of one (`p.y`). */
function setVariable(dbg: Debugger, frame: number, path: string, value: string): string {
  const [name, member] = path.split(".");
  const locals = dbg.inspector.scopes(frame).find((s) => s.kind === "locals")!;
  let ref = locals.variablesReference;
  let target = name!;
  if (member) {
    ref = dbg.inspector.variables(ref).find((v) => v.name === name)!.variablesReference;
    target = member;
  }
  return dbg.inspector.setVariable(ref, target, value).value;
}

describe.each(COMPILERS)("writes to caller frames' register locals (%s -O2)", (cc) => {
  it("go to the callee's save slots or the live registers, and the program prints them after the calls return", async () => {
    const exe = compileFixture(FIXTURE, { cc, flags: ["-static", "-O2", "-g"] });
    const { dbg, output } = launch(exe);
    dbg.setSourceBreakpoints("caller_registers.c", [{ line: lineOf(FIXTURE, "BREAK_SAVING") }, { line: lineOf(FIXTURE, "BREAK_LEAF") }]);
    expect((await dbg.start()).reason).toBe("breakpoint");

    // In saving(), which pushed every callee-saved register: the caller's l and p are in its save slots.
    let caller = callerFrame(dbg);
    expect(caller.index).toBe(1);
    const lReg = calleeSavedRegister(locationIn(caller, "l"));
    const pxReg = calleeSavedRegister(locationIn(caller, "p"), 0);
    const pyReg = calleeSavedRegister(locationIn(caller, "p"), 1);
    for (const r of [lReg, pxReg, pyReg]) expect(caller.homes.get(r)?.kind, `register ${r} saved by saving()`).toBe("memory");
    expect(repl(dbg, "l = 100", 1)).toBe("100");
    expect(setVariable(dbg, 1, "p.y", "200")).toBe("200");
    expect(repl(dbg, "l", 1)).toBe("100");
    expect(repl(dbg, "p.y", 1)).toBe("200");
    // `plus` with gcc is recomputed from n (DW_OP_stack_value): it has no home and the write is refused with why.
    const plus = locationIn(caller, "plus");
    if (cc === "gcc") expect(plus.kind).toBe("value");
    if (plus.kind === "value") {
      expect(() => repl(dbg, "plus = 1", 1)).toThrow(/cannot assign to 'plus' in frame 1: the compiler computes it from other values here \(DW_OP_stack_value\)/);
      expect(() => setVariable(dbg, 1, "plus", "1")).toThrow(/cannot be set: the compiler computes it/);
    }

    // In leaf() called by caller: nothing saved them, they are in the live registers.
    expect((await dbg.continue()).reason).toBe("breakpoint");
    caller = callerFrame(dbg);
    expect(caller.index).toBe(1);
    for (const r of [lReg, pxReg]) expect(caller.homes.get(r)).toEqual({ kind: "register", reg: r });
    expect(setVariable(dbg, 1, "l", "300")).toBe("300");
    expect(repl(dbg, "p.x = 400", 1)).toBe("400");

    // In leaf() called by middle(), which saved them: frame 2 is the caller; the slots are middle's.
    expect((await dbg.continue()).reason).toBe("breakpoint");
    caller = callerFrame(dbg);
    expect(caller.index).toBe(2);
    for (const r of [lReg, pyReg]) expect(caller.homes.get(r)?.kind).toBe("memory");
    // A register by name in a caller frame goes to the same save slot as the local it holds.
    repl(dbg, `$${DWARF_GPRS.get(lReg)!} = l + 5`, 2);
    expect(repl(dbg, "l", 2)).toBe("305");
    expect(repl(dbg, "p.y = p.x * 2", 2)).toBe("800");
    if (plus.kind !== "value") expect(repl(dbg, "plus = 2000", 2)).toBe("2000");
    // Leaving leaf and middle restores the registers from the slots the writes went to.
    expect((await dbg.stepOut()).reason).toBe("step");
    expect((await dbg.stepOut()).reason).toBe("step");
    expect(dbg.stackTrace()[0]!.functionName).toBe("caller");
    expect(repl(dbg, "l", 0)).toBe("305");

    expect((await dbg.continue()).reason).toBe("exited");
    const plusShown = plus.kind === "value" ? 1002 : 2000;
    expect(output.join("")).toBe(
      "after saving: l=100 p={12,200}\n" +
        "after leaf: l=300 p={400,200}\n" +
        `after middle: l=305 p={400,800} plus=${plusShown}\n` +
        "result 1505\n",
    );
    dbg.close();
  });
});
