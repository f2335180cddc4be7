/**
 * DWARF expression opcodes as a table: name and operand encoding, so decoding (and printing) is
 * generic and the evaluator only deals with semantics.
 */
import { ByteReader } from "./byte-reader.js";
import type { ErrorWhere } from "../errors.js";
import { DwarfError, hex, isDwarfError } from "./errors.js";

export type OperandKind = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "uleb" | "sleb" | "addr" | "offset" | "block" | "typed_const";

export interface OpSpec {
  readonly name: string;
  readonly operands: readonly OperandKind[];
}

export const OP = {
  addr: 0x03, deref: 0x06, const1u: 0x08, const1s: 0x09, const2u: 0x0a, const2s: 0x0b, const4u: 0x0c,
  const4s: 0x0d, const8u: 0x0e, const8s: 0x0f, constu: 0x10, consts: 0x11, dup: 0x12, drop: 0x13, over: 0x14,
  pick: 0x15, swap: 0x16, rot: 0x17, xderef: 0x18, abs: 0x19, and: 0x1a, div: 0x1b, minus: 0x1c, mod: 0x1d,
  mul: 0x1e, neg: 0x1f, not: 0x20, or: 0x21, plus: 0x22, plus_uconst: 0x23, shl: 0x24, shr: 0x25, shra: 0x26,
  xor: 0x27, bra: 0x28, eq: 0x29, ge: 0x2a, gt: 0x2b, le: 0x2c, lt: 0x2d, ne: 0x2e, skip: 0x2f, lit0: 0x30,
  lit31: 0x4f, reg0: 0x50, reg31: 0x6f, breg0: 0x70, breg31: 0x8f, regx: 0x90, fbreg: 0x91, bregx: 0x92,
  piece: 0x93, deref_size: 0x94, xderef_size: 0x95, nop: 0x96, push_object_address: 0x97, call2: 0x98,
  call4: 0x99, call_ref: 0x9a, form_tls_address: 0x9b, call_frame_cfa: 0x9c, bit_piece: 0x9d,
  implicit_value: 0x9e, stack_value: 0x9f, implicit_pointer: 0xa0, addrx: 0xa1, constx: 0xa2,
  entry_value: 0xa3, const_type: 0xa4, regval_type: 0xa5, deref_type: 0xa6, xderef_type: 0xa7, convert: 0xa8,
  reinterpret: 0xa9, GNU_push_tls_address: 0xe0, GNU_uninit: 0xf0, GNU_encoded_addr: 0xf1,
  GNU_implicit_pointer: 0xf2, GNU_entry_value: 0xf3, GNU_const_type: 0xf4, GNU_regval_type: 0xf5,
  GNU_deref_type: 0xf6, GNU_convert: 0xf7, GNU_reinterpret: 0xf9, GNU_parameter_ref: 0xfa,
  GNU_addr_index: 0xfb, GNU_const_index: 0xfc, GNU_variable_value: 0xfd,
} as const;

const table: Record<number, OpSpec> = {};
const def = (code: number, name: string, ...operands: OperandKind[]): void => {
  table[code] = { name, operands };
};
def(OP.addr, "addr", "addr");
def(OP.deref, "deref");
def(OP.const1u, "const1u", "u8");
def(OP.const1s, "const1s", "i8");
def(OP.const2u, "const2u", "u16");
def(OP.const2s, "const2s", "i16");
def(OP.const4u, "const4u", "u32");
def(OP.const4s, "const4s", "i32");
def(OP.const8u, "const8u", "u64");
def(OP.const8s, "const8s", "i64");
def(OP.constu, "constu", "uleb");
def(OP.consts, "consts", "sleb");
for (const [n, c] of [["dup", OP.dup], ["drop", OP.drop], ["over", OP.over], ["swap", OP.swap], ["rot", OP.rot], ["xderef", OP.xderef],
  ["abs", OP.abs], ["and", OP.and], ["div", OP.div], ["minus", OP.minus], ["mod", OP.mod], ["mul", OP.mul], ["neg", OP.neg],
  ["not", OP.not], ["or", OP.or], ["plus", OP.plus], ["shl", OP.shl], ["shr", OP.shr], ["shra", OP.shra], ["xor", OP.xor],
  ["eq", OP.eq], ["ge", OP.ge], ["gt", OP.gt], ["le", OP.le], ["lt", OP.lt], ["ne", OP.ne], ["nop", OP.nop],
  ["push_object_address", OP.push_object_address], ["form_tls_address", OP.form_tls_address], ["call_frame_cfa", OP.call_frame_cfa],
  ["stack_value", OP.stack_value], ["GNU_push_tls_address", OP.GNU_push_tls_address], ["GNU_uninit", OP.GNU_uninit]] as const) {
  def(c, n);
}
def(OP.pick, "pick", "u8");
def(OP.plus_uconst, "plus_uconst", "uleb");
def(OP.bra, "bra", "i16");
def(OP.skip, "skip", "i16");
for (let i = 0; i <= 31; i++) {
  def(OP.lit0 + i, `lit${i}`);
  def(OP.reg0 + i, `reg${i}`);
  def(OP.breg0 + i, `breg${i}`, "sleb");
}
def(OP.regx, "regx", "uleb");
def(OP.fbreg, "fbreg", "sleb");
def(OP.bregx, "bregx", "uleb", "sleb");
def(OP.piece, "piece", "uleb");
def(OP.deref_size, "deref_size", "u8");
def(OP.xderef_size, "xderef_size", "u8");
def(OP.call2, "call2", "u16");
def(OP.call4, "call4", "u32");
def(OP.call_ref, "call_ref", "offset");
def(OP.bit_piece, "bit_piece", "uleb", "uleb");
def(OP.implicit_value, "implicit_value", "block");
def(OP.implicit_pointer, "implicit_pointer", "offset", "sleb");
def(OP.GNU_implicit_pointer, "GNU_implicit_pointer", "offset", "sleb");
def(OP.addrx, "addrx", "uleb");
def(OP.constx, "constx", "uleb");
def(OP.GNU_addr_index, "GNU_addr_index", "uleb");
def(OP.GNU_const_index, "GNU_const_index", "uleb");
def(OP.entry_value, "entry_value", "block");
def(OP.GNU_entry_value, "GNU_entry_value", "block");
def(OP.const_type, "const_type", "uleb", "typed_const");
def(OP.GNU_const_type, "GNU_const_type", "uleb", "typed_const");
def(OP.regval_type, "regval_type", "uleb", "uleb");
def(OP.GNU_regval_type, "GNU_regval_type", "uleb", "uleb");
def(OP.deref_type, "deref_type", "u8", "uleb");
def(OP.GNU_deref_type, "GNU_deref_type", "u8", "uleb");
def(OP.xderef_type, "xderef_type", "u8", "uleb");
def(OP.convert, "convert", "uleb");
def(OP.GNU_convert, "GNU_convert", "uleb");
def(OP.reinterpret, "reinterpret", "uleb");
def(OP.GNU_reinterpret, "GNU_reinterpret", "uleb");
def(OP.GNU_parameter_ref, "GNU_parameter_ref", "u32");
def(OP.GNU_variable_value, "GNU_variable_value", "offset");

