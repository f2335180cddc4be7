/**
 * Setting floating and complex values from text (the variables view's setVariable): C constants,
 * inf and nan, long double exactly, complex values written as gdb prints them; each read back
 * through the same formatter the debugger shows values with.
 */
import { describe, expect, it } from "vitest";
import { DW_ATE } from "../../src/dwarf/constants.js";
import { BaseType } from "../../src/dwarf/types.js";
import { assign, formatValue, type Memory, type Value } from "../../src/values/value.js";

const memory: Memory = { read: () => undefined, write: () => undefined, symbolAt: () => undefined };

function setAndShow(name: string, size: number, encoding: number, text: string): string {
  let bytes = new Uint8Array(size);
  const v = (): Value => ({ type: new BaseType(-1, name, size, encoding), location: { kind: "bytes", bytes, store: (b) => (bytes = Uint8Array.from(b)) } });
  try {
    assign(memory, v(), text);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
  return formatValue(memory, v());
}

describe("floating and complex values set from text", () => {
  it("long double exactly, as gdb prints it", () => {
    expect(["1.1", "-1e4000", "0x1p-16445", "inf", "-nan", "3.5L"].map((t) => setAndShow("long double", 16, DW_ATE.float, t)))
      .toEqual(["1.10000000000000000002", "-9.99999999999999999997e+3999", "3.64519953188247460253e-4951", "inf", "-nan(0xc000000000000000)", "3.5"]);
  });

  it("double and float round once, to their own type", () => {
    expect([setAndShow("double", 8, DW_ATE.float, "0.1"), setAndShow("float", 4, DW_ATE.float, "1.1f"), setAndShow("double", 8, DW_ATE.float, "1.5e-3")]).toEqual(["0.1", "1.1", "0.0015"]);
  });

  it("complex values in gdb's form", () => {
    const cd = (t: string): string => setAndShow("complex double", 16, DW_ATE.complex_float, t);
    expect(["1.5 + -2i", "1 - 2i", "1 - -2i", "3", "2.5i", "-0.25i", "inf + 1e-3i"].map(cd)).toEqual(["1.5 + -2i", "1 + -2i", "1 + 2i", "3 + 0i", "0 + 2.5i", "0 + -0.25i", "+Inf + 0.001i"]);
    expect(setAndShow("complex long double", 32, DW_ATE.complex_float, "1.1 + 0.1i")).toBe("1.10000000000000000002 + 0.100000000000000000001i");
    expect(setAndShow("complex float", 8, DW_ATE.complex_float, "1.1 + 2i")).toBe("1.1 + 2i");
  });

  it("refuses text that is not a number, saying how to write one", () => {
    expect(setAndShow("double", 8, DW_ATE.float, "abc")).toMatch(/'abc' is not a number for type double \(write it as a C constant/);
    expect(setAndShow("complex double", 16, DW_ATE.complex_float, "1 + 2j + 3")).toMatch(/is not a value of type complex double \(write it as gdb prints one/);
  });
});
