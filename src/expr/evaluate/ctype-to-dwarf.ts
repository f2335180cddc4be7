/**
 * The way back from the compiler's C types to the debugger's DWARF type model, so a compiled
 * result is formatted and expanded by the same code as a variable (values.ts). Types the bridge
 * made from DWARF map back to their original DwarfType (keeping typedef names, enum and struct
 * identity); types the compiler made (`int` of an addition, `struct item *` of `&x`) are built here
 * as DwarfTypes without a DIE (offset -1).
 */
import { DW_ATE } from "../../dwarf/constants.js";
import {
  ArrayType, BaseType, EnumType, FunctionType, PointerType, StructType, TypedefType, VoidType, type DwarfType, type Member,
} from "../../dwarf/types.js";
import { DwarfTypeBridge } from "../dwarf-bridge.js";
import type { CType } from "../types.js";

/** A DwarfTypeBridge that remembers, for each C type it made, the DWARF type it came from. */
export class ReversibleBridge extends DwarfTypeBridge {
  private readonly back = new Map<CType, DwarfType>();
  private readonly made = new Map<CType, DwarfType>();
  private readonly voidType = new VoidType(-1);

  override toC(t: DwarfType): CType {
    const c = super.toC(t);
    // Qualifiers are dropped by toC: keep the first (least qualified in practice) DWARF type.
    if (!this.back.has(c)) this.back.set(c, t);
    return c;
  }

  /** The DWARF type for a C type: the original when it came from DWARF, else a synthesized one. */
  toDwarf(c: CType): DwarfType {
    const known = this.back.get(c) ?? this.made.get(c);
    if (known) return known;
    const t = this.synthesize(c);
    this.made.set(c, t);
    return t;
  }

  private synthesize(c: CType): DwarfType {
    switch (c.kind) {
      case "void": return this.voidType;
      case "int": {
        const enc = c.bool ? DW_ATE.boolean : c.size === 1 && c.name.includes("char") ? (c.signed ? DW_ATE.signed_char : DW_ATE.unsigned_char) : c.signed ? DW_ATE.signed : DW_ATE.unsigned;
        return new BaseType(-1, c.name, c.size, enc);
      }
      case "float": return new BaseType(-1, c.name, c.size, DW_ATE.float);
      case "complex": return new BaseType(-1, `complex ${c.of.name}`, 2 * c.of.size, DW_ATE.complex_float);
      case "pointer": return new PointerType(-1, "pointer", () => this.toDwarf(c.to), 8);
      case "array": return new ArrayType(-1, () => this.toDwarf(c.of), [c.count], undefined);
      case "typedef": return new TypedefType(-1, c.name, () => this.toDwarf(c.target));
      case "enum": return new EnumType(-1, c.tag, c.underlying.size, c.enumerators, () => this.toDwarf(c.underlying));
      case "struct": case "union":
        return new StructType(-1, c.kind, c.tag, c.size, c.incomplete, () =>
          c.members.map((m): Member => ({ name: m.name, type: this.toDwarf(m.type), byteOffset: m.offset, ...(m.bitSize !== undefined ? { bitSize: m.bitSize, bitOffset: m.bitOffset } : {}) })),
        );
      case "function": return new FunctionType(-1, () => this.toDwarf(c.ret), () => c.params.map((p) => this.toDwarf(p)), c.variadic, c.prototyped);
    }
  }
}
