/**
 * Top-level declarations typed in the debug console (LLDB's top-level expressions): typedefs,
 * struct/union/enum definitions and global variables become part of the persistent console scope,
 * seen by every later expression and console function, in any frame.
 *
 * Redefinitions follow C's rules for one translation unit: a declaration that repeats one already
 * visible exactly (the same struct members, the same typedef target) is accepted and changes
 * nothing — pasting a header twice works; a different one is refused with the definition in
 * force, since values and functions already made with the old layout would silently disagree. A
 * console global may not reuse the name of the program's globals, functions or enumerators (a
 * local of the selected frame may shadow it, as a local shadows a file-scope variable in C).
 */
import { JitdbgError } from "../../errors.js";
import type { Expr, InitList, TopDecl } from "../../expr/ast.js";
import type { PersistentStore } from "../../expr/evaluate/persistent.js";
import type { Scope } from "../../expr/scope.js";
import { sameType, sizeOf, typeName, unqual, type CType, type EnumType, type RecordType } from "../../expr/types.js";

export interface TopLevelHost {
  readonly store: PersistentStore;
  /** A scope for the selected frame that sees what was declared so far. */
  scope(): Scope;
  /** Runs an initializer in the selected frame: its value's type and bytes. */
  initialValue(expr: Expr): { type: CType; bytes: Uint8Array };
  /** Register names (`$rax`), which a persistent variable may not take. */
  isRegister(name: string): boolean;
}

/** Declares the items in order; the message lists what each did. */
export function declareTopLevel(items: readonly TopDecl[], host: TopLevelHost): string {
  if (items.length === 0) throw new JitdbgError("EVAL_EMPTY_DECLARATION", "the declaration declares nothing: give a struct/union/enum body, a typedef name or a variable name");
  return items.map((item) => declareOne(item, host)).join("; ");
}

function declareOne(item: TopDecl, host: TopLevelHost): string {
  switch (item.k) {
    case "tag":
      return declareTag(item.type, host);
    case "typedef": {
      const scope = host.scope();
      const old = scope.typedef(item.name);
      if (old) {
        if (sameType(old, item.type) && sameDefinition(old, item.type)) return `typedef ${item.name}: unchanged`;
        throw new JitdbgError("EVAL_REDEFINITION", `conflicting types for typedef '${item.name}': it is already '${typeName(old)}'; choose another name`);
      }
      if (scope.lookup(item.name)) throw new JitdbgError("EVAL_REDEFINITION", `'${item.name}' is already a variable, function or enumerator; a typedef cannot take its name`);
      host.store.defineTypedef(item.name, item.type);
      return `defined typedef ${typeName(item.type, item.name)}`;
    }
    case "variable":
      return declareVariable(item, host);
  }
}

function declareTag(type: RecordType | EnumType, host: TopLevelHost): string {
  const scope = host.scope();
  const name = `${type.kind} ${type.tag ?? "<anonymous>"}`;
  if (type.tag !== undefined) {
    const old = scope.tag(type.kind, type.tag);
    if (old) {
      if (sameDefinition(old, type)) return `${name}: unchanged`;
      const where = host.store.tag(type.kind, type.tag) ? "in the console" : "by the program";
      const u = unqual(old);
      const shown = u.kind === "struct" || u.kind === "union" || u.kind === "enum" ? describe(u) : typeName(old);
      throw new JitdbgError("EVAL_REDEFINITION", `redefinition of '${name}': it is already defined ${where} as ${shown}; choose another tag`);
    }
  }
  if (type.kind === "enum") {
    for (const e of type.enumerators) {
      if (scope.lookup(e.name)) throw new JitdbgError("EVAL_REDEFINITION", `redeclaration of enumerator '${e.name}': the name is already a variable, function or enumerator`);
    }
  }
  host.store.defineTag(type);
  return `defined ${name}${type.kind === "enum" ? "" : ` (${type.size} bytes)`}`;
}

