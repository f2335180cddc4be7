/**
 * The x86-64 ELF relocation kinds the JIT linker applies, one row per type (psABI table 4.9 and the
 * TLS supplement): how the value is computed, how wide the field is, and which range it must fit.
 * The linker never truncates: a value outside the row's range is an overflow error.
 */
import * as C from "../../elf/constants.js";

/**
 * The values a formula may combine, as indices into a value vector (a Float64Array on the fast path,
 * a bigint array on the exact one); the linker fills the slots a relocation needs. ZERO stays 0.
 *  S: the symbol's address (for TLS symbols: unused); A: the addend; P: the address of the field
 *  being patched; GOT: the module's global offset table base (_GLOBAL_OFFSET_TABLE_); GE: the address
 *  of this relocation's GOT entry (G + GOT in the psABI's terms); L: the address calls go to (S when
 *  reachable, else a stub); Z: the symbol's size; DTPOFF: a TLS symbol's offset in its module's TLS
 *  block; TPOFF: its offset from the thread pointer (negative, variant II).
 */
export const Term = { S: 0, A: 1, P: 2, GOT: 3, GE: 4, L: 5, Z: 6, DTPOFF: 7, TPOFF: 8, ZERO: 9 } as const;
export type TermName = Exclude<keyof typeof Term, "ZERO">;
/** Slots in a value vector. */
export const TERM_COUNT = 10;

/** What a GOT entry holds: an address, a TP offset (initial exec), or a {module, offset} pair. */
export type GotKind = "address" | "tpoff" | "tlsgd" | "tlsld";

export type RangeCheck = "signed32" | "unsigned32" | "none";

export interface RelocKind extends FormulaSlots {
  type: number;
  name: string;
  /** Bytes patched (0: nothing, as R_X86_64_NONE). */
  width: 0 | 4 | 8;
  check: RangeCheck;
  /** The bounds of `check`. */
  range: Range;
  /** Needs a GOT entry of this kind for the symbol. */
  got?: GotKind;
  /** A call that may go through a stub when the target is out of ±2 GiB. */
  plt?: boolean;
  /** mov/call/jmp through the GOT that may become a direct lea/call/jmp. */
  relaxable?: boolean;
  /** PC-relative: the value depends on where the field is. */
  pcRelative?: boolean;
  /** Reads the GOT base, so the module needs one even without entries. */
  usesGotBase?: boolean;
  /** Refers to a TLS symbol. */
  tls?: boolean;
  formula: Formula;
}

/** The psABI's "Calculation" column, as written there: the one definition of each formula. */
export type Formula = "none" | "S+A" | "S+A-P" | "GE-GOT+A" | "L+A-P" | "GE+A-P" | "DTPOFF+A" | "TPOFF+A" | "S+A-GOT" | "GOT+A-P" | "L+A-GOT" | "Z+A";

/**
 * A formula as value-vector slots: value = v[plus1] + v[plus2] - v[minus], absent terms ZERO. Every
 * x86-64 formula has at most two added terms and one subtracted, so both evaluators below are one
 * expression with no loop and no branch on the formula (a switch per formula, written once for
 * doubles and once for BigInt, is what this replaces; a coefficient loop over every term was slower).
 */
export interface FormulaSlots {
  readonly plus1: number;
  readonly plus2: number;
  readonly minus: number;
}

/** Reads a formula's text into its slots, once per row at module load. */
export function formulaSlots(f: Formula): FormulaSlots {
  const plus: number[] = [];
  const minus: number[] = [];
  if (f !== "none") {
    for (const [, sign, name] of f.matchAll(/([+-]?)([A-Z]+)/g)) {
      if (!(name! in Term) || name === "ZERO") throw new Error(`relocation formula ${f}: unknown term ${name}`);
      (sign === "-" ? minus : plus).push(Term[name as TermName]);
    }
  }
  if (plus.length > 2 || minus.length > 1) throw new Error(`relocation formula ${f} has more terms than a FormulaSlots holds`);
  return { plus1: plus[0] ?? Term.ZERO, plus2: plus[1] ?? Term.ZERO, minus: minus[0] ?? Term.ZERO };
}

/** The formula in doubles: exact while every input is a safe integer (user-space addresses are 47-bit). */
export function computeNum(k: FormulaSlots, v: Float64Array): number {
  return v[k.plus1]! + v[k.plus2]! - v[k.minus]!;
}

/** The same formula, exact in 64 bits and beyond, for inputs a double cannot hold. */
export function compute(k: FormulaSlots, v: readonly bigint[]): bigint {
  return v[k.plus1]! + v[k.plus2]! - v[k.minus]!;
}

/** A range check's bounds, given once: as doubles for the fast path, as BigInt for the exact one. */
export interface Range {
  readonly check: RangeCheck;
  readonly min: number;
  readonly max: number;
  /** The bounds in BigInt; undefined when any 64-bit value fits. */
  readonly big: { readonly min: bigint; readonly max: bigint } | undefined;
  readonly text: string;
}

function range(check: RangeCheck, min: number, max: number, text: string): Range {
  const bounded = Number.isFinite(min) && Number.isFinite(max);
  return { check, min, max, big: bounded ? { min: BigInt(min), max: BigInt(max) } : undefined, text };
}

