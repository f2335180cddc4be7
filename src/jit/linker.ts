/**
 * The JIT linker (RuntimeDyld's job, with LLDB's needs first): load relocatable objects into local
 * buffers at reserved target addresses, answer look-ups without finalizing, let sections move until
 * their module is finalized, then resolve, relocate, write into the inferior and protect pages in one
 * explicit step. Finalized modules are only ever re-linked through replaceModule, which makes pages
 * writable, re-applies the kept relocations, re-protects and invalidates translated code.
 */
import * as C from "../elf/constants.js";
import type { Cpu } from "../emu/cpu.js";
import { JitdbgError } from "../errors.js";
import { EhFrameRegistry } from "./eh-frame-registry.js";
import { encodeStub } from "./got-plt.js";
import { groupSize, type JitMemoryManager, type Placement, type ProtGroup } from "./memory-manager.js";
import { JitModule, parseObject, relocationAt, SYM_ABS, SYM_DISCARDED, SYM_UNDEF, type JitRelocation, type JitSection } from "./module.js";
import { RelocationTable } from "./relocation-table.js";
import { compute, computeNum, fits, fitsNum, fitsSigned32, rangeText, relocKind, type NumValues, type RelocKind, type RelocValues } from "./relocations/x86_64.js";
import type { SymbolResolver } from "./resolver.js";
import type { TlsRuntime } from "./tls.js";

export type RetentionPolicy = "all" | "external" | "none";

export type LinkerCall =
  | "addObject"
  | "mapSectionAddress"
  | "getSymbolAddress"
  | "getSymbolLoadAddress"
  | "relocate"
  | "finalize"
  | "removeModule"
  | "replaceModule"
  | "runInitializers"
  | "runFinalizers";

export interface LinkerEvent {
  call: LinkerCall;
  module?: string;
  symbol?: string;
  section?: string;
  address?: bigint;
}

export interface JitLinkerOptions {
  cpu: Cpu;
  memory: JitMemoryManager;
  tls: TlsRuntime;
  /** The inferior's own symbols (host executable, libraries). */
  resolver?: SymbolResolver;
  /** Which relocations are kept after finalization (default "external"). */
  retention?: RetentionPolicy;
  /** Forces a placement for every module (default: what each module's code model needs). */
  placement?: Placement;
  /** Called at the start of every public call. */
  observer?: (event: LinkerEvent) => void;
  /** Runs a function in the inferior (for .init_array / .fini_array). */
  executor?: (address: bigint) => void;
  ehFrames?: EhFrameRegistry;
}

/** Where a symbol's bytes are now: a local buffer and an offset in it. */
export interface LocalAddress {
  module: JitModule;
  section: string;
  buffer: Uint8Array;
  offset: number;
}

export interface FinalizeOptions {
  /** Run .init_array entries after writing and protecting (needs an executor). */
  runInitializers?: boolean;
}

export interface RetainedRelocations {
  count: number;
  /** Bytes as Elf64_Rela records (24 each). */
  elfBytes: number;
  /** Bytes of the typed arrays holding them. */
  heapBytes: number;
}

/** What a name resolved to. */
interface Resolved {
  address: bigint;
  size: bigint;
  /** address and size as doubles, and whether they (and TLS offsets) are exact. */
  n: number;
  sizeN: number;
  exact: boolean;
  tls?: { moduleId: number; dtpoff: bigint; tpoff: bigint };
  owner?: JitModule;
  /** A relocation against a discarded COMDAT member: left as the compiler wrote it. */
  discarded?: boolean;
}

type ResolvedCore = Omit<Resolved, "n" | "sizeN" | "exact">;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NEG_SAFE = -SAFE;
const safe = (x: bigint): boolean => x <= SAFE && x >= NEG_SAFE;

/** Adds the double forms the relocation loop uses (one object shape for every result). */
function finish(r: ResolvedCore): Resolved {
  const exact = safe(r.address) && safe(r.size) && (r.tls === undefined || (safe(r.tls.dtpoff) && safe(r.tls.tpoff)));
  return { address: r.address, size: r.size, n: Number(r.address), sizeN: Number(r.size), exact, tls: r.tls, owner: r.owner, discarded: r.discarded };
}

interface Definition {
  module: JitModule;
  index: number;
  rank: number; // 0 strong, 1 common, 2 weak
}

const hex = (n: bigint | number): string => (n < 0 ? `-0x${(-BigInt(n)).toString(16)}` : `0x${n.toString(16)}`);
const GOT_SECTION = "[got]";
const STUB_SECTION = "[stubs]";

