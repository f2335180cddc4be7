/**
 * The JIT linker (RuntimeDyld's job, with LLDB's needs first): load relocatable objects into local
 * buffers at reserved target addresses, answer look-ups without finalizing, let sections move until
 * their module is finalized, then resolve, relocate, write into the inferior and protect pages in one
 * explicit step. Finalized modules are only ever re-linked through replaceModule, which makes pages
 * writable, re-applies the kept relocations, re-protects and invalidates translated code.
 *
 * This class is the public surface only: it reports each call to the observer and hands it on to
 * the module lifecycle (lifecycle.ts), which drives symbol resolution (definitions.ts,
 * resolution.ts), placement (placement.ts), relocation application (apply.ts) and finalization
 * (finalization.ts, initializers.ts).
 */
import type { Cpu } from "../emu/cpu.js";
import { DefinitionTable } from "./definitions.js";
import { EhFrameRegistry } from "./eh-frame-registry.js";
import type { RetentionPolicy } from "./finalization.js";
import { ModuleLifecycle } from "./lifecycle.js";
import type { JitMemoryManager, Placement } from "./memory-manager.js";
import { localBytes, type JitModule } from "./module.js";
import { SymbolResolution } from "./resolution.js";
import type { SymbolResolver } from "./resolver.js";
import type { TlsRuntime } from "./tls.js";

export type { RetentionPolicy } from "./finalization.js";

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

export class JitLinker {
  readonly ehFrames: EhFrameRegistry;
  private readonly definitions = new DefinitionTable();
  private readonly life: ModuleLifecycle;

  constructor(private readonly opts: JitLinkerOptions) {
    this.ehFrames = opts.ehFrames ?? new EhFrameRegistry();
    this.life = new ModuleLifecycle({
      cpu: opts.cpu,
      memory: opts.memory,
      tls: opts.tls,
      ehFrames: this.ehFrames,
      definitions: this.definitions,
      resolution: new SymbolResolution(this.definitions, opts.tls, opts.resolver),
      retention: this.retention,
      placement: opts.placement,
      executor: opts.executor,
    });
  }

  get retention(): RetentionPolicy {
    return this.opts.retention ?? "external";
  }

  modules(): JitModule[] {
    return [...this.life.modules()];
  }

  module(name: string): JitModule | undefined {
    return this.life.modules().find((m) => m.name === name);
  }

  /** Parses, allocates target space and copies section bytes into local buffers; writes nothing into the inferior. */
  addObject(bytes: Uint8Array, name: string, opts: { placement?: Placement } = {}): JitModule {
    this.emit({ call: "addObject", module: name });
    return this.life.load(bytes, name, opts.placement);
  }

  /** Moves a section in target space; allowed until the module is finalized (look-ups do not finalize). */
  mapSectionAddress(module: JitModule, section: string | number, address: bigint): void {
    const sec = typeof section === "number" ? module.sections.get(section) : module.section(section);
    this.emit({ call: "mapSectionAddress", module: module.name, section: sec?.name ?? String(section), address });
    this.life.moveSection(module, sec, section, address);
  }

  /** Where the symbol's bytes are now (local buffer + offset). Never finalizes, never writes the inferior. */
  getSymbolAddress(name: string): LocalAddress | undefined {
    this.emit({ call: "getSymbolAddress", symbol: name });
    const d = this.definitions.best(name);
    if (!d) return undefined;
    const sym = d.module.symbols[d.index]!;
    const sec = d.module.sections.get(sym.section);
    if (!sec) return undefined;
    return { module: d.module, section: sec.name, buffer: localBytes(sec), offset: sym.value };
  }

  /** Where the symbol will live in the inferior (TLS: in the main thread). Never finalizes. */
  getSymbolLoadAddress(name: string): bigint | undefined {
    this.emit({ call: "getSymbolLoadAddress", symbol: name });
    const d = this.definitions.best(name);
    return d ? d.module.symbolLoadAddress(d.index) : undefined;
  }

  /** Resolves and applies relocations into the local buffers (no inferior write). */
  relocate(module?: JitModule): void {
    this.emit({ call: "relocate", module: module?.name });
    this.life.relocate(this.life.unfinalized(module, "re-apply its relocations"));
  }

  /** Resolves, relocates, writes into the inferior, protects pages, registers .eh_frame, runs initializers if asked. */
  finalize(module?: JitModule, opts: FinalizeOptions = {}): void {
    this.emit({ call: "finalize", module: module?.name });
    this.life.finalize(this.life.unfinalized(module, "finalize it again"), opts.runInitializers);
  }

  /** Runs the module's .init_array (priority order), e.g. after a finalize that did not. */
  runInitializers(module: JitModule): void {
    this.emit({ call: "runInitializers", module: module.name });
    this.life.runArray(module, "init");
  }

  /** Runs the module's .fini_array (in reverse order, as the C runtime does). */
  runFinalizers(module: JitModule): void {
    this.emit({ call: "runFinalizers", module: module.name });
    this.life.runArray(module, "fini");
  }

  /** Unmaps the module and forgets its symbols; refused while another module uses it. */
  removeModule(module: JitModule): void {
    this.emit({ call: "removeModule", module: module.name });
    this.life.remove(module);
  }

  /**
   * Loads a new version of a module and re-links every finalized module whose external relocations
   * pointed into the old one, so existing callers reach the new code; then unloads the old version.
   */
  replaceModule(old: JitModule, bytes: Uint8Array, opts: FinalizeOptions & { name?: string; placement?: Placement } = {}): JitModule {
    this.emit({ call: "replaceModule", module: old.name });
    return this.life.replace(old, bytes, opts.name ?? old.name, opts.placement, opts.runInitializers);
  }

  /** Relocation records still held, per module or in total. */
  retainedRelocations(module?: JitModule): RetainedRelocations {
    let count = 0;
    let heapBytes = 0;
    for (const m of module ? [module] : this.life.modules()) {
      for (const s of m.sections.values()) {
        count += s.relocations.length;
        heapBytes += s.relocations.bytes;
      }
    }
    return { count, elfBytes: count * 24, heapBytes };
  }

  private emit(e: LinkerEvent): void {
    this.opts.observer?.(e);
  }
}
