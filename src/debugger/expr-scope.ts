/**
 * The expression compiler's Scope for a stopped frame, from DWARF and the ELF symbols:
 * locals and parameters of the frame's scopes (innermost first; memory-resident ones reach the
 * code by address, register-resident and computed ones by value), static locals, globals and
 * statics of the unit and then of other units, thread-locals of the executable's PT_TLS block,
 * enumerators, functions with their DWARF prototypes, symbols without debug info (libc: the
 * compiler's built-in prototypes), typedef/struct/union/enum names, and the console's persistent
 * names on top. Answers are static; values are read when the argument block is filled.
 */
import type { Dwarf, Unit, Variable, FunctionScope, UnitModel } from "../dwarf/index.js";
import { locateVariable, DW_TAG } from "../dwarf/index.js";
import type { ReversibleBridge } from "../expr/evaluate/ctype-to-dwarf.js";
import type { InferiorSymbols } from "../expr/evaluate/inferior-symbols.js";
import type { PersistentStore } from "../expr/evaluate/persistent.js";
import type { Scope, ScopeEntity } from "../expr/scope.js";
import type { CType, FunctionType } from "../expr/types.js";
import type { Frame } from "./stack.js";

type TagKind = "struct" | "union" | "enum";

export class FrameScope implements Scope {
  /** Frame variables the compiled code reaches through the argument block, by name. */
  readonly frameVariables = new Map<string, Variable>();
  private readonly dwarf: Dwarf | undefined;
  private readonly unit: Unit | undefined;
  private readonly chain: readonly { variables: readonly Variable[] }[];
  private readonly cache = new Map<string, ScopeEntity | null>();
  private enumerators: Map<string, { value: bigint; type: CType }> | undefined;

  constructor(
    private readonly frame: Frame,
    private readonly bridge: ReversibleBridge,
    private readonly symbols: InferiorSymbols,
    private readonly persistent: PersistentStore,
  ) {
    const image = frame.image;
    this.dwarf = image?.dwarf;
    const at = image?.functionAt(frame.lookupPc);
    this.unit = at?.unit;
    this.chain = frame.scopes ?? at?.scopes ?? [];
  }

  lookup(name: string): ScopeEntity | undefined {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const e = this.find(name);
    this.cache.set(name, e ?? null);
    return e;
  }

  typedef(name: string): CType | undefined {
    const t = this.dwarf?.findType(name, this.unit);
    return t?.kind === "typedef" ? this.bridge.toC(t) : undefined;
  }

  tag(kind: TagKind, name: string): CType | undefined {
    const t = this.dwarf?.findType(`${kind} ${name}`, this.unit);
    return t ? this.bridge.toC(t) : undefined;
  }

  *names(): Iterable<string> {
    for (const s of this.chain) for (const v of s.variables) yield v.name;
    yield* this.persistent.names();
    const model = this.model();
    if (model) {
      for (const v of model.globals) yield v.name;
      for (const f of model.functions) yield f.name;
    }
    yield* this.enumeratorMap().keys();
  }

  *tagNames(kind: TagKind): Iterable<string> {
    const model = this.model();
    if (!model) return;
    for (const k of model.types.keys()) if (k.startsWith(`${kind} `)) yield k.slice(kind.length + 1);
  }

  // ---- resolution

  private find(name: string): ScopeEntity | undefined {
    if (name.startsWith("$")) return this.persistent.lookup(name);
    const own = this.persistent.function(name);
    if (own) return { kind: "function", symbol: own.name, type: own.type };
    for (const s of this.chain) {
      const v = s.variables.find((x) => x.name === name);
      if (v) return v.kind === "static-local" ? this.staticVariable(v) : this.frameVariable(v);
    }
    const g = this.dwarf?.findGlobalVariable(name, this.unit);
    if (g) return this.staticVariable(g);
    const fn = this.dwarf?.findFunction(name);
    if (fn) {
      const f = this.function(fn);
      if (f) return f;
    }
    const en = this.enumeratorMap().get(name);
    if (en) return { kind: "enumerator", value: en.value, type: en.type };
    switch (this.symbols.elfKind(name)) {
      case "function": return { kind: "function", symbol: name, type: undefined };
      case "data": return { kind: "variable", type: undefined, location: { kind: "global", symbol: name } };
      case "tls": return { kind: "variable", type: undefined, location: { kind: "tls", symbol: name } };
      default: return undefined;
    }
  }