export class JitLinker {
  readonly ehFrames: EhFrameRegistry;
  private readonly list: JitModule[] = [];
  private readonly defs = new Map<string, Definition[]>();
  private readonly comdats = new Map<string, JitModule>();
  private nextId = 1;
  private generation = 0;
  private readonly relocatedAt = new Map<JitModule, number>();
  private readonly resolvedCache = new Map<JitModule, (Resolved | undefined)[]>();

  constructor(private readonly opts: JitLinkerOptions) {
    this.ehFrames = opts.ehFrames ?? new EhFrameRegistry();
  }

  get retention(): RetentionPolicy {
    return this.opts.retention ?? "external";
  }

  modules(): JitModule[] {
    return [...this.list];
  }

  module(name: string): JitModule | undefined {
    return this.list.find((m) => m.name === name);
  }

  /** Parses, allocates target space and copies section bytes into local buffers; writes nothing into the inferior. */
  addObject(bytes: Uint8Array, name: string, opts: { placement?: Placement } = {}): JitModule {
    this.emit({ call: "addObject", module: name });
    return this.load(bytes, name, opts.placement);
  }

  /** Moves a section in target space; allowed until the module is finalized (look-ups do not finalize). */
  mapSectionAddress(module: JitModule, section: string | number, address: bigint): void {
    const sec = typeof section === "number" ? module.sections.get(section) : module.section(section);
    this.emit({ call: "mapSectionAddress", module: module.name, section: sec?.name ?? String(section), address });
    this.requireLive(module);
    if (module.state === "finalized") throw this.finalizedError(module, `move section ${sec?.name ?? section}`);
    if (!sec) throw new JitdbgError("JIT_NO_SECTION", `module "${module.name}" has no loaded section ${String(section)} (only SHF_ALLOC sections are loaded)`);
    if (sec.group === "tls") throw new JitdbgError("JIT_MOVE_TLS", `${sec.name} of "${module.name}" is a TLS template; it lives in each thread's TLS block and cannot be moved`);
    if (address % BigInt(sec.align) !== 0n) {
      throw new JitdbgError("JIT_MISALIGNED", `cannot move ${sec.name} of "${module.name}" to ${hex(address)}: the section needs ${sec.align}-byte alignment`);
    }
    this.opts.memory.claim(module.key, address, sec.size, sec.group, sec.name);
    sec.address = address;
    sec.moved = true;
    this.generation++;
  }

  /** Where the symbol's bytes are now (local buffer + offset). Never finalizes, never writes the inferior. */
  getSymbolAddress(name: string): LocalAddress | undefined {
    this.emit({ call: "getSymbolAddress", symbol: name });
    const d = this.best(name);
    if (!d) return undefined;
    const sym = d.module.symbols[d.index]!;
    const sec = d.module.sections.get(sym.section);
    if (!sec) return undefined;
    return { module: d.module, section: sec.name, buffer: this.localOf(sec), offset: sym.value };
  }

  /** Where the symbol will live in the inferior (TLS: in the main thread). Never finalizes. */
  getSymbolLoadAddress(name: string): bigint | undefined {
    this.emit({ call: "getSymbolLoadAddress", symbol: name });
    const d = this.best(name);
    return d ? d.module.symbolLoadAddress(d.index) : undefined;
  }

  /** Resolves and applies relocations into the local buffers (no inferior write). */
  relocate(module?: JitModule): void {
    this.emit({ call: "relocate", module: module?.name });
    const targets = module ? [module] : this.list.filter((m) => m.state !== "finalized");
    for (const m of targets) {
      this.requireLive(m);
      if (m.state === "finalized") throw this.finalizedError(m, "re-apply its relocations");
    }
    this.relocateModules(targets);
  }

  /** Resolves, relocates, writes into the inferior, protects pages, registers .eh_frame, runs initializers if asked. */
  finalize(module?: JitModule, opts: FinalizeOptions = {}): void {
    this.emit({ call: "finalize", module: module?.name });
    const targets = module ? [module] : this.list.filter((m) => m.state !== "finalized");
    for (const m of targets) {
      this.requireLive(m);
      if (m.state === "finalized") throw this.finalizedError(m, "finalize it again");
    }
    this.relocateModules(targets);
    for (const m of targets) this.commit(m);
    if (opts.runInitializers) for (const m of targets) this.runArray(m, "init");
  }

  /** Runs the module's .init_array (priority order), e.g. after a finalize that did not. */
  runInitializers(module: JitModule): void {
    this.emit({ call: "runInitializers", module: module.name });
    if (module.state !== "finalized") throw new JitdbgError("JIT_NOT_FINALIZED", `module "${module.name}" is not finalized; its constructors cannot run`);
    this.runArray(module, "init");
  }

