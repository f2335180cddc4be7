/**
 * The names compiled expressions may use from the inferior, for the JIT linker: the program's ELF
 * symbols at run-time addresses (value + load bias, so static-PIE works), with GNU indirect
 * functions (glibc's strlen, memcmp...) resolved to the implementation the program's start-up
 * chose (read from the IRELATIVE slot it filled), plus names the evaluator defines: statics and
 * functions known only by address, TLS variables by block offset, persistent variables. In a
 * dynamically linked program, names the program does not define come from the loaded libraries
 * in load order (library-symbols.ts), and indirect functions without a filled slot are resolved by
 * calling their resolver.
 */
import * as C from "../../elf/constants.js";
import { hasCode, JitdbgError } from "../../errors.js";
import { isTextError } from "../errors.js";
import { isElfError, type ElfFile } from "../../elf/reader.js";
import type { Image } from "../../inferior/images.js";
import type { InferiorSymbol, SymbolResolver } from "../../jit/resolver.js";
import type { LibrarySymbols } from "./library-symbols.js";

export interface ProgramImage {
  file: ElfFile;
  bias: bigint;
}

interface ElfEntry {
  sym: InferiorSymbol;
  ifunc: boolean;
}

export class InferiorSymbols implements SymbolResolver {
  private readonly defined = new Map<string, InferiorSymbol>();
  private elf: Map<string, ElfEntry> | undefined;
  /** Names found one at a time before the map was built (undefined: the program has none). */
  private readonly scanned = new Map<string, ElfEntry | undefined>();
  private irelative: Map<bigint, bigint> | undefined;
  private readonly funcs = new Set<string>();

  constructor(
    private readonly image: ProgramImage,
    /** Reads an 8-byte word of the inferior (undefined when unmapped). */
    private readonly readWord: (address: bigint) => bigint | undefined,
    /** A dynamically linked program's libraries, and the program's own Image (for resolver calls). */
    private readonly libraries?: { symbols: LibrarySymbols; program: Image },
  ) {}

  /** Defines (or redefines) a name the evaluator made up. */
  define(name: string, sym: InferiorSymbol): void {
    this.defined.set(name, sym);
  }

  /** A synthetic name for an address (a static variable or function the ELF symbols cannot name). */
  atAddress(address: bigint, size = 0n): string {
    const name = `__jitdbg_at_${address.toString(16)}`;
    if (!this.defined.has(name)) this.defined.set(name, { address, size });
    return name;
  }

  /** A synthetic name for a variable at `offset` in a TLS module's block (default module 1, the executable's). */
  tlsAt(offset: bigint, size = 0n, moduleId = 1): string {
    const name = moduleId === 1 ? `__jitdbg_tls_${offset.toString(16)}` : `__jitdbg_tls${moduleId}_${offset.toString(16)}`;
    if (!this.defined.has(name)) this.defined.set(name, { address: 0n, size, tls: { moduleId, offset } });
    return name;
  }

  lookup(name: string): InferiorSymbol | undefined {
    const d = this.defined.get(name);
    if (d) return d;
    const e = this.elfEntry(name);
    if (!e) return this.libraries?.symbols.lookup(name);
    if (!e.ifunc) return e.sym;
    const impl = this.ifuncTarget(e.sym.address) ?? this.libraries?.symbols.implementation(this.libraries.program, e.sym.address, name);
    return impl === undefined ? undefined : { address: impl, size: 0n };
  }

  /** The ELF symbol's run-time address (indirect functions: their implementation), if any. */
  addressOf(name: string): bigint | undefined {
    let s: InferiorSymbol | undefined;
    try {
      s = this.lookup(name);
    } catch (e) {
      // A library's TLS block not set up, a failed resolver, an unreadable library: not an address anyway.
      if (isTextError(e) || isElfError(e) || hasCode(e, "IMAGE_UNREADABLE")) return undefined;
      throw e;
    }
    return s && !s.tls ? s.address : undefined;
  }

