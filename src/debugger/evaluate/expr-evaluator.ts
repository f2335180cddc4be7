/**
 * The debug console's evaluator: compiles the expression against the stopped frame (expr-scope.ts),
 * links it into the inferior — addObject (sections get target addresses, nothing is written), the
 * entry looked up without finalizing, then finalize — and calls it on the thread (runner.ts), then
 * restores every register and the stack scratch. A call that fails is rolled back (memory, kernel
 * state, mappings, descriptors, pending signals); one that returns keeps its side effects, as in
 * LLDB. Linked expressions are cached per text and scope
 * (watch expressions and breakpoint conditions compile once); results are kept as `$1`, `$2`...;
 * `$name = expr` declares a persistent variable; console function definitions stay loaded and are
 * swapped with replaceModule when redefined.
 */
import { JitdbgError } from "../../errors.js";
import { isTextError } from "../../expr/errors.js";
import type { Variable } from "../../dwarf/index.js";
import { compile, compileWithExternalCc, siteForm, type CompileResult, type SiteLayout, type SitePlace } from "../../expr/index.js";
import type { SlotRecipe } from "../run/condition-trampoline.js";
import { compileExpression } from "../../expr/compile.js";
import { declareTopLevel, type TopLevelHost } from "./top-level.js";
import type { ArgSlot } from "../../expr/check.js";
import { ReversibleBridge } from "../../expr/evaluate/ctype-to-dwarf.js";
import { JitRuntime } from "../../expr/evaluate/jit-runtime.js";
import { CallFrameInfo, DwarfSections } from "../../dwarf/index.js";
import { unwindStack } from "../inspect/stack.js";
import { PersistentStore } from "../../expr/evaluate/persistent.js";
import { ThreadCaller, runSteps, type CallOutcome, type Steps } from "../../expr/evaluate/runner.js";
import type { RollbackReport } from "../../inferior/undo-log.js";
import { intOf, sizeOf, T, typeName, unqual, type CType } from "../../expr/types.js";
import type { JitModule } from "../../jit/module.js";
import type { RegName } from "../../emu/registers.js";
import type { Process } from "../../inferior/process.js";
import type { Inspector } from "../inspect/inspector.js";
import type { BreakpointManager, PatchedRange } from "../run/breakpoints.js";
import type { RunControl } from "../run/run-control.js";
import { FrameScope } from "./expr-scope.js";
import { FunctionPatches } from "./function-patches.js";
import { withHistory } from "../../expr/history.js";
import { preloadDisassembler } from "../inspect/disassembly.js";
import type { ImageInfo } from "../image-info.js";
import { FrameValues } from "../inspect/frame-values.js";
import { DWARF_NUMBERS } from "../inspect/registers.js";
import { registerStore } from "../inspect/register-homes.js";
import type { Frame } from "../inspect/stack.js";
import type { VariableView } from "../inspect/inspector.js";
import { floatIsZero, readBytes, type FormatOptions, type Value } from "../../values/value.js";

export type EvaluateContext = "repl" | "watch" | "hover" | "clipboard" | "variables" | "condition";

export interface EvaluateOptions {
  /** Budget of emulated time in microseconds (default 250 ms). */
  timeoutMicros?: number;
  /** Ignore breakpoints inside called functions (default true); false: such a breakpoint ends the evaluation and is reported. */
  ignoreBreakpoints?: boolean;
  /** Keep a non-void result as the next `$N` (default false; the console asks for it). */
  keepResult?: boolean;
}

export interface Evaluation {
  /** The value (a kept result lives in inferior memory; others are bytes). */
  value: Value;
  type: CType;
  /** `$N` when the result was kept. */
  resultName?: string;
  /** Set instead of a value for a console function definition. */
  defined?: string;
}

/** One step of an evaluation, for tests that check the order (with the linker's own events). */
export type EvalStep = "compile" | "cache-hit" | "call" | "restore" | "unload";

/** A condition compiled to run at a breakpoint site (compileForSite). */
export interface SiteCondition {
  entry: bigint;
  module: JitModule;
  resultType: CType;
  argBlockSize: number;
  /** The room around the site body (the entry) the trampoline goes in. */
  layout: SiteLayout;
  /** Each argument slot and its place at the site (from the bytes it held for each of the two frames), undefined when none fits. */
  slots: { offset: number; size: number; recipe: SlotRecipe | undefined }[];
}

interface Linked {
  result: CompileResult;
  module: JitModule;
  entry: bigint;
  frameVariables: Map<string, Variable>;
}

const DEFAULT_TIMEOUT = 250_000;
const NO_BYTES = new Uint8Array(0);
const CACHE_LIMIT = 64;
const REGISTERS = new Set(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "fs_base", "gs_base"]);
/** `x`, `s.a`, `p->next->v`, `a[3]`, `*p`: texts that name an object the interpreter can locate. */
const NAMES_AN_OBJECT = /^\*?\s*[A-Za-z_]\w*(\s*(\.|->)\s*[A-Za-z_]\w*|\s*\[\s*\d+\s*\])*$/;

