/**
 * Attribute forms, table-driven: each DW_FORM_* knows how to read its encoded value from a cursor.
 * Values that need another section (strx, addrx, strp, rnglistx, loclistx) are kept as indices or
 * offsets here and resolved by the unit, which knows its bases (DW_AT_str_offsets_base and friends).
 */
import { ByteReader } from "./byte-reader.js";
import { DW_FORM, constantName } from "./constants.js";
import { DwarfError, hex } from "./errors.js";

export type AttrValue =
  | { kind: "address"; value: bigint }
  | { kind: "addrx"; index: number }
  /** data1/2/4/8 (size in bytes, signedness unknown), udata (size 0), sdata/implicit_const (signed). */
  | { kind: "constant"; value: bigint; size: number; signed: boolean }
  | { kind: "flag"; value: boolean }
  | { kind: "string"; value: string }
  | { kind: "strp"; section: ".debug_str" | ".debug_line_str"; offset: number }
  | { kind: "strx"; index: number }
  /** A reference, already turned into an absolute .debug_info offset. */
  | { kind: "ref"; offset: number }
  | { kind: "ref_sig8"; signature: bigint }
  | { kind: "sec_offset"; offset: number }
  | { kind: "block"; bytes: Uint8Array; exprloc: boolean }
  | { kind: "data16"; bytes: Uint8Array }
  | { kind: "loclistx"; index: number }
  | { kind: "rnglistx"; index: number }
  /** Forms that point into another file (dwz .gnu_debugaltlink, supplementary files): read, not resolved. */
  | { kind: "external"; form: number; offset: number };

export interface FormContext {
  readonly addressSize: number;
  /** 64-bit DWARF (offsets are 8 bytes). */
  readonly is64: boolean;
  /** Section offset of the unit header, for unit-relative references. */
  readonly unitOffset: number;
  readonly version: number;
}

type FormReader = (r: ByteReader, ctx: FormContext, implicitConst: bigint) => AttrValue;

interface FormSpec {
  readonly name: string;
  readonly read: FormReader;
}

const constant = (size: number): FormReader => (r) => ({ kind: "constant", value: r.unsigned(size), size, signed: false });
const block = (lenSize: number): FormReader => (r) => {
  const n = lenSize === 0 ? r.ulebNum() : Number(r.unsigned(lenSize));
  return { kind: "block", bytes: r.bytes(n), exprloc: false };
};
const ref = (size: number): FormReader => (r, ctx) => ({ kind: "ref", offset: ctx.unitOffset + Number(r.unsigned(size)) });
const strx = (size: number): FormReader => (r) => ({ kind: "strx", index: size === 3 ? r.u24() : Number(r.unsigned(size)) });
const addrx = (size: number): FormReader => (r) => ({ kind: "addrx", index: size === 3 ? r.u24() : Number(r.unsigned(size)) });
const external: FormReader = (r, ctx) => ({ kind: "external", form: 0, offset: r.offset(ctx.is64) });

