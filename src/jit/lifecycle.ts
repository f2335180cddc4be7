/**
 * The JIT linker's modules from load to removal: add (parse, place, register definitions), move
 * sections until finalized, relocate (resolve, then apply, only what changed since), finalize,
 * re-link finalized users when a module is replaced (de-finalize, patch, re-protect), remove.
 * Every state rule and its error lives here; resolution, application, placement and finalization
 * are the files this one drives.
 */
import { JitdbgError } from "../errors.js";
import { applySection, fillGotAndStubs } from "./apply.js";
import type { DefinitionTable } from "./definitions.js";
import { finalizeModule, refinalizeModule, type FinalizationTarget, type RetentionPolicy } from "./finalization.js";
import { runInitArrays } from "./initializers.js";
import type { Placement } from "./memory-manager.js";
import { parseObject, SYM_UNDEF, type JitModule, type JitSection } from "./module.js";
import { placeModule } from "./placement.js";
import type { MissingNames, SymbolResolution } from "./resolution.js";

export interface LifecycleOptions extends FinalizationTarget {
  definitions: DefinitionTable;
  resolution: SymbolResolution;
  retention: RetentionPolicy;
  /** Forces a placement for every module (default: what each module's code model needs). */
  placement?: Placement;
  /** Runs a function in the inferior (for .init_array / .fini_array). */
  executor?: (address: bigint) => void;
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;

export class ModuleLifecycle {
  private readonly list: JitModule[] = [];
  private nextId = 1;
  /** Bumped whenever an address any module may resolve to changes (load, move, drop). */
  private generation = 0;
  private readonly relocatedAt = new Map<JitModule, number>();

  constructor(private readonly opts: LifecycleOptions) {}

  modules(): readonly JitModule[] {
    return this.list;
  }

  /** Parses, places and registers an object; writes nothing into the inferior. */
  load(bytes: Uint8Array, name: string, placement: Placement | undefined, replacing?: JitModule): JitModule {
    if (this.list.some((m) => m.name === name && m !== replacing)) {
      throw new JitdbgError("JIT_DUPLICATE_MODULE", `a module named "${name}" is already loaded; give each object a distinct name or use replaceModule`);
    }
    const m = parseObject(bytes, name, this.nextId++, this.opts.definitions.loadContext);
    this.opts.definitions.checkDuplicates(m);
    placeModule(m, placement ?? this.opts.placement ?? m.placement, this.opts.memory, this.opts.tls);
    this.opts.definitions.register(m);
    this.list.push(m);
    this.generation++;
    return m;
  }

  /** Moves a loaded section in target space (refused once the module is finalized, and for TLS). */
  moveSection(module: JitModule, sec: JitSection | undefined, section: string | number, address: bigint): void {
    this.requireLive(module);
    if (module.state === "finalized") throw finalizedError(module, `move section ${sec?.name ?? section}`);
    if (!sec) throw new JitdbgError("JIT_NO_SECTION", { file: module.name, section: String(section) }, "the module has no such loaded section (only SHF_ALLOC sections are loaded)");
    if (sec.group === "tls") throw new JitdbgError("JIT_MOVE_TLS", { file: module.name, section: sec.name }, "the section is a TLS template; it lives in each thread's TLS block and cannot be moved");
    if (address % BigInt(sec.align) !== 0n) {
      throw new JitdbgError("JIT_MISALIGNED", { file: module.name, section: sec.name }, `cannot move the section to ${hex(address)}: it needs ${sec.align}-byte alignment`);
    }
    this.opts.memory.claim(module.key, address, sec.size, sec.group, sec.name);
    sec.address = address;
    sec.moved = true;
    this.generation++;
  }

  /** The module, or every module not yet finalized, checked to be loaded and not finalized. */
  unfinalized(module: JitModule | undefined, what: string): JitModule[] {
    const targets = module ? [module] : this.list.filter((m) => m.state !== "finalized");
    for (const m of targets) {
      this.requireLive(m);
      if (m.state === "finalized") throw finalizedError(m, what);
    }
    return targets;
  }

  /** Resolves and applies relocations of the modules that changed, or whose targets moved, since their last relocation. */
  relocate(targets: JitModule[]): void {
    const todo = targets.filter((m) => this.relocatedAt.get(m) !== this.generation || m.state === "loaded");
    if (todo.length === 0) return;
    const missing: MissingNames = new Map();
    for (const m of todo) this.opts.resolution.resolve(m, missing);
    if (missing.size > 0) {
      const list = [...missing.entries()].map(([n, mods]) => `"${n}" (needed by ${[...mods].map((x) => `"${x}"`).join(", ")})`);
      throw new JitdbgError("JIT_UNRESOLVED", `unresolved symbol${missing.size > 1 ? "s" : ""}: ${list.join(", ")}; define ${missing.size > 1 ? "them" : "it"} in a loaded object, load a host executable that has ${missing.size > 1 ? "them" : "it"} (--host), or declare ${missing.size > 1 ? "them" : "it"} weak`);
    }
    for (const m of todo) {
      const resolved = this.opts.resolution.resolved(m);
      fillGotAndStubs(m, resolved);
      for (const s of m.sections.values()) if (s.relocations.length > 0) applySection(m, s, resolved, false);
      m.state = "relocated";
      this.relocatedAt.set(m, this.generation);
    }
  }