/**
 * What evaluations in one frame at one stop share. `read` keeps the frame variables' values (their
 * addresses, or register bytes) until code that may write memory runs: at a stop nothing else
 * changes memory, and a change of registers makes new frames.
 */
interface StopState {
  key: string;
  scope: FrameScope;
  values: FrameValues;
  read: Map<Variable, Value>;
}

/** A stale compilation: a variable moved between memory and a register since it was compiled. */
class StaleSlot extends Error {}

/** What the evaluator needs of the debugger: the process and frames, the inspector's reads, and hook control around calls. */
export interface EvaluatorHost {
  readonly process: Process;
  readonly images: readonly ImageInfo[];
  readonly inspector: Pick<Inspector, "memory" | "tlsAddress" | "view" | "interpret" | "artificialLengths">;
  readonly control: Pick<RunControl, "duringExpression" | "takeHookStop" | "skipBreakpointOnce">;
  readonly breakpoints: Pick<BreakpointManager, "breakpointsAt" | "siteOfTrap" | "beforePatch">;
  frame(index: number): Frame;
  /** The launch's evaluateTimeoutMs: the time an expression that calls or loops may run. */
  readonly evaluateTimeoutMs?: number;
  imageFor(pc: bigint): ImageInfo | undefined;
  describePc(pc: bigint): string;
  registersChanged(): void;
  /** The functions patched (`:patch`) changed. */
  patchesChanged?(ranges: readonly PatchedRange[]): void;
}

export class ExpressionEvaluator {
  /** Compilations done (the watch cache test counts them). */
  compiles = 0;
  /** Called at each step of an evaluation. */
  trace: ((step: EvalStep) => void) | undefined;
  readonly bridge = new ReversibleBridge();
  private runtime: JitRuntime | undefined;
  private readonly cfiCache = new Map<string, CallFrameInfo>();
  private store: PersistentStore | undefined;
  private caller: ThreadCaller | undefined;
  private readonly cache = new Map<string, Linked>();
  /**
   * What evaluations at one stop share, per frame (a Frame lives until the registers change): the
   * compiler's scope with its resolved names, and the frame's variable reader with its frame base.
   * Kept while the console's names and the loaded images stay as they were.
   */
  private readonly atStop = new WeakMap<Frame, StopState>();
  private serial = 0;

  /** Fix-and-continue patches of the program's functions (`:patch`, `:unpatch`). */
  readonly patches: FunctionPatches;

  constructor(private readonly dbg: EvaluatorHost) {
    this.patches = new FunctionPatches({ process: dbg.process, images: dbg.images, linker: () => this.jit().linker, changed: (r) => dbg.patchesChanged?.(r), beforePatch: (r) => dbg.breakpoints.beforePatch(r) });
    preloadDisassembler(); // a patch checks the old body's jumps synchronously
  }

  /** Call frame information of the JIT module holding pc (its relocated .eh_frame), for the unwinder. */
  cfiAt(pc: bigint): CallFrameInfo | undefined {
    const entry = this.runtime?.linker.ehFrames.lookup(pc);
    if (!entry) return undefined;
    let cfi = this.cfiCache.get(entry.key);
    if (!cfi) {
      const sections = DwarfSections.fromMap(`<jit ${entry.module}>`, { ".eh_frame": entry.bytes }, { ".eh_frame": entry.address });
      cfi = new CallFrameInfo(sections);
      this.cfiCache.set(entry.key, cfi);
    }
    return cfi;
  }

  /** `twice [console]`: the exported function of a JIT module that holds pc. */
  nameAt(pc: bigint): string | undefined {
    for (const m of this.runtime?.linker.modules() ?? []) {
      if (!m.codeRanges().some((r) => pc >= r.start && pc < r.end)) continue;
      let best: { name: string; at: bigint } | undefined;
      for (const [name, index] of m.exports) {
        const at = m.symbolLoadAddress(index);
        if (at !== undefined && at <= pc && (!best || at > best.at)) best = { name, at };
      }
      return `${best?.name ?? m.name} [console]`;
    }
    return undefined;
  }

  /** The objects the JIT linker holds in the inferior now (console functions, persistent values, cached expressions). */
  jitModules(): { id: number; name: string; low: bigint; high: bigint; state: string }[] {
    if (!this.runtime) return [];
    return this.runtime.linker.modules().map((m) => {
      const ranges = [...m.sections.values()].filter((s) => s.size > 0 && s.address !== 0n).map((s) => ({ start: s.address, end: s.address + BigInt(s.size) }));
      const low = ranges.reduce((a, r) => (r.start < a ? r.start : a), ranges[0]?.start ?? 0n);
      const high = ranges.reduce((a, r) => (r.end > a ? r.end : a), 0n);
      return { id: m.id, name: m.name, low, high, state: m.state };
    });
  }

  /** The JIT linker in the inferior (made on first use; fails before the C runtime set up the thread). */
  jit(): JitRuntime {
    if (!this.runtime) {
      const proc = this.dbg.process;
      this.runtime = JitRuntime.create(proc, {
        during: (silenced, fn) => this.dbg.control.duringExpression(silenced, fn),
        // Library load notices are applied by the debugger at the next stop, not by the call.
        takeHookStop: () => {
          const h = this.dbg.control.takeHookStop();
          return h?.kind === "library" ? undefined : h;
        },
        skipOnce: (pc) => this.dbg.control.skipBreakpointOnce(pc),
      });
      this.store = new PersistentStore(proc, this.runtime.symbols);
      this.caller = this.runtime.caller;
    }
    return this.runtime;
  }