/** DW_FORM_* → reader. DW_FORM_indirect is handled by readForm (it names the real form inline). */
export const FORMS: Readonly<Record<number, FormSpec>> = {
  [DW_FORM.addr]: { name: "addr", read: (r, ctx) => ({ kind: "address", value: r.address(ctx.addressSize) }) },
  [DW_FORM.block2]: { name: "block2", read: block(2) },
  [DW_FORM.block4]: { name: "block4", read: block(4) },
  [DW_FORM.data2]: { name: "data2", read: constant(2) },
  [DW_FORM.data4]: { name: "data4", read: constant(4) },
  [DW_FORM.data8]: { name: "data8", read: constant(8) },
  [DW_FORM.string]: { name: "string", read: (r) => ({ kind: "string", value: r.cstr() }) },
  [DW_FORM.block]: { name: "block", read: block(0) },
  [DW_FORM.block1]: { name: "block1", read: block(1) },
  [DW_FORM.data1]: { name: "data1", read: constant(1) },
  [DW_FORM.flag]: { name: "flag", read: (r) => ({ kind: "flag", value: r.u8() !== 0 }) },
  [DW_FORM.sdata]: { name: "sdata", read: (r) => ({ kind: "constant", value: r.sleb(), size: 0, signed: true }) },
  [DW_FORM.strp]: { name: "strp", read: (r, ctx) => ({ kind: "strp", section: ".debug_str", offset: r.offset(ctx.is64) }) },
  [DW_FORM.udata]: { name: "udata", read: (r) => ({ kind: "constant", value: r.uleb(), size: 0, signed: false }) },
  [DW_FORM.ref_addr]: {
    name: "ref_addr",
    // DWARF 2 used the address size for ref_addr; DWARF 3+ the offset size.
    read: (r, ctx) => ({ kind: "ref", offset: ctx.version <= 2 ? Number(r.address(ctx.addressSize)) : r.offset(ctx.is64) }),
  },
  [DW_FORM.ref1]: { name: "ref1", read: ref(1) },
  [DW_FORM.ref2]: { name: "ref2", read: ref(2) },
  [DW_FORM.ref4]: { name: "ref4", read: ref(4) },
  [DW_FORM.ref8]: { name: "ref8", read: ref(8) },
  [DW_FORM.ref_udata]: { name: "ref_udata", read: (r, ctx) => ({ kind: "ref", offset: ctx.unitOffset + r.ulebNum() }) },
  [DW_FORM.sec_offset]: { name: "sec_offset", read: (r, ctx) => ({ kind: "sec_offset", offset: r.offset(ctx.is64) }) },
  [DW_FORM.exprloc]: { name: "exprloc", read: (r) => ({ kind: "block", bytes: r.bytes(r.ulebNum()), exprloc: true }) },
  [DW_FORM.flag_present]: { name: "flag_present", read: () => ({ kind: "flag", value: true }) },
  [DW_FORM.strx]: { name: "strx", read: (r) => ({ kind: "strx", index: r.ulebNum() }) },
  [DW_FORM.addrx]: { name: "addrx", read: (r) => ({ kind: "addrx", index: r.ulebNum() }) },
  [DW_FORM.ref_sup4]: { name: "ref_sup4", read: (r) => ({ kind: "external", form: DW_FORM.ref_sup4, offset: r.u32() }) },
  [DW_FORM.strp_sup]: { name: "strp_sup", read: external },
  [DW_FORM.data16]: { name: "data16", read: (r) => ({ kind: "data16", bytes: r.bytes(16) }) },
  [DW_FORM.line_strp]: { name: "line_strp", read: (r, ctx) => ({ kind: "strp", section: ".debug_line_str", offset: r.offset(ctx.is64) }) },
  [DW_FORM.ref_sig8]: { name: "ref_sig8", read: (r) => ({ kind: "ref_sig8", signature: r.u64() }) },
  [DW_FORM.implicit_const]: { name: "implicit_const", read: (_r, _ctx, c) => ({ kind: "constant", value: c, size: 0, signed: true }) },
  [DW_FORM.loclistx]: { name: "loclistx", read: (r) => ({ kind: "loclistx", index: r.ulebNum() }) },
  [DW_FORM.rnglistx]: { name: "rnglistx", read: (r) => ({ kind: "rnglistx", index: r.ulebNum() }) },
  [DW_FORM.ref_sup8]: { name: "ref_sup8", read: (r) => ({ kind: "external", form: DW_FORM.ref_sup8, offset: Number(r.u64()) }) },
  [DW_FORM.strx1]: { name: "strx1", read: strx(1) },
  [DW_FORM.strx2]: { name: "strx2", read: strx(2) },
  [DW_FORM.strx3]: { name: "strx3", read: strx(3) },
  [DW_FORM.strx4]: { name: "strx4", read: strx(4) },
  [DW_FORM.addrx1]: { name: "addrx1", read: addrx(1) },
  [DW_FORM.addrx2]: { name: "addrx2", read: addrx(2) },
  [DW_FORM.addrx3]: { name: "addrx3", read: addrx(3) },
  [DW_FORM.addrx4]: { name: "addrx4", read: addrx(4) },
  [DW_FORM.GNU_addr_index]: { name: "GNU_addr_index", read: (r) => ({ kind: "addrx", index: r.ulebNum() }) },
  [DW_FORM.GNU_str_index]: { name: "GNU_str_index", read: (r) => ({ kind: "strx", index: r.ulebNum() }) },
  [DW_FORM.GNU_ref_alt]: { name: "GNU_ref_alt", read: external },
  [DW_FORM.GNU_strp_alt]: { name: "GNU_strp_alt", read: external },
};

export function isKnownForm(form: number): boolean {
  return form === DW_FORM.indirect || FORMS[form] !== undefined;
}

export function formName(form: number): string {
  return form === DW_FORM.indirect ? "DW_FORM_indirect" : FORMS[form] ? `DW_FORM_${FORMS[form]!.name}` : constantName(DW_FORM, "DW_FORM", form);
}

/** Reads one attribute value of `form` (following DW_FORM_indirect). */
export function readForm(r: ByteReader, form: number, ctx: FormContext, implicitConst = 0n): AttrValue {
  let f = form;
  let hops = 0;
  while (f === DW_FORM.indirect) {
    f = r.ulebNum();
    if (++hops > 4) throw new DwarfError("DWARF_CORRUPT", r.whereAt(), `the DW_FORM_indirect chain does not end${r.inRecord}`);
  }
  const spec = FORMS[f];
  if (!spec) {
    throw new DwarfError("DWARF_UNKNOWN_FORM", r.whereAt(), `unknown attribute form ${hex(f)}${r.inRecord}; the producer uses an extension jitdbg does not read`);
  }
  return spec.read(r, ctx, implicitConst);
}

/** Constant of an attribute as a signed value: fixed-size data forms are sign-extended from their size. */
export function signedConstant(v: AttrValue): bigint | undefined {
  if (v.kind !== "constant") return undefined;
  if (v.signed || v.size === 0) return v.value;
  return BigInt.asIntN(v.size * 8, v.value);
}

/** Constant of an attribute as an unsigned value (sdata negative values stay negative). */
export function unsignedConstant(v: AttrValue): bigint | undefined {
  return v.kind === "constant" ? v.value : undefined;
}
