/**
 * What the compiler asks the debugger about names. The debugger implements Scope from DWARF (and
 * the ELF symbol tables) for the selected frame; tests implement it from a description of a C
 * harness. Every answer is static: run-time values (a local's address, a register's value) reach
 * the compiled code through the argument block the evaluator fills in before calling the entry.
 */
import type { CType, FunctionType } from "./types.js";

export type TlsModel = "initial-exec" | "general-dynamic";

/** Where a variable lives. */
export type VariableLocation =
  /** A local or parameter in memory: the evaluator stores its address in the argument block. */
  | { kind: "frame"; address?: bigint }
  /**
   * A value held in a register or computed by a DWARF location expression: the evaluator stores the
   * value itself in the argument block; if the expression may write it (ArgSlot.written), the
   * evaluator copies the slot back afterwards.
   */
  | { kind: "value"; register?: string }
  /** A global (or a static, or a persistent `$name`/`$1`) reached by its linker symbol name. */
  | { kind: "global"; symbol: string }
  /** A thread-local variable by symbol name; `model` overrides CompileOptions.tlsModel. */
  | { kind: "tls"; symbol: string; model?: TlsModel };

export interface VariableEntity {
  kind: "variable";
  /** undefined: a symbol without debug info; it must be cast (`(int)x`, `*(int *)&x`). */
  type: CType | undefined;
  location: VariableLocation;
}

export interface FunctionEntity {
  kind: "function";
  /** The linker symbol the call relocates against. */
  symbol: string;
  /** undefined: no debug info; the compiler falls back to builtins.ts or asks for a cast. */
  type: FunctionType | undefined;
}

export interface EnumeratorEntity {
  kind: "enumerator";
  value: bigint;
  type: CType;
}

export type ScopeEntity = VariableEntity | FunctionEntity | EnumeratorEntity;

export interface Scope {
  /**
   * Innermost-first look-up of an ordinary identifier: locals, parameters, globals, TLS, functions,
   * enumerators, and persistent names (`$x`, `$1`, asked for with the `$`). Registers (`$rax`) are
   * handled by the compiler and never asked for.
   */
  lookup(name: string): ScopeEntity | undefined;
  /** `typedef` names. */
  typedef(name: string): CType | undefined;
  /** Struct, union and enum tags. */
  tag(kind: "struct" | "union" | "enum", name: string): CType | undefined;
  /** Every visible ordinary name, for "did you mean" (may be a sample for huge programs). */
  names(): Iterable<string>;
  /** Every visible tag of a kind, for "did you mean". */
  tagNames(kind: "struct" | "union" | "enum"): Iterable<string>;
}

/** A Scope from plain maps: for tests, and for the debugger to layer persistent variables on top. */
export class MapScope implements Scope {
  readonly values = new Map<string, ScopeEntity>();
  readonly typedefs = new Map<string, CType>();
  readonly tags = new Map<string, CType>();

  constructor(private readonly parent?: Scope) {}

  lookup(name: string): ScopeEntity | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }
  typedef(name: string): CType | undefined {
    return this.typedefs.get(name) ?? this.parent?.typedef(name);
  }
  tag(kind: "struct" | "union" | "enum", name: string): CType | undefined {
    return this.tags.get(`${kind} ${name}`) ?? this.parent?.tag(kind, name);
  }
  *names(): Iterable<string> {
    yield* this.values.keys();
    if (this.parent) yield* this.parent.names();
  }
  *tagNames(kind: "struct" | "union" | "enum"): Iterable<string> {
    for (const k of this.tags.keys()) if (k.startsWith(`${kind} `)) yield k.slice(kind.length + 1);
    if (this.parent) yield* this.parent.tagNames(kind);
  }

  addTag(t: CType & { kind: "struct" | "union" | "enum"; tag: string | undefined }): this {
    if (t.tag !== undefined) this.tags.set(`${t.kind} ${t.tag}`, t);
    return this;
  }
}