  get persistent(): PersistentStore {
    this.jit();
    return this.store!;
  }

  evaluate(text: string, frameIndex: number, opts: EvaluateOptions = {}): Evaluation {
    return runSteps(this.evaluateSteps(text, frameIndex, opts));
  }

  /** evaluate() as steps: a call with a time budget pauses between its slices (the console's evaluate can be cancelled there). */
  *evaluateSteps(text: string, frameIndex: number, opts: EvaluateOptions = {}): Steps<Evaluation> {
    // Lengths after `@` and history names (`$`, `$$n`) are put in first: they are part of the
    // text the module is cached under.
    const lengths = this.dbg.inspector.artificialLengths(text.trim(), frameIndex);
    const source = lengths.includes("$") ? withHistory(lengths, this.persistent.lastResult) : lengths;
    if (/^:(un)?patch\b/.test(source) && this.dbg.process.history?.inPast) throw new JitdbgError("HISTORY_IN_PAST", "cannot patch a function while the program is at a point in its past, which cannot be changed; continue forward to the present first");
    if (/^:patch\b/.test(source)) return this.patchCommand(source.slice(":patch".length), frameIndex);
    if (/^:unpatch\b/.test(source)) return this.done(this.patches.unpatch(source.slice(":unpatch".length).trim()));
    if (source.startsWith(":c")) return yield* this.external(source.slice(2), frameIndex, opts);
    const decl = /^\$([A-Za-z_]\w*)\s*=(?!=)([\s\S]*)$/.exec(source);
    if (decl && !REGISTERS.has(decl[1]!) && !this.persistent.variable(`$${decl[1]!}`)) return this.declare(`$${decl[1]!}`, decl[2]!, frameIndex, opts);
    const frame = this.dbg.frame(frameIndex);
    // Loaded images are part of the key: a library loaded or unloaded since may change what a name is.
    const key = `${source}\u0000${scopeKey(frame)}\u0000${this.persistent.generation}\u0000${imagesKey(this.dbg.images)}`;
    let linked = this.cache.get(key);
    if (linked) {
      this.cache.delete(key); // re-insert: most recently used last
      this.cache.set(key, linked);
      this.trace?.("cache-hit");
      try {
        return yield* this.runSteps(linked, frame, opts, false);
      } catch (e) {
        if (!(e instanceof StaleSlot)) throw e;
        this.forget(key);
      }
    }
    const scope = this.stopState(frame).scope;
    this.trace?.("compile");
    this.compiles++;
    const result = compile(source, scope, { entryName: this.nextEntry() });
    if (result.kind === "declarations") return this.done(declareTopLevel(result.items, this.topLevelHost(frameIndex, opts)));
    if (result.kind === "function") return this.defineFunction(result);
    // The least recently used goes first, so the new module can take its arena slot (tidy() has
    // usually made room already, after the last answer).
    this.tidy();
    linked = this.link(result, scope.frameVariables);
    this.cache.set(key, linked);
    return yield* this.runSteps(linked, frame, opts, false);
  }

  /** Whether compiled evaluation is possible now (the program's thread is set up). */
  available(): boolean {
    return this.runtime !== undefined || this.dbg.process.cpu.reg("fs_base") !== 0n;
  }

  /**
   * The Inspector's compiled path: the result as a DAP variable (expandable through
   * variablesReference). `context` "repl" keeps the result as `$N` (the Inspector has split off an `expr,x` suffix).
   */
  evaluateView(text: string, frameIndex: number, format: FormatOptions & { context?: string } = {}): VariableView {
    return runSteps(this.evaluateViewSteps(text, frameIndex, format));
  }

  /** evaluateView() as steps (see evaluateSteps). */
  *evaluateViewSteps(text: string, frameIndex: number, format: FormatOptions & { context?: string } = {}): Steps<VariableView> {
    const expr = text.trim();
    const hex = format.hex ?? false;
    const r = yield* this.evaluateSteps(expr, frameIndex, { keepResult: format.context === "repl" });
    if (r.defined) return { name: text, value: r.defined, type: typeName(r.type), variablesReference: 0 };
    const inspector = this.dbg.inspector;
    const name = r.resultName ?? expr;
    const view = inspector.view(frameIndex, name, r.value, name, { hex });
    if (!view.memoryReference && NAMES_AN_OBJECT.test(expr)) {
      // An rvalue result: point at the object the text names (for data breakpoints and the memory view).
      try {
        const lv = inspector.interpret(expr, frameIndex);
        if (lv.kind === "value" && lv.value.location.kind === "memory") view.memoryReference = `0x${lv.value.location.address.toString(16)}`;
      } catch (e) {
        // The interpreter cannot name it; the view simply has no memory reference.
        if (!isTextError(e)) throw e;
      }
    }
    return { ...view, name: text };
  }

