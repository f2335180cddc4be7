/**
 * The external compiler backend (`:c` blocks): writes a C translation unit that declares what the
 * block uses — types from the Scope, globals, TLS, functions, frame variables through the argument
 * block — wraps the block in an entry function with the same contract as compile(), and builds it
 * with the machine's `cc -c -fPIC`. The object then goes through the same JIT linker.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as C from "../elf/constants.js";
import { ElfFile } from "../elf/reader.js";
import type { ArgSlot } from "./check.js";
import { Checker } from "./check.js";
import { typeEnvOf, type CompileResult } from "./compile.js";
import { ExprError, isTextError } from "./errors.js";
import { tokenize } from "./lexer.js";
import { parseInput } from "./parser.js";
import { libcPrototype } from "./builtins.js";
import type { Scope, TlsModel } from "./scope.js";
import { T, isVoid, sizeOf, unqual, type CType, type RecordType } from "./types.js";
import { lazyModule } from "../lazy-module.js";

export interface ExternalCcOptions {
  /** The compiler command (default "cc"). */
  cc?: string;
  /** Flags appended after ours (`-O2`, `-std=gnu11`, ...). */
  flags?: string[];
  entryName?: string;
  tlsModel?: TlsModel;
}

/** C declarations for the types a translation unit needs, anonymous records given tags. */
class TypeEmitter {
  private readonly tags = new Map<RecordType | CType, string>();
  private readonly defined = new Set<CType>();
  private readonly declared = new Set<CType>();
  readonly out: string[] = [];
  private anon = 0;

  tagOf(t: RecordType | (CType & { kind: "enum" })): string {
    let tag = this.tags.get(t);
    if (!tag) {
      tag = t.tag ?? `__jitdbg_anon${this.anon++}`;
      this.tags.set(t, tag);
    }
    return tag;
  }

  /** A declaration of `inner` with type t (typeName's declarator rules, with our tags). */
  decl(t: CType, inner: string): string {
    const join = (base: string, inn: string): string => (inn === "" ? base : `${base} ${inn}`);
    switch (t.kind) {
      case "void": return join("void", inner);
      case "int": case "float": return join(t.name, inner);
      case "complex": return join(`_Complex ${t.of.name}`, inner);
      case "typedef": this.need(t); return join(t.name, inner);
      case "struct": case "union": this.forward(t); return join(`${t.kind} ${this.tagOf(t)}`, inner);
      case "enum": this.need(t); return join(`enum ${this.tagOf(t)}`, inner);
      case "pointer": return this.decl(t.to, `*${inner}`);
      case "array": {
        const dims = `[${t.count ?? ""}]`;
        return this.decl(t.of, inner.startsWith("*") ? `(${inner})${dims}` : `${inner}${dims}`);
      }
      case "function": {
        const ps = t.params.map((p) => this.decl(p, ""));
        if (t.variadic) ps.push("...");
        const list = ps.length > 0 ? ps.join(", ") : t.prototyped ? "void" : "";
        return this.decl(t.ret, inner === "" ? `(${list})` : `(${inner})(${list})`);
      }
    }
  }

  private forward(t: RecordType): void {
    if (this.declared.has(t)) return;
    this.declared.add(t);
    this.out.push(`${t.kind} ${this.tagOf(t)};`);
  }

