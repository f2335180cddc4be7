/**
 * What the user sees of a stopped program: scopes of a frame (arguments, locals, globals of the
 * unit, thread-locals, registers), the variables inside them as an expandable tree (paged for big
 * arrays), setting a scalar, and evaluating an expression. Handles ("variables references") are
 * valid until the program runs again.
 */
import { JitdbgError, hasCode } from "../../errors.js";
import type { Variable } from "../../dwarf/index.js";
import { PointerType, QualifiedType, TypedefType, type DwarfType } from "../../dwarf/index.js";
import { GPR_NAMES, XMM_NAMES, type RegName } from "../../emu/registers.js";
import { ReversibleBridge } from "../../expr/evaluate/ctype-to-dwarf.js";
import { isTextError } from "../../expr/errors.js";
import { KEYWORDS } from "../../expr/index.js";
import { checkExpression, interpret, type InterpretOptions } from "../../expr/interpret.js";
import { withArtificialLengths } from "../../expr/artificial.js";
import { typeEnvOf } from "../../expr/compile.js";
import { exprError } from "../../expr/errors.js";
import { memberNames, sizeOf, unqual, typeName, type CType } from "../../expr/types.js";
import type { Process } from "../../inferior/process.js";
import type { ImageInfo } from "../image-info.js";
import { driveSteps, runSteps, type Steps } from "../../expr/evaluate/runner.js";
import { splitFormatSuffix } from "./format-suffix.js";
import { FrameValues } from "./frame-values.js";
import { FrameReadScope } from "./read-scope.js";
import { shownChildren } from "./value-children.js";
import { StateMemo } from "./state-memo.js";
import { DWARF_GPRS, DWARF_NUMBERS, describeEflags } from "./registers.js";
import { registerStore } from "./register-homes.js";
import type { Frame } from "./stack.js";
import { assign, toBytes, formatValue, hasChildren, indexedCount, readBytes, scalarOf, strip, type FormatOptions, type Memory, type Value } from "../../values/value.js";

export type ScopeKind = "arguments" | "locals" | "globals" | "tls" | "registers";

export interface ScopeView {
  name: string;
  kind: ScopeKind;
  variablesReference: number;
  expensive: boolean;
  namedVariables?: number;
}

export interface VariableView {
  name: string;
  value: string;
  type?: string;
  variablesReference: number;
  indexedVariables?: number;
  namedVariables?: number;
  evaluateName?: string;
  memoryReference?: string;
  presentationHint?: { attributes?: string[] };
}

/**
 * What the interpreter made of a text: `value`, an object of the program (an lvalue: it can be
 * watched and assigned), or `computed`, a value with no storage of its own.
 */
export interface Interpretation {
  kind: "value" | "computed";
  value: Value;
  /** The C type the front end gave it. */
  type: CType;
}

/** Where the System V ABI passes the first six integer-class arguments and the first eight SSE-class ones. */
const INTEGER_ARGUMENT_REGISTERS: readonly RegName[] = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];
const SSE_ARGUMENT_REGISTERS: readonly RegName[] = ["xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"];

type Container =
  | { kind: "scope"; frame: number; scope: ScopeKind }
  | { kind: "value"; frame: number; value: Value; evaluateName: string }
  | { kind: "xmm"; name: RegName };

const SCOPE_NAMES: Record<ScopeKind, string> = { arguments: "Arguments", locals: "Locals", globals: "Globals", tls: "Thread-local", registers: "Registers" };

/** What the Inspector needs of the debugger: the stopped process, its images and frames. */
export interface InspectorHost {
  readonly process: Process;
  readonly images: readonly ImageInfo[];
  frame(index: number): Frame;
  imageFor(pc: bigint): ImageInfo | undefined;
  describePc(pc: bigint): string;
  readMemoryExact(address: bigint, size: number): Uint8Array | undefined;
  writeMemory(address: bigint, data: Uint8Array): void;
  /** Registers were written: cached frames and values are stale. */
  registersChanged(): void;
  /** The thread whose frames `frame()` gives. */
  readonly thread: number;
  selectThread(tid: number): void;
}

/** The compiled back end, as the Inspector uses it (the ExpressionEvaluator provides it). */
export interface CompiledEvaluation {
  /** Whether code can run in the inferior now (its thread exists). */
  available(): boolean;
  /** The result as a view; as steps, which pause between slices of a call with a time budget. */
  evaluateViewSteps(expr: string, frameIndex: number, format: FormatOptions & { context?: string }): Steps<VariableView>;
  condition(expr: string, frameIndex: number): boolean;
}

