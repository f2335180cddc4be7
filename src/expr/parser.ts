/**
 * Recursive-descent C parser for console input: one expression, one function definition, or
 * top-level declarations (typedefs, struct/union/enum definitions, variables). Type
 * names are resolved while parsing through a TypeEnv (C cannot be parsed without knowing which
 * identifiers are typedef names: `(T)*p` is a cast or a multiplication).
 */
import type { AssignOp, BinaryOp, Declaration, Designator, Expr, FunctionDef, InitItem, InitList, Input, Stmt, TopDecl } from "./ast.js";
import { didYouMean, exprError } from "./errors.js";
import { tokenize, type Token } from "./lexer.js";
import { T, arrayOf, complexOf, pointerTo, typeName, type CType, type EnumType, type Enumerator, type FunctionType, type RecordType } from "./types.js";
import { layOut, type MemberDecl } from "./record-layout.js";

/** Where the parser finds type names. */
export interface TypeEnv {
  typedef(name: string): CType | undefined;
  tag(kind: "struct" | "union" | "enum", name: string): CType | undefined;
  /** Names for "did you mean" on unknown tags. */
  tagNames(kind: "struct" | "union" | "enum"): Iterable<string>;
}

const BINARY_PRECEDENCE: Record<string, number> = {
  "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
  // gdb's `@` binds looser than + and - and tighter than the shifts (its c-exp.y).
  "<<": 8, ">>": 8, "@": 9, "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
};
const ASSIGN_OPS = new Set(["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="]);
const TYPE_KEYWORDS = new Set(["void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool", "struct", "union", "enum", "const", "volatile", "restrict", "_Complex", "__complex__"]);
const IGNORED_SPECIFIERS = new Set(["const", "volatile", "restrict", "register", "auto", "inline", "extern"]);

interface Declarator {
  name: string | undefined;
  namePos: number;
  type: CType;
  /** Names of the parameters of the outermost function declarator. */
  paramNames: string[];
}

export class Parser {
  private readonly toks: Token[];
  private i = 0;
  /** Typedef names shadowed by local declarations inside a function body. */
  private readonly shadowed = new Set<string>();
  /** Top-level declarations: struct/union/enum bodies may be defined (else they are refused). */
  private definitions = false;
  /** Types and enumerators defined so far in this input, seen by the declarations after them. */
  private readonly localTypedefs = new Map<string, CType>();
  private readonly localTags = new Map<string, RecordType | EnumType>();
  private readonly localEnumerators = new Map<string, bigint>();
  /** Tags defined since the last top-level declaration was finished, in order. */
  private definedTags: (RecordType | EnumType)[] = [];

  constructor(src: string, private readonly env: TypeEnv) {
    this.toks = tokenize(src);
  }

  parseInput(): Input {
    if (this.is("typedef")) return this.topLevel();
    if (this.startsType()) {
      const save = this.i;
      this.definitions = true;
      const base = this.specifiers();
      this.definitions = false;
      if (this.is(";") || this.is("=") || this.is(",") || this.peek().kind === "eof" || this.definedTags.length > 0) {
        this.i = save;
        this.definedTags = [];
        this.localTags.clear();
        this.localEnumerators.clear();
        return this.topLevel();
      }
      const d = this.declarator(base, false);
      if (d.type.kind !== "function") {
        this.i = save;
        return this.topLevel();
      }
      if (d.name !== undefined && this.is("{")) {
        const pos = this.toks[save]!.pos;
        this.shadowed.clear();
        for (const p of d.paramNames) this.shadowed.add(p);
        const body = this.block().body;
        this.expectEnd();
        return { k: "function", def: { pos, name: d.name, type: d.type, paramNames: d.paramNames, body } };
      }
      throw exprError("EXPR_SYNTAX", `expected a function definition ('{' after '${d.name ?? "declarator"}(...)') or an expression`, this.peek().pos);
    }
    const expr = this.expression();
    this.expectEnd();
    return { k: "expr", expr };
  }

