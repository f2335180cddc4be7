/**
 * The program model of one unit: functions (with parameters, locals, nested lexical blocks and
 * inlined calls), global and static variables, and named types. Built from the unit's DIE tree the
 * first time something asks for it.
 */
import { DW_AT, DW_TAG } from "./constants.js";
import type { Die } from "./die.js";
import { OP } from "./expr-ops.js";
import type { LineProgramHeader } from "./line-header.js";
import { selectLocation, type LocationListEntry } from "./loclists.js";
import { rangesContain, type AddressRange } from "./ranges.js";
import type { DwarfType, TypeFactory } from "./types.js";
import type { Unit } from "./unit.js";

export interface SourcePosition {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column?: number;
}

/** Where a variable lives, before evaluation. */
export type VariableLocation =
  | { kind: "expr"; expr: Uint8Array }
  | { kind: "list"; entries: LocationListEntry[] }
  | { kind: "const"; value: bigint | Uint8Array }
  | { kind: "none" };

export type VariableKind = "parameter" | "local" | "static-local" | "global" | "static-global";

export interface ModelContext {
  readonly types: TypeFactory;
  /** The unit's line program header (for DW_AT_decl_file / DW_AT_call_file), if any. */
  lineHeader(unit: Unit): LineProgramHeader | undefined;
}

export class Variable {
  private typeCache: DwarfType | undefined;
  constructor(
    readonly die: Die,
    readonly name: string,
    readonly kind: VariableKind,
    readonly location: VariableLocation,
    private readonly ctx: ModelContext,
  ) {}

  get type(): DwarfType {
    this.typeCache ??= this.ctx.types.typeOfAttr(this.die);
    return this.typeCache;
  }

  /** Thread-local: the location ends with DW_OP_form_tls_address / DW_OP_GNU_push_tls_address. */
  get isTls(): boolean {
    if (this.location.kind !== "expr") return false;
    const last = this.location.expr[this.location.expr.length - 1];
    return last === OP.form_tls_address || last === OP.GNU_push_tls_address;
  }

  get isExternal(): boolean {
    return isExternal(this.die);
  }

  get declaration(): SourcePosition {
    return declPosition(this.die, this.ctx);
  }

  /** The location expression that applies at `pc` (location lists are selected by pc). */
  locationAt(pc: bigint | undefined): Uint8Array | undefined {
    if (this.location.kind === "expr") return this.location.expr;
    if (this.location.kind === "list") return pc === undefined ? undefined : selectLocation(this.location.entries, pc);
    return undefined;
  }

  /** For static storage: the address when the location is a plain DW_OP_addr or DW_OP_addrx. */
  get staticAddress(): bigint | undefined {
    if (this.location.kind !== "expr") return undefined;
    const e = this.location.expr;
    if (e.length === 9 && e[0] === OP.addr) {
      let v = 0n;
      for (let i = 8; i >= 1; i--) v = (v << 8n) | BigInt(e[i]!);
      return v;
    }
    if (e[0] === OP.addrx || e[0] === OP.GNU_addr_index) {
      let index = 0;
      let mul = 1;
      for (let i = 1; i < e.length; i++) {
        index += (e[i]! & 0x7f) * mul;
        mul *= 128;
        if ((e[i]! & 0x80) === 0) return i === e.length - 1 ? this.die.unit.addrx(index) : undefined;
      }
    }
    return undefined;
  }
}

export type ScopeKind = "function" | "block" | "inlined";

export class Scope {
  readonly variables: Variable[] = [];
  readonly children: Scope[] = [];
  constructor(
    readonly kind: ScopeKind,
    readonly die: Die,
    /** Code ranges; empty for a block without its own ranges (then it spans its parent). */
    readonly ranges: AddressRange[],
    readonly parent: Scope | undefined,
  ) {}

  contains(pc: bigint): boolean {
    return this.ranges.length === 0 ? (this.parent?.contains(pc) ?? false) : rangesContain(this.ranges, pc);
  }

  get parameters(): Variable[] {
    return this.variables.filter((v) => v.kind === "parameter");
  }

  /** Innermost scope chain at pc, this scope last. */
  chainAt(pc: bigint): Scope[] {
    for (const c of this.children) {
      if (c.ranges.length > 0 && c.contains(pc)) return [...c.chainAt(pc), this];
    }
    // Blocks without ranges: descend, their variables are visible throughout the parent (gdb
    // merges them into the enclosing block), so they are on the chain even when nothing deeper is.
    const rangeless = this.children.filter((c) => c.ranges.length === 0 && c.kind === "block");
    for (const c of rangeless) {
      const inner = c.chainAt(pc);
      if (inner.length > 1) return [...inner, this];
    }
    return [...rangeless.filter((c) => c.variables.length > 0), this];
  }
}

export class FunctionScope extends Scope {
  constructor(
    die: Die,
    ranges: AddressRange[],
    readonly name: string,
    private readonly ctx: ModelContext,
  ) {
    super("function", die, ranges, undefined);
  }

