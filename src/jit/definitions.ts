/**
 * Which loaded JIT module defines each global name, and which module's copy of each COMDAT group
 * is the one in use. Strong definitions beat COMMON ones, which beat weak ones; load order breaks
 * ties. Only the linker's own modules are here: the inferior's names come from a SymbolResolver.
 */
import * as C from "../elf/constants.js";
import { JitdbgError } from "../errors.js";
import type { JitModule, LoadContext } from "./module.js";

export interface Definition {
  module: JitModule;
  /** Symbol index in the module. */
  index: number;
  /** 0 strong, 1 common, 2 weak. */
  rank: number;
}

/**
 * Most names have one definition: the map holds that Definition itself, and an array only once a
 * second module defines the name (registering a 3,000-function object made 3,000 one-element
 * arrays, a tenth of its load time).
 */
type Definitions = Definition | Definition[];

export class DefinitionTable {
  private readonly defs = new Map<string, Definitions>();
  private readonly comdats = new Map<string, JitModule>();
  /**
   * Modules registered but not yet in `defs`, in load order: indexing a module's names waits for
   * the first question about names (a lone object whose relocations all resolve inside it, as
   * llvm-rtdyld's bench object does, is never indexed while it links).
   */
  private pending: JitModule[] = [];

  /** What parsing a new object needs to know about the modules already loaded. */
  readonly loadContext: LoadContext = {
    comdatTaken: (sig) => this.comdats.has(sig),
    hasDefinition: (n) => this.some(n, (d) => d.rank < 2) !== undefined,
  };

  private some(name: string, test: (d: Definition) => boolean): Definition | undefined {
    this.index();
    const e = this.defs.get(name);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return test(e) ? e : undefined;
    return e.find(test);
  }

  /** Refuses a module whose strong global definitions collide with loaded ones. */
  checkDuplicates(m: JitModule): void {
    this.index();
    if (this.defs.size === 0) return;
    for (const [name, index] of m.exports) {
      const s = m.symbols[index]!;
      if (s.bind !== C.STB_GLOBAL || m.commons.has(index)) continue;
      const other = this.some(name, (d) => d.rank === 0);
      if (other) {
        throw new JitdbgError("JIT_DUPLICATE_SYMBOL", `"${name}" is defined in both "${other.module.name}" and "${m.name}"; make one of them static or weak, or replace the module with replaceModule`, { file: m.name, symbol: name });
      }
    }
  }

  register(m: JitModule): void {
    this.pending.push(m);
    for (const sig of m.comdats) if (!this.comdats.has(sig)) this.comdats.set(sig, m);
  }

  /** Puts the pending modules' names in `defs`, in load order. */
  private index(): void {
    if (this.pending.length === 0) return;
    const modules = this.pending;
    this.pending = [];
    for (const m of modules) this.add(m);
  }

  private add(m: JitModule): void {
    const hasCommons = m.commons.size > 0;
    for (const [name, index] of m.exports) {
      const rank = hasCommons && m.commons.has(index) ? 1 : m.symbols[index]!.bind === C.STB_WEAK ? 2 : 0;
      const d: Definition = { module: m, index, rank };
      const e = this.defs.get(name);
      if (e === undefined) this.defs.set(name, d);
      else if (Array.isArray(e)) e.push(d);
      else this.defs.set(name, [e, d]);
    }
  }

  unregister(m: JitModule): void {
    const waiting = this.pending.indexOf(m);
    if (waiting >= 0) this.pending.splice(waiting, 1);
    else for (const name of m.exports.keys()) {
      const e = this.defs.get(name);
      if (e === undefined) continue;
      const kept = Array.isArray(e) ? e.filter((d) => d.module !== m) : e.module === m ? [] : [e];
      if (kept.length > 1) this.defs.set(name, kept);
      else if (kept.length === 1) this.defs.set(name, kept[0]!);
      else this.defs.delete(name);
    }
    for (const sig of m.comdats) if (this.comdats.get(sig) === m) this.comdats.delete(sig);
  }

  /** Strong first, then COMMON, then weak; load order breaks ties. */
  best(name: string): Definition | undefined {
    this.index();
    const e = this.defs.get(name);
    if (e === undefined || !Array.isArray(e)) return e;
    if (e.length === 0) return undefined;
    let pick = e[0]!;
    for (const d of e) if (d.rank < pick.rank) pick = d;
    return pick;
  }
}