  private frameVariable(v: Variable): ScopeEntity {
    this.frameVariables.set(v.name, v);
    const type = this.bridge.toC(v.type);
    // Where it is now decides the slot kind; the evaluator checks it again when it fills the slot.
    return { kind: "variable", type, location: this.inMemory(v) ? { kind: "frame" } : { kind: "value" } };
  }

  /** Whether the variable's location at this pc is an address in memory. */
  inMemory(v: Variable): boolean {
    try {
      const fn = this.frame.image?.functionAt(this.frame.lookupPc)?.function;
      const bias = this.frame.image?.bias ?? 0n;
      const loc = locateVariable(v, this.frame.lookupPc - bias, fn, {
        readRegister: (r) => this.frame.registers.get(r),
        readMemory: () => 0n,
        callFrameCfa: () => this.frame.cfa,
        tlsAddress: () => undefined,
        addressBias: bias,
      });
      return loc.kind === "memory";
    } catch {
      return false;
    }
  }

  private staticVariable(v: Variable): ScopeEntity {
    const type = this.bridge.toC(v.type);
    if (v.isTls) {
      const offset = this.tlsOffset(v);
      if (offset === undefined) return this.frameVariable(v);
      const elf = this.symbols.lookup(v.name);
      const symbol = elf?.tls && elf.tls.offset === offset ? v.name : this.symbols.tlsAt(offset, BigInt(v.type.byteSize ?? 0));
      return { kind: "variable", type, location: { kind: "tls", symbol } };
    }
    const linkAddr = v.staticAddress;
    if (linkAddr === undefined) return this.frameVariable(v); // a constant or computed location
    const address = linkAddr + (this.frame.image?.bias ?? 0n);
    const symbol = this.symbols.addressOf(v.name) === address ? v.name : this.symbols.atAddress(address, BigInt(v.type.byteSize ?? 0));
    return { kind: "variable", type, location: { kind: "global", symbol } };
  }

  /** Offset of a TLS variable in its block: what its location expression hands to the TLS operator. */
  private tlsOffset(v: Variable): bigint | undefined {
    let offset: bigint | undefined;
    try {
      locateVariable(v, undefined, undefined, {
        readRegister: () => undefined,
        readMemory: () => undefined,
        callFrameCfa: () => undefined,
        tlsAddress: (o) => {
          offset = o;
          return 0n;
        },
        addressBias: 0n,
      });
    } catch {
      return offset;
    }
    return offset;
  }

  private function(fn: FunctionScope): ScopeEntity | undefined {
    const bias = this.frame.image?.bias ?? 0n;
    const t = this.dwarf!.typeOf(fn.die);
    const type = this.bridge.toC(t) as FunctionType;
    if (fn.ranges.length === 0) {
      // Inlined everywhere: only an out-of-line copy under the ELF name can be called.
      return this.symbols.elfKind(fn.name) === "function" ? { kind: "function", symbol: fn.name, type } : undefined;
    }
    const address = fn.entryPc + bias;
    const symbol = this.symbols.addressOf(fn.name) === address ? fn.name : this.symbols.atAddress(address);
    return { kind: "function", symbol, type };
  }

  private model(): UnitModel | undefined {
    return this.unit ? this.dwarf?.model(this.unit) : undefined;
  }

  /** Enumerators of the frame's unit first, then of the other units. */
  private enumeratorMap(): Map<string, { value: bigint; type: CType }> {
    if (this.enumerators) return this.enumerators;
    const out = new Map<string, { value: bigint; type: CType }>();
    const dwarf = this.dwarf;
    if (dwarf) {
      const units = this.unit ? [this.unit, ...dwarf.units.filter((u) => u !== this.unit)] : [...dwarf.units];
      for (const u of units) {
        const m = dwarf.model(u);
        if (!m) continue;
        for (const die of m.types.values()) {
          if (die.tag !== DW_TAG.enumeration_type) continue;
          const t = dwarf.typeOf(die);
          if (t.kind !== "enum") continue;
          for (const e of t.enumerators) if (!out.has(e.name)) out.set(e.name, { value: e.value, type: this.bridge.toC(t) });
        }
      }
    }
    this.enumerators = out;
    return out;
  }
}
