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

export class DefinitionTable {
  private readonly defs = new Map<string, Definition[]>();
  private readonly comdats = new Map<string, JitModule>();

  /** What parsing a new object needs to know about the modules already loaded. */
  readonly loadContext: LoadContext = {
    comdatTaken: (sig) => this.comdats.has(sig),
    hasDefinition: (n) => (this.defs.get(n) ?? []).some((d) => d.rank < 2),
  };

  /** Refuses a module whose strong global definitions collide with loaded ones. */
  checkDuplicates(m: JitModule): void {
    for (const [name, index] of m.exports) {
      const s = m.symbols[index]!;
      if (s.bind !== C.STB_GLOBAL || m.commons.has(index)) continue;
      const other = (this.defs.get(name) ?? []).find((d) => d.rank === 0);
      if (other) {
        throw new JitdbgError("JIT_DUPLICATE_SYMBOL", `"${name}" is defined in both "${other.module.name}" and "${m.name}"; make one of them static or weak, or replace the module with replaceModule`, { file: m.name, symbol: name });
      }
    }
  }

  register(m: JitModule): void {
    for (const [name, index] of m.exports) {
      const s = m.symbols[index]!;
      const rank = m.commons.has(index) ? 1 : s.bind === C.STB_WEAK ? 2 : 0;
      let list = this.defs.get(name);
      if (!list) this.defs.set(name, (list = []));
      list.push({ module: m, index, rank });
    }
    for (const sig of m.comdats) if (!this.comdats.has(sig)) this.comdats.set(sig, m);
  }

  unregister(m: JitModule): void {
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
  best(name: string): Definition | undefined {
    const list = this.defs.get(name);
    if (!list || list.length === 0) return undefined;
    let pick = list[0]!;
    for (const d of list) if (d.rank < pick.rank) pick = d;
    return pick;
  }
}