  /** Whether the program (or, when dynamically linked, a loaded library) has an ELF symbol of this name and what kind it is. */
  elfKind(name: string): "function" | "data" | "tls" | undefined {
    const e = this.elfSymbols().get(name);
    if (!e) return this.libraries?.symbols.kind(name);
    if (e.sym.tls) return "tls";
    return this.funcs.has(name) ? "function" : "data";
  }

  *names(): Iterable<string> {
    yield* this.elfSymbols().keys();
  }

  /**
   * The program's ELF symbol of this name. Until the map of every name is built (by the first
   * question a map answers better: a kind, the list of names, or the ninth name), a name is found
   * by one pass over the symbol table: the first evaluation of a session usually needs a name or
   * two, and the map of a static program's ~2,000 symbols cost it ~1 ms of not yet optimized code.
   */
  private elfEntry(name: string): ElfEntry | undefined {
    if (this.elf) return this.elf.get(name);
    if (this.scanned.has(name)) return this.scanned.get(name);
    if (this.scanned.size >= 8) return this.elfSymbols().get(name);
    const one = new Map<string, ElfEntry>();
    this.collect(one, name);
    const e = one.get(name);
    this.scanned.set(name, e);
    return e;
  }

  private elfSymbols(): Map<string, ElfEntry> {
    if (this.elf) return this.elf;
    const out = new Map<string, ElfEntry>();
    this.collect(out, undefined);
    this.elf = out;
    this.scanned.clear();
    return out;
  }

  /**
   * Fills `out` with the program's ELF symbols (only `only`'s when given), by the map's rules. The
   * table's entries are read once per file (stack traces read them too); names are decoded only
   * for the map of every name, and one name is compared where it lies, in one pass.
   */
  private collect(out: Map<string, ElfEntry>, only: string | undefined): void {
    const { file, bias } = this.image;
    const table = file.symbolEntries(file.symbolCount() === 0);
    // Globals first (a global beats a weak definition); then locals under names no global has:
    // a static-PIE libc keeps strlen & co. local, and expressions still call them by name.
    // (Two plain passes: this runs once, at the first evaluation, in code not yet optimized.)
    const entries = only === undefined ? table.entries : table.entries.filter((e) => table.nameIs(e, only));
    for (let pass = 0; pass < 2; pass++) for (const s of entries) {
      if ((s.bind === C.STB_LOCAL) !== (pass === 1)) continue;
      if (s.shndx === C.SHN_UNDEF || s.type === C.STT_SECTION || s.type === C.STT_FILE || s.type === C.STT_NOTYPE) continue;
      if (only === undefined && !table.named(s)) continue;
      const name = only ?? table.name(s);
      const prev = out.get(name);
      if (prev && (s.bind === C.STB_WEAK || s.bind === C.STB_LOCAL)) continue;
      const ifunc = s.type === C.STT_GNU_IFUNC;
      if (only === undefined && (s.type === C.STT_FUNC || ifunc)) this.funcs.add(name);
      if (s.type === C.STT_TLS) out.set(name, { sym: { address: 0n, size: s.size, tls: { moduleId: 1, offset: s.value } }, ifunc: false });
      else out.set(name, { sym: { address: s.shndx === C.SHN_ABS ? s.value : s.value + bias, size: s.size }, ifunc });
    }
  }

  /** resolver address → the GOT slot the start-up code filled with the chosen implementation. */
  private ifuncTarget(resolver: bigint): bigint | undefined {
    if (!this.irelative) {
      this.irelative = new Map();
      const { file, bias } = this.image;
      for (const sec of file.sections) {
        if (sec.type !== C.SHT_RELA) continue;
        for (const r of file.relocations(sec)) if (r.type === C.R_X86_64_IRELATIVE) this.irelative.set(r.addend + bias, r.offset + bias);
      }
    }
    const slot = this.irelative.get(resolver);
    if (slot === undefined) return undefined;
    const v = this.readWord(slot);
    // Before start-up applied it, the slot still holds the link-time value (or zero).
    return v === undefined || v === 0n || v === resolver ? undefined : v;
  }
}
