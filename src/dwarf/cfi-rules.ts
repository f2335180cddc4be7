/**
 * Call frame instructions, table-driven, and their execution up to a pc: the row of the CFI table
 * that gives the CFA rule and each register's rule at that pc.
 */
import { ByteReader } from "./byte-reader.js";
import type { Cie, Fde } from "./cfi-entries.js";
import { readEncodedPointer } from "./cfi-pointer.js";
import type { ErrorWhere } from "../errors.js";
import { DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";

export type CfaRule =
  | { kind: "reg-offset"; reg: number; offset: bigint }
  | { kind: "expression"; expr: Uint8Array };

export type RegisterRule =
  | { kind: "undefined" }
  | { kind: "same-value" }
  | { kind: "offset"; offset: bigint }
  | { kind: "val-offset"; offset: bigint }
  | { kind: "register"; reg: number }
  | { kind: "expression"; expr: Uint8Array }
  | { kind: "val-expression"; expr: Uint8Array };

export interface CfiRow {
  /** First address the row applies to. */
  readonly address: bigint;
  /** One past the last address it applies to, when the FDE's locations only move forwards (undefined otherwise). */
  readonly end?: bigint;
  readonly cfa: CfaRule;
  /** Rules for registers the CFI mentions; others are unspecified. */
  readonly registers: ReadonlyMap<number, RegisterRule>;
}

interface State {
  loc: bigint;
  cfa: CfaRule;
  regs: Map<number, RegisterRule>;
}

type Arg = "uleb" | "sleb" | "u8" | "u16" | "u32" | "addr" | "block";
type Val = bigint | Uint8Array;

interface Exec {
  readonly cie: Cie;
  readonly initial: ReadonlyMap<number, RegisterRule>;
  readonly stack: { cfa: CfaRule; regs: Map<number, RegisterRule> }[];
  /** The instructions' file, section and CIE/FDE, for errors. */
  readonly place: DwarfPlace;
  /** The place of the instruction being executed, for errors. */
  where(): ErrorWhere;
  /** Returns false when the pc was passed: stop executing. */
  advanceTo(loc: bigint): boolean;
}

interface CfaOp {
  readonly name: string;
  readonly args: readonly Arg[];
  apply(st: State, a: readonly Val[], x: Exec): boolean | void;
}

const n = (v: Val | undefined): bigint => (typeof v === "bigint" ? v : 0n);
const b = (v: Val | undefined): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const reg = (v: Val | undefined): number => Number(n(v));

function restore(st: State, r: number, x: Exec): void {
  const init = x.initial.get(r);
  if (init) st.regs.set(r, init);
  else st.regs.delete(r);
}

function cfaRegOffset(st: State, x: Exec): { reg: number; offset: bigint } {
  if (st.cfa.kind !== "reg-offset") {
    throw new DwarfError("DWARF_BAD_CFI", x.where(), `DW_CFA_def_cfa_register/offset used while the CFA is an expression (in the ${x.place.record})`);
  }
  return st.cfa;
}

/** The extended opcodes (primary opcodes advance_loc/offset/restore live in the top two bits). */
export const CFA_OPS: Readonly<Record<number, CfaOp>> = {
  0x00: { name: "nop", args: [], apply: () => {} },
  0x01: { name: "set_loc", args: ["addr"], apply: (_s, a, x) => x.advanceTo(n(a[0])) },
  0x02: { name: "advance_loc1", args: ["u8"], apply: (s, a, x) => x.advanceTo(s.loc + n(a[0]) * x.cie.codeAlign) },
  0x03: { name: "advance_loc2", args: ["u16"], apply: (s, a, x) => x.advanceTo(s.loc + n(a[0]) * x.cie.codeAlign) },
  0x04: { name: "advance_loc4", args: ["u32"], apply: (s, a, x) => x.advanceTo(s.loc + n(a[0]) * x.cie.codeAlign) },
  0x05: { name: "offset_extended", args: ["uleb", "uleb"], apply: (s, a, x) => void s.regs.set(reg(a[0]), { kind: "offset", offset: n(a[1]) * x.cie.dataAlign }) },
  0x06: { name: "restore_extended", args: ["uleb"], apply: (s, a, x) => restore(s, reg(a[0]), x) },
  0x07: { name: "undefined", args: ["uleb"], apply: (s, a) => void s.regs.set(reg(a[0]), { kind: "undefined" }) },
  0x08: { name: "same_value", args: ["uleb"], apply: (s, a) => void s.regs.set(reg(a[0]), { kind: "same-value" }) },
  0x09: { name: "register", args: ["uleb", "uleb"], apply: (s, a) => void s.regs.set(reg(a[0]), { kind: "register", reg: reg(a[1]) }) },
  0x0a: { name: "remember_state", args: [], apply: (s, _a, x) => void x.stack.push({ cfa: s.cfa, regs: new Map(s.regs) }) },
  0x0b: {
    name: "restore_state", args: [], apply: (s, _a, x) => {
      const saved = x.stack.pop();
      if (!saved) throw new DwarfError("DWARF_BAD_CFI", x.where(), `DW_CFA_restore_state without a matching remember_state (in the ${x.place.record})`);
      s.cfa = saved.cfa;
      s.regs = saved.regs;
    },
  },
  0x0c: { name: "def_cfa", args: ["uleb", "uleb"], apply: (s, a) => void (s.cfa = { kind: "reg-offset", reg: reg(a[0]), offset: n(a[1]) }) },
  0x0d: { name: "def_cfa_register", args: ["uleb"], apply: (s, a, x) => void (s.cfa = { kind: "reg-offset", reg: reg(a[0]), offset: cfaRegOffset(s, x).offset }) },
  0x0e: { name: "def_cfa_offset", args: ["uleb"], apply: (s, a, x) => void (s.cfa = { kind: "reg-offset", reg: cfaRegOffset(s, x).reg, offset: n(a[0]) }) },
  0x0f: { name: "def_cfa_expression", args: ["block"], apply: (s, a) => void (s.cfa = { kind: "expression", expr: b(a[0]) }) },
  0x10: { name: "expression", args: ["uleb", "block"], apply: (s, a) => void s.regs.set(reg(a[0]), { kind: "expression", expr: b(a[1]) }) },
  0x11: { name: "offset_extended_sf", args: ["uleb", "sleb"], apply: (s, a, x) => void s.regs.set(reg(a[0]), { kind: "offset", offset: n(a[1]) * x.cie.dataAlign }) },
  0x12: { name: "def_cfa_sf", args: ["uleb", "sleb"], apply: (s, a, x) => void (s.cfa = { kind: "reg-offset", reg: reg(a[0]), offset: n(a[1]) * x.cie.dataAlign }) },
  0x13: { name: "def_cfa_offset_sf", args: ["sleb"], apply: (s, a, x) => void (s.cfa = { kind: "reg-offset", reg: cfaRegOffset(s, x).reg, offset: n(a[0]) * x.cie.dataAlign }) },
  0x14: { name: "val_offset", args: ["uleb", "uleb"], apply: (s, a, x) => void s.regs.set(reg(a[0]), { kind: "val-offset", offset: n(a[1]) * x.cie.dataAlign }) },
  0x15: { name: "val_offset_sf", args: ["uleb", "sleb"], apply: (s, a, x) => void s.regs.set(reg(a[0]), { kind: "val-offset", offset: n(a[1]) * x.cie.dataAlign }) },
  0x16: { name: "val_expression", args: ["uleb", "block"], apply: (s, a) => void s.regs.set(reg(a[0]), { kind: "val-expression", expr: b(a[1]) }) },
  0x2e: { name: "GNU_args_size", args: ["uleb"], apply: () => {} },
  0x2f: { name: "GNU_negative_offset_extended", args: ["uleb", "uleb"], apply: (s, a, x) => void s.regs.set(reg(a[0]), { kind: "offset", offset: -n(a[1]) * x.cie.dataAlign }) },
};

const DW_CFA_advance_loc = 0x40;
const DW_CFA_offset = 0x80;
const DW_CFA_restore = 0xc0;

/**
 * Runs the CIE's initial instructions and the FDE's instructions up to `pc`, returning the row in
 * effect there. `sectionAddress` is the load address of the FDE's section (DW_CFA_set_loc pointers).
 */
export function cfiRowAt(fde: Fde, pc: bigint, sectionAddress: bigint, file: string): CfiRow {
  const cie = fde.cie;
  const st: State = { loc: fde.pcBegin, cfa: { kind: "reg-offset", reg: 7, offset: 8n }, regs: new Map() };
  let rowStart = fde.pcBegin;
  let rowEnd = fde.pcEnd;
  let forwards = true;
  let initial: ReadonlyMap<number, RegisterRule> = new Map();
  const exec = (code: Uint8Array, what: string, base: number, limit: boolean): void => {
    let stopped = false;
    let at = 0;
    const place: DwarfPlace = { file, section: cie.section, record: what, base };
    const x: Exec = {
      cie, initial, stack: [], place,
      where: () => whereAt(place, at),
      advanceTo(loc: bigint): boolean {
        if (limit && loc > pc) {
          stopped = true;
          rowEnd = loc;
          return false;
        }
        if (limit && loc < st.loc) forwards = false;
        st.loc = loc;
        rowStart = loc;
        return true;
      },
    };
    const r = new ByteReader(code, place);
    while (!r.atEnd && !stopped) {
      at = r.pos;
      const op = r.u8();
      const hi = op & 0xc0;
      const lo = op & 0x3f;
      if (hi === DW_CFA_advance_loc) x.advanceTo(st.loc + BigInt(lo) * cie.codeAlign);
      else if (hi === DW_CFA_offset) st.regs.set(lo, { kind: "offset", offset: r.uleb() * cie.dataAlign });
      else if (hi === DW_CFA_restore) restore(st, lo, x);
      else {
        const spec = CFA_OPS[op];
        if (!spec) throw new DwarfError("DWARF_BAD_CFI", x.where(), `unknown call frame instruction ${hex(op)} at byte ${at} of the ${what}'s instructions`);
        const args: Val[] = spec.args.map((k) => readArg(r, k, cie, sectionAddress));
        spec.apply(st, args, x);
      }
    }
  };
  exec(cie.initialInstructions, `CIE at ${hex(cie.offset)}`, cie.instructionsOffset, false);
  initial = new Map(st.regs);
  rowStart = fde.pcBegin;
  st.loc = fde.pcBegin;
  exec(fde.instructions, `FDE at ${hex(fde.offset)}`, fde.instructionsOffset, true);
  return { address: rowStart, ...(forwards && rowEnd > rowStart ? { end: rowEnd } : {}), cfa: st.cfa, registers: st.regs };
}

function readArg(r: ByteReader, k: Arg, cie: Cie, sectionAddress: bigint): Val {
  switch (k) {
    case "uleb": return r.uleb();
    case "sleb": return r.sleb();
    case "u8": return BigInt(r.u8());
    case "u16": return BigInt(r.u16());
    case "u32": return BigInt(r.u32());
    case "addr": {
      // Inside an instruction block, pcrel would be relative to the block copy; .eh_frame set_loc is rare.
      const p = readEncodedPointer(r, cie.fdeEncoding & 0x0f, { sectionAddress }, cie.addressSize);
      return p?.value ?? 0n;
    }
    case "block": return r.bytes(r.ulebNum());
  }
}
