/**
 * Symbol resolution for the JIT linker: every symbol a module's relocations, GOT entries and stubs
 * use, looked up in the module itself, then the other JIT modules, then the inferior (host
 * executable, libraries), then the linker's runtime. Results are kept per module until it is
 * resolved again or dropped, in the form the relocation loop reads (addresses as bigint and double).
 */
import * as C from "../elf/constants.js";
import { JitdbgError } from "../errors.js";
import type { DefinitionTable } from "./definitions.js";
import { SYM_ABS, SYM_DISCARDED, SYM_UNDEF, type JitModule } from "./module.js";
import type { SymbolResolver } from "./resolver.js";
import type { TlsRuntime } from "./tls.js";

export interface TlsResolution {
  moduleId: number;
  dtpoff: bigint;
  tpoff: bigint;
}

/** What a name resolved to. */
export interface Resolved {
  address: bigint;
  size: bigint;
  /** address and size as doubles, and whether they (and TLS offsets) are exact. */
  n: number;
  sizeN: number;
  exact: boolean;
  tls?: TlsResolution;
  owner?: JitModule;
  /** A relocation against a discarded COMDAT member: left as the compiler wrote it. */
  discarded?: boolean;
}

/** A module's resolved symbols by symbol index (undefined: not used by any relocation). */
export type ResolvedSymbols = readonly (Resolved | undefined)[];

/** Unresolved name → the modules that need it. */
export type MissingNames = Map<string, Set<string>>;

type ResolvedCore = Omit<Resolved, "n" | "sizeN" | "exact">;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const safe = (x: bigint): boolean => x <= SAFE && x >= -SAFE;

/** Adds the double forms the relocation loop uses (one object shape for every result). */
function finish(r: ResolvedCore): Resolved {
  const exact = safe(r.address) && safe(r.size) && (r.tls === undefined || (safe(r.tls.dtpoff) && safe(r.tls.tpoff)));
  return { address: r.address, size: r.size, n: Number(r.address), sizeN: Number(r.size), exact, tls: r.tls, owner: r.owner, discarded: r.discarded };
}

export class SymbolResolution {
  private readonly cache = new Map<JitModule, ResolvedSymbols>();

  constructor(
    private readonly definitions: DefinitionTable,
    private readonly tls: TlsRuntime,
    private readonly host: SymbolResolver | undefined,
  ) {}

  /** Whether a name resolves somewhere outside the module asking (a JIT module or the inferior). */
  provides(name: string): boolean {
    return this.definitions.best(name) !== undefined || this.host?.lookup(name) !== undefined;
  }

  /** Resolves every symbol the module's relocations, GOT and stubs use; records dependencies; adds misses to `missing`. */
  resolve(m: JitModule, missing: MissingNames): void {
    const cache: (Resolved | undefined)[] = new Array(m.symbols.length);
    m.dependencies.clear();
    const need = (i: number): void => {
      if (cache[i] !== undefined) return;
      // The module's own non-TLS definitions (most symbols): straight to the final form.
      const own = ownDefinition(m, i);
      if (own !== undefined) {
        cache[i] = own;
        return;
      }
      const r = this.resolveSymbol(m, i);
      if (r === undefined) {
        const name = m.symbols[i]!.name;
        let set = missing.get(name);
        if (!set) missing.set(name, (set = new Set()));
        set.add(m.name);
        return;
      }
      cache[i] = finish(r);
      if (r.owner && r.owner !== m) {
        let names = m.dependencies.get(r.owner);
        if (!names) m.dependencies.set(r.owner, (names = new Set()));
        names.add(m.symbols[i]!.name);
      }
    };
    for (const s of m.sections.values()) {
      const t = s.relocations;
      for (let i = 0; i < t.length; i++) need(t.symbols[i]!);
    }
    for (const e of m.got.entries) if (e.symbol >= 0) need(e.symbol);
    for (const [sym] of m.stubs.symbols()) need(sym);
    this.cache.set(m, cache);
  }

  /** The module's symbols as its last resolve() found them. */
  resolved(m: JitModule): ResolvedSymbols {
    const r = this.cache.get(m);
    if (!r) throw new JitdbgError("JIT_INTERNAL", `module "${m.name}" is applied before its symbols were resolved`);
    return r;
  }

