/**
 * Struct and union layout as the System V x86-64 ABI (and gcc) lays them out, for types defined in
 * the console: each member at the next offset aligned for its type; a bit-field in the storage
 * unit of its declared type where it fits, else at the start of the next one; a zero-width
 * bit-field closes the unit; unnamed bit-fields do not align the whole. The size is rounded up to
 * the alignment.
 */
import { exprError } from "./errors.js";
import { alignOf, sizeOf, typeName, unqual, type CType, type Member, type RecordType } from "./types.js";

export interface MemberDecl {
  name: string | undefined;
  type: CType;
  /** A bit-field's width. */
  bits?: number;
  pos: number;
}

/** Fills in `rec`'s members and size from the declarations, in order. */
export function layOut(rec: RecordType, decls: readonly MemberDecl[]): void {
  const members: Member[] = [];
  let bit = 0; // next free bit (structs)
  let size = 0; // bytes (unions)
  let align = 1;
  for (const d of decls) {
    const s = sizeOf(d.type);
    const u = unqual(d.type);
    if (s === undefined || u.kind === "void" || u.kind === "function") throw exprError("EXPR_TYPE", `member '${d.name ?? "<anonymous>"}' has the incomplete type '${typeName(d.type)}'`, d.pos);
    const a = alignOf(d.type);
    if (d.bits !== undefined) {
      if (u.kind !== "int" && u.kind !== "enum") throw exprError("EXPR_TYPE", `bit-field '${d.name ?? "<anonymous>"}' has the non-integer type '${typeName(d.type)}'`, d.pos);
      if (d.bits < 0 || d.bits > s * 8) throw exprError("EXPR_TYPE", `the width of bit-field '${d.name ?? "<anonymous>"}' (${d.bits} bits) exceeds its type '${typeName(d.type)}' (${s * 8} bits)`, d.pos);
      if (d.bits === 0 && d.name !== undefined) throw exprError("EXPR_TYPE", `named bit-field '${d.name}' has zero width`, d.pos);
      const unit = s * 8;
      const start = rec.kind === "union" ? 0 : d.bits === 0 || Math.floor(bit / unit) !== Math.floor((bit + d.bits - 1) / unit) ? Math.ceil(bit / unit) * unit : bit;
      if (d.name !== undefined) {
        members.push({ name: d.name, type: d.type, offset: Math.floor(start / unit) * s, bitOffset: start, bitSize: d.bits });
        align = Math.max(align, a);
      }
      bit = start + d.bits;
      size = Math.max(size, Math.ceil(d.bits / 8));
      continue;
    }
    const offset = rec.kind === "union" ? 0 : Math.ceil(Math.ceil(bit / 8) / a) * a;
    members.push({ name: d.name, type: d.type, offset });
    bit = (offset + s) * 8;
    size = Math.max(size, s);
    align = Math.max(align, a);
  }
  const used = rec.kind === "union" ? size : Math.ceil(bit / 8);
  rec.members = members;
  rec.size = Math.ceil(used / align) * align;
  rec.incomplete = false;
}
