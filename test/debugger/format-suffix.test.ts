/**
 * src/debugger/inspect/format-suffix.ts: LLDB's `expr,x` suffix and gdb's `/x expr` and `/d expr`
 * prefixes are split off the way each debugger reads them, and nothing else is.
 */
import { describe, expect, it } from "vitest";
import { splitFormatSuffix } from "../../src/debugger/inspect/format-suffix.js";

describe("splitFormatSuffix", () => {
  it("takes the last comma's `x` (spaces allowed around it) as the hex suffix", () => {
    expect(splitFormatSuffix("counter,x")).toEqual({ expression: "counter", hex: true });
    expect(splitFormatSuffix("  a[1] ,  x  ")).toEqual({ expression: "a[1]", hex: true });
    expect(splitFormatSuffix("f(a, b),x")).toEqual({ expression: "f(a, b)", hex: true });
    expect(splitFormatSuffix("f(a, x)")).toEqual({ expression: "f(a, x)", hex: false });
  });

  it("leaves a text whose last comma is followed by anything but a lone x", () => {
    for (const t of ["a, xy", "a,x1", "a, b", "x", "a,", "a,X", "g(x),x + 1"]) expect(splitFormatSuffix(t)).toEqual({ expression: t, hex: false });
  });

  it("takes gdb's /x and /d prefixes, and never splits a console command", () => {
    expect(splitFormatSuffix("/x counter")).toEqual({ expression: "counter", hex: true });
    expect(splitFormatSuffix("/d counter,x")).toEqual({ expression: "counter,x", hex: false });
    expect(splitFormatSuffix(":c int f(int a, int x),x")).toEqual({ expression: ":c int f(int a, int x),x", hex: false });
  });
});
