/**
 * The compiler's public entry: console text + Scope → ELF relocatable object, with the entry
 * symbol, the result type and the argument-block layout the evaluator must fill in.
 *
 * Entry contract: `void <entry>(void *argBlock, void *result)`. The evaluator fills the argument
 * block (slot by slot, as `argBlock.slots` says), calls the entry, then reads `resultSize` bytes of
 * `resultType` from the result buffer (struct and array results: their bytes) and writes back the
 * slots marked `written`.
 */
import { Checker, type ArgSlot } from "./check.js";
import { ENTRY_RESERVED } from "./frame.js";
import { checkRoutine } from "./complex-runtime.js";
import { X86Codegen, type CodeModel, type FunctionCode } from "./codegen/x86_64.js";
import type { SiteLayout, SitePlace } from "./codegen/site-form.js";
import { exprError } from "./errors.js";
import { buildObject } from "./object.js";
import { parseInput, type TypeEnv } from "./parser.js";
import type { Expr, FunctionDef, TopDecl } from "./ast.js";
import type { TExpr } from "./ir.js";
import { countExprs, someExpr } from "./ir-walk.js";
import type { Scope, TlsModel } from "./scope.js";
import { T, isVoid, sizeOf, typedef, unqual, type CType, type FunctionType } from "./types.js";

export interface CompileOptions {
  /**
   * small-pic (default): GOTPCRELX for outside data, PC32 for the object's own, PLT32 calls.
   * small: PC32 for all data (everything within ±2 GiB). large: R_X86_64_64 absolute addresses
   * for data and calls (movabs; call through a register).
   */
  codeModel?: CodeModel;
  /** TLS access for variables whose Scope entry does not say (default initial-exec). */
  tlsModel?: TlsModel;
  /** Entry symbol name (default `__jitdbg_expr`); unique names let several objects coexist. */
  entryName?: string;
  /**
   * The symbol a function definition is emitted under (default: its name). A patch's body takes
   * another, so that nothing else binds to it: callers reach it through the patched function.
   */
  definitionSymbol?: string;
  /**
   * An expression compiled as a breakpoint condition's site body (X86Codegen.siteEntry): no call,
   * no result buffer, room for the trampoline around it; the result's `site` says where. `places`
   * tells, once the slots are known, where the program keeps the variables read by address.
   */
  siteForm?: { places(slots: readonly ArgSlot[]): ReadonlyMap<number, SitePlace> };
}

export interface ArgBlockLayout {
  /** Total bytes (a multiple of 8). */
  size: number;
  slots: ArgSlot[];
}

export interface CompileResult {
  kind: "expression" | "function";
  /** The ELF64 relocatable object. */
  object: Uint8Array;
  /** The entry symbol (expressions); undefined for function definitions. */
  entry: string | undefined;
  /** The value's type (void for definitions and void expressions). */
  resultType: CType;
  /** Bytes the entry writes to the result buffer. */
  resultSize: number;
  argBlock: ArgBlockLayout;
  /** Functions the object exports (a console function definition). */
  defines: { name: string; type: FunctionType }[];
  /** Undefined symbols the linker must resolve in the inferior. */
  externals: string[];
  /**
   * Whether the code calls any function or loops (a statement expression's while/for/do). Without
   * either an expression is straight-line code (its only branches go forward), so it always ends
   * and needs no time limit.
   */
  callsFunctions: boolean;
  /**
   * Whether the code assigns (=, op=, ++, --). Code that neither assigns nor calls cannot change
   * the program: it needs no undo log around its call.
   */
  assigns: boolean;
  /**
   * Stack bytes the entry may use below its return address, when the code calls no function (its
   * frame, and a push per pending operand: at most one per node of the expression); undefined
   * when it calls (the callee's needs are unknown).
   */
  stackBytes?: number;
  /** The site form's layout (compiled with `siteForm`). */
  site?: SiteLayout;
}

const BUILTIN_TYPEDEFS: Record<string, CType> = {
  size_t: typedef("size_t", T.ulong),
  ssize_t: typedef("ssize_t", T.long),
  ptrdiff_t: typedef("ptrdiff_t", T.long),
  intptr_t: typedef("intptr_t", T.long),
  uintptr_t: typedef("uintptr_t", T.ulong),
  int8_t: typedef("int8_t", T.schar), uint8_t: typedef("uint8_t", T.uchar),
  int16_t: typedef("int16_t", T.short), uint16_t: typedef("uint16_t", T.ushort),
  int32_t: typedef("int32_t", T.int), uint32_t: typedef("uint32_t", T.uint),
  int64_t: typedef("int64_t", T.long), uint64_t: typedef("uint64_t", T.ulong),
  bool: T.bool,
};

/** Type names come from the Scope, then from the fixed-width typedefs every C program has. */
export function typeEnvOf(scope: Scope): TypeEnv {
  return {
    typedef: (name) => scope.typedef(name) ?? (scope.lookup(name) ? undefined : BUILTIN_TYPEDEFS[name]),
    tag: (kind, name) => scope.tag(kind, name),
    tagNames: (kind) => scope.tagNames(kind),
  };
}

/** Top-level declarations of the console: nothing to compile until the debugger gives each its place (see the evaluator). */
export interface Declarations {
  kind: "declarations";
  items: TopDecl[];
}

export function compile(source: string, scope: Scope, opts: CompileOptions = {}): CompileResult | Declarations {
  const input = parseInput(source, typeEnvOf(scope));
  if (input.k === "declarations") return { kind: "declarations", items: input.items };
  if (input.k === "expr") return compileExpression(input.expr, scope, opts);
  return compileFunction(input.def, scope, opts);
}

