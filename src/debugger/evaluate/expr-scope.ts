/**
 * The expression compiler's Scope for a stopped frame, from DWARF and the ELF symbols:
 * locals and parameters of the frame's scopes (innermost first; memory-resident ones reach the
 * code by address, register-resident and computed ones by value), static locals, globals and
 * statics of the unit and then of other units, thread-locals (the executable's PT_TLS block as
 * module 1; a library's by the loader's module id), enumerators, functions with their DWARF
 * prototypes, symbols without debug info (libc: the compiler's built-in prototypes),
 * typedef/struct/union/enum names, and the console's persistent names on top (its typedefs, tags,
 * globals and enumerators as if declared at file scope: locals shadow them). Names the frame's
 * image does not define are looked up in the other loaded images with DWARF, in load order (the
 * program, then the libraries). `errno`, unless a variable of that name is visible, is the C
 * library's thread-local errno (what the errno macro expands to). Answers are static; values are
 * read when the argument block is filled.
 */
import type { Dwarf, Unit, Variable, FunctionScope, UnitModel } from "../../dwarf/index.js";
import { enumerators, locateVariable } from "../../dwarf/index.js";
import { isDwarfError } from "../../dwarf/errors.js";
import type { ReversibleBridge } from "../../expr/evaluate/ctype-to-dwarf.js";
import type { InferiorSymbols } from "../../expr/evaluate/inferior-symbols.js";
import type { PersistentStore } from "../../expr/evaluate/persistent.js";
import type { Scope, ScopeEntity } from "../../expr/scope.js";
import { T, type CType, type FunctionType } from "../../expr/types.js";
import { JitdbgError } from "../../errors.js";
import type { ImageInfo } from "../image-info.js";
import type { Frame } from "../inspect/stack.js";

/** What the scope needs to know about the process beyond the frame. */
export interface ScopeHost {
  /** Every loaded image, in load order (the program first). */
  images: readonly ImageInfo[];
  /** A dynamically linked process (names bind as the dynamic linker binds them). */
  dynamic?: boolean;
  /**
   * The TLS module id of an image's block (a dynamically linked process: the loader's, with the
   * block made known to the JIT); undefined for a static program, whose only block is module 1.
   */
  tlsModule?: (image: ImageInfo) => number | undefined;
}

type TagKind = "struct" | "union" | "enum";

export class FrameScope implements Scope {
  /** Frame variables the compiled code reaches through the argument block, by name. */
  readonly frameVariables = new Map<string, Variable>();
  private readonly dwarf: Dwarf | undefined;
  private readonly unit: Unit | undefined;
  private readonly chain: readonly { variables: readonly Variable[] }[];
  private readonly cache = new Map<string, ScopeEntity | null>();
  private readonly typedefs = new Map<string, CType | null>();
  private enumerators: Map<string, { value: bigint; type: CType }> | undefined;

  private readonly image: ImageInfo | undefined;

  constructor(
    private readonly frame: Frame,
    private readonly bridge: ReversibleBridge,
    private readonly symbols: InferiorSymbols,
    private readonly persistent: PersistentStore,
    private readonly host: ScopeHost = { images: [] },
  ) {
    const image = frame.image;
    this.image = image;
    this.dwarf = image?.dwarf;
    const at = image?.functionAt(frame.lookupPc);
    this.unit = at?.unit;
    this.chain = frame.scopes ?? at?.scopes ?? [];
  }

  /** The images whose DWARF is searched after the frame's own, in load order. */
  private otherImages(): ImageInfo[] {
    return this.host.images.filter((i) => i !== this.image && i.image !== this.image?.image && i.dwarf !== undefined);
  }

  lookup(name: string): ScopeEntity | undefined {
    // `$` names come and go with every kept result; the scope outlives them (one per stop).
    if (name.startsWith("$")) return this.persistent.lookup(name);
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const e = this.find(name);
    this.cache.set(name, e ?? null);
    return e;
  }

  typedef(name: string): CType | undefined {
    // The parser asks for every identifier it meets: answers are kept with the scope (one per stop).
    const hit = this.typedefs.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const t = this.findTypedef(name);
    this.typedefs.set(name, t ?? null);
    return t;
  }

  private findTypedef(name: string): CType | undefined {
    const own = this.persistent.typedef(name);
    if (own) return own;
    // Typedef names and variables share C's ordinary identifiers: a name the frame's unit does not
    // declare as a type but that names a variable, function or enumerator here is no type name,
    // whatever another unit calls it (and no other unit's type tables need building to know).
    if (this.dwarf && this.unit && !this.dwarf.model(this.unit)?.types.has(name) && this.namesAnObject(name)) return undefined;
    let t = this.dwarf?.findType(name, this.unit);
    for (const other of this.otherImages()) {
      if (t?.kind === "typedef") break;
      t = other.dwarf!.findType(name);
    }
    return t?.kind === "typedef" ? this.bridge.toC(t) : undefined;
  }

  /** Whether `name` resolves to something other than a type here (an error resolving it: not known). */
  private namesAnObject(name: string): boolean {
    try {
      return this.lookup(name) !== undefined;
    } catch (e) {
      if (e instanceof JitdbgError) return false;
      throw e;
    }
  }

