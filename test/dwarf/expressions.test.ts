import { describe, expect, it } from "vitest";
import { ByteReader } from "../../src/dwarf/byte-reader.js";
import { evaluateLocation, evaluateValue, formatExpression, DwarfError, type ExprContext } from "../../src/dwarf/index.js";

const e = (...b: number[]): Uint8Array => new Uint8Array(b);
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

describe("LEB128 and fixed readers", () => {
  it("decodes the DWARF spec examples", () => {
    const r = new ByteReader(e(2, 127, 0x80, 1, 0x81, 1, 0x82, 1, 57 + 0x80, 100), {});
    expect([r.uleb(), r.uleb(), r.uleb(), r.uleb(), r.uleb(), r.uleb()]).toEqual([2n, 127n, 128n, 129n, 130n, 12857n]);
    const s = new ByteReader(e(2, 0x7e, 127 + 0x80, 0, 0x81, 0x7f, 0x80, 1, 0x80, 0x7f), {});
    expect([s.sleb(), s.sleb(), s.sleb(), s.sleb(), s.sleb(), s.sleb()]).toEqual([2n, -2n, 127n, -127n, 128n, -128n]);
    const big = new ByteReader(e(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), {});
    expect(big.uleb()).toBe(0xffff_ffff_ffff_ffffn);
  });

  it("reports reads past the end with the section and offset", () => {
    const r = new ByteReader(e(1, 2), { file: "a.out", section: ".debug_info", record: "unit at 0x0" });
    r.u8();
    expect(() => r.u32()).toThrowError(DwarfError);
    expect(() => r.u32()).toThrowError(/^a\.out: section \.debug_info\+0x1: reading 4 byte\(s\) runs past the end at 0x2 \(in the unit at 0x0\)/);
    expect(() => r.u32()).toThrowError(expect.objectContaining({ code: "DWARF_TRUNCATED", where: { file: "a.out", section: ".debug_info", offset: 1 } }));
  });
});