export const OPS: Readonly<Record<number, OpSpec>> = table;

export type Operand = bigint | Uint8Array;

export interface DecodedOp {
  /** Byte offset of the opcode inside the expression. */
  readonly offset: number;
  readonly code: number;
  readonly operands: readonly Operand[];
  /** Byte offset of the next operation. */
  readonly next: number;
}

export interface DecodeOptions {
  readonly addressSize: number;
  readonly is64: boolean;
}

export function opName(code: number): string {
  const s = OPS[code];
  return s ? `DW_OP_${s.name}` : `DW_OP ${hex(code)}`;
}

/**
 * Where an expression is, for errors: the place of what it belongs to (the DIE, the FDE) and what
 * it is, as messages name it ("location of DW_TAG_variable at 0x40"). An expression's bytes are
 * named by their index in the expression, which its errors print whole.
 */
export interface ExprPlace {
  readonly where: ErrorWhere;
  readonly what: string;
}

/** An expression known by its bytes alone (tests, callers that give no place). */
export const NO_EXPR_PLACE: ExprPlace = { where: {}, what: "DWARF expression" };

/** Decodes a whole expression; unknown opcodes are an error (their length is unknown). */
export function decodeExpression(bytes: Uint8Array, opts: DecodeOptions, place: ExprPlace = NO_EXPR_PLACE): DecodedOp[] {
  const r = new ByteReader(bytes, {});
  const out: DecodedOp[] = [];
  while (!r.atEnd) {
    const offset = r.pos;
    const code = r.u8();
    const spec = OPS[code];
    if (!spec) {
      throw new DwarfError("DWARF_UNKNOWN_OP", place.where, `${place.what}: unknown opcode ${hex(code)} at byte ${offset} of expression ${formatBytes(bytes)}`);
    }
    const operands: Operand[] = [];
    try {
      for (const k of spec.operands) operands.push(readOperand(r, k, opts));
    } catch (e) {
      // The reader knows only the expression's bytes: its errors get the expression's place.
      if (!isDwarfError(e)) throw e;
      const why = e.code === "DWARF_TRUNCATED" ? "its operands run past the end of the expression" : e.text;
      throw new DwarfError(e.code, place.where, `${place.what}: ${opName(code)} at byte ${offset}: ${why} (expression ${formatBytes(bytes)})`);
    }
    out.push({ offset, code, operands, next: r.pos });
  }
  return out;
}

function readOperand(r: ByteReader, kind: OperandKind, opts: DecodeOptions): Operand {
  switch (kind) {
    case "u8": return BigInt(r.u8());
    case "i8": return BigInt(r.i8());
    case "u16": return BigInt(r.u16());
    case "i16": return BigInt(r.i16());
    case "u32": return BigInt(r.u32());
    case "i32": return BigInt(r.i32());
    case "u64": return r.u64();
    case "i64": return r.i64();
    case "uleb": return r.uleb();
    case "sleb": return r.sleb();
    case "addr": return r.address(opts.addressSize);
    case "offset": return BigInt(r.offset(opts.is64));
    case "block": return r.bytes(r.ulebNum());
    case "typed_const": return r.bytes(r.u8());
  }
}

export function formatBytes(b: Uint8Array): string {
  return `[${[...b].map((x) => x.toString(16).padStart(2, "0")).join(" ")}]`;
}

/** Human-readable form, e.g. "DW_OP_fbreg -20; DW_OP_deref". */
export function formatExpression(bytes: Uint8Array, opts: DecodeOptions = { addressSize: 8, is64: false }): string {
  try {
    return decodeExpression(bytes, opts)
      .map((op) => [opName(op.code), ...op.operands.map((o) => (typeof o === "bigint" ? o.toString() : formatBytes(o)))].join(" "))
      .join("; ");
  } catch (e) {
    if (!isDwarfError(e)) throw e;
    return formatBytes(bytes); // an expression that does not decode is shown as its bytes
  }
}