  /** Truth of a breakpoint condition, compiled once per text and scope. */
  condition(text: string, frameIndex: number): boolean {
    const r = this.evaluate(text, frameIndex, { keepResult: false });
    const t = unqual(r.type);
    if (t.kind === "void") throw new JitdbgError("EVAL_CONDITION_VOID", `the condition '${text}' has type void; a condition must be a number or a pointer`);
    if (t.kind === "struct" || t.kind === "union" || t.kind === "array") throw new JitdbgError("EVAL_CONDITION_TYPE", `the condition '${text}' has type '${typeName(r.type)}'; a condition must be a number or a pointer`);
    const bytes = readBytes(this.dbg.inspector.memory, r.value, sizeOf(t) ?? 8);
    if (typeof bytes === "string") throw new JitdbgError("EVAL_UNREADABLE", bytes);
    // Floating values are true when non-zero (NaN too); a complex one when either part is.
    const real = t.kind === "complex" ? t.of.size : t.kind === "float" ? t.size : 0;
    if (real > 0) return [0, t.kind === "complex" ? real : -1].some((at) => at >= 0 && !floatIsZero(bytes.subarray(at), real));
    return bytes.some((b) => b !== 0);
  }

  /**
   * A breakpoint condition compiled for code at a site the program has not reached yet (its
   * trampoline runs it there), in its site form: compiled in the scope of `frames[0]` (a frame
   * made up at the site), its argument block filled once from each of the two frames, whose
   * registers differ, so that `placeOf` can tell which slot comes from which register; a variable
   * read by address at a register plus a constant the body reads there itself. Code that calls or
   * assigns is refused: in the program's path nothing could undo it or stop it.
   */
  compileForSite(text: string, frames: readonly [Frame, Frame], placeOf: (values: [Uint8Array, Uint8Array], size: number) => SlotRecipe | undefined, near?: { low: bigint; high: bigint }): SiteCondition {
    const scope = this.scopeFor(frames[0]);
    this.compiles++;
    let slots: SiteCondition["slots"] = [];
    const places = (argSlots: readonly ArgSlot[]): Map<number, SitePlace> => {
      const size = argSlots.reduce((n, s) => Math.max(n, s.offset + s.size), 0);
      const blocks = frames.map((frame) => {
        const block = new Uint8Array(size);
        const values = this.frameValues(frame);
        for (const slot of argSlots) this.fill(slot, block, scope, frame, { values }, []);
        return block;
      });
      // A value narrower than its slot is its own size: its place is worked out in its own width (an int computed from a 64-bit register).
      const width = (s: ArgSlot): number => {
        const n = sizeOf(s.type) ?? s.size;
        return s.fill === "value" && (n === 1 || n === 2 || n === 4) ? n : s.size;
      };
      slots = argSlots.map((s) => {
        const size = width(s);
        return { offset: s.offset, size, recipe: placeOf(blocks.map((b) => b.subarray(s.offset, s.offset + size)) as [Uint8Array, Uint8Array], size) };
      });
      const out = new Map<number, SitePlace>();
      for (const [k, s] of argSlots.entries()) {
        // A value in place: an integer or pointer a register holds (rsp's is not a variable's; a
        // _Bool is tested whole, and the register's bits above it are not the variable's).
        const t = unqual(s.type);
        const value = s.fill === "value" && (t.kind === "int" || t.kind === "enum" || t.kind === "pointer") && !intOf(t).bool && !s.name.startsWith("$");
        if (s.fill !== "address" && !value) continue;
        const r = slots[k]!.recipe;
        const reg = r?.kind === "register" && !r.negated && siteForm.DIRECT_BASE_NAMES.includes(r.reg) && !(value && r.reg === "rsp") ? siteForm.registerNamed(r.reg) : undefined;
        if (r?.kind === "register" && reg !== undefined && r.add >= -(1n << 30n) && r.add < 1n << 30n) out.set(s.offset, { reg, add: Number(r.add), ...(value ? { value: true } : {}) });
      }
      return out;
    };
    let result: CompileResult;
    try {
      const compiled = compile(text, scope, { entryName: this.nextEntry(), siteForm: { places } });
      if (compiled.kind !== "expression" || !compiled.site) throw new JitdbgError("EVAL_CONDITION_VOID", "a condition is an expression, not a definition");
      result = compiled;
    } catch (e) {
      if (e instanceof StaleSlot) throw new JitdbgError("EVAL_UNAVAILABLE", "a variable's place changes between the compilation and the site");
      throw e;
    }
    if (result.callsFunctions || result.assigns) throw new JitdbgError("EVAL_SIDE_EFFECTS", "the condition calls functions or assigns");
    let linked: Linked;
    try {
      linked = this.link(result, scope.frameVariables, near);
    } catch (e) {
      // No room near the site: anywhere (the site's jump then cannot reach it: the caller refuses).
      if (!(e instanceof JitdbgError) || e.code !== "JIT_NO_SPACE" || !near) throw e;
      linked = this.link(result, scope.frameVariables);
    }
    return { entry: linked.entry, module: linked.module, resultType: result.resultType, argBlockSize: result.argBlock.size, layout: result.site!, slots };
  }