export class Inspector {
  private containers = new Map<number, Container & { thread: number }>();
  private nextRef = 1;
  /** Compiled evaluation (expr-evaluator.ts), installed by the Debugger; hover and its absence use the interpreter. */
  compiled: CompiledEvaluation | undefined;
  /** DWARF types into the front end's C types and back, for the interpreter's results. */
  private readonly bridge = new ReversibleBridge();
  /** Views made at this stop, while the program's state stays the same (a repeated request reads nothing again). */
  private readonly memo: StateMemo;

  constructor(private readonly dbg: InspectorHost) {
    this.memo = new StateMemo(() => this.dbg.process.cpu);
  }

  reset(): void {
    this.containers.clear();
    this.nextRef = 1;
    this.memo.clear();
  }

  readonly memory: Memory = {
    read: (a, n) => this.dbg.readMemoryExact(a, n),
    write: (a, d) => this.dbg.writeMemory(a, d),
    symbolAt: (a) => {
      const hit = this.dbg.imageFor(a)?.symbols.lookup(a);
      return hit && (hit.offset < hit.size || hit.offset === 0n) ? (hit.offset === 0n ? hit.name : `${hit.name}+0x${hit.offset.toString(16)}`) : undefined;
    },
  };

  scopes(frameIndex: number): ScopeView[] {
    return this.memo.get(`scopes:${this.dbg.thread}:${frameIndex}`, () => this.makeScopes(frameIndex));
  }

  private makeScopes(frameIndex: number): ScopeView[] {
    const frame = this.dbg.frame(frameIndex);
    // VS Code expands only the first scope that is not expensive: Locals, which lists the
    // parameters too (as LLDB, CodeLLDB and cpptools do), so that a function's arguments and its
    // locals show at once. No empty Thread-local scope.
    const withVariables = frame.image?.functionAt(frame.lookupPc) !== undefined;
    const kinds: ScopeKind[] = withVariables
      ? (["locals", "globals", "tls", "registers"] as const).filter((k) => k !== "tls" || this.scopeVariableList(frame, k).length > 0)
      : ["registers"];
    return kinds.map((kind) => ({
      name: SCOPE_NAMES[kind],
      kind,
      variablesReference: this.handle({ kind: "scope", frame: frameIndex, scope: kind }),
      // In code without debug information the registers are all there is: not expensive, so shown open.
      expensive: kind === "globals" || (kind === "registers" && withVariables),
    }));
  }

  variables(ref: number, opts: { start?: number; count?: number; filter?: "indexed" | "named"; format?: FormatOptions } = {}): VariableView[] {
    const c = this.container(ref);
    const fmt = opts.format ?? {};
    switch (c.kind) {
      case "scope":
        return this.scopeVariables(c.frame, c.scope, fmt);
      case "xmm":
        return this.xmmViews(c.name);
      case "value": {
        if (opts.filter === "named") return [];
        return this.memo.get(`children:${ref}:${opts.start}:${opts.count}:${fmt.hex}`, () => {
          // DAP: a missing or zero count means all of them.
          const kids = shownChildren(c.value, c.evaluateName, this.memory, opts.start ?? 0, opts.count || undefined);
          return kids.map((k) => this.view(c.frame, k.name, k.value, k.evaluateName, fmt));
        });
      }
    }
  }