  /** Runs the module's .fini_array (in reverse order, as the C runtime does). */
  runFinalizers(module: JitModule): void {
    this.emit({ call: "runFinalizers", module: module.name });
    if (module.state !== "finalized") throw new JitdbgError("JIT_NOT_FINALIZED", `module "${module.name}" is not finalized; its destructors cannot run`);
    this.runArray(module, "fini");
  }

  /** Unmaps the module and forgets its symbols; refused while another module uses it. */
  removeModule(module: JitModule): void {
    this.emit({ call: "removeModule", module: module.name });
    this.requireLive(module);
    const users = this.usersOf(module);
    if (users.length > 0) {
      const who = users.map(([m, names]) => `"${m.name}" (uses ${[...names].slice(0, 5).join(", ")}${names.size > 5 ? ", ..." : ""})`).join(", ");
      throw new JitdbgError("JIT_MODULE_IN_USE", `cannot remove "${module.name}": ${who} still reference${users.length === 1 ? "s" : ""} it; remove those first, or use replaceModule to swap in a new version`);
    }
    this.drop(module);
  }

  /**
   * Loads a new version of a module and re-links every finalized module whose external relocations
   * pointed into the old one, so existing callers reach the new code; then unloads the old version.
   */
  replaceModule(old: JitModule, bytes: Uint8Array, opts: FinalizeOptions & { name?: string; placement?: Placement } = {}): JitModule {
    this.emit({ call: "replaceModule", module: old.name });
    this.requireLive(old);
    const dependents = this.usersOf(old).map(([m]) => m);
    for (const d of dependents) {
      if (d.state === "finalized" && !d.keptExternal) {
        throw new JitdbgError("JIT_RELOCATIONS_DROPPED", `cannot re-link "${d.name}" to the new "${old.name}": it was finalized with relocation retention "none"; use retention "external" (the default) for modules that may be re-linked`);
      }
    }
    // Hide the old definitions so the new version does not collide with them.
    this.unregister(old);
    let fresh: JitModule;
    try {
      fresh = this.load(bytes, opts.name ?? old.name, opts.placement, old);
    } catch (e) {
      this.register(old);
      throw e;
    }
    // Every name a dependent took from the old version must still resolve somewhere.
    const lost: string[] = [];
    for (const d of dependents) {
      for (const n of d.dependencies.get(old) ?? []) {
        if (!this.best(n) && !this.opts.resolver?.lookup(n) && !lost.includes(n)) lost.push(n);
      }
    }
    if (lost.length > 0) {
      this.drop(fresh);
      this.register(old);
      throw new JitdbgError("JIT_REPLACEMENT_INCOMPLETE", `the new version of "${old.name}" does not define ${lost.map((n) => `"${n}"`).join(", ")}, which ${dependents.map((d) => `"${d.name}"`).join(", ")} use; nothing was replaced`);
    }
    this.relocateModules([fresh, ...dependents.filter((d) => d.state !== "finalized")]);
    this.commit(fresh);
    if (opts.runInitializers) this.runArray(fresh, "init");
    for (const d of dependents) if (d.state === "finalized") this.relink(d);
    this.drop(old, false);
    return fresh;
  }

  /** Relocation records still held, per module or in total. */
  retainedRelocations(module?: JitModule): RetainedRelocations {
    let count = 0;
    let heapBytes = 0;
    for (const m of module ? [module] : this.list) {
      for (const s of m.sections.values()) {
        count += s.relocations.length;
        heapBytes += s.relocations.bytes;
      }
    }
    return { count, elfBytes: count * 24, heapBytes };
  }

  // ---- loading ----

  private load(bytes: Uint8Array, name: string, placement: Placement | undefined, replacing?: JitModule): JitModule {
    if (this.list.some((m) => m.name === name && m !== replacing)) {
      throw new JitdbgError("JIT_DUPLICATE_MODULE", `a module named "${name}" is already loaded; give each object a distinct name or use replaceModule`);
    }
    const m = parseObject(bytes, name, this.nextId++, {
      comdatTaken: (sig) => this.comdats.has(sig),
      hasDefinition: (n) => (this.defs.get(n) ?? []).some((d) => d.rank < 2),
    });
    this.checkDuplicates(m);
    this.allocate(m, placement ?? this.opts.placement ?? m.placement);
    this.register(m);
    this.list.push(m);
    this.generation++;
    return m;
  }

  private checkDuplicates(m: JitModule): void {
    for (const [name, index] of m.exports) {
      const s = m.symbols[index]!;
      if (s.bind !== C.STB_GLOBAL || m.commons.has(index)) continue;
      const other = (this.defs.get(name) ?? []).find((d) => d.rank === 0);
      if (other) {
        throw new JitdbgError("JIT_DUPLICATE_SYMBOL", `"${name}" is defined in both "${other.module.name}" and "${m.name}"; make one of them static or weak, or replace the module with replaceModule`);
      }
    }
  }

