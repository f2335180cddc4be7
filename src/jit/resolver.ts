/**
 * Names JIT code may use from the inferior itself: the symbols of the host executable (.symtab, else
 * .dynsym) at their run-time addresses (value + load bias). TLS symbols resolve to {module 1, offset
 * in the PT_TLS block}, which the TLS runtime turns into a TP offset. Pluggable: the debugger can
 * offer DWARF-derived or shared-library symbols through the same interface.
 */
import type { ElfFile } from "../elf/reader.js";
import * as C from "../elf/constants.js";

export interface InferiorSymbol {
  address: bigint;
  size: bigint;
  /** For TLS variables: offset in the module's TLS block and that module's id (1: the executable). */
  tls?: { moduleId: number; offset: bigint };
}

export interface SymbolResolver {
  lookup(name: string): InferiorSymbol | undefined;
}

export class ElfSymbolResolver implements SymbolResolver {
  private readonly byName = new Map<string, InferiorSymbol>();

  constructor(elf: ElfFile, bias = 0n) {
    const syms = elf.symbols().length > 0 ? elf.symbols() : elf.dynamicSymbols();
    for (const s of syms) {
      if (!s.name || s.shndx === C.SHN_UNDEF || s.bind === C.STB_LOCAL) continue;
      if (s.type === C.STT_SECTION || s.type === C.STT_FILE) continue;
      const prev = this.byName.get(s.name);
      // A global beats a weak definition of the same name, as the static linker decided.
      if (prev && s.bind === C.STB_WEAK) continue;
      if (s.type === C.STT_TLS) this.byName.set(s.name, { address: 0n, size: s.size, tls: { moduleId: 1, offset: s.value } });
      else this.byName.set(s.name, { address: s.shndx === C.SHN_ABS ? s.value : s.value + bias, size: s.size });
    }
  }

  lookup(name: string): InferiorSymbol | undefined {
    return this.byName.get(name);
  }
}

/** Several resolvers, first answer wins. */
export class ChainResolver implements SymbolResolver {
  constructor(private readonly chain: SymbolResolver[]) {}
  lookup(name: string): InferiorSymbol | undefined {
    for (const r of this.chain) {
      const s = r.lookup(name);
      if (s) return s;
    }
    return undefined;
  }
}