  setVariable(ref: number, name: string, text: string, format: FormatOptions = {}): VariableView {
    if (this.dbg.process.history?.inPast) throw new JitdbgError("HISTORY_IN_PAST", `cannot set '${name}': the program is at a point in its past, which cannot be changed; continue forward to the present first`);
    const c = this.container(ref);
    if (c.kind === "scope" && c.scope === "registers") {
      const reg = name as RegName;
      if (!GPR_NAMES.includes(reg) && reg !== "fs_base" && reg !== "gs_base") throw new JitdbgError("BAD_REGISTER", `'${name}' is not a register that can be set`);
      const v = this.parseInt(text);
      const number = DWARF_NUMBERS.get(reg);
      if (c.frame === 0 || number === undefined) {
        if (c.frame !== 0) throw new JitdbgError("REGISTER_READ_ONLY", `${name} can only be set in the innermost frame (it is not saved per frame)`);
        this.dbg.process.cpu.setReg(reg, v);
      } else {
        // A caller's register: where the frames below keep it (a callee's save slot, or the live register).
        const store = registerStore(this.dbg.process.cpu, this.dbg.frame(c.frame), number);
        if (typeof store === "string") throw new JitdbgError("REGISTER_READ_ONLY", `cannot set ${name} in frame ${c.frame}: ${store}`);
        store(toBytes(v, 8));
      }
      this.dbg.registersChanged();
      return { name, value: `0x${BigInt.asUintN(64, v).toString(16)}`, variablesReference: 0 };
    }
    const target = this.variables(ref).find((v) => v.name === name);
    if (!target) throw new JitdbgError("NO_SUCH_VARIABLE", `no variable named '${name}' here`);
    const value = this.lookupValue(c, name);
    const written = assign(this.memory, value, text);
    if (value.location.kind === "memory") return this.view(c.kind === "value" || c.kind === "scope" ? c.frame : 0, name, value, target.evaluateName ?? name, format);
    // A register or save slot was written: the frames are unwound again, and the view shows the new bytes.
    this.dbg.registersChanged();
    const bytes = Uint8Array.from(value.location.kind === "bytes" ? value.location.bytes : []);
    bytes.set(written.subarray(0, bytes.length));
    const now: Value = { ...value, location: { ...value.location, kind: "bytes", bytes } };
    return this.view(c.kind === "value" || c.kind === "scope" ? c.frame : 0, name, now, target.evaluateName ?? name, format);
  }

  /**
   * Evaluates an expression: compiled and run in the inferior (repl, watch, clipboard, variables,
   * or no context), or by the interpreter, which never has side effects (hover, and logpoints
   * before the program's thread exists).
   */
  evaluate(text: string, frameIndex: number, options: FormatOptions & { context?: string } = {}): VariableView {
    return runSteps(this.evaluateSteps(text, frameIndex, options));
  }

  /**
   * evaluate(), letting the event loop turn between slices of a long call and stopping (undoing)
   * it there when `cancelled()` says so: the console's evaluate, which DAP's cancel names.
   */
  evaluateCancellable(text: string, frameIndex: number, options: FormatOptions & { context?: string }, cancelled: () => boolean): Promise<VariableView> {
    return driveSteps(this.evaluateSteps(text, frameIndex, options), cancelled);
  }

  private *evaluateSteps(text: string, frameIndex: number, options: FormatOptions & { context?: string }): Steps<VariableView> {
    const { expression: expr, hex } = splitFormatSuffix(text);
    const format = { ...options, hex: (options.hex ?? false) || hex };
    // A logpoint's values ("condition" context) before the program's thread exists: interpreted, as its condition is.
    const compiled = format.context === "condition" ? this.compiled?.available() : format.context !== "hover";
    if (this.compiled && compiled) {
      try {
        return yield* this.compiled.evaluateViewSteps(expr, frameIndex, format);
      } catch (e) {
        // A variable partly optimized out cannot be handed to compiled code; the interpreter reads
        // the parts that remain (`arr[1]` when only arr[3] is gone), unless the text runs code.
        if (!hasCode(e, "EVAL_PARTIAL")) throw e;
        try {
          const r = this.interpret(expr, frameIndex);
          return this.view(frameIndex, expr, r.value, expr, format);
        } catch (e2) {
          // The part the text needs is the missing one: say so; any other refusal: the compiled path's reason.
          if (isTextError(e2) && !/optimized out/.test(e2.message)) throw e;
          throw e2;
        }
      }
    }
    const r = this.interpret(expr, frameIndex);
    return this.view(frameIndex, expr, r.value, expr, format);
  }

  /** Where a scalar lvalue lives and its size, for a data breakpoint; undefined when it cannot be watched. */
  watchable(expr: string, frameIndex: number): { address: bigint; size: number } | undefined {
    let r: Interpretation;
    try {
      r = this.interpret(expr, frameIndex);
    } catch (e) {
      if (isTextError(e)) return undefined; // a text the front end cannot evaluate here names nothing to watch
      throw e;
    }
    if (r.kind !== "value" || r.value.location.kind !== "memory" || r.value.bits) return undefined;
    const t = unqual(r.type);
    const scalar = t.kind === "int" || t.kind === "enum" || t.kind === "pointer" || t.kind === "float";
    const size = sizeOf(t) ?? 0;
    if (!scalar || size < 1 || size > 8) return undefined;
    const address = r.value.location.address;
    return this.memory.read(address, size) ? { address, size } : undefined;
  }