  /** Unloads a site condition's module (its trampoline is gone). */
  releaseSiteCondition(module: JitModule): void {
    this.jit().linker.removeModule(module);
  }

  /** Unloads every cached expression module (console functions and persistent values stay). */
  clearCache(): void {
    for (const k of [...this.cache.keys()]) this.forget(k);
  }

  // ---- pipeline

  /** The scope and variable reader shared by the evaluations in `frame` at this stop (see atStop). */
  private stopState(frame: Frame): StopState {
    const key = `${this.persistent.changes}\u0000${imagesKey(this.dbg.images)}`;
    let s = this.atStop.get(frame);
    if (s?.key !== key) {
      s = { key, scope: this.scopeFor(frame), values: this.frameValues(frame), read: new Map() };
      this.atStop.set(frame, s);
    }
    return s;
  }

  private frameValues(frame: Frame): FrameValues {
    return new FrameValues(this.dbg.process.cpu, frame, (p, o) => this.dbg.inspector.tlsAddress(p, o));
  }

  private scopeFor(frame: Frame): FrameScope {
    const rt = this.jit();
    const images = this.dbg.images;
    const dynamic = this.dbg.process.interpreter !== undefined;
    return new FrameScope(frame, this.bridge, rt.symbols, this.store!, {
      images: this.loadOrder(images),
      dynamic,
      ...(dynamic ? { tlsModule: (i: ImageInfo) => rt.tlsModule(i.image) } : {}),
    });
  }

  /** The debugger's images in the process's load order (the program, then link_map order). */
  private loadOrder(images: readonly ImageInfo[]): ImageInfo[] {
    const order = this.dbg.process.images.list();
    const rank = (i: ImageInfo): number => {
      const n = order.indexOf(i.image);
      return n < 0 ? order.length : n;
    };
    return [...images].sort((a, b) => rank(a) - rank(b));
  }

  private nextEntry(): string {
    return `__jitdbg_expr_${++this.serial}`;
  }

  /** addObject → non-finalizing look-ups of the entry → finalize. */
  private link(result: CompileResult, frameVariables: Map<string, Variable>, placement?: { low: bigint; high: bigint }): Linked {
    const linker = this.jit().linker;
    const entry = result.entry!;
    const module = linker.addObject(result.object, entry.replace("__jitdbg_", ""), placement ? { placement } : {});
    try {
      if (!linker.getSymbolAddress(entry)) throw new JitdbgError("EVAL_NO_ENTRY", `the compiled object has no entry symbol '${entry}' (a compiler bug; please report the expression)`);
      const load = linker.getSymbolLoadAddress(entry)!;
      linker.finalize(module);
      // The object's bytes are in the module now: a cached compilation does not keep them (nor
      // the buffer they share with other objects).
      return { result: { ...result, object: NO_BYTES }, module, entry: load, frameVariables };
    } catch (e) {
      linker.removeModule(module);
      throw e;
    }
  }

  /**
   * Unloads the least recently used cached modules until a new text can be linked without
   * unloading one first. The adapter calls it once a request is answered: the next new text's
   * answer then does not wait for an unload.
   */
  tidy(): void {
    while (this.cache.size >= CACHE_LIMIT) this.forget(this.cache.keys().next().value!);
  }

  private forget(key: string): void {
    const l = this.cache.get(key);
    this.cache.delete(key);
    if (!l) return;
    this.trace?.("unload");
    this.jit().linker.removeModule(l.module);
  }

  private run(linked: Linked, frame: Frame, opts: EvaluateOptions, transient: boolean): Evaluation {
    return runSteps(this.runSteps(linked, frame, opts, transient));
  }

  private *runSteps(linked: Linked, frame: Frame, opts: EvaluateOptions, transient: boolean): Steps<Evaluation> {
    const { result } = linked;
    const stop = this.stopState(frame);
    const block = new Uint8Array(result.argBlock.size);
    const writeBack: { slot: ArgSlot; store: (b: Uint8Array) => void }[] = [];
    for (const slot of result.argBlock.slots) this.fill(slot, block, linked, frame, stop, writeBack);
    this.trace?.("call");
    let outcome: CallOutcome;
    let nested = false;
    try {
      outcome = yield* this.caller!.callSteps({
        entry: linked.entry,
        argBlock: block,
        resultSize: result.resultSize,
        timeoutMicros: result.callsFunctions ? this.timeoutMicros(opts) : 0,
        // Read-only code (no assignment, no call) cannot change the program: no undo log.
        mayWrite: result.callsFunctions || result.assigns,
        ownCodeOnly: !result.callsFunctions,
        stackBytes: result.stackBytes,
        ignoreBreakpoints: opts.ignoreBreakpoints ?? true,
        describeStop: (pc) => this.describeStop(pc),
        shouldStop: (pc) => {
          nested = true;
          return this.breakpointStops(pc);
        },
      });
    } finally {
      if (result.callsFunctions || result.assigns) stop.read.clear(); // memory may have changed
      if (nested) this.dbg.registersChanged(); // frames were unwound inside the call
      this.trace?.("restore");
      if (transient) {
        this.trace?.("unload");
        this.jit().linker.removeModule(linked.module);
      }
    }
    if (outcome.kind !== "returned") throw this.failure(outcome, opts);
    for (const w of writeBack) w.store(outcome.argBlock.subarray(w.slot.offset, w.slot.offset + w.slot.size));
    if (writeBack.length > 0) this.dbg.registersChanged(); // the frames were unwound from the old registers
    return this.resultOf(result.resultType, outcome.result, opts.keepResult ?? false);
  }