  /** Emits the full definition of t (and, first, of what it contains by value). */
  need(t: CType): void {
    if (this.defined.has(t)) return;
    switch (t.kind) {
      case "typedef": {
        this.defined.add(t);
        const line = `typedef ${this.decl(t.target, t.name)};`;
        this.needValue(t.target);
        this.out.push(line);
        return;
      }
      case "enum": {
        this.defined.add(t);
        const tag = this.tagOf(t);
        this.out.push(`enum ${tag} { ${t.enumerators.map((e) => `${e.name} = ${e.value}`).join(", ")} };`);
        return;
      }
      case "struct": case "union": {
        if (t.incomplete) { this.forward(t); return; }
        this.defined.add(t);
        this.forward(t);
        for (const m of t.members) this.needValue(m.type);
        const tag = this.tagOf(t);
        const members = t.members.map((m, i) => {
          const name = m.name ?? `__jitdbg_pad${i}`;
          return m.bitSize !== undefined ? `${this.decl(m.type, name)} : ${m.bitSize};` : `${this.decl(m.type, name)};`;
        });
        this.out.push(`${t.kind} ${tag} { ${members.join(" ")} };`);
        // The layout gcc computes must be the one the program was built with.
        if (t.size !== undefined) this.out.push(`_Static_assert(sizeof(${t.kind} ${tag}) == ${t.size}, "layout of ${t.kind} ${tag} differs from the program's");`);
        for (const m of t.members) {
          if (m.name && m.bitSize === undefined) this.out.push(`_Static_assert(__builtin_offsetof(${t.kind} ${tag}, ${m.name}) == ${m.offset}, "offset of ${m.name} in ${t.kind} ${tag} differs from the program's");`);
        }
        return;
      }
      default: this.needValue(t);
    }
  }

  /** Types a declaration uses get definitions (recursion ends at records already defined). */
  needValue(t: CType): void {
    switch (t.kind) {
      case "array": this.needValue(t.of); return;
      case "typedef": case "struct": case "union": case "enum": this.need(t); return;
      case "function": this.needValue(t.ret); for (const p of t.params) this.needValue(p); return;
      // Pointed-to records are defined too: the block may well use `->` on them.
      case "pointer": this.needValue(t.to); this.decl(t, ""); return;
      default: return;
    }
  }
}

/** Builds the translation unit; exported for tests and for showing users what was compiled. */
export function translationUnit(block: string, scope: Scope, opts: ExternalCcOptions = {}): { source: string; slots: ArgSlot[]; resultType: CType; entry: string } {
  const entry = opts.entryName ?? "__jitdbg_expr";
  const types = new TypeEmitter();
  const decls: string[] = [];
  const slots: ArgSlot[] = [];
  const seen = new Set<string>();
  const toks = tokenize(block);
  toks.forEach((tok, i) => {
    const prev = toks[i - 1];
    if (prev && prev.kind === "keyword" && (prev.text === "struct" || prev.text === "union" || prev.text === "enum") && tok.kind === "ident") {
      const t = scope.tag(prev.text, tok.text);
      if (t) types.need(t);
      return;
    }
    if (tok.kind !== "ident" || seen.has(tok.text)) return;
    if (prev && prev.kind === "punct" && (prev.text === "." || prev.text === "->")) return;
    seen.add(tok.text);
    const name = tok.text;
    const td = scope.typedef(name);
    if (td) { types.need({ kind: "typedef", name, target: td.kind === "typedef" && td.name === name ? td.target : td }); return; }
    const ent = scope.lookup(name);
    if (!ent) {
      const proto = libcPrototype(name);
      if (proto) decls.push(`extern ${types.decl(proto, name)};`);
      return;
    }
    switch (ent.kind) {
      case "enumerator": types.need(ent.type); if (unqual(ent.type).kind !== "enum") decls.push(`enum { ${name} = ${ent.value} };`); return;
      case "function": {
        const type = ent.type ?? libcPrototype(name);
        if (type) decls.push(`extern ${types.decl(type, name)} __asm__("${ent.symbol}");`);
        return;
      }
      case "variable": {
        if (!ent.type) return;
        types.needValue(ent.type);
        const loc = ent.location;
        if (loc.kind === "global") decls.push(`extern ${types.decl(ent.type, name)} __asm__("${loc.symbol}");`);
        else if (loc.kind === "tls") {
          const model = loc.model ?? opts.tlsModel ?? "initial-exec";
          decls.push(`extern __thread ${types.decl(ent.type, name)} __asm__("${loc.symbol}") __attribute__((tls_model("${model}")));`);
        } else {
          const fill = loc.kind === "frame" ? "address" : "value";
          const offset = slots.reduce((n, s) => n + s.size, 0);
          const size = fill === "address" ? 8 : Math.ceil((sizeOf(ent.type) ?? 8) / 8) * 8;
          slots.push({ offset, size, name, fill, location: loc, type: ent.type, written: fill === "value" });
          const ptr = types.decl(ent.type, "*");
          decls.push(fill === "address" ? `#define ${name} (*(${ptr})((void **)__jitdbg_args)[${offset / 8}])` : `#define ${name} (*(${ptr})((char *)__jitdbg_args + ${offset}))`);
        }
      }
    }
  });

  // The result type: known when the block is an expression our own front end understands.
  let resultType: CType = T.void;
  let body = `  {\n#line 1 "<console>"\n${block}\n  }`;
  try {
    const input = parseInput(block, typeEnvOf(scope));
    if (input.k === "expr") {
      const te = new Checker(scope, { tlsModel: opts.tlsModel ?? "initial-exec" }).checkTopLevel(input.expr);
      resultType = te.type;
      const u = unqual(resultType);
      const store = isVoid(resultType)
        ? `(void)(\n#line 1 "<console>"\n${block}\n);`
        : u.kind === "array"
          ? `__builtin_memcpy(__jitdbg_result, &(\n#line 1 "<console>"\n${block}\n), ${sizeOf(resultType) ?? 0});`
          : `*(${types.decl(resultType, "*")})__jitdbg_result = (\n#line 1 "<console>"\n${block}\n);`;
      body = `  ${store}`;
    }
  } catch (e) {
    // Statements, or C beyond our front end: the compiler is the judge; the result is void.
    if (!isTextError(e)) throw e;
  }
  const source = [
    "/* generated by jitdbg for a :c block */",
    ...types.out,
    ...decls,
    `void ${entry}(void *__jitdbg_args, void *__jitdbg_result) {`,
    "  (void)__jitdbg_args; (void)__jitdbg_result;",
    body,
    "}",
    "",
  ].join("\n");
  return { source, slots, resultType, entry };
}