  condition(expr: string, frameIndex: number): boolean {
    // Compiled once per breakpoint text and scope; the interpreter only before the thread exists.
    if (this.compiled?.available()) return this.compiled.condition(expr, frameIndex);
    const r = this.interpret(expr, frameIndex, { keepLvalue: false, purpose: "a condition evaluated before the program's thread exists" });
    const t = unqual(r.type);
    if (t.kind === "void") throw new JitdbgError("EVAL_CONDITION_VOID", `the condition '${expr}' has type void; a condition must be a number or a pointer`);
    if (t.kind === "struct" || t.kind === "union" || t.kind === "array") throw new JitdbgError("EVAL_CONDITION_TYPE", `the condition '${expr}' has type '${typeName(r.type)}'; a condition must be a number or a pointer`);
    const bytes = readBytes(this.memory, r.value, sizeOf(t) ?? 8);
    if (typeof bytes === "string") throw new JitdbgError("EVAL_UNREADABLE", bytes);
    if (t.kind === "float") {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return (t.size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true)) !== 0;
    }
    return bytes.some((b) => b !== 0);
  }

  /** Names for completion: variables in scope, or members after `.`/`->` (from the checked type; nothing is read). */
  /** A frame's parameters as views (a stack trace that shows them, DAP StackFrameFormat). */
  frameArguments(frameIndex: number, format: FormatOptions = {}): VariableView[] {
    return this.scopeVariables(frameIndex, "arguments", format);
  }

  /**
   * A frame's parameters in the registers the System V ABI passes them in — integers, enums and
   * pointers in rdi, rsi, rdx, rcx, r8, r9; float and double in xmm0…xmm7 — read from the frame
   * now; undefined when one of them is passed another way (a struct, long double, on the stack
   * past the registers) or cannot be read.
   */
  argumentRegisters(frameIndex: number): { name: string; register: RegName; value: bigint }[] | undefined {
    const frame = this.dbg.frame(frameIndex);
    const out: { name: string; register: RegName; value: bigint }[] = [];
    let ints = 0;
    let sse = 0;
    for (const p of this.scopeVariableList(frame, "arguments")) {
      let r: Interpretation;
      try {
        r = this.interpret(p.name, frameIndex);
      } catch (e) {
        if (e instanceof JitdbgError) return undefined; // optimized out, or no location here
        throw e;
      }
      const t = unqual(r.type);
      const integer = t.kind === "int" || t.kind === "enum" || t.kind === "pointer";
      const float = t.kind === "float" && t.size !== 16;
      const register = integer ? INTEGER_ARGUMENT_REGISTERS[ints++] : float ? SSE_ARGUMENT_REGISTERS[sse++] : undefined;
      if (!register) return undefined;
      const bytes = readBytes(this.memory, r.value, sizeOf(r.type));
      if (typeof bytes === "string") return undefined;
      // Little-endian bits; an integer sign-extended to the register (the ABI leaves the upper bits to the callee).
      const raw = bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
      const value = integer && t.kind === "int" && t.signed ? BigInt.asUintN(64, BigInt.asIntN(bytes.length * 8, raw)) : raw;
      out.push({ name: p.name, register, value });
    }
    return out;
  }

  /** Whether a completion is a C keyword (the others are names: variables, members, registers). */
  isKeyword(name: string): boolean {
    return KEYWORDS.has(name);
  }

  /**
   * Completions of the text before the cursor: after `.` or `->` (spaces allowed around them) the
   * members of the operand before it — the last operand, so `a.x + b.` completes b's members —
   * else the variables in scope, `$` registers and C keywords starting with the word typed.
   */
  completions(text: string, frameIndex: number): string[] {
    const m = /^(.*?)\s*(\.|->)\s*([A-Za-z_0-9]*)$/.exec(text);
    const frame = this.dbg.frame(frameIndex);
    if (m) {
      const operand = trailingOperand(m[1]!);
      if (operand === "") return [];
      try {
        const { expr } = checkExpression(m[2] === "->" ? `*(${operand})` : operand, this.readScope(frame));
        const t = unqual(expr.type);
        if (t.kind === "struct" || t.kind === "union") return memberNames(t).filter((n) => n.startsWith(m[3]!));
      } catch (e) {
        if (isTextError(e)) return []; // an incomplete or wrong text before the dot: nothing to complete
        throw e;
      }
      return [];
    }
    const prefix = /[A-Za-z_$][A-Za-z_0-9]*$/.exec(text)?.[0] ?? "";
    const names = [...this.scopedVariables(frame).map((v) => v.name), ...GPR_NAMES.map((r) => `$${r}`)];
    const found = [...new Set(names)].filter((n) => n.startsWith(prefix)).sort();
    // Keywords after the names: a variable is what one most often means.
    return prefix === "" ? found : [...found, ...[...KEYWORDS].filter((k) => k.startsWith(prefix) && !found.includes(k)).sort()];
  }


  // ---- internals

  /**
   * Evaluates a text with the front end's interpreter (no code runs, nothing is written). A text
   * naming an object gives the object (keepLvalue, the default), as hover shows it.
   */
  interpret(expr: string, frameIndex: number, opts: InterpretOptions = {}): Interpretation {
    const frame = this.dbg.frame(frameIndex);
    const scope = this.readScope(frame);
    const r = interpret(this.artificialLengths(expr, frameIndex), scope, scope, { keepLvalue: true, ...opts });
    return { kind: r.lvalue ? "value" : "computed", value: { type: this.bridge.toDwarf(r.type), location: r.location, ...(r.bits ? { bits: r.bits } : {}) }, type: r.type };
  }

  /** `expr` with the length of each `base@length` that is not a literal replaced by its value in this frame (artificial.ts). */
  artificialLengths(expr: string, frameIndex: number): string {
    if (!expr.includes("@")) return expr;
    const scope = this.readScope(this.dbg.frame(frameIndex));
    return withArtificialLengths(expr, typeEnvOf(scope), (text) => {
      const r = this.interpret(text, frameIndex, { keepLvalue: false, purpose: "the length after '@'" });
      const u = unqual(r.type);
      const v = u.kind === "int" || u.kind === "enum" ? scalarOf(this.memory, r.value) : undefined;
      if (typeof v !== "bigint") throw exprError("EXPR_TYPE", `the length after '@' must be an integer ('${text.trim()}' is ${typeName(r.type)})`, 0);
      return v;
    });
  }

  view(frame: number, name: string, value: Value, evaluateName: string, format: FormatOptions): VariableView {
    // A pointer's value, read once: a null one points at nothing to expand (LLDB and CodeLLDB
    // show it as a leaf); its memory reference is where it points.
    const pointer = value.location.kind !== "error" && strip(value.type) instanceof PointerType ? scalarOf(this.memory, value) : undefined;
    const expandable = value.location.kind !== "error" && hasChildren(value) && pointer !== 0n;
    const ref = expandable ? this.handle({ kind: "value", frame, value, evaluateName }) : 0;
    const indexed = expandable ? indexedCount(value) : undefined;
    const view: VariableView = { name, value: formatValue(this.memory, value, format), type: value.type.name, variablesReference: ref };
    if (evaluateName) view.evaluateName = evaluateName;
    // A const object is shown read-only (VS Code greys it and offers no "Set Value").
    if (isConst(value.type)) view.presentationHint = { attributes: ["readOnly"] };
    if (indexed !== undefined) view.indexedVariables = indexed;
    // A pointer's memory reference is where it points (what a memory view should open); any
    // other value's is where it lives.
    if (pointer !== undefined) {
      if (typeof pointer === "bigint") view.memoryReference = `0x${pointer.toString(16)}`;
    } else if (value.location.kind === "memory") view.memoryReference = `0x${value.location.address.toString(16)}`;
    return view;
  }

  private handle(c: Container): number {
    const ref = this.nextRef++;
    this.containers.set(ref, { ...c, thread: this.dbg.thread });
    return ref;
  }

  /** The container behind a reference, its thread made the one frames are read from. */
  private container(ref: number): Container {
    const c = this.containers.get(ref);
    if (!c) throw new JitdbgError("BAD_REFERENCE", `variables reference ${ref} is not valid (it expires when the program runs)`);
    this.dbg.selectThread(c.thread);
    return c;
  }

  /** A frame's values reader, one per frame while the state lasts (it keeps the frame's function and frame base). */
  private frameValues(frame: Frame): FrameValues {
    const make = () => new FrameValues(this.dbg.process.cpu, frame, (path, offset) => this.tlsAddress(path, offset), (name) => this.boundGlobal(name));
    const kept = this.memo.get(`values:${this.dbg.thread}:${frame.index}`, () => ({ frame, values: make() }));
    return kept.frame === frame ? kept.values : make();
  }

  /** In a dynamically linked program: the address the loader's global scope gives an exported data symbol. */
  boundGlobal(name: string): bigint | undefined {
    const proc = this.dbg.process;
    if (!proc.interpreter) return undefined;
    const m = proc.lookupSymbol(name);
    return m && m.kind === "object" ? m.address : undefined;
  }

  /** x86-64 variant II TLS: the executable's block ends at the thread pointer (fs_base). */
  tlsAddress(imagePath: string, offset: bigint): bigint | undefined {
    const proc = this.dbg.process;
    const image = proc.images.list().find((i) => i.path === imagePath);
    // A dynamically loaded image's block comes from the loader's link_map and the thread's DTV.
    if (image && proc.interpreter) {
      const tls = proc.tlsOf(image);
      if (!tls) return undefined;
      if (tls.block !== undefined) return tls.block + offset;
      const tp = proc.cpu.reg("fs_base");
      return tls.offset > 0n && tp !== 0n ? tp - tls.offset + offset : undefined;
    }
    // A static executable: its block ends at the thread pointer.
    const img = proc.image;
    if (imagePath !== img.path || !img.tls) return undefined;
    const align = img.tls.align > 0n ? img.tls.align : 1n;
    const blockSize = ((img.tls.memSize + align - 1n) / align) * align;
    const tp = proc.cpu.reg("fs_base");
    return tp === 0n ? undefined : tp - blockSize + offset;
  }

  private scopeVariables(frameIndex: number, scope: ScopeKind, fmt: FormatOptions): VariableView[] {
    return this.memo.get(`scope:${this.dbg.thread}:${frameIndex}:${scope}:${fmt.hex}`, () => this.makeScopeVariables(frameIndex, scope, fmt));
  }

  private makeScopeVariables(frameIndex: number, scope: ScopeKind, fmt: FormatOptions): VariableView[] {
    const frame = this.dbg.frame(frameIndex);
    if (scope === "registers") return this.registerViews(frameIndex, frame);
    const fv = this.frameValues(frame);
    return this.shownVariables(frame, scope).map(({ name, variable, shadowed }) => {
      const value = fv.read(variable);
      return this.view(frameIndex, name, value, shadowed ? byAddress(value) : variable.name, fmt);
    });
  }

  /**
   * A scope's variables as the Variables view lists them. Locals: the function's parameters
   * first, then every local of the nested blocks; the ones an inner block shadows (a parameter
   * too) named `x @ file.c:12` by their declaration (as LLDB does).
   */
  private shownVariables(frame: Frame, scope: Exclude<ScopeKind, "registers">): { name: string; variable: Variable; shadowed: boolean }[] {
    const listed = this.scopeVariableList(frame, scope).map((variable) => ({ name: variable.name, variable, shadowed: false }));
    if (scope !== "locals") return listed;
    const localNames = new Set(listed.map((v) => v.name));
    const parameters = this.scopeVariableList(frame, "arguments").filter((p) => !localNames.has(p.name));
    const visible = [...parameters.map((variable) => ({ name: variable.name, variable, shadowed: false })), ...listed];
    const at = frame.image?.functionAt(frame.lookupPc);
    const shown = new Set(visible.map((v) => v.variable));
    const names = new Set(visible.map((v) => v.name));
    const chain = frame.scopes ?? at?.scopes ?? [];
    const outermost = chain[chain.length - 1];
    for (const s of chain) {
      for (const v of s.variables) {
        const listedKind = v.kind === "local" || v.kind === "static-local" || (v.kind === "parameter" && s === outermost);
        if (!listedKind || shown.has(v)) continue;
        shown.add(v);
        const d = v.declaration;
        let name = d.line ? `${v.name} @ ${(d.file ?? "?").split("/").pop()}:${d.line}` : `${v.name} (outer)`;
        while (names.has(name)) name += "'";
        names.add(name);
        visible.push({ name, variable: v, shadowed: true });
      }
    }
    return visible;
  }

  /**
   * The DWARF variables a scope shows, innermost declarations first, shadowed names left out.
   * They depend on the code only, not on the stop: kept per innermost scope (a frame's chain of
   * scopes is that scope's ancestors) or per unit, and read again at each stop only for values.
   */
  scopeVariableList(frame: Frame, scope: Exclude<ScopeKind, "registers">): Variable[] {
    const image = frame.image;
    const dwarf = image?.dwarf;
    const at = image?.functionAt(frame.lookupPc);
    if (!image || !dwarf || !at) return [];
    const chain = frame.scopes ?? at.scopes;
    const owner: object | undefined = scope === "globals" || scope === "tls" ? at.unit : chain[0];
    if (owner === undefined) return this.makeScopeVariableList(frame, scope);
    const key = `${scope}:${chain.length}`;
    let lists = this.variableLists.get(owner);
    if (!lists) this.variableLists.set(owner, (lists = new Map()));
    let list = lists.get(key);
    if (!list) lists.set(key, (list = this.makeScopeVariableList(frame, scope)));
    return list;
  }

  /** Variable lists by innermost scope or unit (see scopeVariableList). */
  private readonly variableLists = new WeakMap<object, Map<string, Variable[]>>();

  private makeScopeVariableList(frame: Frame, scope: Exclude<ScopeKind, "registers">): Variable[] {
    const image = frame.image!;
    const dwarf = image.dwarf!;
    const at = image.functionAt(frame.lookupPc)!;
    const seen = new Set<string>();
    const out: Variable[] = [];
    const add = (v: Variable) => {
      if (seen.has(v.name)) return;
      seen.add(v.name);
      out.push(v);
    };
    const chain = frame.scopes ?? at.scopes;
    if (scope === "arguments") {
      chain[chain.length - 1]!.parameters.forEach(add);
    } else if (scope === "locals") {
      for (const s of chain) for (const v of s.variables) if (v.kind === "local" || v.kind === "static-local") add(v);
    } else {
      const model = dwarf.model(at.unit);
      for (const v of model?.globals ?? []) if (v.isTls === (scope === "tls")) add(v);
    }
    return out;
  }

  private registerViews(frameIndex: number, frame: Frame): VariableView[] {
    const cpu = this.dbg.process.cpu;
    const views: VariableView[] = [];
    const dwarfNum = new Map<string, number>([["rax", 0], ["rdx", 1], ["rcx", 2], ["rbx", 3], ["rsi", 4], ["rdi", 5], ["rbp", 6], ["rsp", 7], ["r8", 8], ["r9", 9], ["r10", 10], ["r11", 11], ["r12", 12], ["r13", 13], ["r14", 14], ["r15", 15], ["rip", 16]]);
    for (const name of GPR_NAMES) {
      if (name === "eflags") {
        if (frameIndex === 0) views.push({ name, value: describeEflags(cpu.reg("eflags")), variablesReference: 0, evaluateName: "$eflags" });
        continue;
      }
      const v = frameIndex === 0 ? cpu.reg(name) : frame.registers.get(dwarfNum.get(name)!);
      const text = v === undefined ? "<not saved>" : `0x${v.toString(16).padStart(16, "0")}${name === "rip" ? ` <${this.dbg.describePc(v)}>` : ""}`;
      views.push({ name, value: text, variablesReference: 0, evaluateName: `$${name}`, memoryReference: v === undefined ? undefined : `0x${v.toString(16)}` });
    }
    if (frameIndex === 0) {
      for (const name of ["fs_base", "gs_base"] as const) views.push({ name, value: `0x${cpu.reg(name).toString(16)}`, variablesReference: 0, evaluateName: `$${name}` });
      for (const name of XMM_NAMES) {
        const b = cpu.regBytes(name);
        views.push({ name, value: `0x${[...b].reverse().map((x) => x.toString(16).padStart(2, "0")).join("")}`, variablesReference: this.handle({ kind: "xmm", name }), evaluateName: `$${name}` });
      }
    }
    return views;
  }

  private xmmViews(name: RegName): VariableView[] {
    const b = this.dbg.process.cpu.regBytes(name);
    const dv = new DataView(b.buffer, b.byteOffset, 16);
    const list = (n: number, get: (i: number) => string) => `{${Array.from({ length: n }, (_, i) => get(i)).join(", ")}}`;
    return [
      { name: "v2_double", value: list(2, (i) => String(dv.getFloat64(i * 8, true))), variablesReference: 0 },
      { name: "v4_float", value: list(4, (i) => String(Math.fround(dv.getFloat32(i * 4, true)))), variablesReference: 0 },
      { name: "v2_int64", value: list(2, (i) => String(dv.getBigInt64(i * 8, true))), variablesReference: 0 },
      { name: "v4_int32", value: list(4, (i) => String(dv.getInt32(i * 4, true))), variablesReference: 0 },
    ];
  }

  private lookupValue(c: Container, name: string): Value {
    if (c.kind === "value") {
      const kid = shownChildren(c.value, c.evaluateName, this.memory).find((k) => k.name === name);
      if (!kid) throw new JitdbgError("NO_SUCH_VARIABLE", `no member '${name}'`);
      return kid.value;
    }
    if (c.kind === "scope" && c.scope !== "registers") {
      const frame = this.dbg.frame(c.frame);
      const v = this.shownVariables(frame, c.scope).find((x) => x.name === name);
      if (!v) throw new JitdbgError("NO_SUCH_VARIABLE", `no variable named '${name}' here`);
      return this.frameValues(frame).read(v.variable);
    }
    throw new JitdbgError("NO_SUCH_VARIABLE", `'${name}' cannot be set here`);
  }

  /** The interpreter's Scope and reader for a frame (one object serves both: names it resolves, it reads). */
  private readScope(frame: Frame): FrameReadScope {
    const fv = this.frameValues(frame);
    const cpu = this.dbg.process.cpu;
    return new FrameReadScope(frame, this.bridge, {
      memory: this.memory,
      images: this.dbg.images,
      scoped: this.scopedVariables(frame),
      read: (v, image) => (image === frame.image ? fv : this.frameValues({ ...frame, image })).read(v),
      register: (name) => {
        if (!(GPR_NAMES as readonly string[]).includes(name) && name !== "fs_base" && name !== "gs_base") return undefined;
        if (frame.index === 0) return cpu.reg(name as RegName);
        const n = DWARF_NUMBERS.get(name);
        return n === undefined ? undefined : frame.registers.get(n);
      },
    });
  }

  /** Locals, arguments, the unit's globals and thread-locals, as the scopes show them. */
  private scopedVariables(frame: Frame): Variable[] {
    return (["locals", "arguments", "globals", "tls"] as const).flatMap((k) => this.scopeVariableList(frame, k));
  }

  private parseInt(text: string): bigint {
    const s = text.trim();
    try {
      return s.startsWith("-") ? -BigInt(s.slice(1)) : BigInt(s);
    } catch {
      throw new JitdbgError("VALUE_PARSE", `'${text}' is not an integer`);
    }
  }
}