  /** The call's time budget: the caller's, else the launch's, else 250 ms. */
  private timeoutMicros(opts: EvaluateOptions): number {
    if (opts.timeoutMicros !== undefined) return opts.timeoutMicros;
    const ms = this.dbg.evaluateTimeoutMs;
    return ms === undefined ? DEFAULT_TIMEOUT : ms * 1000;
  }

  /** Writes one argument-block slot: a variable's address, or its (or a register's) value. */
  private fill(slot: ArgSlot, block: Uint8Array, linked: { frameVariables: Map<string, Variable> }, frame: Frame, from: { values: FrameValues; read?: Map<Variable, Value> }, writeBack: { slot: ArgSlot; store: (b: Uint8Array) => void }[]): void {
    const put = (bytes: Uint8Array): void => block.set(bytes.subarray(0, slot.size), slot.offset);
    const loc = slot.location;
    if (loc.kind === "value" && loc.register !== undefined && slot.name.startsWith("$")) {
      const reg = loc.register as RegName;
      const number = DWARF_NUMBERS.get(reg);
      const v = frame.index === 0 ? this.dbg.process.cpu.reg(reg) : frame.registers.get(number ?? -1);
      if (v === undefined) throw new JitdbgError("EVAL_REGISTER_UNAVAILABLE", `register ${slot.name} is not known in frame ${frame.index} (not saved by its callee); select frame 0 to use it`);
      put(le64(v));
      if (slot.written) {
        // The innermost frame's flags and segment bases are the CPU's; a caller's register is where the frames below keep it.
        if (frame.index !== 0 && number === undefined) throw new JitdbgError("EVAL_REGISTER_READ_ONLY", `'${slot.name}' can only be assigned in the innermost frame (frame 0): it is not saved per frame`);
        const store = frame.index === 0 ? (b: Uint8Array) => this.dbg.process.cpu.setReg(reg, fromLe(b)) : registerStore(this.dbg.process.cpu, frame, number!);
        if (typeof store === "string") throw new JitdbgError("EVAL_REGISTER_READ_ONLY", `cannot assign to '${slot.name}' in frame ${frame.index}: ${store}`);
        writeBack.push({ slot, store: (b) => store(b) });
      }
      return;
    }
    const variable = linked.frameVariables.get(slot.name);
    if (!variable) throw new JitdbgError("EVAL_SLOT", `no frame variable '${slot.name}' for the compiled code's argument block (a debugger bug)`);
    let value = from.read?.get(variable);
    if (!value) {
      value = from.values.read(variable);
      from.read?.set(variable, value);
    }
    if (value.location.kind === "error") throw new JitdbgError("EVAL_UNAVAILABLE", `'${slot.name}' has no value here: ${value.location.message}`);
    if (value.location.kind === "bytes" && value.location.missing) {
      // Compiled code would read the missing parts as zeros: it gets none of it (the interpreter reads the parts that remain).
      const m = value.location.missing[0]!;
      throw new JitdbgError("EVAL_PARTIAL", `'${slot.name}' is partly optimized out here (bits ${m.start}..${m.end - 1} of it have no value); an expression that runs code cannot use it, select its members or elements by themselves`);
    }
    if (slot.fill === "address") {
      if (value.location.kind !== "memory") throw new StaleSlot();
      put(le64(value.location.address));
      return;
    }
    if (value.location.kind === "memory") throw new StaleSlot();
    const bytes = new Uint8Array(slot.size);
    bytes.set(value.location.bytes.subarray(0, slot.size));
    put(bytes);
    if (slot.written) {
      const store = value.location.store;
      if (!store) throw new JitdbgError("EVAL_NOT_ASSIGNABLE", `cannot assign to '${slot.name}' in frame ${frame.index}: ${value.location.readOnly ?? "the compiler keeps it as a computed value, not in a register or memory (optimized code)"}`);
      const size = variable.type.byteSize ?? slot.size;
      writeBack.push({ slot, store: (b) => store(b.subarray(0, size)) });
    }
  }

  private resultOf(type: CType, bytes: Uint8Array, keep: boolean): Evaluation {
    const dtype = this.bridge.toDwarf(type);
    if (unqual(type).kind === "void") return { value: { type: dtype, location: { kind: "bytes", bytes: new Uint8Array(0) } }, type };
    if (keep) {
      const v = this.persistent.keepResult(type, bytes);
      return { value: { type: dtype, location: { kind: "memory", address: v.address } }, type, resultName: v.name };
    }
    return { value: { type: dtype, location: { kind: "bytes", bytes } }, type };
  }

