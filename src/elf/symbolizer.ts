/** Address ↔ name look-ups over an ELF file's symbol tables, with the image's load bias applied. */
import * as C from "./constants.js";
import type { ElfFile, ElfSymbol } from "./reader.js";

export interface SymbolHit {
  name: string;
  address: bigint;
  size: bigint;
  offset: bigint;
}

export class Symbolizer {
  private readonly sorted: ElfSymbol[];
  private readonly byName = new Map<string, ElfSymbol>();

  /** `extra`: more files at the same link-time addresses (a separate debug file's .symtab, say). */
  constructor(
    file: ElfFile,
    readonly bias: bigint,
    extra: readonly ElfFile[] = [],
  ) {
    const all = [file, ...extra].flatMap((f) => [...f.dynamicSymbols(), ...f.symbols()]);
    const syms = all.filter(
      (s) => s.name !== "" && s.shndx !== C.SHN_UNDEF && (s.type === C.STT_FUNC || s.type === C.STT_OBJECT || s.type === C.STT_NOTYPE || s.type === C.STT_GNU_IFUNC) && s.shndx !== C.SHN_ABS,
    );
    for (const s of syms) {
      const prev = this.byName.get(s.name);
      // Prefer global definitions over local ones of the same name.
      if (!prev || (prev.bind === C.STB_LOCAL && s.bind !== C.STB_LOCAL)) this.byName.set(s.name, s);
    }
    // At one address: the larger symbol first, then (as lookup takes the last candidate) locals
    // before globals, so an exported name (puts) wins over an internal alias (_IO_puts) when both
    // are global the first seen (.dynsym) wins.
    // Ties after that: the later symbol first. The sort is stable, so the list is reversed first
    // (no index map consulted and no BigInt made per comparison: ~2,000 symbols of a static
    // program's libc are sorted at a session's first stack trace).
    const rank = (s: ElfSymbol) => (s.bind === C.STB_LOCAL ? 0 : 1);
    this.sorted = syms.reverse().sort((a, b) =>
      a.value < b.value ? -1 : a.value > b.value ? 1 : a.size !== b.size ? (b.size > a.size ? 1 : -1) : rank(a) - rank(b),
    );
  }

  /** The symbol containing an address (or the nearest one before it, when sizes are missing). */
  lookup(address: bigint): SymbolHit | undefined {
    const rel = address - this.bias;
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.value <= rel) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const s = this.sorted[i]!;
      if (rel < s.value + (s.size === 0n ? 1n : s.size) || (s.size === 0n && i === best)) {
        return { name: s.name, address: s.value + this.bias, size: s.size, offset: rel - s.value };
      }
    }
    return undefined;
  }

  /** `name+0x1c`, or the bare hex address when no symbol covers it. */
  describe(address: bigint): string {
    const hit = this.lookup(address);
    if (!hit) return `0x${address.toString(16)}`;
    return hit.offset === 0n ? hit.name : `${hit.name}+0x${hit.offset.toString(16)}`;
  }

  /** A symbol's run-time address by name. */
  addressOf(name: string): bigint | undefined {
    const s = this.byName.get(name);
    return s ? s.value + this.bias : undefined;
  }

  symbol(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }
}