  /**
   * Top-level declarations, each ended by ';' (the last one's may be left out): `typedef`s,
   * struct/union/enum definitions, and variables with optional initializers. The names each
   * declares are seen by the ones after it.
   */
  private topLevel(): Input {
    const items: TopDecl[] = [];
    while (this.peek().kind !== "eof") {
      const pos = this.peek().pos;
      const isTypedef = this.eat("typedef");
      this.definitions = true;
      const base = this.specifiers();
      this.definitions = false;
      for (const t of this.definedTags) items.push({ k: "tag", pos, type: t });
      this.definedTags = [];
      if (!this.is(";") && this.peek().kind !== "eof") {
        do {
          const d = this.declarator(base, false);
          if (d.name === undefined) throw exprError("EXPR_SYNTAX", "expected a name in the declaration", d.namePos);
          if (isTypedef) {
            this.localTypedefs.set(d.name, d.type);
            items.push({ k: "typedef", pos: d.namePos, name: d.name, type: d.type });
            continue;
          }
          if (d.type.kind === "function") throw exprError("EXPR_UNSUPPORTED", `'${d.name}' declares a function without a body; define it with its body ('{ ... }'), on its own`, d.namePos);
          const init = this.eat("=") ? (this.is("{") ? this.initList() : this.assignment()) : undefined;
          items.push({ k: "variable", pos: d.namePos, name: d.name, type: d.type, init });
        } while (this.eat(","));
      } else if (isTypedef) throw exprError("EXPR_SYNTAX", "expected a name for the typedef", this.peek().pos);
      if (this.peek().kind !== "eof") this.expect(";", "after the declaration");
    }
    return { k: "declarations", items };
  }

  /** A standalone type name, e.g. for `ptype`-like requests or the external backend's casts. */
  parseTypeName(): CType {
    const t = this.typeName();
    this.expectEnd();
    return t;
  }

  // ---- tokens