  private failure(o: Exclude<CallOutcome, { kind: "returned" }>, opts: EvaluateOptions): JitdbgError {
    const restored = `the expression was abandoned and the program's state restored (${restoredWhat(o.undone)}); it is stopped where it was`;
    switch (o.kind) {
      case "signal": {
        const addr = o.address !== undefined ? `, address 0x${o.address.toString(16)}` : "";
        return new JitdbgError("EVAL_SIGNAL", `the expression received ${o.name} (${o.description}; pc 0x${o.pc.toString(16)}${addr}); ${restored}`);
      }
      case "timeout":
        return new JitdbgError("EVAL_TIMEOUT", `the expression did not finish within ${this.timeoutMicros(opts) / 1000} ms of emulated time (it was at ${this.describeStop(o.pc)}); ${restored}. An endless loop? Otherwise give it more time with the launch option "evaluateTimeout" (milliseconds)`);
      case "breakpoint":
        return new JitdbgError("EVAL_BREAKPOINT", `the expression stopped at a breakpoint: ${o.description}; ${restored}. Evaluate with ignore-breakpoints on to run through breakpoints`);
      case "blocked":
        return new JitdbgError("EVAL_BLOCKED", `the expression waited for another thread (${o.description} at ${this.describeStop(o.pc)}); other threads do not run while an expression does, so it could never go on; ${restored}. A lock another thread holds?`);
      case "cancelled":
        return new JitdbgError("EVAL_CANCELLED", `the expression was cancelled after ${Math.round(o.micros / 1000)} ms (it was at ${this.describeStop(o.pc)}); ${restored}`);
      case "exited":
        return new JitdbgError("EVAL_EXITED", `the expression ended the program with exit status ${o.status} (did it call exit()?); the exit was undone and the program's state restored (${restoredWhat(o.undone)}); it is stopped where it was`);
    }
  }

  /**
   * Whether breakpoints at pc, hit inside an expression with ignore-breakpoints off, stop it: one
   * without a condition does; a condition is evaluated (nested, in the callee's frame). Hit counts
   * and logpoints are left to the program's own runs.
   */
  private breakpointStops(pc: bigint): boolean {
    const bps = this.dbg.breakpoints.breakpointsAt(pc);
    if (bps.length === 0) return true;
    // A compiled condition's trap: the program found the condition true.
    if (this.dbg.breakpoints.siteOfTrap(pc) !== undefined) return bps.some((bp) => bp.options.logMessage === undefined);
    this.dbg.registersChanged();
    try {
      return bps.some((bp) => {
        const cond = bp.options.condition?.trim();
        if (!cond) return bp.options.logMessage === undefined;
        try {
          return this.condition(cond, 0);
        } catch (e) {
          if (!(e instanceof JitdbgError)) throw e; // a debugger bug is not a condition that failed
          return true; // a condition that cannot be evaluated stops, as on the program's own runs
        }
      });
    } finally {
      this.dbg.registersChanged();
    }
  }

  /** Where a call stopped, with the calls that led there down to the expression (JIT frames too). */
  private describeStop(pc: bigint): string {
    // At a compiled condition's trap the thread is at the breakpoint's site (its registers are; the
    // call's state is put back after this).
    const site = this.dbg.breakpoints.siteOfTrap(pc);
    if (site !== undefined) {
      this.dbg.process.cpu.setReg("rip", site);
      pc = site;
    }
    const frames = unwindStack({ cpu: this.dbg.process.cpu, imageFor: (a) => this.dbg.imageFor(a), extraCfi: (a) => this.cfiAt(a), extraName: (a) => this.nameAt(a), maxFrames: 16 });
    const trap = this.runtime?.tls.trapAddress;
    const chain: string[] = [];
    for (const f of frames) {
      if (f.pc === trap) break;
      const where = f.source ? `${f.functionName ?? "?"} (${f.source.file.split("/").pop()}:${f.source.line})` : (f.functionName ?? `0x${f.pc.toString(16)}`);
      chain.push(where);
      if (f.functionName?.endsWith("[console]") === false && !f.image) break;
    }
    return chain.length > 1 ? `${this.dbg.describePc(pc)}, called from ${chain.slice(1).join(" ← ")}` : this.dbg.describePc(pc);
  }

  // ---- persistent names and console functions

  private declare(name: string, rhs: string, frameIndex: number, opts: EvaluateOptions): Evaluation {
    const r = this.evaluate(rhs, frameIndex, { ...opts, keepResult: false });
    if (unqual(r.type).kind === "void") throw new JitdbgError("EVAL_VOID_VARIABLE", `'${name}' cannot hold a void value`);
    const bytes = readBytes(this.dbg.inspector.memory, r.value);
    if (typeof bytes === "string") throw new JitdbgError("EVAL_UNREADABLE", bytes);
    const v = this.persistent.declare(name, r.type, bytes);
    return { value: { type: r.value.type, location: { kind: "memory", address: v.address } }, type: r.type, resultName: name };
  }

