/** Address ↔ name look-ups over an ELF file's symbol tables, with the image's load bias applied. */
import * as C from "./constants.js";
import type { ElfFile, ElfSymbol, SymbolEntries, SymbolEntry } from "./reader.js";

export interface SymbolHit {
  name: string;
  address: bigint;
  size: bigint;
  offset: bigint;
}

/** A symbol an address look-up may find, its name still in its table's strings. */
interface Candidate {
  entry: SymbolEntry;
  table: SymbolEntries;
  /** The entry's value and size as numbers (user-space addresses fit): compared in the sort, as BigInts they cost ~10x. */
  value: number;
  size: number;
  /** Read when first found (a pointer's symbol is shown at every stop). */
  name?: string;
}

const KEPT_TYPES: ReadonlySet<number> = new Set([C.STT_FUNC, C.STT_OBJECT, C.STT_NOTYPE, C.STT_GNU_IFUNC]);

/** Whether a symbol names code or data at an address of the file (not undefined, absolute, a section or a file). */
function kept(s: { shndx: number; type: number }): boolean {
  return s.shndx !== C.SHN_UNDEF && s.shndx !== C.SHN_ABS && KEPT_TYPES.has(s.type);
}

export class Symbolizer {
  /**
   * Both indexes are made when first used: a stack trace needs only the address one, and only the
   * names of the symbols it finds; a look-up by name reads every name.
   */
  private sortedMade: Candidate[] | undefined;
  private byNameMade: Map<string, ElfSymbol> | undefined;
  private readonly files: readonly ElfFile[];

  /** `extra`: more files at the same link-time addresses (a separate debug file's .symtab, say). */
  constructor(
    file: ElfFile,
    readonly bias: bigint,
    extra: readonly ElfFile[] = [],
  ) {
    this.files = [file, ...extra];
  }

  private get sorted(): Candidate[] {
    if (this.sortedMade) return this.sortedMade;
    const syms: Candidate[] = [];
    for (const f of this.files) {
      for (const table of [f.symbolEntries(true), f.symbolEntries(false)]) {
        for (const entry of table.entries) if (kept(entry) && table.named(entry)) syms.push({ entry, table, value: Number(entry.value), size: Number(entry.size) });
      }
    }
    // At one address: the larger symbol first, then (as lookup takes the last candidate) locals
    // before globals, so an exported name (puts) wins over an internal alias (_IO_puts) when both
    // are global the first seen (.dynsym) wins.
    // Ties after that: the later symbol first. The sort is stable, so the list is reversed first
    // (no index map consulted and no BigInt compared: ~2,000 symbols of a static program's libc
    // are sorted at a session's first stack trace).
    const rank = (s: SymbolEntry) => (s.bind === C.STB_LOCAL ? 0 : 1);
    return (this.sortedMade = syms.reverse().sort((a, b) => a.value - b.value || b.size - a.size || rank(a.entry) - rank(b.entry)));
  }

  private get byName(): Map<string, ElfSymbol> {
    if (this.byNameMade) return this.byNameMade;
    const byName = new Map<string, ElfSymbol>();
    for (const f of this.files) {
      for (const s of [...f.dynamicSymbols(), ...f.symbols()]) {
        if (s.name === "" || !kept(s)) continue;
        const prev = byName.get(s.name);
        // Prefer global definitions over local ones of the same name.
        if (!prev || (prev.bind === C.STB_LOCAL && s.bind !== C.STB_LOCAL)) byName.set(s.name, s);
      }
    }
    return (this.byNameMade = byName);
  }

  /** The symbol containing an address (or the nearest one before it, when sizes are missing). */
  lookup(address: bigint): SymbolHit | undefined {
    const rel = address - this.bias;
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.entry.value <= rel) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const c = sorted[i]!;
      const s = c.entry;
      if (rel < s.value + (s.size === 0n ? 1n : s.size) || (s.size === 0n && i === best)) {
        return { name: (c.name ??= c.table.name(s)), address: s.value + this.bias, size: s.size, offset: rel - s.value };
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
