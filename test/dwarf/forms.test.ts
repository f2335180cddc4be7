/**
 * Forms gcc 12 never emits but clang (and split DWARF) do: a hand-assembled DWARF 5 unit using
 * strx1/strx2, addrx/addrx1, rnglistx, loclistx, line_strp, data16, implicit_const and indirect,
 * with the base attributes that go with them.
 */
import { describe, expect, it } from "vitest";
import { Dwarf, DwarfSections, DW_AT, DW_FORM, DW_TAG } from "../../src/dwarf/index.js";

class Bytes {
  readonly b: number[] = [];
  u8(...v: number[]): this { this.b.push(...v); return this; }
  u16(v: number): this { return this.u8(v & 0xff, (v >> 8) & 0xff); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: bigint): this { return this.u32(Number(v & 0xffffffffn)).u32(Number(v >> 32n)); }
  uleb(n: number): this {
    do {
      let x = n & 0x7f;
      n = Math.floor(n / 128);
      if (n) x |= 0x80;
      this.b.push(x);
    } while (n);
    return this;
  }
  sleb(n: number): this {
    for (;;) {
      const x = n & 0x7f;
      n >>= 7;
      if ((n === 0 && !(x & 0x40)) || (n === -1 && x & 0x40)) return this.u8(x);
      this.u8(x | 0x80);
    }
  }
  str(s: string): this { return this.u8(...Buffer.from(s, "latin1"), 0); }
  get length(): number { return this.b.length; }
  /** Prefixes a 32-bit unit length. */
  unit(): Uint8Array { return new Uint8Array([...new Bytes().u32(this.b.length).b, ...this.b]); }
  raw(): Uint8Array { return new Uint8Array(this.b); }
}