  private defineFunction(result: CompileResult): Evaluation {
    const def = result.defines[0]!;
    const linker = this.jit().linker;
    const old = this.persistent.function(def.name);
    let module: JitModule;
    if (old) module = linker.replaceModule(old.module, result.object);
    else {
      module = linker.addObject(result.object, `fn:${def.name}`);
      try {
        linker.finalize(module);
      } catch (e) {
        linker.removeModule(module);
        throw e;
      }
    }
    this.persistent.setFunction({ name: def.name, type: def.type, module });
    const params = def.type.params.map((p) => typeName(p)).join(", ") + (def.type.variadic ? ", ..." : "");
    const text = `${old ? "redefined" : "defined"} ${typeName(def.type.ret)} ${def.name}(${params || "void"})`;
    return { value: { type: this.bridge.toDwarf(def.type), location: { kind: "error", message: text } }, type: def.type, defined: text };
  }

  /** What top-level declarations need: the store, scopes of the frame, and initializers run in it. */
  private topLevelHost(frameIndex: number, opts: EvaluateOptions): TopLevelHost {
    return {
      store: this.persistent,
      scope: () => this.scopeFor(this.dbg.frame(frameIndex)),
      isRegister: (name) => REGISTERS.has(name),
      initialValue: (expr) => {
        const frame = this.dbg.frame(frameIndex);
        const scope = this.scopeFor(frame);
        this.trace?.("compile");
        this.compiles++;
        const linked = this.link(compileExpression(expr, scope, { entryName: this.nextEntry() }), scope.frameVariables);
        let r: Evaluation;
        try {
          r = this.run(linked, frame, { ...opts, keepResult: false }, true);
        } catch (e) {
          if (e instanceof StaleSlot) throw new JitdbgError("EVAL_STALE", "a variable moved while the initializer was compiled; declare it again");
          throw e;
        }
        const bytes = readBytes(this.dbg.inspector.memory, r.value, sizeOf(r.type) ?? 0);
        if (typeof bytes === "string") throw new JitdbgError("EVAL_UNREADABLE", bytes);
        return { type: r.type, bytes: Uint8Array.from(bytes) };
      },
    };
  }

  /** `:patch <definition>`: compiled like a console function, then put in the program's function's place. */
  private patchCommand(definition: string, frameIndex: number): Evaluation {
    const scope = this.scopeFor(this.dbg.frame(frameIndex));
    this.trace?.("compile");
    const entryName = this.nextEntry();
    const result = compile(definition.trim(), scope, { entryName, definitionSymbol: `__jitdbg_patch_${entryName}` });
    if (result.kind === "declarations") throw new JitdbgError("EVAL_PATCH_NOT_FUNCTION", "':patch' takes a function definition (its body in braces), not declarations");
    return this.done(this.patches.patch(result, scope, `__jitdbg_patch_${entryName}`));
  }

  /** The answer of a console command: its message, no value. */
  private done(message: string): Evaluation {
    return { value: { type: this.bridge.toDwarf(T.void), location: { kind: "error", message } }, type: T.void, defined: message };
  }

  /** `:c` blocks: the external C compiler backend; never cached, unloaded after the run. */
  private *external(block: string, frameIndex: number, opts: EvaluateOptions): Steps<Evaluation> {
    const frame = this.dbg.frame(frameIndex);
    const scope = this.scopeFor(frame);
    this.trace?.("compile");
    this.compiles++;
    const result = compileWithExternalCc(block, scope, { entryName: this.nextEntry() });
    if (result.kind === "function") return this.defineFunction(result);
    const linked = this.link(result, scope.frameVariables);
    try {
      return yield* this.runSteps(linked, frame, opts, true);
    } catch (e) {
      if (e instanceof StaleSlot) throw new JitdbgError("EVAL_STALE", "a variable moved while the block was compiled; evaluate it again");
      throw e;
    }
  }
}

/** What a failed call's roll-back put back, for its message. */
function restoredWhat(undone: RollbackReport | undefined): string {
  if (!undone) return "registers and stack; the expression cannot write memory";
  const pages = `${undone.pages} page${undone.pages === 1 ? "" : "s"} of memory`;
  const output = undone.outputBytes > 0 ? `; the ${undone.outputBytes} bytes of output it wrote were discarded` : "";
  return `registers, ${pages}, mappings, files and signals${output}`;
}

/** Same text in the same scope reuses a compilation: the image and the innermost DWARF scope (or function) at the pc. */
function scopeKey(frame: Frame): string {
  const inner = frame.scopes?.[0];
  if (inner) return `${frame.image?.path ?? "?"}@${inner.die.offset}`;
  const fn = frame.image?.functionAt(frame.lookupPc);
  return fn ? `${frame.image!.path}@${fn.function.die.offset}` : `nodebug:${frame.image?.path ?? "?"}`;
}

/** Each image's part of the cache key (an image's path and bias never change). */
const imageKeys = new WeakMap<ImageInfo, string>();

function imagesKey(images: readonly ImageInfo[]): string {
  let key = "";
  for (const i of images) {
    let k = imageKeys.get(i);
    if (k === undefined) imageKeys.set(i, (k = `${i.path}@${i.bias.toString(16)};`));
    key += k;
  }
  return key;
}

function le64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

function fromLe(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(b.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
