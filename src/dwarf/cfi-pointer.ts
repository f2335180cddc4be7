/** DW_EH_PE_* pointer encodings used by .eh_frame (and .eh_frame_hdr): format in the low nibble, base in the high. */
import { ByteReader } from "./byte-reader.js";
import { DwarfError, hex } from "./errors.js";

export const DW_EH_PE = {
  absptr: 0x00, uleb128: 0x01, udata2: 0x02, udata4: 0x03, udata8: 0x04, sleb128: 0x09, sdata2: 0x0a,
  sdata4: 0x0b, sdata8: 0x0c,
  pcrel: 0x10, textrel: 0x20, datarel: 0x30, funcrel: 0x40, aligned: 0x50,
  indirect: 0x80, omit: 0xff,
} as const;

export interface PointerBases {
  /** Load address of the first byte of the section being read (for pcrel). */
  readonly sectionAddress: bigint;
  /** Base for DW_EH_PE_textrel. */
  readonly textBase?: bigint;
  /** Base for DW_EH_PE_datarel (the .eh_frame_hdr or GOT address, depending on the user). */
  readonly dataBase?: bigint;
  /** Base for DW_EH_PE_funcrel (the FDE's initial location). */
  readonly funcBase?: bigint;
}

/** Size in bytes of the fixed formats; undefined for LEB128. */
function readFormat(r: ByteReader, format: number, addressSize: number): bigint {
  switch (format) {
    case DW_EH_PE.absptr: return r.unsigned(addressSize);
    case DW_EH_PE.uleb128: return r.uleb();
    case DW_EH_PE.udata2: return BigInt(r.u16());
    case DW_EH_PE.udata4: return BigInt(r.u32());
    case DW_EH_PE.udata8: return r.u64();
    case DW_EH_PE.sleb128: return r.sleb();
    case DW_EH_PE.sdata2: return BigInt(r.i16());
    case DW_EH_PE.sdata4: return BigInt(r.i32());
    case DW_EH_PE.sdata8: return r.i64();
    default:
      throw new DwarfError("DWARF_BAD_POINTER_ENCODING", r.whereAt(), `unknown pointer format ${hex(format)}${r.inRecord}`);
  }
}

/**
 * Reads a pointer with `encoding`, applying its base. Returns undefined for DW_EH_PE_omit.
 * DW_EH_PE_indirect is reported through `indirect` (the value is then the address of the pointer).
 */
export function readEncodedPointer(r: ByteReader, encoding: number, bases: PointerBases, addressSize = 8): { value: bigint; indirect: boolean } | undefined {
  if (encoding === DW_EH_PE.omit) return undefined;
  const fieldAt = r.pos;
  const raw = readFormat(r, encoding & 0x0f, addressSize);
  let base = 0n;
  switch (encoding & 0x70) {
    case 0: break;
    case DW_EH_PE.pcrel: base = bases.sectionAddress + BigInt(fieldAt); break;
    case DW_EH_PE.textrel: base = need(bases.textBase, "textrel", r, fieldAt); break;
    case DW_EH_PE.datarel: base = need(bases.dataBase, "datarel", r, fieldAt); break;
    case DW_EH_PE.funcrel: base = need(bases.funcBase, "funcrel", r, fieldAt); break;
    case DW_EH_PE.aligned:
      throw new DwarfError("DWARF_UNSUPPORTED", r.whereAt(fieldAt), `DW_EH_PE_aligned pointers are not supported${r.inRecord}`);
    default:
      throw new DwarfError("DWARF_BAD_POINTER_ENCODING", r.whereAt(fieldAt), `unknown pointer base ${hex(encoding & 0x70)}${r.inRecord}`);
  }
  const mask = addressSize === 8 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  return { value: (base + raw) & mask, indirect: (encoding & DW_EH_PE.indirect) !== 0 };
}

/** Reads a value with only the format part of `encoding` (FDE address ranges are never relative). */
export function readEncodedValue(r: ByteReader, encoding: number, addressSize = 8): bigint {
  return readFormat(r, encoding & 0x0f, addressSize);
}

function need(v: bigint | undefined, what: string, r: ByteReader, at: number): bigint {
  if (v === undefined) {
    throw new DwarfError("DWARF_POINTER_BASE", r.whereAt(at), `the pointer is ${what}-relative but no ${what} base was given${r.inRecord}; pass it in PointerBases`);
  }
  return v;
}