  forget(m: JitModule): void {
    this.cache.delete(m);
  }

  /** The module itself → other JIT modules → the inferior → the linker's runtime symbols. */
  private resolveSymbol(m: JitModule, index: number): ResolvedCore | undefined {
    const sym = m.symbols[index]!;
    if (sym.section === SYM_DISCARDED) return { address: 0n, size: 0n, discarded: true };
    if (sym.section === SYM_ABS) return { address: sym.absValue ?? BigInt(sym.value), size: BigInt(sym.size) };
    if (sym.section !== SYM_UNDEF && (sym.bind === C.STB_LOCAL || (sym.bind === C.STB_GLOBAL && !m.commons.has(index)))) {
      return definedIn(m, index);
    }
    if (sym.name === "_GLOBAL_OFFSET_TABLE_") return { address: m.gotSection?.address ?? 0n, size: 0n, owner: m };
    const d = this.definitions.best(sym.name);
    if (d) return definedIn(d.module, d.index);
    // Only the runtime's __tls_get_addr knows JIT modules' TLS blocks; a libc's copy must not win.
    if (sym.name === "__tls_get_addr") return { address: this.tls.tlsGetAddr, size: 0n };
    const inf = this.host?.lookup(sym.name);
    if (inf) {
      if (inf.tls) {
        const block = this.tls.block(inf.tls.moduleId);
        if (!block) throw new JitdbgError("JIT_NO_TLS", `"${sym.name}" (needed by "${m.name}") is a TLS variable of TLS module ${inf.tls.moduleId}, which the TLS runtime does not know (was the host's PT_TLS given to it?)`);
        const tpoff = block.tpOffset + inf.tls.offset;
        return { address: this.tls.addressOf(tpoff), size: inf.size, tls: { moduleId: inf.tls.moduleId, dtpoff: inf.tls.offset, tpoff } };
      }
      return { address: inf.address, size: inf.size };
    }
    const rt = this.tls.runtimeSymbols().get(sym.name);
    if (rt !== undefined) return { address: rt, size: 0n };
    if (sym.bind === C.STB_WEAK) return { address: 0n, size: 0n }; // undefined weak: null
    return undefined;
  }
}

/**
 * What resolveSymbol would make of a local or strong global symbol defined in one of the
 * module's own non-TLS sections, in its final form (no intermediate record, the double computed
 * without a BigInt round trip when exact); undefined for every other symbol.
 */
function ownDefinition(m: JitModule, index: number): Resolved | undefined {
  const sym = m.symbols[index]!;
  if (sym.section < 0 || !(sym.bind === C.STB_LOCAL || (sym.bind === C.STB_GLOBAL && !m.commons.has(index)))) return undefined;
  const sec = m.sections.get(sym.section);
  if (sec === undefined || sec.group === "tls") return undefined;
  const address = sec.address + BigInt(sym.value);
  const n = Number(sec.address) + sym.value;
  const exact = Number.isSafeInteger(n) && Number.isSafeInteger(sym.size);
  return { address, size: BigInt(sym.size), n: exact ? n : Number(address), sizeN: sym.size, exact, tls: undefined, owner: m, discarded: undefined };
}

function definedIn(owner: JitModule, index: number): ResolvedCore {
  const sym = owner.symbols[index]!;
  // An absolute symbol (another module's `.set name, value`) has a value and no section.
  if (sym.section === SYM_ABS) return { address: sym.absValue ?? BigInt(sym.value), size: BigInt(sym.size) };
  const sec = owner.sections.get(sym.section)!;
  if (sec.group === "tls") {
    const dtpoff = BigInt(sec.tlsOffset + sym.value);
    const tpoff = owner.tls!.tpOffset + dtpoff;
    return { address: sec.address + BigInt(sym.value), size: BigInt(sym.size), owner, tls: { moduleId: owner.tls!.moduleId, dtpoff, tpoff } };
  }
  return { address: sec.address + BigInt(sym.value), size: BigInt(sym.size), owner };
}