function declareVariable(item: Extract<TopDecl, { k: "variable" }>, host: TopLevelHost): string {
  const { name } = item;
  if (name.startsWith("$") && host.isRegister(name.slice(1))) throw new JitdbgError("EVAL_REDEFINITION", `'${name}' is a register; a persistent variable needs another name`);
  const old = host.store.variable(name);
  if (old) throw new JitdbgError("EVAL_REDEFINITION", `redefinition of '${name}' (already '${typeName(old.type, name)}' in the console); assign to it with '${name} = …'`);
  if (!name.startsWith("$")) {
    const e = host.scope().lookup(name);
    if (e && !(e.kind === "variable" && (e.location.kind === "frame" || e.location.kind === "value"))) {
      const what = e.kind === "function" ? "a function" : e.kind === "enumerator" ? "an enumerator" : "a global variable";
      throw new JitdbgError("EVAL_REDEFINITION", `redefinition of '${name}': it is already ${what} of the program or the console; choose another name`);
    }
  }
  const u = unqual(item.type);
  if (u.kind === "void") throw new JitdbgError("EVAL_INCOMPLETE", `variable '${name}' has the incomplete type 'void'`);
  let type = item.type;
  let bytes: Uint8Array;
  if (item.init) {
    const v = host.initialValue(initializerExpr(item.type, item.init, item.pos));
    type = v.type;
    bytes = v.bytes;
  } else {
    const size = sizeOf(item.type);
    if (size === undefined) throw new JitdbgError("EVAL_INCOMPLETE", `variable '${name}' has the incomplete type '${typeName(item.type)}'; give its size or an initializer`);
    bytes = new Uint8Array(size);
  }
  host.store.declare(name, type, bytes);
  return `defined ${typeName(type, name)}`;
}

/**
 * The initializer as an expression: a compound literal `(T){ … }` initializes as a declaration
 * does (conversion as by assignment, brace lists, strings for char arrays); a struct or union from
 * an expression of its type is that expression.
 */
function initializerExpr(type: CType, init: Expr | InitList, pos: number): Expr {
  const u = unqual(type);
  if (init.k !== "list" && (u.kind === "struct" || u.kind === "union")) return init;
  const list: InitList = init.k === "list" ? init : { k: "list", pos, items: [{ pos, designators: [], value: init }] };
  return { k: "literal", pos, type, init: list };
}

/** Whether two definitions are the same: members (names, types, places) or enumerators alike. */
function sameDefinition(a: CType, b: CType): boolean {
  const x = unqual(a);
  const y = unqual(b);
  if (x.kind !== y.kind) return false;
  if (x.kind === "enum" && y.kind === "enum") return x.enumerators.length === y.enumerators.length && x.enumerators.every((e, i) => e.name === y.enumerators[i]!.name && e.value === y.enumerators[i]!.value);
  if ((x.kind === "struct" || x.kind === "union") && (y.kind === "struct" || y.kind === "union")) {
    if (x.incomplete !== y.incomplete || x.size !== y.size || x.members.length !== y.members.length) return false;
    return x.members.every((m, i) => {
      const n = y.members[i]!;
      return m.name === n.name && m.offset === n.offset && m.bitSize === n.bitSize && (m.bitSize === undefined || m.bitOffset === n.bitOffset) && sameType(m.type, n.type);
    });
  }
  return sameType(x, y);
}

/** `struct pair { int a; int b; }`, for a redefinition's message. */
function describe(t: RecordType | EnumType): string {
  const head = `${t.kind} ${t.tag ?? "<anonymous>"}`;
  if (t.kind === "enum") return `${head} { ${t.enumerators.map((e) => `${e.name} = ${e.value}`).join(", ")} }`;
  return `${head} { ${t.members.map((m) => `${typeName(m.type, m.name ?? "")}${m.bitSize !== undefined ? ` : ${m.bitSize}` : ""};`).join(" ")} }`;
}
