/**
 * Walks of the checked tree (ir.ts) that know where each kind keeps its sub-expressions: the
 * questions codegen and compile ask of a whole tree (does it call, use the x87, read through a
 * pointer; how many nodes) are answered without visiting every field of every node, its type
 * and place included, as a walk over any object would.
 */
import type { TExpr, TStmt } from "./ir.js";

/** Whether `test` holds for `root` or any expression under it (statement expressions' bodies included). */
export function someExpr(root: TExpr, test: (e: TExpr) => boolean): boolean {
  const visit = (e: TExpr): boolean => test(e) || someChild(e, visit);
  return visit(root);
}

/** The expressions of the tree, `root` included (a node reached twice counts twice: an upper bound). */
export function countExprs(root: TExpr): number {
  let n = 0;
  someExpr(root, () => {
    n++;
    return false;
  });
  return n;
}

/** Whether `f` holds for a direct sub-expression of `e` (through the statements of a statement expression). */
function someChild(e: TExpr, f: (c: TExpr) => boolean): boolean {
  switch (e.k) {
    case "const":
    case "fconst":
    case "place":
      return false;
    case "deref":
      return f(e.ptr);
    case "member":
      return f(e.base);
    case "load":
    case "addr":
      return f(e.lv);
    case "neg":
    case "bitnot":
    case "lnot":
    case "conv":
      return f(e.operand);
    case "arith":
    case "compare":
    case "ptrdiff":
    case "logical":
    case "comma":
      return f(e.left) || f(e.right);
    case "ptradd":
      return f(e.ptr) || f(e.int);
    case "cond":
      return f(e.cond) || f(e.then) || f(e.else);
    case "assign":
      return f(e.target) || f(e.value);
    case "compound":
      return f(e.target) || f(e.value);
    case "incdec":
      return f(e.target);
    case "call":
      return f(e.callee) || e.args.some(f);
    case "stmtexpr":
      return e.body.some((s) => someInStmt(s, f)) || (e.value !== undefined && f(e.value));
    case "init":
      return e.stores.some((s) => f(s.value));
  }
}

/** Whether `f` holds for an expression of statement `s` (not descending into those expressions). */
function someInStmt(s: TStmt, f: (c: TExpr) => boolean): boolean {
  switch (s.k) {
    case "expr":
      return f(s.expr);
    case "block":
      return s.body.some((b) => someInStmt(b, f));
    case "if":
      return f(s.cond) || someInStmt(s.then, f) || (s.else !== undefined && someInStmt(s.else, f));
    case "loop":
      return (s.cond !== undefined && f(s.cond)) || someInStmt(s.body, f) || (s.step !== undefined && f(s.step));
    case "return":
      return s.value !== undefined && f(s.value);
    case "switch":
      return f(s.cond) || someInStmt(s.body, f);
    case "label":
      return someInStmt(s.body, f);
    case "break":
    case "continue":
      return false;
  }
}
