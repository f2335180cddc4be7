/**
 * Each relocation formula is defined once, as the psABI writes it ("GE-GOT+A"), and read into value
 * slots that both evaluators use: the double fast path and the exact BigInt path. The slots are the
 * terms the text names, with their signs; the two evaluators and the two range checks agree.
 */
import { describe, expect, it } from "vitest";
import * as C from "../../src/elf/constants.js";
import { compute, computeNum, fits, fitsNum, formulaSlots, RANGES, relocKind, Term, TERM_COUNT } from "../../src/jit/relocations/x86_64.js";

describe("relocation formulas", () => {
  it("a formula's text becomes its added and subtracted terms", () => {
    expect(formulaSlots("GE-GOT+A")).toEqual({ plus1: Term.GE, plus2: Term.A, minus: Term.GOT });
    expect(formulaSlots("L+A-P")).toEqual({ plus1: Term.L, plus2: Term.A, minus: Term.P });
    expect(formulaSlots("TPOFF+A")).toEqual({ plus1: Term.TPOFF, plus2: Term.A, minus: Term.ZERO });
    expect(formulaSlots("none")).toEqual({ plus1: Term.ZERO, plus2: Term.ZERO, minus: Term.ZERO });
  });

  it("the double and BigInt evaluations of every kind agree, and match the formula's text", () => {
    const values = [0x40_1000, -8, 0x40_1234, 0x60_0000, 0x60_0010, 0x7f_0000, 24, 0x30, -0x70];
    const num = new Float64Array(TERM_COUNT);
    values.forEach((x, i) => (num[i] = x));
    const big = [...values.map(BigInt), 0n];
    const byName = new Map(Object.entries(Term).map(([name, slot]) => [name, values[slot] ?? 0]));
    let kinds = 0;
    for (let type = 0; type < 64; type++) {
      const k = relocKind(type);
      if (!k) continue;
      kinds++;
      // The text read independently: every signed term, summed.
      const expected = k.formula === "none" ? 0 : [...k.formula.matchAll(/([+-]?)([A-Z]+)/g)].reduce((sum, [, sign, name]) => sum + (sign === "-" ? -1 : 1) * byName.get(name!)!, 0);
      expect(computeNum(k, num), k.name).toBe(expected);
      expect(compute(k, big), k.name).toBe(BigInt(expected));
    }
    expect(kinds).toBe(27);
    expect(relocKind(C.R_X86_64_GOTPC32)?.formula).toBe("GOT+A-P");
  });

  it("the double and BigInt range checks agree at every bound", () => {
    for (const r of Object.values(RANGES)) {
      for (const x of [-(2 ** 31) - 1, -(2 ** 31), -1, 0, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 52]) {
        expect(fitsNum(r, x), `${r.check} ${x}`).toBe(fits(r, BigInt(x)));
      }
    }
    expect(fits(RANGES.none, 1n << 70n)).toBe(true);
    expect(fits(RANGES.unsigned32, -1n)).toBe(false);
    expect(fitsNum(RANGES.signed32, 2 ** 31)).toBe(false);
  });
});