describe("DWARF expression evaluator", () => {
  const regs: ExprContext = { readRegister: (r) => BigInt(r) * 0x100n, readMemory: (a, s) => (a === 0x1000n && s === 8 ? 0xdeadn : a === 0x1000n && s === 4 ? 0xadn : undefined) };

  it("computes stack arithmetic, comparisons and branches", () => {
    // lit5 lit3 minus → 2; lit2 mul → 4; dup lit4 eq bra +1 ; lit0 (skipped) ; stack_value
    const expr = e(0x35, 0x33, 0x1c, 0x32, 0x1e, 0x12, 0x34, 0x29, 0x28, 1, 0, 0x30, 0x9f);
    expect(evaluateLocation(expr, {})).toEqual({ kind: "value", value: 4n });
    expect(evaluateLocation(e(0x31, 0x1f, 0x9f), {})).toEqual({ kind: "value", value: 0xffff_ffff_ffff_ffffn }); // neg 1
    expect(evaluateLocation(e(0x11, 0x7f, 0x19, 0x9f), {})).toEqual({ kind: "value", value: 1n }); // abs(consts -1)
    expect(evaluateLocation(e(0x38, 0x31, 0x25, 0x9f), {})).toEqual({ kind: "value", value: 4n }); // 8 >> 1
    expect(evaluateLocation(e(0x08, 200, 0x09, 0xff, 0x1b, 0x9f), {})).toEqual({ kind: "value", value: BigInt.asUintN(64, -200n) }); // 200 / -1
    expect(evaluateLocation(e(0x37, 0x32, 0x16, 0x1c, 0x9f), {})).toEqual({ kind: "value", value: BigInt.asUintN(64, -5n) }); // swap then 2-7
    expect(evaluateLocation(e(0x31, 0x32, 0x33, 0x17, 0x9f), {})).toEqual({ kind: "value", value: 2n }); // rot
    expect(evaluateLocation(e(0x31, 0x32, 0x14, 0x15, 1, 0x22, 0x22, 0x9f), {})).toEqual({ kind: "value", value: 5n }); // 1 2 over(1) pick1(2) → 1+2+... 
  });

  it("handles addresses, registers, fbreg, deref and plus_uconst", () => {
    expect(evaluateLocation(e(0x03, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0), {})).toEqual({ kind: "memory", address: 0x12345678n });
    expect(evaluateLocation(e(0x55), {})).toEqual({ kind: "register", reg: 5 });
    expect(evaluateLocation(e(0x90, 17), {})).toEqual({ kind: "register", reg: 17 });
    expect(evaluateLocation(e(0x76, 0x10), regs)).toEqual({ kind: "memory", address: 0x610n }); // breg6 +16
    expect(evaluateLocation(e(0x92, 3, 0x70), regs)).toEqual({ kind: "memory", address: 0x300n - 16n }); // bregx 3 -16
    expect(evaluateLocation(e(0x91, 0x6c), { frameBase: () => 0x2000n })).toEqual({ kind: "memory", address: 0x2000n - 20n });
    expect(evaluateLocation(e(0x0a, 0x00, 0x10, 0x06, 0x9f), regs)).toEqual({ kind: "value", value: 0xdeadn });
    expect(evaluateLocation(e(0x0a, 0x00, 0x10, 0x94, 4, 0x23, 3, 0x9f), regs)).toEqual({ kind: "value", value: 0xb0n });
    expect(evaluateValue(e(0x9c), { callFrameCfa: () => 0x9000n })).toEqual({ kind: "value", value: 0x9000n });
    expect(evaluateValue(e(0x56), regs)).toEqual({ kind: "value", value: 0x600n }); // frame base in rbp: its value
  });

  it("builds composite locations from pieces", () => {
    // reg0 piece 4; fbreg -8 piece 4; (empty) piece 8
    const loc = evaluateLocation(e(0x50, 0x93, 4, 0x91, 0x78, 0x93, 4, 0x93, 8), { frameBase: () => 0x100n });
    expect(loc).toEqual({
      kind: "pieces",
      pieces: [
        { bitSize: 32, bitOffset: 0, location: { kind: "register", reg: 0 } },
        { bitSize: 32, bitOffset: 0, location: { kind: "memory", address: 0xf8n } },
        { bitSize: 64, bitOffset: 0, location: { kind: "unavailable", reason: "optimized out" } },
      ],
    });
  });

  it("handles implicit values, TLS, addrx/constx, and entry values through callbacks", () => {
    expect(evaluateLocation(e(0x9e, 2, 0x34, 0x12), {})).toEqual({ kind: "implicit", bytes: e(0x34, 0x12) });
    const tls = e(0x0e, 8, 0, 0, 0, 0, 0, 0, 0, 0x9b);
    expect(evaluateLocation(tls, { tlsAddress: (o) => 0x7000n + o })).toEqual({ kind: "memory", address: 0x7008n });
    expect(evaluateLocation(e(0x0c, 16, 0, 0, 0, 0xe0), { tlsAddress: (o) => 0x7000n + o })).toEqual({ kind: "memory", address: 0x7010n });
    expect(evaluateLocation(tls, {})).toMatchObject({ kind: "unavailable", reason: expect.stringMatching(/thread-local/) });
    expect(evaluateLocation(e(0xa1, 1), { addrx: (i) => 0x4000n + BigInt(i) })).toEqual({ kind: "memory", address: 0x4001n });
    expect(evaluateLocation(e(0xa2, 2, 0x9f), { addrx: (i) => BigInt(i) * 10n })).toEqual({ kind: "value", value: 20n });
    const entry = e(0xa3, 1, 0x55, 0x9f); // DW_OP_entry_value(DW_OP_reg5); stack_value
    const unavailable = evaluateLocation(entry, regs);
    expect(unavailable.kind).toBe("unavailable");
    expect(unavailable.kind === "unavailable" && unavailable.reason).toMatch(/value on entry.*DW_OP_reg5/);
    expect(evaluateLocation(entry, { entryValue: (sub) => (sub[0] === 0x55 ? 77n : undefined) })).toEqual({ kind: "value", value: 77n });
    expect(evaluateLocation(e(0xf3, 1, 0x55, 0x9f), { entryValue: () => 5n })).toEqual({ kind: "value", value: 5n });
    expect(evaluateLocation(e(), {})).toEqual({ kind: "unavailable", reason: "optimized out" });
    expect(evaluateLocation(e(0x76, 0), {})).toMatchObject({ kind: "unavailable", reason: expect.stringMatching(/rbp/) });
  });

  it("rejects malformed expressions with a DwarfError naming the operation", () => {
    expect(() => evaluateLocation(e(0x22), {})).toThrowError(/DW_OP_plus at byte 0: stack underflow/);
    expect(() => evaluateLocation(e(0x02), {})).toThrowError(/unknown opcode 0x2/);
    expect(() => evaluateLocation(e(0x30, 0x30, 0x1b), {})).toThrowError(/division by zero/);
    expect(() => evaluateLocation(e(0x2f, 0xff, 0x7f), {})).toThrowError(/branch target/);
    expect(() => evaluateLocation(e(0x50, 0x30), {})).toThrowError(DwarfError);
    expect(formatExpression(e(0x91, 0x6c, 0x06))).toBe("DW_OP_fbreg -20; DW_OP_deref");
    expect(formatExpression(e(0x92, ...uleb(3), 0x10))).toBe("DW_OP_bregx 3 16");
  });
});