/** Compiles a `:c` block with the machine's C compiler. */
export function compileWithExternalCc(block: string, scope: Scope, opts: ExternalCcOptions = {}): CompileResult {
  const cc = opts.cc ?? "cc";
  const tu = translationUnit(block, scope, opts);
  const dir = mkdtempSync(join(tmpdir(), "jitdbg-cc-"));
  try {
    const src = join(dir, "console.c");
    const obj = join(dir, "console.o");
    writeFileSync(src, tu.source);
    const r = childProcess().spawnSync(cc, ["-c", "-fPIC", "-O0", "-fno-asynchronous-unwind-tables", "-funwind-tables", "-o", obj, src, ...(opts.flags ?? [])], { encoding: "utf8" });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ExprError("EXPR_CC_MISSING", `C compiler '${cc}' not found; install gcc or clang (or choose another with the cc option) to use :c blocks`, 0);
    }
    if (r.status !== 0) {
      const lines = (r.stderr ?? "").split("\n").filter((l) => l.trim() !== "");
      const first = lines.findIndex((l) => /error/.test(l));
      const shown = (first >= 0 ? lines.slice(first, first + 3) : lines.slice(0, 3)).join("\n");
      const col = /<console>:\d+:(\d+): error/.exec(shown);
      throw new ExprError("EXPR_CC_FAILED", `${cc} failed:\n${shown}`, col ? Number(col[1]) : 0);
    }
    const bytes = new Uint8Array(readFileSync(obj));
    const elf = ElfFile.parse(bytes, "<console>.o");
    const externals = elf.symbols().filter((s) => s.shndx === C.SHN_UNDEF && s.name !== "").map((s) => s.name);
    return {
      kind: "expression",
      object: bytes,
      entry: tu.entry,
      resultType: tu.resultType,
      resultSize: isVoid(tu.resultType) ? 0 : (sizeOf(tu.resultType) ?? 0),
      argBlock: { size: tu.slots.reduce((n, s) => n + s.size, 0), slots: tu.slots },
      defines: [],
      externals,
      callsFunctions: true, // a C block may loop: always under the time limit
      assigns: true, // unknown: a C block may store anywhere
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** node:child_process, loaded when the external compiler first runs. */
const childProcess = lazyModule<typeof import("node:child_process")>("node:child_process");