  get linkageName(): string | undefined {
    const f = this.die.inherited(DW_AT.linkage_name) ?? this.die.inherited(DW_AT.MIPS_linkage_name);
    return f ? f.die.unit.string(f.value) : undefined;
  }

  /** Entry address: DW_AT_entry_pc, else DW_AT_low_pc, else the lowest range start. */
  get entryPc(): bigint {
    const e = this.die.attr(DW_AT.entry_pc) ?? this.die.attr(DW_AT.low_pc);
    const a = e ? this.die.unit.address(e) : undefined;
    if (a !== undefined) return a;
    return this.ranges.reduce((m, r) => (r.low < m ? r.low : m), this.ranges[0]?.low ?? 0n);
  }

  get lowPc(): bigint {
    return this.ranges.reduce((m, r) => (r.low < m ? r.low : m), this.ranges[0]?.low ?? 0n);
  }

  get highPc(): bigint {
    return this.ranges.reduce((m, r) => (r.high > m ? r.high : m), 0n);
  }

  /** DW_AT_frame_base: an expression (or list) that computes the base for DW_OP_fbreg. */
  get frameBase(): VariableLocation {
    return readLocation(this.die, DW_AT.frame_base);
  }

  get isExternal(): boolean {
    return isExternal(this.die);
  }

  get declaration(): SourcePosition {
    return declPosition(this.die, this.ctx);
  }

  get returnType(): DwarfType {
    return this.ctx.types.typeOfAttr(this.die);
  }

  /** Static locals of the function and its blocks. */
  get staticLocals(): Variable[] {
    const out: Variable[] = [];
    const walk = (s: Scope): void => {
      for (const v of s.variables) if (v.kind === "static-local") out.push(v);
      for (const c of s.children) if (c.kind === "block") walk(c);
    };
    walk(this);
    return out;
  }
}

export class InlinedScope extends Scope {
  constructor(
    die: Die,
    ranges: AddressRange[],
    parent: Scope,
    /** Name of the inlined function (from its abstract origin). */
    readonly name: string,
    /** Where the call was written. */
    readonly call: SourcePosition,
  ) {
    super("inlined", die, ranges, parent);
  }
}

export interface UnitModel {
  readonly unit: Unit;
  readonly functions: FunctionScope[];
  /** File-scope variables (extern and static), with definitions merged with their declarations. */
  readonly globals: Variable[];
  /** Named types by C name ("struct item", "enum color", "myint", "int"), first definition wins. */
  readonly types: Map<string, Die>;
}

export function buildUnitModel(unit: Unit, ctx: ModelContext): UnitModel {
  const root = unit.tree();
  const model: UnitModel = { unit, functions: [], globals: [], types: new Map() };
  const visitTop = (die: Die): void => {
    for (const c of die.children) {
      switch (c.tag) {
        case DW_TAG.subprogram: {
          const fn = buildFunction(c, ctx);
          if (fn) model.functions.push(fn);
          break;
        }
        case DW_TAG.variable: {
          if (c.flag(DW_AT.declaration)) break;
          const name = c.name;
          if (!name) break;
          const loc = readLocation(c, DW_AT.location);
          const constV = constLocation(c);
          const v = new Variable(c, name, isExternal(c) ? "global" : "static-global", loc.kind === "none" && constV ? constV : loc, ctx);
          model.globals.push(v);
          break;
        }
        case DW_TAG.namespace:
        case DW_TAG.module:
          visitTop(c);
          break;
        default:
          break;
      }
      indexType(c, model.types);
    }
  };
  visitTop(root);
  return model;
}

function indexType(c: Die, types: Map<string, Die>): void {
  const name = c.name;
  if (!name) return;
  let key: string | undefined;
  switch (c.tag) {
    case DW_TAG.structure_type: key = `struct ${name}`; break;
    case DW_TAG.union_type: key = `union ${name}`; break;
    case DW_TAG.class_type: key = `class ${name}`; break;
    case DW_TAG.enumeration_type: key = `enum ${name}`; break;
    case DW_TAG.typedef: case DW_TAG.base_type: case DW_TAG.unspecified_type: key = name; break;
    default: return;
  }
  const prev = types.get(key);
  // Prefer a full definition over a declaration.
  if (!prev || (prev.flag(DW_AT.declaration) && !c.flag(DW_AT.declaration))) types.set(key, c);
}

function isExternal(d: Die): boolean {
  const v = d.inherited(DW_AT.external)?.value;
  return v?.kind === "flag" && v.value;
}

function buildFunction(die: Die, ctx: ModelContext): FunctionScope | undefined {
  if (die.flag(DW_AT.declaration)) return undefined;
  const ranges = die.unit.ranges(die);
  if (ranges.length === 0) return undefined; // abstract instance or declaration: no code
  const fn = new FunctionScope(die, ranges, die.name ?? "<anonymous>", ctx);
  fillScope(fn, die, ctx);
  return fn;
}

