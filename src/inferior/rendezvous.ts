/**
 * Following the dynamic loader as gdb and lldb do: a breakpoint-style code hook on exactly the
 * address of the loader's `_dl_debug_state`, which glibc calls with r_debug.r_state set to
 * RT_ADD/RT_DELETE before it changes the link_map list and RT_CONSISTENT after. At each
 * consistent stop the list is read again and the changes are reported.
 *
 * Finding `_dl_debug_state`: the loader's .symtab, or its separate debug file (by build-id), has
 * the symbol. A stripped loader without a debug file exports only `_r_debug`; then a write hook on
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
  /** Called at every consistent state with the current list (load order). */
  onConsistent: (maps: LinkMapEntry[], rdebug: RDebug) => void;
  warn: (message: string) => void;
}

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

  constructor(private readonly o: RendezvousOptions) {
    const { file, bias } = o.interpreter;
    const own = new Symbolizer(file, bias);
    this.rdebugAddress = own.addressOf("_r_debug");
    let brk = own.addressOf("_dl_debug_state");
    if (brk === undefined) {
      const dbg = findDebugFile(file, o.debugDirectories);
      if (dbg) brk = new Symbolizer(dbg, bias).addressOf("_dl_debug_state");
    }
    if (brk !== undefined) {
      this.source = "symbol";
      this.setBreak(brk);
    } else if (this.rdebugAddress !== undefined) {
      this.source = "r_brk";
      const slot = this.rdebugAddress + R_BRK_OFFSET;
      this.watch = o.cpu.hookMemory(["write"], slot, slot + 7n, (_access, address, size, value) => {
        if (this.breakAddress === undefined && address === slot && size === 8 && value !== 0n) {
          this.setBreak(value);
          this.o.cpu.invalidateCode(value, value + 1n);
          // A hook cannot be removed from inside its own callback: tidy() does it after the slice.
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

  /** Drops the r_brk write hook once it has done its job (call between run slices). */
  tidy(): void {
    if (this.watch && this.breakAddress !== undefined) {
      this.watch.remove();
      this.watch = undefined;
    }
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