  private allocate(m: JitModule, placement: Placement): void {
    const elf = m.source!;
    const base = elf.sections.length;
    if (m.needsGot) {
      m.gotSection = { index: base + 1, name: GOT_SECTION, group: "rodata", size: m.got.size, align: 8, nobits: false, address: 0n, local: undefined, tlsOffset: 0, relocations: new RelocationTable(), moved: false };
      m.sections.set(m.gotSection.index, m.gotSection);
    }
    if (m.stubs.size > 0) {
      m.stubSection = { index: base + 2, name: STUB_SECTION, group: "code", size: m.stubs.size, align: 16, nobits: false, address: 0n, local: undefined, tlsOffset: 0, relocations: new RelocationTable(), moved: false };
      m.sections.set(m.stubSection.index, m.stubSection);
    }
    const by: Record<ProtGroup, JitSection[]> = { code: [], rodata: [], data: [] };
    const tls: JitSection[] = [];
    let maxAlign = 1;
    for (const s of m.sections.values()) {
      if (s.group === "tls") tls.push(s);
      else {
        by[s.group].push(s);
        maxAlign = Math.max(maxAlign, s.align);
      }
    }
    // Sections needing more than page alignment may need up to that much slack at the group start.
    const slack = maxAlign > 4096 ? maxAlign : 0;
    const mm = this.opts.memory;
    mm.reserve(m.key, { code: groupSize(by.code) + slack, rodata: groupSize(by.rodata) + slack, data: groupSize(by.data) + slack, maxAlign }, placement);
    try {
      for (const group of ["code", "rodata", "data"] as const) {
        for (const s of by[group]) {
          const a = group === "code" ? mm.allocateCodeSection(m.key, s.size, s.align, s.name) : mm.allocateDataSection(m.key, s.size, s.align, s.name, group === "rodata", s.nobits);
          s.address = a.address;
          s.local = a.local;
          if (s.local && s.index < base) s.local.set(elf.sectionData(elf.sections[s.index]!));
        }
      }
      if (tls.length > 0) {
        let off = 0;
        let align = 1;
        // .tdata before .tbss, as a linker lays out PT_TLS: the image is the initialized prefix.
        tls.sort((a, b) => Number(a.nobits) - Number(b.nobits));
        for (const s of tls) {
          off = Math.ceil(off / s.align) * s.align;
          s.tlsOffset = off;
          off += s.size;
          align = Math.max(align, s.align);
        }
        m.tls = mm.allocateTlsBlock(m.key, Math.max(off, 1), align);
        for (const s of tls) {
          s.address = this.opts.tls.addressOf(m.tls.tpOffset) + BigInt(s.tlsOffset);
          if (!s.nobits) s.local = Uint8Array.from(elf.sectionData(elf.sections[s.index]!));
        }
      }
    } catch (e) {
      mm.release(m.key);
      throw e;
    }
    // Remember the instruction bytes a GOT relaxation may rewrite, so re-application can undo it.
    for (const s of m.sections.values()) {
      if (!s.local) continue;
      const t = s.relocations;
      for (let i = 0; i < t.length; i++) {
        const off = t.offsets[i]!;
        if (relocKind(t.types[i]!)!.relaxable && off >= 2) t.setOriginal(i, s.local[off - 2]! | (s.local[off - 1]! << 8));
      }
    }
    m.source = undefined;
  }

  private register(m: JitModule): void {
    for (const [name, index] of m.exports) {
      const s = m.symbols[index]!;
      const rank = m.commons.has(index) ? 1 : s.bind === C.STB_WEAK ? 2 : 0;
      let list = this.defs.get(name);
      if (!list) this.defs.set(name, (list = []));
      list.push({ module: m, index, rank });
    }
    for (const sig of m.comdats) if (!this.comdats.has(sig)) this.comdats.set(sig, m);
  }

  private unregister(m: JitModule): void {
    for (const name of m.exports.keys()) {
      const list = this.defs.get(name);
      if (!list) continue;
      const kept = list.filter((d) => d.module !== m);
      if (kept.length) this.defs.set(name, kept);
      else this.defs.delete(name);
    }
    for (const sig of m.comdats) if (this.comdats.get(sig) === m) this.comdats.delete(sig);
  }

  /** Strong first, then COMMON, then weak; load order breaks ties. */
  private best(name: string): Definition | undefined {
    const list = this.defs.get(name);
    if (!list || list.length === 0) return undefined;
    let pick = list[0]!;
    for (const d of list) if (d.rank < pick.rank) pick = d;
    return pick;
  }

  // ---- resolution ----

