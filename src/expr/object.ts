/**
 * Packs generated code into an ELF relocatable object laid out as gcc does, less its empty
 * sections: .text, .rodata (when there are constants), .eh_frame, .note.GNU-stack, with
 * undefined symbols for everything the code refers to outside itself (TLS ones typed STT_TLS, as
 * linkers check).
 */
import * as C from "../elf/constants.js";
import { writeRelocatable, type WriterSymbol } from "../elf/writer.js";
import type { Asm } from "./codegen/asm.js";
import { buildEhFrame } from "./codegen/eh-frame.js";
import type { FunctionCode } from "./codegen/x86_64.js";

export interface ObjectParts {
  asm: Asm;
  functions: FunctionCode[];
  rodata: number[];
  /** Functions visible to the linker (the entry, console function definitions). */
  exported: Set<string>;
  /** .text's alignment (default 16): a site form's, its size rounded up, keeps it in one page. */
  textAlign?: number;
}

export interface BuiltObject {
  bytes: Uint8Array;
  /** Symbols the object needs from outside (program globals, libc, __tls_get_addr). */
  externals: string[];
}

const TLS_RELOCS = new Set<number>([C.R_X86_64_TLSGD, C.R_X86_64_GOTTPOFF]);
const EMPTY = new Uint8Array(0);

export function buildObject(parts: ObjectParts): BuiltObject {
  const eh = buildEhFrame(parts.functions);
  const defined = new Set(parts.functions.map((f) => f.symbol));
  const undefinedSyms = new Map<string, number>();
  for (const r of parts.asm.relocs) {
    if (!("symbol" in r.target) || defined.has(r.target.symbol)) continue;
    const type = TLS_RELOCS.has(r.type) ? C.STT_TLS : C.STT_NOTYPE;
    if (undefinedSyms.get(r.target.symbol) !== C.STT_TLS) undefinedSyms.set(r.target.symbol, type);
  }
  const symbols: WriterSymbol[] = [
    ...parts.functions.map((f): WriterSymbol => ({
      name: f.symbol,
      bind: parts.exported.has(f.symbol) ? C.STB_GLOBAL : C.STB_LOCAL,
      type: C.STT_FUNC,
      section: ".text",
      value: BigInt(f.start),
      size: BigInt(f.size),
    })),
    ...[...undefinedSyms].map(([name, type]): WriterSymbol => ({ name, bind: C.STB_GLOBAL, type, section: undefined, value: 0n, size: 0n })),
  ];
  const bytes = writeRelocatable({
    fileName: "<jitdbg-expr>",
    // The code never has writable data of its own (console globals live in the persistent
    // store): no .data or .bss, and .rodata only when there are constants; an empty section would
    // only cost the linker a section to parse, place and write at every evaluation.
    sections: [
      { name: ".text", type: C.SHT_PROGBITS, flags: C.SHF_ALLOC | C.SHF_EXECINSTR, data: new Uint8Array(parts.asm.bytes), align: parts.textAlign ?? 16, relocations: parts.asm.relocs },
      ...(parts.rodata.length > 0 ? [{ name: ".rodata", type: C.SHT_PROGBITS, flags: C.SHF_ALLOC, data: new Uint8Array(parts.rodata), align: 16 }] : []),
      { name: ".eh_frame", type: C.SHT_PROGBITS, flags: C.SHF_ALLOC, data: eh.bytes, align: 8, relocations: eh.relocs },
      { name: ".note.GNU-stack", type: C.SHT_PROGBITS, flags: 0, data: EMPTY, align: 1 },
    ],
    symbols,
  });
  return { bytes, externals: [...undefinedSyms.keys()] };
}
