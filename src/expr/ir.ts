/**
 * The typed tree check.ts produces and the code generator consumes: every implicit conversion,
 * array decay and lvalue load is explicit, so codegen never reasons about C's rules.
 */
import type { TlsModel } from "./scope.js";
import type { CType, FunctionType } from "./types.js";
import type { Extended } from "../values/extended.js";

/** Where an lvalue lives. */
export type Place =
  /** A linker symbol outside this object (a global of the program, a persistent variable). */
  | { k: "extern"; symbol: string }
  /** A function or variable this object defines (console function definitions). */
  | { k: "own"; symbol: string }
  /** A string literal in this object's .rodata. */
  | { k: "rodata"; offset: number }
  | { k: "tls"; symbol: string; model: TlsModel }
  /** The argument block slot at `offset` holds the variable's address. */
  | { k: "argAddress"; offset: number }
  /** The argument block slot at `offset` holds the value itself. */
  | { k: "argValue"; offset: number }
  /** rbp-relative storage of the function being compiled (locals, parameters). */
  | { k: "frame"; offset: number };

export type ArithOp = "+" | "-" | "*" | "/" | "%" | "<<" | ">>" | "&" | "|" | "^";
export type CompareOp = "<" | ">" | "<=" | ">=" | "==" | "!=";

interface Base {
  type: CType;
  pos: number;
}

export type TExpr = Base &
  (
    | { k: "const"; value: bigint }
    /** A floating constant; a long double's is exact in `extended`. */
    | { k: "fconst"; value: number; extended?: Extended }
    /** lvalue: a named object. */
    | { k: "place"; place: Place }
    /** lvalue: `*ptr`. */
    | { k: "deref"; ptr: TExpr }
    /** lvalue when base is: base's storage + offset; bit-fields carry their bit position. */
    | { k: "member"; base: TExpr; offset: number; bitOffset?: number; bitSize?: number }
    /** rvalue read of an lvalue. */
    | { k: "load"; lv: TExpr }
    /** `&lv`, array decay. */
    | { k: "addr"; lv: TExpr }
    | { k: "neg" | "bitnot" | "lnot"; operand: TExpr }
    /** Both operands already converted to `type`. */
    | { k: "arith"; op: ArithOp; left: TExpr; right: TExpr }
    /** Both operands converted to `opType`; result int. */
    | { k: "compare"; op: CompareOp; opType: CType; left: TExpr; right: TExpr }
    /** pointer ± integer (integer already long), scaled by the element size. */
    | { k: "ptradd"; sub: boolean; ptr: TExpr; int: TExpr; scale: number }
    | { k: "ptrdiff"; left: TExpr; right: TExpr; scale: number }
    | { k: "logical"; op: "&&" | "||"; left: TExpr; right: TExpr }
    | { k: "comma"; left: TExpr; right: TExpr }
    | { k: "cond"; cond: TExpr; then: TExpr; else: TExpr }
    | { k: "conv"; operand: TExpr }
    /** value already converted to the target's type; the result is the stored value. */
    | { k: "assign"; target: TExpr; value: TExpr }
    /**
     * target op= value: the target is loaded, converted to opType, combined with value (already
     * opType), converted back and stored. For pointers, `scale` marks pointer ± integer.
     */
    | { k: "compound"; op: ArithOp; opType: CType; target: TExpr; value: TExpr; scale?: number }
    | { k: "incdec"; target: TExpr; delta: 1 | -1; post: boolean }
    /** `routine`: a call the checker made for an operator (complex × and ÷), named for messages. */
    | { k: "call"; callee: TExpr; fn: FunctionType; args: TExpr[]; routine?: string }
    /** GNU statement expression: the statements run, then `value` (absent: void) is the result. */
    | { k: "stmtexpr"; body: TStmt[]; value: TExpr | undefined }
    /**
     * lvalue: an object of the frame at `offset` (a compound literal, an initialized declaration),
     * initialized where it is evaluated: zero-filled when `zero`, then each store in order.
     */
    | { k: "init"; offset: number; size: number; zero: boolean; stores: InitStore[] }
  );

/**
 * One initializer store: `value` (already of the member's type) at `offset` in the object; a
 * bit-field's `bits` (from the object's start) are merged into the zero-filled unit holding them.
 */
export interface InitStore {
  offset: number;
  value: TExpr;
  bits?: { offset: number; size: number };
}

export type TStmt =
  | { k: "expr"; expr: TExpr }
  | { k: "block"; body: TStmt[] }
  | { k: "if"; cond: TExpr; then: TStmt; else: TStmt | undefined }
  | { k: "loop"; cond: TExpr | undefined; body: TStmt; step: TExpr | undefined; testFirst: boolean }
  | { k: "return"; value: TExpr | undefined }
  /** Compares the promoted value with each case and jumps to its label (none matching: default's, or past the body). */
  | { k: "switch"; cond: TExpr; body: TStmt; cases: { value: bigint; label: number }[]; defaultLabel: number | undefined }
  | { k: "label"; label: number; body: TStmt }
  | { k: "break" }
  | { k: "continue" };

export function isLvalue(e: TExpr): boolean {
  if (e.k === "place" || e.k === "deref" || e.k === "init") return true;
  if (e.k === "member") return isLvalue(e.base);
  return false;
}
