/**
 * Syntax trees as parsed. Type names are already resolved to C types by the parser (it must know
 * typedef names to parse C at all); identifiers are resolved later, against the Scope, by check.ts.
 * Every node keeps `pos`, the 0-based source offset its diagnostics point at.
 */
import type { CType, EnumType, FunctionType, RecordType } from "./types.js";
import type { Extended } from "../values/extended.js";

export type UnaryOp = "-" | "+" | "!" | "~" | "*" | "&" | "++pre" | "--pre" | "++post" | "--post" | "__real__" | "__imag__";
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "<<" | ">>" | "<" | ">" | "<=" | ">=" | "==" | "!=" | "&" | "|" | "^" | "&&" | "||" | ",";
export type AssignOp = "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "<<=" | ">>=" | "&=" | "^=" | "|=";

export type Expr =
  | { k: "int"; pos: number; value: bigint; suffix: string; nonDecimal: boolean; text: string }
  | { k: "char"; pos: number; value: bigint }
  /** `extended`: a long double constant (`1.1L`), exactly. */
  | { k: "float"; pos: number; value: number; single: boolean; extended?: Extended; imaginary?: boolean }
  | { k: "string"; pos: number; bytes: Uint8Array }
  | { k: "ident"; pos: number; name: string }
  | { k: "unary"; pos: number; op: UnaryOp; operand: Expr }
  | { k: "binary"; pos: number; op: BinaryOp; left: Expr; right: Expr }
  /** gdb's artificial array `base@length`: `length` objects of base's type from base's address; the length's text is [lengthStart, lengthEnd). */
  | { k: "artificial"; pos: number; base: Expr; length: Expr; lengthStart: number; lengthEnd: number }
  | { k: "assign"; pos: number; op: AssignOp; target: Expr; value: Expr }
  | { k: "cond"; pos: number; cond: Expr; then: Expr; else: Expr }
  | { k: "call"; pos: number; callee: Expr; args: Expr[] }
  | { k: "index"; pos: number; base: Expr; index: Expr }
  | { k: "member"; pos: number; base: Expr; name: string; namePos: number; arrow: boolean }
  | { k: "cast"; pos: number; type: CType; operand: Expr }
  | { k: "sizeof"; pos: number; of: Expr | CType; align: boolean }
  /** GNU `({ statements; value; })`: the last statement's expression, if it is one, is the value. */
  | { k: "stmtexpr"; pos: number; body: Stmt[] }
  /** `(type){ initializers }` (C11 6.5.2.5): an unnamed object of the console's frame. */
  | { k: "literal"; pos: number; type: CType; init: InitList }
  /**
   * A brace list in an expression (gdb's): as the right side of `=` (`v_struct = {1, 2}`) or an
   * argument for a pointer parameter, the target gives its type; elsewhere an array literal.
   */
  | { k: "initlist"; pos: number; list: InitList };

/** `.name` or `[index]` before the `=` of an initializer item (C11 6.7.9). */
export type Designator = { k: "field"; pos: number; name: string } | { k: "index"; pos: number; index: Expr };

export interface InitItem {
  pos: number;
  designators: Designator[];
  value: Expr | InitList;
}

/** `{ item, .field = item, [i] = item, { nested }, … }`. */
export interface InitList {
  k: "list";
  pos: number;
  items: InitItem[];
}

export interface Declaration {
  pos: number;
  name: string;
  type: CType;
  init: Expr | InitList | undefined;
}

export type Stmt =
  | { k: "expr"; pos: number; expr: Expr }
  | { k: "decl"; pos: number; decls: Declaration[] }
  | { k: "block"; pos: number; body: Stmt[] }
  | { k: "if"; pos: number; cond: Expr; then: Stmt; else: Stmt | undefined }
  | { k: "while"; pos: number; cond: Expr; body: Stmt }
  | { k: "do"; pos: number; body: Stmt; cond: Expr }
  | { k: "for"; pos: number; init: Stmt | undefined; cond: Expr | undefined; step: Expr | undefined; body: Stmt }
  | { k: "return"; pos: number; value: Expr | undefined }
  | { k: "switch"; pos: number; cond: Expr; body: Stmt }
  /** `case value: body` and `default: body`, C's labeled statements of a switch. */
  | { k: "case"; pos: number; value: Expr | undefined; body: Stmt }
  | { k: "break"; pos: number }
  | { k: "continue"; pos: number }
  | { k: "empty"; pos: number };

export interface FunctionDef {
  pos: number;
  name: string;
  type: FunctionType;
  paramNames: string[];
  body: Stmt[];
}

/** A top-level declaration of the console: it becomes part of the persistent console scope. */
export type TopDecl =
  /** A struct, union or enum defined (its body given), nested definitions first. */
  | { k: "tag"; pos: number; type: RecordType | EnumType }
  | { k: "typedef"; pos: number; name: string; type: CType }
  | { k: "variable"; pos: number; name: string; type: CType; init: Expr | InitList | undefined };

/** What one console input is: an expression, a function definition, or top-level declarations. */
export type Input = { k: "expr"; expr: Expr } | { k: "function"; def: FunctionDef } | { k: "declarations"; items: TopDecl[] };

/** Whether a type-or-expression operand of sizeof is a type. */
export function isTypeOperand(of: Expr | CType): of is CType {
  return !("k" in of);
}

/** Where an expression starts in the source (binary nodes keep their operator's position). */
export function startPos(e: Expr): number {
  switch (e.k) {
    case "binary": return Math.min(e.pos, startPos(e.left));
    case "artificial": return Math.min(e.pos, startPos(e.base));
    case "assign": return Math.min(e.pos, startPos(e.target));
    case "cond": return Math.min(e.pos, startPos(e.cond));
    case "call": return Math.min(e.pos, startPos(e.callee));
    case "index": case "member": return Math.min(e.pos, startPos(e.base));
    case "unary": return e.op.endsWith("post") ? Math.min(e.pos, startPos(e.operand)) : e.pos;
    default: return e.pos;
  }
}
