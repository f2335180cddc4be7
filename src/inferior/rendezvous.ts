/**
 * Following the dynamic loader as gdb and lldb do: a breakpoint-style code hook on exactly the
 * address of the loader's `_dl_debug_state`, which glibc calls with r_debug.r_state set to
 * RT_ADD/RT_DELETE before it changes the link_map list and RT_CONSISTENT after. At each
 * consistent stop the list is read again and the changes are reported.
 *
 * Finding `_dl_debug_state`: glibc exports it in .dynsym (GLIBC_PRIVATE); else the loader's
 * .symtab or its separate debug file (by build-id) may have it. A loader without it anywhere but
 * exporting `_r_debug` gets a write hook on
 * r_debug.r_brk catches the moment the loader stores `&_dl_debug_state` there (just before its
 * first call) and the code hook is placed at that value.
 */
import type { Cpu, HookHandle } from "../emu/cpu.js";
import { findDebugFile } from "../elf/debug-file.js";
import type { ElfFile } from "../elf/reader.js";
import { Symbolizer } from "../elf/symbolizer.js";
import { readLinkMaps, readRDebug, R_BRK_OFFSET, type LinkMapEntry, type MemoryReader, type RDebug } from "./link-map.js";

export interface RendezvousOptions {
  cpu: Cpu;
  mem: MemoryReader;
  interpreter: { file: ElfFile; bias: bigint };
  /** Run-time address of the program's DT_DEBUG value, where the loader stores &_r_debug. */
  debugSlot?: bigint;
  debugDirectories: readonly string[];
  /** Names the loader's state-change function may have (default LOADER_BREAK_SYMBOLS). */
  breakSymbols?: readonly string[];
  /** Called at every consistent state with the current list (load order). */
  onConsistent: (maps: LinkMapEntry[], rdebug: RDebug) => void;
  warn: (message: string) => void;
}

/** gdb's list (solib-svr4.c): glibc's name first, then other SVR4 loaders'. */
export const LOADER_BREAK_SYMBOLS = ["_dl_debug_state", "r_debug_state", "_r_debug_state", "rtld_db_dlactivity", "__dl_rtld_db_dlactivity", "_rtld_debug_state"];

export type BreakpointSource = "symbol" | "r_brk" | "none";

export class Rendezvous {
  /** Address of struct r_debug, when known. */
  rdebugAddress: bigint | undefined;
  /** Address of _dl_debug_state, once known. */
  breakAddress: bigint | undefined;
  /** How _dl_debug_state was found. */
  readonly source: BreakpointSource;
  private readonly hooks: HookHandle[] = [];
  private watch: HookHandle | undefined;
  private pendingBreak: bigint | undefined;

  constructor(private readonly o: RendezvousOptions) {
    const { file, bias } = o.interpreter;
    const own = new Symbolizer(file, bias);
    this.rdebugAddress = own.addressOf("_r_debug");
    const names = o.breakSymbols ?? LOADER_BREAK_SYMBOLS;
    const find = (s: Symbolizer) => names.map((n) => s.addressOf(n)).find((a) => a !== undefined);
    let brk = find(own);
    if (brk === undefined && names.length > 0) {
      const dbg = findDebugFile(file, o.debugDirectories);
      if (dbg) brk = find(new Symbolizer(dbg, bias));
    }
    if (brk !== undefined) {
      this.source = "symbol";
      this.setBreak(brk);
    } else if (this.rdebugAddress !== undefined) {
      this.source = "r_brk";
      const slot = this.rdebugAddress + R_BRK_OFFSET;
      this.watch = o.cpu.hookMemory(["write"], slot, slot + 7n, (_access, address, size, value) => {
        if (this.breakAddress === undefined && this.pendingBreak === undefined && address === slot && size === 8 && value !== 0n) {
          // Hooks cannot be added while the engine runs: end the slice here; tidy() adds the code
          // hook and the process resumes. The first call of _dl_debug_state is in a later block.
          this.pendingBreak = value;
          this.o.cpu.stop();
        }
      });
    } else {
      this.source = "none";
      o.warn(`the dynamic loader ${file.path} has neither a _dl_debug_state symbol (no .symtab or debug file) nor _r_debug; shared libraries will not be tracked`);
    }
  }

  /** The current list, read now (empty before the loader has set up r_debug). */
  read(): LinkMapEntry[] {
    const rd = this.readRDebug();
    return rd ? readLinkMaps(this.o.mem, rd.map) : [];
  }

  readRDebug(): RDebug | undefined {
    if (this.rdebugAddress === undefined && this.o.debugSlot !== undefined) {
      const v = this.o.mem.readU64(this.o.debugSlot);
      if (v !== undefined && v !== 0n) this.rdebugAddress = v;
    }
    return this.rdebugAddress === undefined ? undefined : readRDebug(this.o.mem, this.rdebugAddress);
  }

  /**
   * Between run slices: places the code hook the r_brk watch asked for and drops the watch.
   * Returns true when the slice was ended only for this, so the caller should resume.
   */
  tidy(): boolean {
    if (this.pendingBreak === undefined) return false;
    const at = this.pendingBreak;
    this.pendingBreak = undefined;
    this.setBreak(at);
    this.o.cpu.invalidateCode(at, at + 1n);
    this.watch?.remove();
    this.watch = undefined;
    return true;
  }

  remove(): void {
    for (const h of this.hooks) h.remove();
    this.hooks.length = 0;
    this.watch?.remove();
    this.watch = undefined;
  }

  private setBreak(address: bigint): void {
    this.breakAddress = address;
    this.hooks.push(
      this.o.cpu.hookCode(address, address, () => {
        const rd = this.readRDebug();
        if (rd && rd.state === "consistent") this.o.onConsistent(readLinkMaps(this.o.mem, rd.map), rd);
      }),
    );
  }
}