  tag(kind: TagKind, name: string): CType | undefined {
    const own = this.persistent.tag(kind, name);
    if (own) return own;
    let t = this.dwarf?.findType(`${kind} ${name}`, this.unit);
    for (const other of this.otherImages()) {
      if (t) break;
      t = other.dwarf!.findType(`${kind} ${name}`);
    }
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
    yield* this.persistent.tagNames(kind);
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
      if (v) return v.kind === "static-local" && this.image ? this.staticVariable(v, this.image) : this.frameVariable(v);
    }
    // The console's own globals and enumerators: as if declared at file scope, locals shadow them.
    const declared = this.persistent.declared(name);
    if (declared) return declared;
    const mine = this.image && this.dwarf ? this.fromDwarf(name, this.image, this.dwarf, this.unit) : undefined;
    if (mine) return mine;
    const en = this.enumeratorMap().get(name);
    if (en) return { kind: "enumerator", value: en.value, type: en.type };
    for (const other of this.otherImages()) {
      const e = this.fromDwarf(name, other, other.dwarf!, undefined);
      if (e) return e;
    }
    if (name === "errno") {
      const e = this.errno();
      if (e) return e;
    }
    switch (this.symbols.elfKind(name)) {
      case "function": return { kind: "function", symbol: name, type: undefined };
      case "data": return { kind: "variable", type: undefined, location: { kind: "global", symbol: name } };
      case "tls": return { kind: "variable", type: undefined, location: { kind: "tls", symbol: name } };
      default: return undefined;
    }
  }

  /** A global variable or function of one image's DWARF (`unit` first: the frame's statics). */
  private fromDwarf(name: string, image: ImageInfo, dwarf: Dwarf, unit: Unit | undefined): ScopeEntity | undefined {
    const g = dwarf.findGlobalVariable(name, unit);
    if (g) return this.staticVariable(g, image);
    const fn = dwarf.findFunction(name);
    return fn ? this.function(fn, image) : undefined;
  }

  /**
   * `errno`: C's macro reads the C library's thread-local errno (`*__errno_location()`); glibc
   * exports it as a TLS symbol (libc.so.6: errno@GLIBC_PRIVATE, a static libc: errno), which
   * compiled code reaches like any thread-local variable.
   */
  private errno(): ScopeEntity | undefined {
    if (this.symbols.elfKind("errno") !== "tls") return undefined;
    return { kind: "variable", type: T.int, location: { kind: "tls", symbol: "errno" } };
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
    } catch (e) {
      if (isDwarfError(e)) return false; // a location expression the reader cannot evaluate: no address
      throw e;
    }
  }

  private staticVariable(v: Variable, image: ImageInfo): ScopeEntity {
    const type = this.bridge.toC(v.type);
    const ownImage = image === this.image;
    if (v.isTls) {
      const offset = this.tlsOffset(v);
      if (offset === undefined) {
        if (ownImage) return this.frameVariable(v);
        throw new JitdbgError("EVAL_TLS_LOCATION", `the thread-local variable '${v.name}' of ${image.name} has a location expression the debugger cannot turn into a block offset; select a frame in ${image.name} to read it`);
      }
      const size = BigInt(v.type.byteSize ?? 0);
      if (this.host.tlsModule) {
        const moduleId = this.host.tlsModule(image);
        if (moduleId === undefined) {
          throw new JitdbgError("EVAL_TLS_UNAVAILABLE", `the thread-local variable '${v.name}' of ${image.name} has no block in this thread yet (the loader allocates it on first use); continue until ${image.name} has used its thread-locals and evaluate again`);
        }
        return { kind: "variable", type, location: { kind: "tls", symbol: this.symbols.tlsAt(offset, size, moduleId) } };
      }
      const elf = this.symbols.lookup(v.name);
      const symbol = elf?.tls && elf.tls.offset === offset ? v.name : this.symbols.tlsAt(offset, size);
      return { kind: "variable", type, location: { kind: "tls", symbol } };
    }
    const linkAddr = v.staticAddress;
    if (linkAddr === undefined) {
      if (ownImage) return this.frameVariable(v); // a constant or computed location
      throw new JitdbgError("EVAL_LOCATION", `'${v.name}' of ${image.name} has a computed location; select a frame in ${image.name} to use it`);
    }
    const address = linkAddr + image.bias;
    const bound = this.symbols.addressOf(v.name);
    // An external variable of a library is the object the dynamic linker bound the name to: for a
    // PIE program that uses it, the program's copy (R_X86_64_COPY), not the library's original.
    const interposed = this.host.dynamic === true && v.isExternal && bound !== undefined && this.symbols.elfKind(v.name) === "data";
    const symbol = bound === address || interposed ? v.name : this.symbols.atAddress(address, BigInt(v.type.byteSize ?? 0));
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
    } catch (e) {
      // Past the TLS operator the expression may need what this context lacks; the offset is known by then.
      if (isDwarfError(e)) return offset;
      throw e;
    }
    return offset;
  }

  private function(fn: FunctionScope, image: ImageInfo): ScopeEntity | undefined {
    const bias = image.bias;
    const t = image.dwarf!.typeOf(fn.die);
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
    if (this.dwarf) for (const e of enumerators(this.dwarf, this.unit)) if (!out.has(e.name)) out.set(e.name, { value: e.value, type: this.bridge.toC(e.type) });
    this.enumerators = out;
    return out;
  }
}
