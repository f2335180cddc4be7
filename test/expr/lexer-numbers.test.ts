/**
 * Integer and floating constants as the lexer reads them: plain decimal digits (read without the
 * pattern) and every other form (octal, hex, suffixes, dots, exponents) alike.
 */
import { describe, expect, it } from "vitest";
import { tokenize } from "../../src/expr/lexer.js";

const first = (src: string) => tokenize(src)[0]!;

describe("numeric constants", () => {
  it("plain decimal digits, alone and before an operator", () => {
    expect(first("1005")).toEqual({ kind: "int", text: "1005", pos: 0, intValue: 1005n, suffix: "", nonDecimal: false });
    expect(first("0")).toEqual({ kind: "int", text: "0", pos: 0, intValue: 0n, suffix: "", nonDecimal: false });
    expect(tokenize("counter * 3 + 18446744073709551615").map((t) => t.text).slice(0, 5)).toEqual(["counter", "*", "3", "+", "18446744073709551615"]);
    expect(tokenize("a[12]")[2]).toMatchObject({ kind: "int", intValue: 12n, pos: 2 });
  });

  it("octal, hex, suffixes, floats and bad digits take the general path", () => {
    expect(first("012")).toMatchObject({ kind: "int", intValue: 10n, nonDecimal: true });
    expect(() => tokenize("09")).toThrow(/octal/);
    expect(first("0x1F")).toMatchObject({ kind: "int", intValue: 31n, nonDecimal: true });
    expect(first("10u")).toMatchObject({ kind: "int", intValue: 10n, suffix: "u" });
    expect(first("7ULL")).toMatchObject({ kind: "int", intValue: 7n, suffix: "ull" });
    expect(first("1.5")).toMatchObject({ kind: "float", floatValue: 1.5 });
    expect(first("5.")).toMatchObject({ kind: "float", floatValue: 5 });
    expect(first("1e3")).toMatchObject({ kind: "float", floatValue: 1000 });
    expect(() => tokenize("12abc")).toThrow(/invalid suffix/);
  });
});
