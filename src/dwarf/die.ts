/** A debugging information entry: tag, attributes, tree links, with typed attribute accessors. */
import { DW_AT, DW_TAG, constantName } from "./constants.js";
import type { AttrValue } from "./forms.js";
import { signedConstant } from "./forms.js";
import type { ErrorWhere } from "../errors.js";
import { whereAt } from "./errors.js";
import type { Unit } from "./unit.js";

export interface Attribute {
  readonly at: number;
  readonly form: number;
  readonly value: AttrValue;
}

export class Die {
  parent: Die | undefined;
  readonly children: Die[] = [];

  constructor(
    readonly unit: Unit,
    /** Absolute offset in .debug_info. */
    readonly offset: number,
    readonly tag: number,
    readonly hasChildren: boolean,
    readonly attributes: readonly Attribute[],
  ) {}

  get tagName(): string {
    return constantName(DW_TAG, "DW_TAG", this.tag);
  }

  attr(at: number): AttrValue | undefined {
    for (const a of this.attributes) if (a.at === at) return a.value;
    return undefined;
  }

  has(at: number): boolean {
    return this.attributes.some((a) => a.at === at);
  }

  /** The attribute here, or on the DIE named by DW_AT_abstract_origin / DW_AT_specification. */
  inherited(at: number): { die: Die; value: AttrValue } | undefined {
    let d: Die | undefined = this;
    for (let hops = 0; d && hops < 8; hops++) {
      const v = d.attr(at);
      if (v !== undefined) return { die: d, value: v };
      d = d.origin();
    }
    return undefined;
  }

  /** DW_AT_abstract_origin or DW_AT_specification target. */
  origin(): Die | undefined {
    return this.ref(DW_AT.abstract_origin) ?? this.ref(DW_AT.specification);
  }

  /** The DIE an attribute of reference class points to (possibly in another unit). */
  ref(at: number): Die | undefined {
    const v = this.attr(at);
    if (!v || v.kind !== "ref") return undefined;
    return this.unit.info.dieAt(v.offset);
  }

  string(at: number): string | undefined {
    const v = this.attr(at);
    return v ? this.unit.string(v) : undefined;
  }

  /** DW_AT_name, following abstract origins and specifications. */
  get name(): string | undefined {
    const found = this.inherited(DW_AT.name);
    return found ? found.die.unit.string(found.value) : undefined;
  }

  flag(at: number): boolean {
    const v = this.attr(at);
    return v !== undefined && v.kind === "flag" && v.value;
  }

  /** Unsigned constant value, or undefined when absent or not a constant. */
  udata(at: number): bigint | undefined {
    const v = this.attr(at);
    return v && v.kind === "constant" ? v.value : undefined;
  }

  /** Signed constant value (fixed-size data forms sign-extended). */
  sdata(at: number): bigint | undefined {
    const v = this.attr(at);
    return v ? signedConstant(v) : undefined;
  }

  num(at: number): number | undefined {
    const v = this.udata(at);
    return v === undefined ? undefined : Number(v);
  }

  /** Type referenced by DW_AT_type, following origins. */
  typeDie(): Die | undefined {
    const found = this.inherited(DW_AT.type);
    if (!found || found.value.kind !== "ref") return undefined;
    return this.unit.info.dieAt(found.value.offset);
  }

  /** The DIE's place, for errors: the file, .debug_info and the DIE's offset. */
  get where(): ErrorWhere {
    return whereAt(this.unit.info.place, this.offset);
  }

  /** "DW_TAG_variable at 0x40": the DIE as messages name it (the file and section are in `where`). */
  get label(): string {
    return `${this.tagName} at 0x${this.offset.toString(16)}`;
  }

  toString(): string {
    return `${this.tagName} at ${this.unit.info.file} offset 0x${this.offset.toString(16)}`;
  }
}