function fillScope(scope: Scope, die: Die, ctx: ModelContext): void {
  fillChildren(scope, die, ctx);
  inheritAbstractVariables(scope, die, ctx);
}

/**
 * A concrete instance (out-of-line copy or inlined call) lists only the parameters and variables
 * the compiler kept; the others exist only in the abstract origin. Like gdb, show them too — as
 * variables without a location ("optimized out").
 */
function inheritAbstractVariables(scope: Scope, die: Die, ctx: ModelContext): void {
  if (scope.kind === "block" || !die.has(DW_AT.abstract_origin)) return;
  const origin = die.origin();
  if (!origin) return;
  const concrete = new Set<number>();
  for (const c of die.children) {
    const o = c.ref(DW_AT.abstract_origin);
    if (o) concrete.add(o.offset);
  }
  for (const c of origin.children) {
    if ((c.tag !== DW_TAG.formal_parameter && c.tag !== DW_TAG.variable) || concrete.has(c.offset)) continue;
    const name = c.name;
    if (!name || scope.variables.some((v) => v.name === name)) continue;
    if (c.has(DW_AT.location) || c.has(DW_AT.const_value)) continue; // static storage: kept by its own DIE
    scope.variables.push(new Variable(c, name, c.tag === DW_TAG.formal_parameter ? "parameter" : "local", { kind: "none" }, ctx));
  }
}

function fillChildren(scope: Scope, die: Die, ctx: ModelContext): void {
  for (const c of die.children) {
    switch (c.tag) {
      case DW_TAG.formal_parameter:
      case DW_TAG.variable: {
        if (c.flag(DW_AT.declaration) && !c.has(DW_AT.location)) break;
        const name = c.name;
        if (!name) break;
        const loc = readLocation(c, DW_AT.location);
        const constV = constLocation(c);
        const location = loc.kind === "none" && constV ? constV : loc;
        let kind: VariableKind = c.tag === DW_TAG.formal_parameter ? "parameter" : "local";
        if (kind === "local" && location.kind === "expr" && isStaticStorage(location.expr)) kind = "static-local";
        scope.variables.push(new Variable(c, name, kind, location, ctx));
        break;
      }
      case DW_TAG.lexical_block: {
        const b = new Scope("block", c, c.unit.ranges(c), scope);
        fillScope(b, c, ctx);
        scope.children.push(b);
        break;
      }
      case DW_TAG.inlined_subroutine: {
        const ranges = c.unit.ranges(c);
        const callFile = c.num(DW_AT.call_file);
        const hdr = ctx.lineHeader(c.unit);
        const call: SourcePosition = {
          file: callFile !== undefined ? hdr?.files[callFile]?.path : undefined,
          line: c.num(DW_AT.call_line),
          column: c.num(DW_AT.call_column),
        };
        const s = new InlinedScope(c, ranges, scope, c.name ?? "<inlined>", call);
        fillScope(s, c, ctx);
        scope.children.push(s);
        break;
      }
      default:
        break;
    }
  }
}

/** DW_OP_addr X (optionally followed by more ops, e.g. TLS) — storage that is not on the stack. */
function isStaticStorage(e: Uint8Array): boolean {
  if (e[0] === OP.addr || e[0] === OP.addrx) return true;
  const last = e[e.length - 1];
  return last === OP.form_tls_address || last === OP.GNU_push_tls_address;
}

export function readLocation(die: Die, at: number): VariableLocation {
  const v = die.attr(at);
  if (!v) return { kind: "none" };
  if (v.kind === "block") return { kind: "expr", expr: v.bytes };
  const list = die.unit.locationList(v);
  return list ? { kind: "list", entries: list } : { kind: "none" };
}

function constLocation(die: Die): VariableLocation | undefined {
  const v = die.attr(DW_AT.const_value);
  if (!v) return undefined;
  if (v.kind === "constant") return { kind: "const", value: v.value };
  if (v.kind === "block" || v.kind === "data16") return { kind: "const", value: v.bytes };
  if (v.kind === "string" || v.kind === "strp" || v.kind === "strx") {
    const s = die.unit.string(v) ?? "";
    return { kind: "const", value: new Uint8Array([...Buffer.from(s, "utf8"), 0]) };
  }
  return undefined;
}

function declPosition(die: Die, ctx: ModelContext): SourcePosition {
  const f = die.inherited(DW_AT.decl_file);
  const l = die.inherited(DW_AT.decl_line);
  const fileIndex = f?.value.kind === "constant" ? Number(f.value.value) : undefined;
  const hdr = f ? ctx.lineHeader(f.die.unit) : undefined;
  return {
    file: fileIndex !== undefined ? hdr?.files[fileIndex]?.path : undefined,
    line: l?.value.kind === "constant" ? Number(l.value.value) : undefined,
  };
}