/** An expression for a value by its address (`*(int *)0x7ffc…`): a shadowed variable has no name that reaches it. */
function byAddress(value: Value): string {
  const type = value.type.name;
  if (value.location.kind !== "memory" || !type || /[[(]/.test(type)) return "";
  return `*(${type} *)0x${value.location.address.toString(16)}`;
}

/**
 * The postfix expression at the end of `text` (`b`, `p->q[i + 1]`, `(x)`): what a `.` typed after
 * it applies to. Empty when the text ends with no operand.
 */
function trailingOperand(text: string): string {
  let i = text.length;
  const skipSpace = () => {
    while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  };
  const closer: Record<string, string> = { ")": "(", "]": "[" };
  for (;;) {
    skipSpace();
    const c = text[i - 1];
    if (c === ")" || c === "]") {
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        if (text[j] === c) depth++;
        else if (text[j] === closer[c]) depth--;
        if (depth === 0) break;
      }
      if (j < 0) return "";
      i = j;
      if (c === ")") {
        // A call's function name or a cast's parenthesis: a group ends the operand unless a name precedes it.
        const before = /[A-Za-z_0-9]+\s*$/.exec(text.slice(0, i));
        if (before) i -= before[0].length;
        break;
      }
      continue; // a subscript: the operand it applies to comes before it
    }
    const word = /[A-Za-z_$][A-Za-z_0-9]*$/.exec(text.slice(0, i));
    if (!word) break;
    i -= word[0].length;
    skipSpace();
    if (text.endsWith(".", i) || text.endsWith("->", i)) {
      i -= text.endsWith("->", i) ? 2 : 1;
      continue;
    }
    break;
  }
  return text.slice(i).trim();
}

/** Whether a type is const-qualified (through typedefs and other qualifiers). */
function isConst(t: DwarfType): boolean {
  for (let at: DwarfType | undefined = t; at; ) {
    if (at instanceof QualifiedType) {
      if (at.kind === "const") return true;
      at = at.target;
    } else if (at instanceof TypedefType) at = at.target;
    else return false;
  }
  return false;
}