  private peek(n = 0): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.i++;
    return t;
  }
  private is(text: string, n = 0): boolean {
    const t = this.peek(n);
    return (t.kind === "punct" || t.kind === "keyword") && t.text === text;
  }
  private eat(text: string): boolean {
    if (this.is(text)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(text: string, after?: string): Token {
    if (this.is(text)) return this.next();
    const t = this.peek();
    const found = t.kind === "eof" ? "end of input" : `'${t.text}'`;
    throw exprError("EXPR_SYNTAX", `expected '${text}'${after ? ` ${after}` : ""}, found ${found}`, t.pos);
  }
  private expectEnd(): void {
    const t = this.peek();
    if (t.kind !== "eof") throw exprError("EXPR_SYNTAX", `expected end of input, found '${t.text}'`, t.pos);
  }

  // ---- types

  private startsType(n = 0): boolean {
    const t = this.peek(n);
    if (t.kind === "keyword") return TYPE_KEYWORDS.has(t.text) || t.text === "static" || IGNORED_SPECIFIERS.has(t.text);
    return t.kind === "ident" && !this.shadowed.has(t.text) && this.typedefNamed(t.text) !== undefined;
  }

  private typeName(): CType {
    const base = this.specifiers();
    return this.declarator(base, true).type;
  }

  /** Declaration specifiers: the base type before any declarator. */
  private specifiers(): CType {
    const start = this.peek();
    let signedness: "signed" | "unsigned" | undefined;
    let longs = 0;
    let basic: string | undefined;
    let other: CType | undefined;
    let complex: Token | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === "keyword" && IGNORED_SPECIFIERS.has(t.text)) { this.i++; continue; }
      if (t.kind === "keyword" && t.text === "static") {
        throw exprError("EXPR_UNSUPPORTED", "'static' declarations are not supported in console code", t.pos);
      }
      if (t.kind === "keyword" && (t.text === "signed" || t.text === "unsigned")) { signedness = t.text; this.i++; continue; }
      if (t.kind === "keyword" && t.text === "long") { longs++; this.i++; continue; }
      if (t.kind === "keyword" && (t.text === "_Complex" || t.text === "__complex__")) { complex = t; this.i++; continue; }
      if (t.kind === "keyword" && ["void", "char", "short", "int", "float", "double", "_Bool"].includes(t.text)) {
        if (basic !== undefined && !(basic === "int" || t.text === "int")) throw exprError("EXPR_SYNTAX", `cannot combine '${basic}' with '${t.text}'`, t.pos);
        if (basic === undefined || basic === "int") basic = t.text;
        this.i++;
        continue;
      }
      if (t.kind === "keyword" && (t.text === "struct" || t.text === "union" || t.text === "enum") && !other && !basic) {
        this.i++;
        const kind = t.text;
        const named = this.peek().kind === "ident";
        const nameTok = named ? this.next() : this.peek();
        if (this.is("{")) {
          if (!this.definitions) throw exprError("EXPR_UNSUPPORTED", `a ${kind} type can be defined only in a declaration of its own at the console's top level (as 'struct pair { int a, b; };'), not inside an expression or a function`, this.peek().pos);
          other = kind === "enum" ? this.enumBody(named ? nameTok.text : undefined) : this.recordBody(kind, named ? nameTok.text : undefined);
          continue;
        }
        if (!named) throw exprError("EXPR_SYNTAX", `expected a ${kind} tag name or '{' after '${kind}'`, nameTok.pos);
        const found = this.localTags.get(`${kind} ${nameTok.text}`) ?? this.env.tag(kind, nameTok.text);
        if (!found) throw exprError("EXPR_UNKNOWN_TYPE", `unknown type '${t.text} ${nameTok.text}'${didYouMean(nameTok.text, this.env.tagNames(t.text))}`, nameTok.pos);
        other = found;
        continue;
      }
      if (t.kind === "ident" && !other && !basic && !signedness && longs === 0 && !this.shadowed.has(t.text)) {
        const td = this.typedefNamed(t.text);
        if (td) { other = td; this.i++; continue; }
      }
      break;
    }
    if (other) {
      if (signedness || longs || basic || complex) throw exprError("EXPR_SYNTAX", "invalid combination of type specifiers", start.pos);
      return other;
    }
    if (complex) {
      // `_Complex` alone is `_Complex double` (GNU C, as gcc).
      const real = basic === undefined && signedness === undefined && longs === 0 ? T.double : resolveBasic(basic, signedness, longs, start.pos);
      if (real.kind !== "float") throw exprError("EXPR_UNSUPPORTED", `complex integer types ('_Complex ${typeName(real)}') are not supported; use _Complex float, double or long double`, complex.pos);
      return complexOf(real);
    }
    if (basic === undefined && signedness === undefined && longs === 0) {
      const t = this.peek();
      throw exprError("EXPR_SYNTAX", `expected a type name, found ${t.kind === "eof" ? "end of input" : `'${t.text}'`}`, t.pos);
    }
    return resolveBasic(basic, signedness, longs, start.pos);
  }

  private typedefNamed(name: string): CType | undefined {
    return this.localTypedefs.get(name) ?? this.env.typedef(name);
  }

  /** `{ members }` of a struct or union defined here (its tag known inside, for `struct node *next`). */
  private recordBody(kind: "struct" | "union", tag: string | undefined): RecordType {
    const rec: RecordType = { kind, tag, members: [], size: undefined, incomplete: true };
    if (tag !== undefined) this.localTags.set(`${kind} ${tag}`, rec);
    this.expect("{");
    const decls: MemberDecl[] = [];
    while (!this.eat("}")) {
      if (this.peek().kind === "eof") throw exprError("EXPR_SYNTAX", `expected '}' to end the ${kind} definition`, this.peek().pos);
      const base = this.specifiers();
      if (this.eat(";")) {
        // An anonymous struct or union member (C11): its members are reached as the outer's own.
        const u = base.kind === "struct" || base.kind === "union" ? base : undefined;
        if (!u || u.tag !== undefined) throw exprError("EXPR_SYNTAX", "a member declaration needs a name", this.peek().pos);
        decls.push({ name: undefined, type: base, pos: this.peek().pos });
        continue;
      }
      do {
        const pos = this.peek().pos;
        const d = this.is(":") ? { name: undefined, type: base } : this.declarator(base, false);
        const bits = this.eat(":") ? this.constantInt("the bit-field width") : undefined;
        if (d.name === undefined && bits === undefined) throw exprError("EXPR_SYNTAX", "a member declaration needs a name", pos);
        decls.push({ name: d.name, type: d.type, pos, ...(bits !== undefined ? { bits: Number(bits) } : {}) });
      } while (this.eat(","));
      this.expect(";", `after the ${kind} member`);
    }
    layOut(rec, decls);
    this.definedTags.push(rec);
    return rec;
  }

  /** `{ A, B = 4, C }` of an enum defined here: int constants, each the one before plus one unless given. */
  private enumBody(tag: string | undefined): EnumType {
    this.expect("{");
    const enumerators: Enumerator[] = [];
    let next = 0n;
    while (!this.eat("}")) {
      const name = this.next();
      if (name.kind !== "ident") throw exprError("EXPR_SYNTAX", "expected an enumerator name", name.pos);
      if (this.eat("=")) next = this.constantInt(`the value of '${name.text}'`);
      if (next < -(1n << 31n) || next >= 1n << 32n) throw exprError("EXPR_TYPE", `the value of enumerator '${name.text}' (${next}) does not fit in an int`, name.pos);
      enumerators.push({ name: name.text, value: next });
      this.localEnumerators.set(name.text, next);
      next++;
      if (!this.eat(",")) {
        this.expect("}", "after the enumerators");
        break;
      }
    }
    const negative = enumerators.some((e) => e.value < 0n);
    const t: EnumType = { kind: "enum", tag, enumerators, underlying: negative ? T.int : T.uint }; // gcc: unsigned int unless an enumerator is negative
    if (tag !== undefined) this.localTags.set(`enum ${tag}`, t);
    this.definedTags.push(t);
    return t;
  }

  /** An integer constant of a definition: a literal, an enumerator defined before it, with a sign. */
  private constantInt(what: string): bigint {
    const neg = this.eat("-");
    if (!neg) this.eat("+");
    const t = this.next();
    const known = t.kind === "ident" ? this.localEnumerators.get(t.text) : undefined;
    const v = t.kind === "int" ? t.intValue! : t.kind === "char" ? t.intValue! : known;
    if (v === undefined) throw exprError("EXPR_UNSUPPORTED", `${what} must be an integer literal or an enumerator defined before it`, t.pos);
    return neg ? -v : v;
  }

  /**
   * A declarator around `base`: pointers, then a name (or nothing when abstract) or a nested
   * declarator in parentheses, then array/function suffixes. Suffixes bind tighter than `*`.
   */
  private declarator(base: CType, abstract: boolean): Declarator {
    let t = base;
    while (this.eat("*")) {
      while (this.eat("const") || this.eat("volatile") || this.eat("restrict")) { /* qualifiers change no code */ }
      t = pointerTo(t);
    }
    let name: string | undefined;
    let namePos = this.peek().pos;
    let nested: { start: number; end: number } | undefined;
    if (this.is("(") && (this.is("*", 1) || this.is("(", 1) || this.is("[", 1) || (!abstract && this.peek(1).kind === "ident" && !this.startsType(1)))) {
      // Nested declarator: parse it later, once the suffixes (the type it wraps) are known.
      this.i++;
      const start = this.i;
      let depth = 1;
      while (depth > 0) {
        const tok = this.next();
        if (tok.kind === "eof") throw exprError("EXPR_SYNTAX", "expected ')' to close the declarator", tok.pos);
        if (tok.text === "(" && tok.kind === "punct") depth++;
        if (tok.text === ")" && tok.kind === "punct") depth--;
      }
      nested = { start, end: this.i - 1 };
    } else if (this.peek().kind === "ident" && !abstract) {
      const tok = this.next();
      name = tok.text;
      namePos = tok.pos;
    } else if (this.peek().kind === "ident" && abstract && !this.startsType()) {
      const tok = this.peek();
      throw exprError("EXPR_SYNTAX", `unexpected identifier '${tok.text}' in a type name`, tok.pos);
    }
    const suffixes: ((inner: CType) => CType)[] = [];
    let paramNames: string[] = [];
    let first = true;
    for (;;) {
      if (this.eat("[")) {
        let count: number | undefined;
        if (!this.is("]")) {
          const tok = this.next();
          if (tok.kind !== "int") throw exprError("EXPR_UNSUPPORTED", "array sizes must be integer constants", tok.pos);
          count = Number(tok.intValue);
        }
        this.expect("]", "after the array size");
        suffixes.push((inner) => arrayOf(inner, count));
      } else if (this.is("(")) {
        this.i++;
        const { params, names, variadic, prototyped } = this.parameterList();
        if (first) paramNames = names;
        suffixes.push((inner) => ({ kind: "function", ret: inner, params, variadic, prototyped }) as FunctionType);
      } else break;
      first = false;
    }
    for (let k = suffixes.length - 1; k >= 0; k--) t = suffixes[k]!(t);
    if (nested) {
      const resume = this.i;
      this.i = nested.start;
      const inner = this.declarator(t, abstract);
      if (this.i !== nested.end) throw exprError("EXPR_SYNTAX", `unexpected '${this.peek().text}' in declarator`, this.peek().pos);
      this.i = resume;
      return { ...inner, paramNames: inner.type.kind === "function" && inner.paramNames.length === 0 ? paramNames : inner.paramNames };
    }
    return { name, namePos, type: t, paramNames };
  }

  private parameterList(): { params: CType[]; names: string[]; variadic: boolean; prototyped: boolean } {
    const params: CType[] = [];
    const names: string[] = [];
    if (this.eat(")")) return { params, names, variadic: false, prototyped: false };
    if (this.is("void") && this.is(")", 1)) {
      this.i += 2;
      return { params, names, variadic: false, prototyped: true };
    }
    let variadic = false;
    for (;;) {
      if (this.eat("...")) { variadic = true; break; }
      const base = this.specifiers();
      const d = this.declaratorMaybeNamed(base);
      // Parameters of array or function type are adjusted to pointers (C11 6.7.6.3).
      const pt = d.type.kind === "array" ? pointerTo(d.type.of) : d.type.kind === "function" ? pointerTo(d.type) : d.type;
      params.push(pt);
      names.push(d.name ?? "");
      if (!this.eat(",")) break;
    }
    this.expect(")", "after the parameter list");
    return { params, names, variadic, prototyped: true };
  }

  /** Parameter declarators may be named or abstract. */
  private declaratorMaybeNamed(base: CType): Declarator {
    let k = 0;
    while (this.is("*", k) || this.is("const", k) || this.is("volatile", k) || this.is("restrict", k)) k++;
    const named = this.peek(k).kind === "ident" || (this.is("(", k) && this.is("*", k + 1));
    return this.declarator(base, !named);
  }

  // ---- statements

  private block(): { k: "block"; pos: number; body: Stmt[] } {
    const open = this.expect("{");
    const body: Stmt[] = [];
    const shadowedBefore = new Set(this.shadowed);
    while (!this.is("}")) {
      if (this.peek().kind === "eof") throw exprError("EXPR_SYNTAX", "expected '}' at end of the block", this.peek().pos);
      body.push(this.statement());
    }
    this.i++;
    this.shadowed.clear();
    for (const s of shadowedBefore) this.shadowed.add(s);
    return { k: "block", pos: open.pos, body };
  }

  private statement(): Stmt {
    const t = this.peek();
    if (this.is("{")) return this.block();
    if (this.eat(";")) return { k: "empty", pos: t.pos };
    if (this.eat("if")) {
      this.expect("(", "after 'if'");
      const cond = this.expression();
      this.expect(")", "after the condition");
      const then = this.statement();
      const els = this.eat("else") ? this.statement() : undefined;
      return { k: "if", pos: t.pos, cond, then, else: els };
    }
    if (this.eat("while")) {
      this.expect("(", "after 'while'");
      const cond = this.expression();
      this.expect(")", "after the condition");
      return { k: "while", pos: t.pos, cond, body: this.statement() };
    }
    if (this.eat("do")) {
      const body = this.statement();
      this.expect("while", "after the body of 'do'");
      this.expect("(", "after 'while'");
      const cond = this.expression();
      this.expect(")", "after the condition");
      this.expect(";", "after 'do ... while (...)'");
      return { k: "do", pos: t.pos, body, cond };
    }
    if (this.eat("for")) {
      this.expect("(", "after 'for'");
      const shadowedBefore = new Set(this.shadowed);
      let init: Stmt | undefined;
      if (this.startsType()) init = this.declaration();
      else if (!this.eat(";")) {
        const e = this.expression();
        this.expect(";", "after the initializer of 'for'");
        init = { k: "expr", pos: e.pos, expr: e };
      }
      const cond = this.is(";") ? undefined : this.expression();
      this.expect(";", "after the condition of 'for'");
      const step = this.is(")") ? undefined : this.expression();
      this.expect(")", "after the step of 'for'");
      const body = this.statement();
      this.shadowed.clear();
      for (const s of shadowedBefore) this.shadowed.add(s);
      return { k: "for", pos: t.pos, init, cond, step, body };
    }
    if (this.eat("return")) {
      const value = this.is(";") ? undefined : this.expression();
      this.expect(";", "after the return statement");
      return { k: "return", pos: t.pos, value };
    }
    if (this.eat("switch")) {
      this.expect("(", "after 'switch'");
      const cond = this.expression();
      this.expect(")", "after the controlling expression");
      return { k: "switch", pos: t.pos, cond, body: this.statement() };
    }
    if (this.eat("case")) {
      const value = this.conditional();
      this.expect(":", "after the case value");
      return { k: "case", pos: t.pos, value, body: this.statement() };
    }
    if (this.eat("default")) {
      this.expect(":", "after 'default'");
      return { k: "case", pos: t.pos, value: undefined, body: this.statement() };
    }
    if (this.eat("break")) { this.expect(";", "after 'break'"); return { k: "break", pos: t.pos }; }
    if (this.eat("continue")) { this.expect(";", "after 'continue'"); return { k: "continue", pos: t.pos }; }
    if (this.startsType()) return this.declaration();
    const expr = this.expression();
    this.expect(";", "after the expression");
    return { k: "expr", pos: t.pos, expr };
  }

  private declaration(): Stmt {
    const pos = this.peek().pos;
    const base = this.specifiers();
    const decls: Declaration[] = [];
    do {
      const d = this.declarator(base, false);
      if (d.name === undefined) throw exprError("EXPR_SYNTAX", "expected a variable name in the declaration", d.namePos);
      const init = this.eat("=") ? (this.is("{") ? this.initList() : this.assignment()) : undefined;
      decls.push({ pos: d.namePos, name: d.name, type: d.type, init });
      this.shadowed.add(d.name);
    } while (this.eat(","));
    this.expect(";", "after the declaration");
    return { k: "decl", pos, decls };
  }

  /** `{ [designators =] initializer, … }`, a trailing comma allowed (C11 6.7.9). */
  private initList(): InitList {
    const open = this.expect("{");
    const items: InitItem[] = [];
    while (!this.is("}")) {
      const pos = this.peek().pos;
      const designators: Designator[] = [];
      for (;;) {
        const d = this.peek();
        if (this.eat(".")) {
          const name = this.next();
          if (name.kind !== "ident") throw exprError("EXPR_SYNTAX", "expected a member name after '.' in the designator", name.pos);
          designators.push({ k: "field", pos: d.pos, name: name.text });
        } else if (this.eat("[")) {
          designators.push({ k: "index", pos: d.pos, index: this.conditional() });
          this.expect("]", "after the array designator");
        } else break;
      }
      if (designators.length > 0) this.expect("=", "after the designator");
      items.push({ pos, designators, value: this.is("{") ? this.initList() : this.assignment() });
      if (!this.eat(",")) break;
    }
    this.expect("}", "at the end of the initializer list");
    return { k: "list", pos: open.pos, items };
  }

  // ---- expressions

  expression(): Expr {
    let e = this.assignment();
    while (this.is(",")) {
      const op = this.next();
      e = { k: "binary", pos: op.pos, op: ",", left: e, right: this.assignment() };
    }
    return e;
  }

  private assignment(): Expr {
    const target = this.conditional();
    const t = this.peek();
    if (t.kind === "punct" && ASSIGN_OPS.has(t.text)) {
      this.i++;
      return { k: "assign", pos: t.pos, op: t.text as AssignOp, target, value: this.assignment() };
    }
    return target;
  }

  private conditional(): Expr {
    const cond = this.binary(1);
    if (!this.is("?")) return cond;
    const q = this.next();
    const then = this.expression();
    this.expect(":", "in the conditional expression");
    return { k: "cond", pos: q.pos, cond, then, else: this.conditional() };
  }

  private binary(minPrec: number): Expr {
    let left = this.cast();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "punct" ? BINARY_PRECEDENCE[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.i++;
      const rightStart = this.peek().pos;
      const right = this.binary(prec + 1);
      left = t.text === "@" ? { k: "artificial", pos: t.pos, base: left, length: right, lengthStart: rightStart, lengthEnd: this.peek().pos } : { k: "binary", pos: t.pos, op: t.text as BinaryOp, left, right };
    }
  }

  private cast(): Expr {
    if (this.is("(") && this.startsType(1)) {
      const open = this.next();
      const type = this.typeName();
      this.expect(")", "after the type name of the cast");
      if (this.is("{")) return this.postfix({ k: "literal", pos: open.pos, type, init: this.initList() });
      return { k: "cast", pos: open.pos, type, operand: this.cast() };
    }
    return this.unary();
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === "punct") {
      if (t.text === "++" || t.text === "--") {
        this.i++;
        return { k: "unary", pos: t.pos, op: t.text === "++" ? "++pre" : "--pre", operand: this.unary() };
      }
      if (["-", "+", "!", "~", "*", "&"].includes(t.text)) {
        this.i++;
        return { k: "unary", pos: t.pos, op: t.text as "-", operand: this.cast() };
      }
    }
    if (t.kind === "keyword" && (t.text === "__real__" || t.text === "__imag__")) {
      this.i++;
      return { k: "unary", pos: t.pos, op: t.text, operand: this.cast() };
    }
    if (t.kind === "keyword" && (t.text === "sizeof" || t.text === "_Alignof" || t.text === "__alignof__")) {
      this.i++;
      const align = t.text !== "sizeof";
      if (this.is("(") && this.startsType(1)) {
        const open = this.next();
        const type = this.typeName();
        this.expect(")", `after the type name of '${t.text}'`);
        // `sizeof (int[]){1, 2}`: the operand is a compound literal, not a type.
        if (this.is("{")) return { k: "sizeof", pos: t.pos, of: this.postfix({ k: "literal", pos: open.pos, type, init: this.initList() }), align };
        return { k: "sizeof", pos: t.pos, of: type, align };
      }
      return { k: "sizeof", pos: t.pos, of: this.unary(), align };
    }
    return this.postfix();
  }

  private postfix(start?: Expr): Expr {
    let e = start ?? this.primary();
    for (;;) {
      const t = this.peek();
      if (this.eat("[")) {
        const index = this.expression();
        this.expect("]", "after the subscript");
        e = { k: "index", pos: t.pos, base: e, index };
      } else if (this.eat("(")) {
        const args: Expr[] = [];
        if (!this.is(")")) {
          do args.push(this.assignment());
          while (this.eat(","));
        }
        this.expect(")", "after the call arguments");
        e = { k: "call", pos: t.pos, callee: e, args };
      } else if (this.is(".") || this.is("->")) {
        this.i++;
        const name = this.next();
        if (name.kind !== "ident") throw exprError("EXPR_SYNTAX", `expected a member name after '${t.text}'`, name.pos);
        e = { k: "member", pos: t.pos, base: e, name: name.text, namePos: name.pos, arrow: t.text === "->" };
      } else if (this.is("++") || this.is("--")) {
        this.i++;
        e = { k: "unary", pos: t.pos, op: t.text === "++" ? "++post" : "--post", operand: e };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "ident": return { k: "ident", pos: t.pos, name: t.text };
      case "int": return { k: "int", pos: t.pos, value: t.intValue!, suffix: t.suffix!, nonDecimal: t.nonDecimal!, text: t.text };
      case "char": return { k: "char", pos: t.pos, value: t.intValue! };
      case "float": return { k: "float", pos: t.pos, value: t.floatValue!, single: t.single!, ...(t.extended ? { extended: t.extended } : {}), ...(t.imaginary ? { imaginary: true } : {}) };
      case "string": return { k: "string", pos: t.pos, bytes: t.bytes! };
      case "punct":
        // A brace list in an expression (gdb's): typed by what it is assigned or passed to,
        // else an array literal `{1, 2, 3}` of its first element's type.
        if (t.text === "{") {
          this.i--;
          return { k: "initlist", pos: t.pos, list: this.initList() };
        }
        if (t.text === "(" && this.is("{")) {
          const block = this.block();
          this.expect(")", "after the statement expression's '}'");
          return { k: "stmtexpr", pos: t.pos, body: block.body };
        }
        if (t.text === "(") {
          const e = this.expression();
          this.expect(")", "after the parenthesized expression");
          return e;
        }
        break;
      default: break;
    }
    throw exprError("EXPR_SYNTAX", `expected an expression, found ${t.kind === "eof" ? "end of input" : `'${t.text}'`}`, t.pos);
  }
}

function resolveBasic(basic: string | undefined, signedness: "signed" | "unsigned" | undefined, longs: number, pos: number): CType {
  const uns = signedness === "unsigned";
  switch (basic) {
    case "void": return T.void;
    case "_Bool": return T.bool;
    case "char": return signedness === undefined ? T.char : uns ? T.uchar : T.schar;
    case "short": return uns ? T.ushort : T.short;
    case "float": return T.float;
    case "double": return longs > 0 ? T.ldouble : T.double;
    default:
      if (longs === 0) return uns ? T.uint : T.int;
      if (longs === 1) return uns ? T.ulong : T.long;
      if (longs === 2) return uns ? T.ullong : T.llong;
      throw exprError("EXPR_SYNTAX", "'long long long' is too long", pos);
  }
}

export function parseInput(src: string, env: TypeEnv): Input {
  return new Parser(src, env).parseInput();
}

export function parseTypeName(src: string, env: TypeEnv): CType {
  return new Parser(src, env).parseTypeName();
}

export type { FunctionDef };
