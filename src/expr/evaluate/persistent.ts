/**
 * State the console keeps between evaluations, all of it in the inferior: result history (`$1`,
 * `$2`, ...) and user variables (`$name = expr`) in a region of their own, reached by compiled code
 * through linker symbols; console function definitions, each a JIT module that stays loaded
 * (redefinition swaps the module with replaceModule, so earlier callers reach the new code); and
 * the console's top-level declarations: global variables (stored like `$name`s), typedefs,
 * struct/union/enum types and their enumerators.
 */
import { PROT_READ, PROT_WRITE } from "../../emu/cpu.js";
import { JitdbgError } from "../../errors.js";
import type { Process } from "../../inferior/process.js";
import type { JitModule } from "../../jit/module.js";
import type { ScopeEntity } from "../scope.js";
import { T, alignOf, type CType, type EnumType, type FunctionType, type RecordType } from "../types.js";
import type { InferiorSymbols } from "./inferior-symbols.js";

const REGION_SIZE = 1n << 20n;

export interface PersistentVariable {
  /** `$name` or `$N`. */
  name: string;
  type: CType;
  address: bigint;
  size: number;
  symbol: string;
}

export interface ConsoleFunction {
  name: string;
  type: FunctionType;
  module: JitModule;
}

export class PersistentStore {
  private region: { start: bigint; end: bigint } | undefined;
  private cursor = 0n;
  private readonly vars = new Map<string, PersistentVariable>();
  private readonly fns = new Map<string, ConsoleFunction>();
  private nextResult = 1;
  private readonly typedefs = new Map<string, CType>();
  private readonly tags = new Map<string, RecordType | EnumType>();
  private readonly enumerators = new Map<string, bigint>();
  /**
   * Bumped when a console function gets a new name (it may shadow a program function a cached
   * compilation resolved); new `$` names cannot change how an existing compilation resolved.
   */
  generation = 0;
  /** Bumped at every change of an ordinary name (redefinitions too): what a scope caches by name follows it. */
  changes = 0;

  constructor(
    private readonly process: Process,
    private readonly symbols: InferiorSymbols,
  ) {}

  /** Storage for a new persistent value, initialized with `bytes`. */
  declare(name: string, type: CType, bytes: Uint8Array): PersistentVariable {
    if (this.vars.has(name)) throw new JitdbgError("EVAL_PERSISTENT_EXISTS", `'${name}' already exists; assign to it with '${name} = ...'`);
    const size = Math.max(bytes.length, 1);
    const address = this.allocate(size, Math.max(alignOf(type), 1));
    this.process.cpu.write(address, bytes);
    // `$x` and a console global `x` are two objects.
    const symbol = name.startsWith("$") ? `__jitdbg_persistent_${name.slice(1)}` : `__jitdbg_global_${name}`;
    this.symbols.define(symbol, { address, size: BigInt(size) });
    const v: PersistentVariable = { name, type, address, size, symbol };
    this.vars.set(name, v);
    if (!name.startsWith("$")) this.changes++; // `$` names are looked up afresh each time (FrameScope.lookup)
    if (!name.startsWith("$")) this.generation++; // a new ordinary name may change what a cached text resolves to
    return v;
  }

  /** The number of the last `$N` kept (0: none yet). */
  get lastResult(): number {
    return this.nextResult - 1;
  }

  /** Keeps a result as the next `$N`. */
  keepResult(type: CType, bytes: Uint8Array): PersistentVariable {
    return this.declare(`$${this.nextResult++}`, type, bytes);
  }

  variable(name: string): PersistentVariable | undefined {
    return this.vars.get(name);
  }

  function(name: string): ConsoleFunction | undefined {
    return this.fns.get(name);
  }

  setFunction(f: ConsoleFunction): void {
    if (!this.fns.has(f.name)) this.generation++;
    this.fns.set(f.name, f);
    this.changes++;
  }

  typedef(name: string): CType | undefined {
    return this.typedefs.get(name);
  }

  tag(kind: "struct" | "union" | "enum", name: string): RecordType | EnumType | undefined {
    const t = this.tags.get(`${kind} ${name}`);
    return t?.kind === kind ? t : undefined;
  }

  *tagNames(kind: "struct" | "union" | "enum"): Iterable<string> {
    for (const t of this.tags.values()) if (t.kind === kind && t.tag !== undefined) yield t.tag;
  }

  enumerator(name: string): bigint | undefined {
    return this.enumerators.get(name);
  }

  defineTypedef(name: string, type: CType): void {
    this.typedefs.set(name, type);
    this.changes++;
    this.generation++;
  }

  /** A struct, union or enum defined in the console (an untagged one only brings its enumerators). */
  defineTag(type: RecordType | EnumType): void {
    if (type.tag !== undefined) this.tags.set(`${type.kind} ${type.tag}`, type);
    this.changes++;
    if (type.kind === "enum") for (const e of type.enumerators) this.enumerators.set(e.name, e.value);
    this.generation++;
  }

  lookup(name: string): ScopeEntity | undefined {
    const v = this.vars.get(name);
    if (v) return { kind: "variable", type: v.type, location: { kind: "global", symbol: v.symbol } };
    const f = this.fns.get(name);
    if (f) return { kind: "function", symbol: f.name, type: f.type };
    return undefined;
  }

  /** A console global variable or enumerator (ordinary names, not `$`), as the compiler sees it. */
  declared(name: string): ScopeEntity | undefined {
    const v = name.startsWith("$") ? undefined : this.vars.get(name);
    if (v) return { kind: "variable", type: v.type, location: { kind: "global", symbol: v.symbol } };
    const e = this.enumerators.get(name);
    return e !== undefined ? { kind: "enumerator", value: e, type: T.int } : undefined;
  }

  names(): string[] {
    return [...this.vars.keys(), ...this.fns.keys(), ...this.enumerators.keys()];
  }

  private allocate(size: number, align: number): bigint {
    if (!this.region) {
      const r = this.process.space.allocate(REGION_SIZE, { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: "[jit-persistent]" });
      this.region = { start: r.start, end: r.end };
      this.cursor = r.start;
    }
    const a = BigInt(align);
    const at = ((this.cursor + a - 1n) / a) * a;
    if (at + BigInt(size) > this.region.end) {
      throw new JitdbgError("EVAL_PERSISTENT_FULL", `no room left for persistent values (${REGION_SIZE / 1024n} KiB used); restart the session to free them`);
    }
    this.cursor = at + BigInt(size);
    return at;
  }
}