function synthetic(): Dwarf {
  const F = DW_FORM;
  const A = DW_AT;
  const abbrev = new Bytes()
    .uleb(1).uleb(DW_TAG.compile_unit).u8(1)
    .uleb(A.name).uleb(F.strx1).uleb(A.str_offsets_base).uleb(F.sec_offset).uleb(A.addr_base).uleb(F.sec_offset)
    .uleb(A.rnglists_base).uleb(F.sec_offset).uleb(A.loclists_base).uleb(F.sec_offset).uleb(A.comp_dir).uleb(F.line_strp)
    .uleb(A.low_pc).uleb(F.addr).uleb(A.ranges).uleb(F.rnglistx).uleb(0).uleb(0)
    .uleb(2).uleb(DW_TAG.subprogram).u8(1)
    .uleb(A.name).uleb(F.strx2).uleb(A.low_pc).uleb(F.addrx).uleb(A.high_pc).uleb(F.data4).uleb(A.frame_base).uleb(F.exprloc)
    .uleb(A.decl_line).uleb(F.implicit_const).sleb(42).uleb(A.external).uleb(F.flag_present).uleb(0).uleb(0)
    .uleb(3).uleb(DW_TAG.variable).u8(0)
    .uleb(A.name).uleb(F.indirect).uleb(A.location).uleb(F.loclistx).uleb(A.type).uleb(F.ref4).uleb(0).uleb(0)
    .uleb(4).uleb(DW_TAG.base_type).u8(0)
    .uleb(A.name).uleb(F.strx1).uleb(A.byte_size).uleb(F.data1).uleb(A.encoding).uleb(F.data1).uleb(0).uleb(0)
    .uleb(5).uleb(DW_TAG.variable).u8(0)
    .uleb(A.name).uleb(F.string).uleb(A.const_value).uleb(F.data16).uleb(A.type).uleb(F.ref_udata).uleb(0).uleb(0)
    .uleb(0);
  const str = new Bytes().u8(0).str("unit.c").str("fn").str("int"); // offsets 1, 8, 11
  const strOffsets = new Bytes().u16(5).u16(0).u32(1).u32(8).u32(11).unit(); // base 8
  const addr = new Bytes().u16(5).u8(8, 0).u64(0x1000n).u64(0x1100n).unit(); // base 8
  const rng = new Bytes().u16(5).u8(8, 0).u32(1).u32(4) // base 12; list 0 at base+4
    .u8(3).uleb(0).uleb(0x200) // startx_length: [addr[0], +0x200)
    .u8(0).unit();
  const loc = new Bytes().u16(5).u8(8, 0).u32(1).u32(4)
    .u8(3).uleb(1).uleb(0x10).uleb(1).u8(0x55) // [0x1100, 0x1110): DW_OP_reg5
    .u8(1).uleb(1) // base_addressx 1 → 0x1100
    .u8(4).uleb(0x10).uleb(0x20).uleb(2).u8(0x91, 0x70) // [0x1110, 0x1120): DW_OP_fbreg -16
    .u8(0).unit();
  const lineStr = new Bytes().u8(0).str("/src"); // offset 1

  // .debug_info: header (version 5, DW_UT_compile, address size 8, abbrev offset 0), then DIEs.
  const body = new Bytes().u16(5).u8(1, 8).u32(0);
  const dieBase = 4; // unit offsets count from the length field
  body.u8(1).u8(0).u32(8).u32(8).u32(12).u32(12).u32(1).u64(0n).uleb(0); // compile_unit
  body.u8(2).u16(1).uleb(1).u32(0x40).uleb(1).u8(0x9c); // subprogram "fn" at addr[1], frame base call_frame_cfa
  body.u8(3).uleb(F.string).str("x").uleb(0);
  const typeRefAt = body.length;
  body.u32(0); // patched below: ref4 to the base type
  body.u8(0); // end of subprogram children
  const intAt = dieBase + body.length;
  body.u8(4).u8(2).u8(4).u8(5); // base_type "int", 4 bytes, signed
  body.u8(5).str("k").u8(...Array.from({ length: 16 }, (_, i) => i)).uleb(intAt);
  body.u8(0); // end of unit children
  body.b.splice(typeRefAt, 4, ...new Bytes().u32(intAt).b);

  return new Dwarf(
    DwarfSections.fromMap("synthetic", {
      ".debug_info": body.unit(),
      ".debug_abbrev": abbrev.raw(),
      ".debug_str": str.raw(),
      ".debug_str_offsets": strOffsets,
      ".debug_addr": addr,
      ".debug_rnglists": rng,
      ".debug_loclists": loc,
      ".debug_line_str": lineStr.raw(),
    }),
  );
}

describe("DWARF 5 forms beyond what gcc emits", () => {
  it("resolves strx, addrx, rnglistx, loclistx, line_strp, implicit_const, indirect and data16", () => {
    const dwarf = synthetic();
    const unit = dwarf.units[0]!;
    expect(unit.version).toBe(5);
    expect(unit.name).toBe("unit.c");
    expect(unit.compDir).toBe("/src");
    expect(unit.ranges(unit.root())).toEqual([{ low: 0x1000n, high: 0x1200n }]);
    expect(dwarf.unitForPc(0x1150n)).toBe(unit);

    const fn = dwarf.findFunction("fn")!;
    expect(fn.ranges).toEqual([{ low: 0x1100n, high: 0x1140n }]);
    expect(fn.die.num(DW_AT.decl_line)).toBe(42);
    expect(fn.isExternal).toBe(true);
    expect(dwarf.functionAt(0x1120n)?.function.name).toBe("fn");

    const x = fn.variables[0]!;
    expect(x.name).toBe("x");
    expect(x.type.name).toBe("int");
    expect(x.location.kind).toBe("list");
    expect([...x.locationAt(0x1105n)!]).toEqual([0x55]);
    expect([...x.locationAt(0x1118n)!]).toEqual([0x91, 0x70]);
    expect(x.locationAt(0x1130n)).toBeUndefined();

    const k = dwarf.model(unit)!.globals.find((g) => g.name === "k")!;
    expect(k.location).toEqual({ kind: "const", value: new Uint8Array(Array.from({ length: 16 }, (_, i) => i)) });
    expect(k.type.name).toBe("int");
    expect(dwarf.errors()).toEqual([]);
  });
});