export const RANGES: Readonly<Record<RangeCheck, Range>> = {
  signed32: range("signed32", -(2 ** 31), 2 ** 31 - 1, "-0x80000000..0x7fffffff (signed 32-bit)"),
  unsigned32: range("unsigned32", 0, 2 ** 32 - 1, "0..0xffffffff (unsigned 32-bit)"),
  none: range("none", -Infinity, Infinity, "any 64-bit value"),
};

/** One row per applied type; each row's name comes from src/elf/constants.ts. */
const rows: Omit<RelocKind, "name" | "range" | keyof FormulaSlots>[] = [
  { type: C.R_X86_64_NONE, width: 0, check: "none", formula: "none" },
  { type: C.R_X86_64_64, width: 8, check: "none", formula: "S+A" },
  { type: C.R_X86_64_PC32, width: 4, check: "signed32", pcRelative: true, formula: "S+A-P" },
  { type: C.R_X86_64_GOT32, width: 4, check: "signed32", got: "address", usesGotBase: true, formula: "GE-GOT+A" },
  { type: C.R_X86_64_PLT32, width: 4, check: "signed32", plt: true, pcRelative: true, formula: "L+A-P" },
  { type: C.R_X86_64_GOTPCREL, width: 4, check: "signed32", got: "address", pcRelative: true, formula: "GE+A-P" },
  { type: C.R_X86_64_32, width: 4, check: "unsigned32", formula: "S+A" },
  { type: C.R_X86_64_32S, width: 4, check: "signed32", formula: "S+A" },
  { type: C.R_X86_64_DTPOFF64, width: 8, check: "none", tls: true, formula: "DTPOFF+A" },
  { type: C.R_X86_64_TPOFF64, width: 8, check: "none", tls: true, formula: "TPOFF+A" },
  { type: C.R_X86_64_TLSGD, width: 4, check: "signed32", got: "tlsgd", pcRelative: true, tls: true, formula: "GE+A-P" },
  { type: C.R_X86_64_TLSLD, width: 4, check: "signed32", got: "tlsld", pcRelative: true, tls: true, formula: "GE+A-P" },
  { type: C.R_X86_64_DTPOFF32, width: 4, check: "signed32", tls: true, formula: "DTPOFF+A" },
  { type: C.R_X86_64_GOTTPOFF, width: 4, check: "signed32", got: "tpoff", pcRelative: true, tls: true, formula: "GE+A-P" },
  { type: C.R_X86_64_TPOFF32, width: 4, check: "signed32", tls: true, formula: "TPOFF+A" },
  { type: C.R_X86_64_PC64, width: 8, check: "none", pcRelative: true, formula: "S+A-P" },
  { type: C.R_X86_64_GOTOFF64, width: 8, check: "none", usesGotBase: true, formula: "S+A-GOT" },
  { type: C.R_X86_64_GOTPC32, width: 4, check: "signed32", usesGotBase: true, pcRelative: true, formula: "GOT+A-P" },
  { type: C.R_X86_64_GOT64, width: 8, check: "none", got: "address", usesGotBase: true, formula: "GE-GOT+A" },
  { type: C.R_X86_64_GOTPCREL64, width: 8, check: "none", got: "address", pcRelative: true, formula: "GE+A-P" },
  { type: C.R_X86_64_GOTPC64, width: 8, check: "none", usesGotBase: true, pcRelative: true, formula: "GOT+A-P" },
  { type: C.R_X86_64_GOTPLT64, width: 8, check: "none", got: "address", usesGotBase: true, formula: "GE-GOT+A" },
  { type: C.R_X86_64_PLTOFF64, width: 8, check: "none", usesGotBase: true, formula: "L+A-GOT" },
  { type: C.R_X86_64_SIZE32, width: 4, check: "unsigned32", formula: "Z+A" },
  { type: C.R_X86_64_SIZE64, width: 8, check: "none", formula: "Z+A" },
  { type: C.R_X86_64_GOTPCRELX, width: 4, check: "signed32", got: "address", relaxable: true, pcRelative: true, formula: "GE+A-P" },
  { type: C.R_X86_64_REX_GOTPCRELX, width: 4, check: "signed32", got: "address", relaxable: true, pcRelative: true, formula: "GE+A-P" },
];

/** Indexed by type number for the hot loop; every kind has every field, in one order (one object shape). */
const table: (RelocKind | undefined)[] = [];
for (const r of rows) {
  const { plus1, plus2, minus } = formulaSlots(r.formula);
  table[r.type] = {
    type: r.type, name: C.R_X86_64_NAMES[r.type]!, width: r.width, check: r.check, range: RANGES[r.check],
    got: r.got, plt: r.plt ?? false, relaxable: r.relaxable ?? false, pcRelative: r.pcRelative ?? false,
    usesGotBase: r.usesGotBase ?? false, tls: r.tls ?? false, formula: r.formula, plus1, plus2, minus,
  };
}

export function relocKind(type: number): RelocKind | undefined {
  return table[type];
}

export function relocTypeName(type: number): string {
  return C.R_X86_64_NAMES[type] ?? `relocation type ${type}`;
}

export function fits(r: Range, value: bigint): boolean {
  return r.big === undefined || (value >= r.big.min && value <= r.big.max);
}

export function fitsNum(r: Range, value: number): boolean {
  return value >= r.min && value <= r.max;
}