  private relocateModules(targets: JitModule[]): void {
    const todo = targets.filter((m) => this.relocatedAt.get(m) !== this.generation || m.state === "loaded");
    if (todo.length === 0) return;
    const missing = new Map<string, Set<string>>();
    for (const m of todo) this.resolveModule(m, missing);
    if (missing.size > 0) {
      const list = [...missing.entries()].map(([n, mods]) => `"${n}" (needed by ${[...mods].map((x) => `"${x}"`).join(", ")})`);
      throw new JitdbgError("JIT_UNRESOLVED", `unresolved symbol${missing.size > 1 ? "s" : ""}: ${list.join(", ")}; define ${missing.size > 1 ? "them" : "it"} in a loaded object, load a host executable that has ${missing.size > 1 ? "them" : "it"} (--host), or declare ${missing.size > 1 ? "them" : "it"} weak`);
    }
    for (const m of todo) {
      this.fillGotAndStubs(m);
      for (const s of m.sections.values()) if (s.relocations.length > 0) this.applySection(m, s, false);
      m.state = "relocated";
      this.relocatedAt.set(m, this.generation);
    }
  }

  /** Resolves every symbol the module's relocations, GOT and stubs use; records dependencies. */
  private resolveModule(m: JitModule, missing: Map<string, Set<string>>): void {
    const cache: (Resolved | undefined)[] = new Array(m.symbols.length);
    m.dependencies.clear();
    const need = (i: number): void => {
      if (cache[i] !== undefined) return;
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
    this.resolvedCache.set(m, cache);
  }

  /** The module itself → other JIT modules → the inferior → the linker's runtime symbols. */
  private resolveSymbol(m: JitModule, index: number): ResolvedCore | undefined {
    const sym = m.symbols[index]!;
    if (sym.section === SYM_DISCARDED) return { address: 0n, size: 0n, discarded: true };
    if (sym.section === SYM_ABS) return { address: sym.absValue ?? BigInt(sym.value), size: BigInt(sym.size) };
    if (sym.section !== SYM_UNDEF && (sym.bind === C.STB_LOCAL || (sym.bind === C.STB_GLOBAL && !m.commons.has(index)))) {
      return this.definedIn(m, index);
    }
    if (sym.name === "_GLOBAL_OFFSET_TABLE_") return { address: m.gotSection?.address ?? 0n, size: 0n, owner: m };
    const d = this.best(sym.name);
    if (d) return this.definedIn(d.module, d.index);
    // Only the runtime's __tls_get_addr knows JIT modules' TLS blocks; a libc's copy must not win.
    if (sym.name === "__tls_get_addr") return { address: this.opts.tls.tlsGetAddr, size: 0n };
    const inf = this.opts.resolver?.lookup(sym.name);
    if (inf) {
      if (inf.tls) {
        const block = this.opts.tls.block(inf.tls.moduleId);
        if (!block) throw new JitdbgError("JIT_NO_TLS", `"${sym.name}" (needed by "${m.name}") is a TLS variable of TLS module ${inf.tls.moduleId}, which the TLS runtime does not know (was the host's PT_TLS given to it?)`);
        const tpoff = block.tpOffset + inf.tls.offset;
        return { address: this.opts.tls.addressOf(tpoff), size: inf.size, tls: { moduleId: inf.tls.moduleId, dtpoff: inf.tls.offset, tpoff } };
      }
      return { address: inf.address, size: inf.size };
    }
    const rt = this.opts.tls.runtimeSymbols().get(sym.name);
    if (rt !== undefined) return { address: rt, size: 0n };
    if (sym.bind === C.STB_WEAK) return { address: 0n, size: 0n }; // undefined weak: null
    return undefined;
  }

  private definedIn(owner: JitModule, index: number): ResolvedCore {
    const sym = owner.symbols[index]!;
    const sec = owner.sections.get(sym.section)!;
    if (sec.group === "tls") {
      const dtpoff = BigInt(sec.tlsOffset + sym.value);
      const tpoff = owner.tls!.tpOffset + dtpoff;
      return { address: sec.address + BigInt(sym.value), size: BigInt(sym.size), owner, tls: { moduleId: owner.tls!.moduleId, dtpoff, tpoff } };
    }
    return { address: sec.address + BigInt(sym.value), size: BigInt(sym.size), owner };
  }

  // ---- relocation ----

  private fillGotAndStubs(m: JitModule): void {
    const cache = this.resolvedCache.get(m)!;
    if (m.gotSection) {
      const got = this.localOf(m.gotSection);
      const dv = new DataView(got.buffer, got.byteOffset, got.byteLength);
      for (const e of m.got.entries) {
        const r = e.symbol >= 0 ? cache[e.symbol]! : undefined;
        switch (e.kind) {
          case "address":
            dv.setBigUint64(e.offset, BigInt.asUintN(64, r!.address), true);
            break;
          case "tpoff":
            dv.setBigInt64(e.offset, this.tlsOf(m, e.symbol, r!).tpoff, true);
            break;
          case "tlsgd": {
            const t = this.tlsOf(m, e.symbol, r!);
            dv.setBigUint64(e.offset, BigInt(t.moduleId), true);
            dv.setBigInt64(e.offset + 8, t.dtpoff, true);
            break;
          }
          case "tlsld":
            dv.setBigUint64(e.offset, BigInt(m.tls?.moduleId ?? 0), true);
            dv.setBigUint64(e.offset + 8, 0n, true);
            break;
        }
      }
    }
    if (m.stubSection) {
      const buf = this.localOf(m.stubSection);
      for (const [sym, off] of m.stubs.symbols()) encodeStub(buf, off, cache[sym]!.address);
    }
  }

  private tlsOf(m: JitModule, index: number, r: Resolved): { moduleId: number; dtpoff: bigint; tpoff: bigint } {
    if (!r.tls) throw new JitdbgError("JIT_TLS_MISMATCH", `"${m.name}" uses "${m.symbols[index]!.name}" as a thread-local variable, but it resolved to an ordinary symbol at ${hex(r.address)}`);
    return r.tls;
  }

  /**
   * Applies a section's relocations into its local buffer (all, or only external ones). The hot
   * loop computes in doubles, exact because user-space addresses are 47-bit and compilers' addends
   * small; anything else (absolute 64-bit symbols, huge addends) takes the BigInt path.
   */
  private applySection(m: JitModule, s: JitSection, externalOnly: boolean): void {
    const cache = this.resolvedCache.get(m)!;
    const buf = this.localOf(s);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const gotBig = m.gotSection?.address ?? 0n;
    const got = Number(gotBig);
    const base = Number(s.address);
    const stubBase = m.stubSection ? Number(m.stubSection.address) : 0;
    const v: NumValues = { S: 0, A: 0, P: 0, GOT: got, GE: 0, L: 0, Z: 0, dtpoff: 0, tpoff: 0 };
    const t = s.relocations;
    const { offsets, types, symbols, addends } = t;
    for (let i = 0; i < t.length; i++) {
      if (externalOnly && !t.isExternal(i)) continue;
      const symbol = symbols[i]!;
      const offset = offsets[i]!;
      const kind = relocKind(types[i]!)!;
      const res = cache[symbol]!;
      if (res.discarded) {
        if (s.name === ".eh_frame" || s.name.startsWith(".gcc_except_table")) continue;
        throw new JitdbgError("JIT_DISCARDED_REFERENCE", `${m.name}: ${kind.name} at ${s.name}+${hex(offset)} refers to a section of a COMDAT group whose copy in this object was discarded for another module's`);
      }
      if (!res.exact || (t.bigAddends !== undefined && t.bigAddends.has(i))) {
        this.applyBig(m, s, relocationAt(t, i), res, dv, gotBig);
        continue;
      }
      v.S = res.n;
      v.A = addends[i]!;
      v.P = base + offset;
      v.Z = res.sizeN;
      if (kind.tls) {
        const tl = this.tlsOf(m, symbol, res);
        v.dtpoff = Number(tl.dtpoff);
        v.tpoff = Number(tl.tpoff);
      }
      if (kind.got) v.GE = got + m.got.get(kind.got, symbol)!.offset;
      v.L = v.S; // PLTOFF64 and in-range PLT32 go straight to the function
      if (kind.plt && !fitsNum("signed32", v.S + v.A - v.P)) {
        const off = m.stubs.offsetOf(symbol);
        if (off !== undefined) v.L = stubBase + off;
      }
      if (kind.relaxable) {
        const original = t.original(i);
        if (original !== undefined && this.relax(buf, dv, offset, original, res, v.S + v.A - v.P)) continue;
      }
      const value = computeNum(kind.formula, v);
      if (!fitsNum(kind.check, value)) throw this.overflow(m, s, relocationAt(t, i), kind, BigInt(value), BigInt(v.S), BigInt(v.P));
      if (kind.width === 4) {
        if (value < 0) dv.setInt32(offset, value, true);
        else dv.setUint32(offset, value, true);
      } else if (kind.width === 8) {
        const hi = Math.floor(value / 4294967296);
        dv.setUint32(offset, value - hi * 4294967296, true);
        dv.setInt32(offset + 4, hi, true);
      }
    }
  }

  /** The exact path, for values a double cannot hold. */
  private applyBig(m: JitModule, s: JitSection, r: JitRelocation, res: Resolved, dv: DataView, got: bigint): void {
    const kind = r.kind;
    const v: RelocValues = { S: res.address, A: r.bigAddend ?? BigInt(r.addend), P: s.address + BigInt(r.offset), GOT: got, GE: 0n, L: res.address, Z: res.size, dtpoff: 0n, tpoff: 0n };
    if (kind.tls) {
      const t = this.tlsOf(m, r.symbol, res);
      v.dtpoff = t.dtpoff;
      v.tpoff = t.tpoff;
    }
    if (kind.got) v.GE = got + BigInt(m.got.get(kind.got, r.symbol)!.offset);
    if (kind.plt && !fitsSigned32(v.S + v.A - v.P)) {
      const off = m.stubs.offsetOf(r.symbol);
      if (off !== undefined && m.stubSection) v.L = m.stubSection.address + BigInt(off);
    }
    const direct = v.S + v.A - v.P;
    if (kind.relaxable && r.original !== undefined && this.relax(new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength), dv, r.offset, r.original, res, fitsSigned32(direct) ? Number(direct) : Infinity)) return;
    const value = compute(kind.formula, v);
    if (!fits(kind.check, value)) throw this.overflow(m, s, r, kind, value, v.S, v.P);
    if (kind.width === 4) dv.setUint32(r.offset, Number(BigInt.asUintN(32, value)), true);
    else if (kind.width === 8) dv.setBigUint64(r.offset, BigInt.asUintN(64, value), true);
  }

