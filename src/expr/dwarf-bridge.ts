/**
 * Bridges src/dwarf's type model (lazy, DIE-backed) into the compiler's plain C types. Records are
 * created before their members so recursive types terminate; each DWARF type maps to one C type.
 */
import type { DwarfType } from "../dwarf/types.js";
import { T, complexOf, type CType, type FloatType, type IntType, type RecordType } from "./types.js";

const floatOfSize = (size: number): FloatType => (size === 4 ? T.float : size === 8 ? T.double : T.ldouble);

const INT_BY_NAME: Record<string, IntType> = {
  "_Bool": T.bool, "bool": T.bool, "char": T.char, "signed char": T.schar, "unsigned char": T.uchar,
  "short": T.short, "short int": T.short, "unsigned short": T.ushort, "short unsigned int": T.ushort,
  "int": T.int, "unsigned int": T.uint, "unsigned": T.uint, "long": T.long, "long int": T.long,
  "unsigned long": T.ulong, "long unsigned int": T.ulong, "long long": T.llong, "long long int": T.llong,
  "unsigned long long": T.ullong, "long long unsigned int": T.ullong,
};

function intBySize(size: number, signed: boolean): IntType {
  switch (size) {
    case 1: return signed ? T.schar : T.uchar;
    case 2: return signed ? T.short : T.ushort;
    case 4: return signed ? T.int : T.uint;
    default: return signed ? T.long : T.ulong;
  }
}

export class DwarfTypeBridge {
  private readonly cache = new Map<DwarfType, CType>();

  toC(t: DwarfType): CType {
    const hit = this.cache.get(t);
    if (hit) return hit;
    const out = this.build(t);
    this.cache.set(t, out);
    return out;
  }

  private build(t: DwarfType): CType {
    switch (t.kind) {
      case "void": return T.void;
      case "unspecified": return T.void;
      case "base": {
        if (t.isFloat) return floatOfSize(t.size);
        if (t.isComplex) return complexOf(floatOfSize(t.size / 2));
        if (t.isBool) return T.bool;
        const named = INT_BY_NAME[t.typeName];
        if (named && named.size === t.size) return named;
        return { ...intBySize(t.size, t.isSigned), name: t.typeName };
      }
      case "pointer": case "reference": case "rvalue-reference": {
        // Placeholder first: a pointer to a record that points back must not recurse forever.
        const p: { kind: "pointer"; to: CType } = { kind: "pointer", to: T.void };
        this.cache.set(t, p);
        p.to = this.toC(t.target);
        return p;
      }
      case "const": case "volatile": case "restrict": case "atomic": return this.toC(t.target);
      case "typedef": return { kind: "typedef", name: t.typedefName, target: this.toC(t.target) };
      case "struct": case "union": case "class": {
        const rec: RecordType = { kind: t.kind === "union" ? "union" : "struct", tag: t.tagName, members: [], size: t.byteSize, incomplete: t.isDeclaration };
        this.cache.set(t, rec);
        rec.members = t.members.map((m) => ({
          name: m.name,
          type: this.toC(m.type),
          offset: m.byteOffset ?? 0,
          ...(m.bitSize !== undefined ? { bitSize: m.bitSize, bitOffset: m.bitOffset ?? 0 } : {}),
        }));
        return rec;
      }
      case "enum": {
        const under = t.underlying;
        const u = under ? this.toC(under) : undefined;
        const underlying = u?.kind === "int" ? u : t.enumerators.some((e) => e.value < 0n) ? T.int : T.uint;
        return { kind: "enum", tag: t.tagName, enumerators: t.enumerators.map((e) => ({ name: e.name, value: e.value })), underlying };
      }
      case "array": {
        let c: CType = this.toC(t.element);
        for (let i = t.dimensions.length - 1; i >= 0; i--) c = { kind: "array", of: c, count: t.dimensions[i] };
        return c;
      }
      case "function":
        return { kind: "function", ret: this.toC(t.returnType), params: t.params.map((p) => this.toC(p)), variadic: t.variadic, prototyped: t.prototyped };
    }
  }
}
