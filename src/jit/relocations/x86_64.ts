/**
 * The x86-64 ELF relocation kinds the JIT linker applies, one row per type (psABI table 4.9 and the
 * TLS supplement): how the value is computed, how wide the field is, and which range it must fit.
 * The linker never truncates: a value outside the row's range is an overflow error.
 */
import * as C from "../../elf/constants.js";

/** Values a row may combine; the linker fills only what the row's `needs` asks for. */
export interface RelocValues {
  /** S: the symbol's address (for TLS symbols: unused). */
  S: bigint;
  /** A: the addend. */
  A: bigint;
  /** P: the address of the field being patched. */
  P: bigint;
  /** GOT: the module's global offset table base (_GLOBAL_OFFSET_TABLE_). */
  GOT: bigint;
  /** Address of this relocation's GOT entry (G + GOT in the psABI's terms). */
  GE: bigint;
  /** L: the address calls go to: S when reachable, else a stub. */
  L: bigint;
  /** Z: the symbol's size. */
  Z: bigint;
  /** Offset of a TLS symbol in its module's TLS block. */
  dtpoff: bigint;
  /** Offset of a TLS symbol from the thread pointer (negative, variant II). */
  tpoff: bigint;
}

/** What a GOT entry holds: an address, a TP offset (initial exec), or a {module, offset} pair. */
export type GotKind = "address" | "tpoff" | "tlsgd" | "tlsld";

export type RangeCheck = "signed32" | "unsigned32" | "none";

export interface RelocKind {
  type: number;
  name: string;
  /** Bytes patched (0: nothing, as R_X86_64_NONE). */
  width: 0 | 4 | 8;
  check: RangeCheck;
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

/** The psABI's "Calculation" column. */
export type Formula = "none" | "S+A" | "S+A-P" | "GE-GOT+A" | "L+A-P" | "GE+A-P" | "DTPOFF+A" | "TPOFF+A" | "S+A-GOT" | "GOT+A-P" | "L+A-GOT" | "Z+A";

/** Exact 64-bit evaluation. */
export function compute(f: Formula, v: RelocValues): bigint {
  switch (f) {
    case "none": return 0n;
    case "S+A": return v.S + v.A;
    case "S+A-P": return v.S + v.A - v.P;
    case "GE-GOT+A": return v.GE - v.GOT + v.A;
    case "L+A-P": return v.L + v.A - v.P;
    case "GE+A-P": return v.GE + v.A - v.P;
    case "DTPOFF+A": return v.dtpoff + v.A;
    case "TPOFF+A": return v.tpoff + v.A;
    case "S+A-GOT": return v.S + v.A - v.GOT;
    case "GOT+A-P": return v.GOT + v.A - v.P;
    case "L+A-GOT": return v.L + v.A - v.GOT;
    case "Z+A": return v.Z + v.A;
  }
}

/** Inputs as doubles: exact while every one is a safe integer (user-space addresses are 47-bit). */
export interface NumValues {
  S: number; A: number; P: number; GOT: number; GE: number; L: number; Z: number; dtpoff: number; tpoff: number;
}

/** The same formulas without BigInt allocation, for the common case (results stay below 2^53). */
export function computeNum(f: Formula, v: NumValues): number {
  switch (f) {
    case "none": return 0;
    case "S+A": return v.S + v.A;
    case "S+A-P": return v.S + v.A - v.P;
    case "GE-GOT+A": return v.GE - v.GOT + v.A;
    case "L+A-P": return v.L + v.A - v.P;
    case "GE+A-P": return v.GE + v.A - v.P;
    case "DTPOFF+A": return v.dtpoff + v.A;
    case "TPOFF+A": return v.tpoff + v.A;
    case "S+A-GOT": return v.S + v.A - v.GOT;
    case "GOT+A-P": return v.GOT + v.A - v.P;
    case "L+A-GOT": return v.L + v.A - v.GOT;
    case "Z+A": return v.Z + v.A;
  }
}

/** One row per applied type; each row's name comes from src/elf/constants.ts. */
const rows: Omit<RelocKind, "name">[] = [
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

/** Indexed by type number for the hot loop. */
const table: (RelocKind | undefined)[] = [];
for (const r of rows) table[r.type] = { ...r, name: C.R_X86_64_NAMES[r.type]! };

export function relocKind(type: number): RelocKind | undefined {
  return table[type];
}

export function relocTypeName(type: number): string {
  return C.R_X86_64_NAMES[type] ?? `relocation type ${type}`;
}

const INT32_MIN = -(1n << 31n);
const INT32_MAX = (1n << 31n) - 1n;
const UINT32_MAX = (1n << 32n) - 1n;

export function fits(check: RangeCheck, value: bigint): boolean {
  if (check === "signed32") return value >= INT32_MIN && value <= INT32_MAX;
  if (check === "unsigned32") return value >= 0n && value <= UINT32_MAX;
  return true;
}

export function rangeText(check: RangeCheck): string {
  if (check === "signed32") return "-0x80000000..0x7fffffff (signed 32-bit)";
  if (check === "unsigned32") return "0..0xffffffff (unsigned 32-bit)";
  return "any 64-bit value";
}

export function fitsNum(check: RangeCheck, value: number): boolean {
  if (check === "signed32") return value >= -2147483648 && value <= 2147483647;
  if (check === "unsigned32") return value >= 0 && value <= 4294967295;
  return true;
}

export function fitsSigned32(value: bigint): boolean {
  return value >= INT32_MIN && value <= INT32_MAX;
}