  /**
   * GOTPCRELX / REX_GOTPCRELX: `mov foo@GOTPCREL(%rip), %reg` becomes `lea foo(%rip), %reg`,
   * `call *foo@GOTPCREL(%rip)` becomes `addr32 call foo`, `jmp *...` becomes `nop; jmp foo`, when
   * foo is within ±2 GiB; otherwise the original instruction goes through the GOT entry.
   */
  private relax(buf: Uint8Array, dv: DataView, offset: number, original: number, res: Resolved, direct: number): boolean {
    const b0 = original & 0xff;
    const b1 = original >> 8;
    let ok = !res.tls && fitsNum("signed32", direct);
    let n0 = b0;
    let n1 = b1;
    if (ok && b0 === 0x8b) n0 = 0x8d;
    else if (ok && b0 === 0xff && b1 === 0x15) [n0, n1] = [0x67, 0xe8];
    else if (ok && b0 === 0xff && b1 === 0x25) [n0, n1] = [0x90, 0xe9];
    else ok = false;
    buf[offset - 2] = ok ? n0 : b0;
    buf[offset - 1] = ok ? n1 : b1;
    if (!ok) return false;
    dv.setInt32(offset, direct, true);
    return true;
  }

  private overflow(m: JitModule, s: JitSection, r: JitRelocation, kind: RelocKind, value: bigint, S: bigint, P: bigint): JitdbgError {
    const sym = m.symbols[r.symbol]!;
    const where = `${s.name}+${hex(r.offset)} (address ${hex(P)})`;
    let why: string;
    if (kind.tls) why = `the TLS offset is too far from the thread pointer; keep JIT TLS in the static surplus, or rebuild with -fPIC (general-dynamic TLS)`;
    else if (!kind.pcRelative && !kind.got) {
      why = `the target ${hex(S)} is above ${kind.check === "unsigned32" ? "4 GiB" : "2 GiB"}, but the code was built for the small/medium code model without -fPIC, which puts absolute addresses in 32-bit fields: place the module below 2 GiB (the default placement does this; do not move it higher with mapSectionAddress or a placement window), or rebuild with -fPIC or -mcmodel=large`;
    } else {
      why = `the target is more than ±2 GiB from the field: place the module near what it references (the default placement keeps small/medium-model code below 2 GiB), or rebuild with -fPIC (external data through the GOT) or -mcmodel=large`;
    }
    return new JitdbgError("JIT_RELOC_OVERFLOW", `${m.name}: ${kind.name} against "${sym.name || "?"}" at ${where}: value ${hex(value)} does not fit ${rangeText(kind.check)}; ${why}`);
  }

