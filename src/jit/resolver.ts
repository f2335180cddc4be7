/**
 * Names JIT code may use from the inferior itself: the symbols of the host executable (.symtab, else
 * .dynsym) at their run-time addresses (value + load bias). TLS symbols resolve to {module 1, offset
 * in the PT_TLS block}, which the TLS runtime turns into a TP offset. GNU indirect functions
 * (STT_GNU_IFUNC: a static glibc's strlen, memcpy, floor...) resolve as the dynamic loader binds
 * them: their resolver is called once in the emulated process (with no arguments, as glibc's
 * elf_ifunc_invoke does on x86-64) and the name binds to the implementation it returns, cached per
 * symbol. Pluggable: the debugger can offer DWARF-derived or shared-library symbols through the
 * same interface.
 */
import type { ElfFile } from "../elf/reader.js";
import * as C from "../elf/constants.js";
import { JitdbgError } from "../errors.js";

export interface InferiorSymbol {
  address: bigint;
  size: bigint;
  /** For TLS variables: offset in the module's TLS block and that module's id (1: the executable). */
  tls?: { moduleId: number; offset: bigint };
}

export interface SymbolResolver {
  lookup(name: string): InferiorSymbol | undefined;
}

/** Runs the resolver of an indirect function at `address` in the inferior; returns what it returned (rax). */
export type IfuncCaller = (address: bigint, name: string) => bigint;

export class ElfSymbolResolver implements SymbolResolver {
  private readonly byName = new Map<string, InferiorSymbol>();
  /** Names of indirect functions (their byName entry holds the resolver's address). */
  private readonly ifuncs = new Set<string>();
  /** Indirect function name → the implementation its resolver picked. */
  private readonly implementations = new Map<string, bigint>();
  private readonly path: string;

  /** Without `callIfunc`, looking up an indirect function is an error (there is nothing to run its resolver in). */
  constructor(
    elf: ElfFile,
    bias = 0n,
    private readonly callIfunc?: IfuncCaller,
  ) {
    this.path = elf.path;
    const syms = elf.symbols().length > 0 ? elf.symbols() : elf.dynamicSymbols();
    for (const s of syms) {
      if (!s.name || s.shndx === C.SHN_UNDEF || s.bind === C.STB_LOCAL) continue;
      if (s.type === C.STT_SECTION || s.type === C.STT_FILE) continue;
      const prev = this.byName.get(s.name);
      // A global beats a weak definition of the same name, as the static linker decided.
      if (prev && s.bind === C.STB_WEAK) continue;
      if (s.type === C.STT_TLS) this.byName.set(s.name, { address: 0n, size: s.size, tls: { moduleId: 1, offset: s.value } });
      else this.byName.set(s.name, { address: s.shndx === C.SHN_ABS ? s.value : s.value + bias, size: s.size });
      if (s.type === C.STT_GNU_IFUNC) this.ifuncs.add(s.name);
      else this.ifuncs.delete(s.name);
    }
  }

  lookup(name: string): InferiorSymbol | undefined {
    const sym = this.byName.get(name);
    if (!sym || !this.ifuncs.has(name)) return sym;
    return { address: this.implementation(name, sym.address), size: 0n };
  }

  /** The implementation an indirect function's resolver picks (the resolver runs on the first look-up only). */
  private implementation(name: string, resolver: bigint): bigint {
    const known = this.implementations.get(name);
    if (known !== undefined) return known;
    const where = `"${name}" in ${this.path} (resolver at 0x${resolver.toString(16)})`;
    if (!this.callIfunc) {
      throw new JitdbgError("JIT_HOST_IFUNC", `${where} is a GNU indirect function, and this resolver has no process to run its resolver in; give the ElfSymbolResolver an IfuncCaller, or call a specific implementation by its own name`);
    }
    const impl = this.callIfunc(resolver, name);
    if (impl === 0n) {
      throw new JitdbgError("JIT_HOST_IFUNC", `${where} is a GNU indirect function whose resolver returned a null implementation; call a specific implementation by its own name instead`);
    }
    this.implementations.set(name, impl);
    return impl;
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