  /** Relocates what needs it, then writes, protects and (if asked) runs the initializers of every target. */
  finalize(targets: JitModule[], runInitializers: boolean | undefined): void {
    this.relocate(targets);
    for (const m of targets) finalizeModule(m, this.opts, this.opts.retention);
    if (runInitializers) for (const m of targets) this.runArray(m, "init");
  }

  /** Runs a finalized module's constructors or destructors. */
  runArray(m: JitModule, which: "init" | "fini"): void {
    if (m.state !== "finalized") throw new JitdbgError("JIT_NOT_FINALIZED", `module "${m.name}" is not finalized; its ${which === "init" ? "constructors" : "destructors"} cannot run`);
    runInitArrays(m, which, this.opts.executor);
  }

  /** Unmaps the module and forgets its symbols; refused while another module uses it. */
  remove(module: JitModule): void {
    this.requireLive(module);
    const users = this.usersOf(module);
    if (users.length > 0) {
      const who = users.map(([m, names]) => `"${m.name}" (uses ${[...names].slice(0, 5).join(", ")}${names.size > 5 ? ", ..." : ""})`).join(", ");
      throw new JitdbgError("JIT_MODULE_IN_USE", `cannot remove "${module.name}": ${who} still reference${users.length === 1 ? "s" : ""} it; remove those first, or use replaceModule to swap in a new version`);
    }
    this.drop(module);
  }

  /** Loads a new version, re-links every module that used the old one, then unloads the old one. */
  replace(old: JitModule, bytes: Uint8Array, name: string, placement: Placement | undefined, runInitializers: boolean | undefined): JitModule {
    this.requireLive(old);
    const dependents = this.usersOf(old).map(([m]) => m);
    for (const d of dependents) {
      if (d.state === "finalized" && !d.keptExternal) {
        throw new JitdbgError("JIT_RELOCATIONS_DROPPED", `cannot re-link "${d.name}" to the new "${old.name}": it was finalized with relocation retention "none"; use retention "external" (the default) for modules that may be re-linked`);
      }
    }
    const defs = this.opts.definitions;
    // Hide the old definitions so the new version does not collide with them.
    defs.unregister(old);
    let fresh: JitModule;
    try {
      fresh = this.load(bytes, name, placement, old);
    } catch (e) {
      defs.register(old);
      throw e;
    }
    // Every name a dependent took from the old version must still resolve somewhere.
    const lost: string[] = [];
    for (const d of dependents) {
      for (const n of d.dependencies.get(old) ?? []) if (!this.opts.resolution.provides(n) && !lost.includes(n)) lost.push(n);
    }
    if (lost.length > 0) {
      this.drop(fresh);
      defs.register(old);
      throw new JitdbgError("JIT_REPLACEMENT_INCOMPLETE", `the new version of "${old.name}" does not define ${lost.map((n) => `"${n}"`).join(", ")}, which ${dependents.map((d) => `"${d.name}"`).join(", ")} use; nothing was replaced`);
    }
    this.relocate([fresh, ...dependents.filter((d) => d.state !== "finalized")]);
    finalizeModule(fresh, this.opts, this.opts.retention);
    if (runInitializers) this.runArray(fresh, "init");
    for (const d of dependents) if (d.state === "finalized") this.relink(d);
    this.drop(old, false);
    return fresh;
  }

  private requireLive(m: JitModule): void {
    if (m.state === "removed" || !this.list.includes(m)) throw new JitdbgError("JIT_NO_MODULE", `module "${m.name}" is not loaded in this linker (it was removed or replaced)`);
  }

  /** Re-links a finalized module after a module it uses was replaced. */
  private relink(m: JitModule): void {
    const missing: MissingNames = new Map();
    this.opts.resolution.resolve(m, missing);
    if (missing.size > 0) {
      const list = [...missing.keys()].map((n) => `"${n}"`).join(", ");
      throw new JitdbgError("JIT_UNRESOLVED", `re-linking "${m.name}" after a replacement: the new version no longer provides ${list}`);
    }
    refinalizeModule(m, this.opts, this.opts.resolution.resolved(m));
  }

  private drop(m: JitModule, unregister = true): void {
    if (unregister) this.opts.definitions.unregister(m);
    this.opts.memory.release(m.key);
    this.opts.ehFrames.deregister(m.key);
    this.opts.resolution.forget(m);
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
      const made = o.dependencies.get(m);
      if (o.state === "finalized" && made === undefined) continue; // the common case: nothing to copy
      const names = new Set(made ?? []);
      if (o.state !== "finalized") {
        for (const s of o.symbols) {
          if (s.section !== SYM_UNDEF || !s.name) continue;
          if (this.opts.definitions.best(s.name)?.module === m) names.add(s.name);
        }
      }
      if (names.size > 0) out.push([o, names]);
    }
    return out;
  }
}

function finalizedError(m: JitModule, what: string): JitdbgError {
  return new JitdbgError("JIT_FINALIZED", `cannot ${what}: module "${m.name}" is finalized (its pages are read-only/executable and its code may be running); use replaceModule(module, newObject) to load a new version and re-link its users`);
}
