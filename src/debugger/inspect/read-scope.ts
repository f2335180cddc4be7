/**
 * What the side-effect-free interpreter (src/expr/interpret.ts) sees of a stopped frame: the
 * front end's Scope (locals, arguments, the unit's globals and thread-locals, other globals of the
 * frame's image, enumerators, globals of the other loaded images, functions, typedef and tag
 * names), and the InterpreterReader that says where each name lives now — every variable through
 * its DWARF location in this frame (FrameValues), registers from the frame, functions at their
 * entry. No JIT runtime is needed, so it works before the program's thread exists.
 */
import { enumerators, type Dwarf, type Unit, type Variable } from "../../dwarf/index.js";
import type { ArgSlot } from "../../expr/check.js";
import type { DwarfTypeBridge } from "../../expr/dwarf-bridge.js";
import type { InterpreterReader } from "../../expr/interpret.js";
import type { Scope, ScopeEntity } from "../../expr/scope.js";
import type { CType, FunctionType } from "../../expr/types.js";
import type { MemoryReader, Value, ValueLocation } from "../../values/value.js";
import type { ImageInfo } from "../image-info.js";
import type { Frame } from "./stack.js";

/** The few things the scope needs from the debugger. */
export interface ReadScopeHost {
  memory: MemoryReader;
  /** Every loaded image (the frame's own included), searched after the frame's image. */
  images: readonly ImageInfo[];
  /** The variables the frame's scopes show: locals, arguments, the unit's globals and thread-locals. */
  scoped: readonly Variable[];
  /** A variable's value in this frame, read as an image's variable (its bias, its TLS block). */
  read(v: Variable, image: ImageInfo | undefined): Value;
  /** A register (`rax`, `fs_base`) as the frame sees it; undefined when not saved. */
  register(name: string): bigint | undefined;
}

type TagKind = "struct" | "union" | "enum";

export class FrameReadScope implements Scope, InterpreterReader {
  private readonly values = new Map<string, Value>();
  private readonly functions = new Map<string, bigint>();
  private readonly image: ImageInfo | undefined;
  private readonly dwarf: Dwarf | undefined;
  private readonly unit: Unit | undefined;

  constructor(
    frame: Frame,
    private readonly bridge: DwarfTypeBridge,
    private readonly host: ReadScopeHost,
  ) {
    this.image = frame.image;
    this.dwarf = frame.image?.dwarf;
    this.unit = frame.image?.functionAt(frame.lookupPc)?.unit;
  }

  // ---- Scope

  lookup(name: string): ScopeEntity | undefined {
    if (name.startsWith("$")) return undefined; // registers: the checker's own
    const v = this.host.scoped.find((x) => x.name === name) ?? this.dwarf?.findGlobalVariable(name, this.unit);
    if (v) return this.variable(name, v, this.image);
    const e = this.enumerator(name);
    if (e) return e;
    for (const other of this.others()) {
      const g = other.dwarf!.findGlobalVariable(name);
      if (g) return this.variable(name, g, other);
    }
    for (const image of [this.image, ...this.others()]) {
      const fn = image?.dwarf?.findFunction(name);
      if (!image || !fn || fn.ranges.length === 0) continue;
      this.functions.set(name, fn.entryPc + image.bias);
      return { kind: "function", symbol: name, type: this.bridge.toC(image.dwarf!.typeOf(fn.die)) as FunctionType };
    }
    return undefined;
  }

  typedef(name: string): CType | undefined {
    for (const d of this.dwarfs()) {
      const t = d.findType(name, d === this.dwarf ? this.unit : undefined);
      if (t?.kind === "typedef") return this.bridge.toC(t);
    }
    return undefined;
  }

  tag(kind: TagKind, name: string): CType | undefined {
    for (const d of this.dwarfs()) {
      const t = d.findType(`${kind} ${name}`, d === this.dwarf ? this.unit : undefined);
      if (t) return this.bridge.toC(t);
    }
    return undefined;
  }

  *names(): Iterable<string> {
    for (const v of this.host.scoped) yield v.name;
  }

  *tagNames(kind: TagKind): Iterable<string> {
    const model = this.unit ? this.dwarf?.model(this.unit) : undefined;
    if (!model) return;
    for (const k of model.types.keys()) if (k.startsWith(`${kind} `)) yield k.slice(kind.length + 1);
  }

  // ---- InterpreterReader

  read(address: bigint, size: number): Uint8Array | undefined {
    return this.host.memory.read(address, size);
  }

  slot(slot: ArgSlot): ValueLocation {
    const reg = slot.location.kind === "value" ? slot.location.register : undefined;
    if (reg !== undefined && slot.name.startsWith("$")) {
      const v = this.host.register(reg);
      if (v === undefined) return { kind: "error", message: `register ${slot.name} is not known in this frame (not saved by its callee)` };
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
      return { kind: "bytes", bytes };
    }
    return this.values.get(slot.name)?.location ?? { kind: "error", message: `'${slot.name}' has no value here` };
  }

  symbol(name: string): bigint | undefined {
    return this.functions.get(name);
  }

  tls(): bigint | undefined {
    return undefined; // thread-locals are read through their DWARF locations (slot)
  }

  // ---- internals

  private variable(name: string, v: Variable, image: ImageInfo | undefined): ScopeEntity {
    const value = this.host.read(v, image);
    this.values.set(name, value);
    return { kind: "variable", type: this.bridge.toC(v.type), location: value.location.kind === "memory" ? { kind: "frame" } : { kind: "value" } };
  }

  private others(): ImageInfo[] {
    return this.host.images.filter((i) => i !== this.image && i.dwarf !== undefined);
  }

  private dwarfs(): Dwarf[] {
    return [this.dwarf, ...this.others().map((i) => i.dwarf)].filter((d): d is Dwarf => d !== undefined);
  }

  /** Enumerators of the frame's unit first, then of the image's other units. */
  private enumerator(name: string): ScopeEntity | undefined {
    if (!this.dwarf) return undefined;
    for (const e of enumerators(this.dwarf, this.unit)) if (e.name === name) return { kind: "enumerator", value: e.value, type: this.bridge.toC(e.type) };
    return undefined;
  }
}