function compileFunction(def: FunctionDef, scope: Scope, opts: CompileOptions): CompileResult {
  const checker = new Checker(scope, { tlsModel: opts.tlsModel ?? "initial-exec" });
  const gen = new X86Codegen({ codeModel: opts.codeModel ?? "small-pic" });
  if (scope.lookup(def.name)?.kind === "variable") throw exprError("EXPR_TYPE", `redefinition of '${def.name}' as a different kind of symbol`, def.pos);
  const checked = checker.checkFunction(def);
  const symbol = opts.definitionSymbol ?? def.name;
  const code = gen.function(symbol, checked.params, def.type.ret, checked.body, checked.frame);
  const obj = buildObject({ asm: gen.asm, functions: [code, ...routines(checker, gen, scope)], rodata: checker.rodata, exported: new Set([symbol]) });
  return { kind: "function", object: obj.bytes, entry: undefined, resultType: T.void, resultSize: 0, argBlock: { size: checker.slots.reduce((n, s) => n + s.size, 0), slots: checker.slots }, defines: [{ name: def.name, type: def.type }], externals: obj.externals, callsFunctions: true, assigns: true };
}

/** One parsed expression compiled into an object with an entry (the console's, or a declaration's initializer). */
export function compileExpression(expr: Expr, scope: Scope, opts: CompileOptions = {}): CompileResult {
  const codeModel = opts.codeModel ?? "small-pic";
  const checker = new Checker(scope, { tlsModel: opts.tlsModel ?? "initial-exec" });
  let gen = new X86Codegen({ codeModel });
  const argBlock = (): ArgBlockLayout => ({ size: checker.slots.reduce((n, s) => n + s.size, 0), slots: checker.slots });

  const entry = opts.entryName ?? "__jitdbg_expr";
  const te = checker.checkTopLevel(expr);
  let site: ReturnType<X86Codegen["siteEntry"]> | undefined;
  if (opts.siteForm) {
    const places = opts.siteForm.places(checker.slots);
    const siteOpts = { preludeRoom: sitePreludeRoom(checker.slots.length), argBlockSize: argBlock().size, fx: computesWithFloats(te), places };
    // Frameless when every variable is read where it is and nothing is dereferenced (a fault
    // there is recovered from the frame's base, which then must be in a register).
    const frameless = checker.slots.every((s) => places.has(s.offset)) && checker.frame.size <= ENTRY_RESERVED && !dereferences(te);
    site = gen.siteEntry(entry, te, checker.frame, { ...siteOpts, frameless });
    if (site.needsFrame || site.needsSlots) {
      // Again with a frame, and with the variables whose address the code takes in the argument block.
      const slotted = site.needsSlots ?? new Set<number>();
      gen = new X86Codegen({ codeModel });
      site = gen.siteEntry(entry, te, checker.frame, { ...siteOpts, places: new Map([...places].filter(([at]) => !slotted.has(at))), frameless: false });
    }
  }
  const code = site?.code ?? gen.entry(entry, te, checker.frame);
  const functions = [code, ...routines(checker, gen, scope)];
  const textAlign = site ? Math.min(4096, 2 ** Math.ceil(Math.log2(gen.asm.pos))) : undefined;
  const obj = buildObject({ asm: gen.asm, functions, rodata: checker.rodata, exported: new Set([entry]), ...(textAlign ? { textAlign } : {}) });
  const resultSize = isVoid(te.type) ? 0 : (sizeOf(te.type) ?? 0);
  // The return address and saved rbp, the frame, a push per pending operand, and room for the
  // register an operation saves for itself (a struct assignment keeps its target's address).
  const stackBytes = gen.callsFunctions ? undefined : 16 + checker.frame.aligned + 8 * countExprs(te) + 64;
  return { kind: "expression", object: obj.bytes, entry, resultType: te.type, resultSize, argBlock: argBlock(), defines: [], externals: obj.externals, callsFunctions: gen.callsFunctions || gen.emitsLoops, assigns: checker.assigns, stackBytes, ...(site ? { site: site.layout } : {}) };
}

/**
 * Room for a site body's prelude: saving up to every general register and the flags, filling
 * each argument slot (a 10-byte constant or a lea, and a store), x87/SSE state (condition-trampoline.ts).
 */
function sitePreludeRoom(slots: number): number {
  return 256 + 24 * slots;
}

/** Whether any value of the tree is floating (its code then uses x87 or SSE registers). */
const computesWithFloats = (te: TExpr): boolean =>
  someExpr(te, (n) => {
    const t = unqual(n.type);
    return t.kind === "float" || t.kind === "complex";
  });

/** Whether the tree reads memory through a computed pointer (`*p`, `p->x`, `a[i]`). */
const dereferences = (te: TExpr): boolean => someExpr(te, (n) => n.k === "deref");

/**
 * The runtime routines the checked code calls (complex × and ÷), compiled from their C source by
 * this same compiler into the same object, as local functions.
 */
function routines(checker: Checker, gen: X86Codegen, scope: Scope): FunctionCode[] {
  const out: FunctionCode[] = [];
  const done = new Set<string>();
  const pending = [...checker.routines];
  for (let symbol = pending.pop(); symbol !== undefined; symbol = pending.pop()) {
    if (done.has(symbol)) continue;
    done.add(symbol);
    const r = checkRoutine(symbol, scope);
    out.push(gen.function(symbol, r.params, r.def.type.ret, r.body, r.frame));
    pending.push(...r.needs);
  }
  return out;
}