  // ---- finalization ----

  /** Writes the module into the inferior, protects it, registers its CFI, keeps only retained relocations. */
  private commit(m: JitModule): void {
    const cpu = this.opts.cpu; // pages are still writable from the reservation: no protection change
    let tlsImage: Uint8Array | undefined;
    for (const s of m.sections.values()) {
      if (s.group === "tls") {
        if (!tlsImage) tlsImage = new Uint8Array(m.tls!.size);
        if (s.local) tlsImage.set(s.local, s.tlsOffset);
        continue;
      }
      if (s.local) cpu.write(s.address, s.local);
      else if (s.moved && s.size > 0) cpu.write(s.address, new Uint8Array(s.size)); // moved zero-fill onto reused memory
    }
    if (m.tls) this.opts.tls.install(m.tls, tlsImage ?? new Uint8Array(0));
    this.opts.memory.finalizeMemory(m.key);
    this.invalidate(m);
    const eh = m.section(".eh_frame");
    if (eh && eh.local) this.ehFrames.register({ module: m.name, key: m.key, address: eh.address, size: eh.size, bytes: Uint8Array.from(eh.local), code: m.codeRanges() });
    m.state = "finalized";
    m.keptExternal = this.retention !== "none";
    for (const s of m.sections.values()) {
      const t = s.relocations;
      if (this.retention === "none") t.retain(() => false);
      else if (this.retention === "external") t.retain((i) => t.isExternal(i));
    }
  }

  /** Re-links a finalized module after a module it uses was replaced. */
  private relink(m: JitModule): void {
    const missing = new Map<string, Set<string>>();
    this.resolveModule(m, missing);
    if (missing.size > 0) {
      const list = [...missing.keys()].map((n) => `"${n}"`).join(", ");
      throw new JitdbgError("JIT_UNRESOLVED", `re-linking "${m.name}" after a replacement: the new version no longer provides ${list}`);
    }
    this.opts.memory.makeWritable(m.key);
    this.fillGotAndStubs(m);
    const cpu = this.opts.cpu;
    for (const s of m.sections.values()) {
      if (s.group === "tls") continue;
      const touched = s.relocations.length > 0 || s === m.gotSection || s === m.stubSection;
      if (!touched) continue;
      this.applySection(m, s, true);
      if (s.local) cpu.write(s.address, s.local);
    }
    this.opts.memory.finalizeMemory(m.key);
    this.invalidate(m);
  }

  private invalidate(m: JitModule): void {
    for (const r of this.opts.memory.ranges(m.key)) if (r.group === "code") this.opts.cpu.invalidateCode(r.start, r.end);
  }

  private runArray(m: JitModule, which: "init" | "fini"): void {
    const arrays = [...m.sections.values()].filter((s) => s.initKind === which).sort((a, b) => a.initPriority! - b.initPriority!);
    const entries: bigint[] = [];
    for (const s of arrays) {
      const buf = this.localOf(s);
      const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let i = 0; i + 8 <= s.size; i += 8) entries.push(dv.getBigUint64(i, true));
    }
    if (which === "fini") entries.reverse();
    if (entries.length === 0) return;
    if (!this.opts.executor) throw new JitdbgError("JIT_NO_EXECUTOR", `"${m.name}" has ${which === "init" ? ".init_array" : ".fini_array"} entries but the linker was given no executor to run them`);
    for (const e of entries) if (e !== 0n && e !== 0xffff_ffff_ffff_ffffn) this.opts.executor(e);
  }

  private drop(m: JitModule, unregister = true): void {
    if (unregister) this.unregister(m);
    this.opts.memory.release(m.key);
    this.ehFrames.deregister(m.key);
    this.resolvedCache.delete(m);
    this.relocatedAt.delete(m);
    const i = this.list.indexOf(m);
    if (i >= 0) this.list.splice(i, 1);
    for (const o of this.list) o.dependencies.delete(m);
    m.state = "removed";
    this.generation++;
  }

  /** Modules whose links (made, or that would be made now) land in `m`. */
  private usersOf(m: JitModule): [JitModule, Set<string>][] {
    const out: [JitModule, Set<string>][] = [];
    for (const o of this.list) {
      if (o === m) continue;
      const names = new Set(o.dependencies.get(m) ?? []);
      if (o.state !== "finalized") {
        for (const s of o.symbols) {
          if (s.section !== SYM_UNDEF || !s.name) continue;
          if (this.best(s.name)?.module === m) names.add(s.name);
        }
      }
      if (names.size > 0) out.push([o, names]);
    }
    return out;
  }

  private localOf(s: JitSection): Uint8Array {
    s.local ??= new Uint8Array(s.size);
    return s.local;
  }

  private requireLive(m: JitModule): void {
    if (m.state === "removed" || !this.list.includes(m)) throw new JitdbgError("JIT_NO_MODULE", `module "${m.name}" is not loaded in this linker (it was removed or replaced)`);
  }

  private finalizedError(m: JitModule, what: string): JitdbgError {
    return new JitdbgError("JIT_FINALIZED", `cannot ${what}: module "${m.name}" is finalized (its pages are read-only/executable and its code may be running); use replaceModule(module, newObject) to load a new version and re-link its users`);
  }

  private emit(e: LinkerEvent): void {
    this.opts.observer?.(e);
  }
}


