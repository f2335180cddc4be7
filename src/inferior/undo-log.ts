/**
 * An undo log of the inferior: begun before the debugger runs code in the program (an expression
 * call), then committed (the code's effects stay) or rolled back (the program is as it was when
 * the log began). It records
 *
 * - memory: the bytes of each page before its first change — a CPU store (a write hook over all
 *   addresses but a range the caller restores itself), a store by a syscall, or an unmap — so a
 *   page costs one copy and every later store one look-up;
 * - the kernel's own state: exit status and terminating signal, signal actions and mask, the tid
 *   address, the descriptor table and file offsets (files closed meanwhile stay open on the host),
 *   FD_CLOEXEC and O_NONBLOCK, the bytes each pipe holds, eventfd counters and epoll interest
 *   lists (FdTable.snapshot), the threads' waits (a thread waiting on a pipe that the code woke
 *   waits again, its saved rip put back: ThreadTable.snapshot);
 * - the files: the working directory, the scratch layer's whiteouts, and every host file, link or
 *   directory the code changed, made or removed, in place or in the scratch layer (file-journal.ts);
 * - the address space: its regions and program break, and the placement randomness;
 * - the program's standard output and error, held back until the log ends (delivered on commit,
 *   dropped on roll-back: exit() flushes stdio buffers that the roll-back fills again).
 *
 * Roll back puts the kernel state back, then the layout (unmapping what was mapped, re-mapping what
 * was unmapped, re-protecting), then the saved pages that are mapped again. Regions the debugger
 * owns (JIT code and data, its TLS runtime) are left as they are: they are not the program's.
 * Logs nest (a breakpoint condition evaluated inside a call): each records on its own.
 */
import { PROT_EXEC, type Cpu, type HookHandle } from "../emu/cpu.js";
import { PAGE, type AddressSpace, type Region, type SpaceLayout } from "./address-space.js";
import type { Kernel, KernelState, OutputHold } from "./kernel.js";
import type { RngState } from "./random.js";

/** A page is saved at its first store: the log's hook need not see the later ones (they run at full speed). */
const FIRST_STORES = { firstStorePerPage: true } as const;

/** What a log needs of the process (Process has these). */
export interface UndoTarget {
  readonly cpu: Cpu;
  readonly space: AddressSpace;
  readonly kernel: Kernel;
}

export interface UndoLogOptions {
  /** Bytes the caller saves and restores itself (the call's stack scratch): CPU stores there are not logged. */
  unlogged?: { start: bigint; end: bigint };
}

/** What a roll-back put back. */
export interface RollbackReport {
  /** Pages of memory whose bytes were restored. */
  pages: number;
  /** Bytes of standard output and error the code wrote, dropped. */
  outputBytes: number;
}

const PAGE_SHIFT = 12n;
const PAGE_BYTES = Number(PAGE);
const LAST_ADDRESS = (1n << 64n) - 1n;
const pageUp = (a: bigint): bigint => (a + PAGE - 1n) & ~(PAGE - 1n);

/** Regions the debugger owns, which a roll-back leaves alone. */
export function ownedByDebugger(r: Region): boolean {
  return r.kind === "jit" || r.kind === "runtime";
}

export class UndoLog {
  /** Page number → the page's bytes when the log began (or when it was first mapped since). */
  private readonly saved = new Map<number, Uint8Array>();
  private readonly layout: SpaceLayout;
  private readonly rng: RngState;
  private readonly state: KernelState;
  private readonly hold: OutputHold;
  private readonly hooks: HookHandle[] = [];
  private readonly unwatch: (() => void)[] = [];
  private lastPage = -1;
  private ended = false;

  private constructor(
    private readonly target: UndoTarget,
    opts: UndoLogOptions,
  ) {
    const { cpu, space, kernel } = target;
    this.layout = space.layout();
    this.rng = space.rng.save();
    this.state = kernel.saveState();
    this.hold = kernel.holdOutput();
    const onStore = (_access: unknown, address: bigint, size: number): void => this.store(address, size);
    // The hook sees only each page's first store, so the range left unlogged is whole pages: a
    // page partly in it (the call's scratch shares the program's stack page) is logged, lest a
    // first store in the scratch part let a later one elsewhere in the page go unseen.
    const u = opts.unlogged && { start: pageUp(opts.unlogged.start), end: opts.unlogged.end & ~(PAGE - 1n) };
    if (u && u.start < u.end) {
      if (u.start > 0n) this.hooks.push(cpu.hookMemory(["write"], 0n, u.start - 1n, onStore, FIRST_STORES));
      if (u.end <= LAST_ADDRESS) this.hooks.push(cpu.hookMemory(["write"], u.end, LAST_ADDRESS, onStore, FIRST_STORES));
    } else {
      this.hooks.push(cpu.hookMemory(["write"], 1n, 0n, onStore, FIRST_STORES));
    }
    this.unwatch.push(kernel.watchUserWrites((address, length) => this.saveRange(address, address + BigInt(length))));
    this.unwatch.push(space.watchUnmaps((start, end, region) => this.beforeUnmap(start, end, region)));
  }

  /** Starts recording. */
  static begin(target: UndoTarget, opts: UndoLogOptions = {}): UndoLog {
    return new UndoLog(target, opts);
  }

  /** Pages saved so far. */
  get pages(): number {
    return this.saved.size;
  }

  /** Keeps every effect: held output goes out, files closed meanwhile are closed on the host. Returns the pages the code changed. */
  commit(): number[] {
    if (!this.finish()) return [];
    const pages = [...this.saved.keys()];
    this.target.kernel.dropState(this.state);
    this.hold.release(true);
    this.saved.clear();
    return pages;
  }

  /** Puts the program back as it was when the log began. */
  rollback(): RollbackReport {
    if (!this.finish()) return { pages: 0, outputBytes: 0 };
    const { cpu, space, kernel } = this.target;
    kernel.restoreState(this.state);
    space.rng.restore(this.rng);
    space.restoreLayout(this.layout, ownedByDebugger);
    let pages = 0;
    for (const [page, bytes] of this.saved) {
      const at = BigInt(page) << PAGE_SHIFT;
      const region = space.regionAt(at);
      if (!region) continue; // mapped only during the call
      cpu.write(at, bytes);
      if (region.prot & PROT_EXEC) cpu.invalidateCode(at, at + PAGE);
      pages++;
    }
    this.saved.clear();
    return { pages, outputBytes: this.hold.release(false) };
  }

  /** Stops recording; false when the log had already ended. */
  private finish(): boolean {
    if (this.ended) return false;
    this.ended = true;
    for (const h of this.hooks) h.remove();
    for (const u of this.unwatch) u();
    return true;
  }

  /** A CPU store of `size` bytes at `address`, about to happen (the hot path: number arithmetic, user addresses are below 2^47). */
  private store(address: bigint, size: number): void {
    const a = Number(address);
    const first = Math.floor(a / PAGE_BYTES);
    if (first !== this.lastPage) {
      this.savePage(first);
      if (this.saved.has(first)) this.lastPage = first;
    }
    if ((a % PAGE_BYTES) + size > PAGE_BYTES) this.savePage(first + 1);
  }

  private saveRange(start: bigint, end: bigint): void {
    for (let page = Number(start >> PAGE_SHIFT); BigInt(page) << PAGE_SHIFT < end; page++) this.savePage(page);
  }

  private savePage(page: number): void {
    if (this.saved.has(page)) return;
    const bytes = new Uint8Array(PAGE_BYTES);
    // An unmapped page (a store about to fault) has nothing to keep.
    if (this.target.cpu.tryRead(BigInt(page) << PAGE_SHIFT, bytes)) this.saved.set(page, bytes);
  }

  private beforeUnmap(start: bigint, end: bigint, region: Region): void {
    if (!ownedByDebugger(region)) {
      this.saveRange(start, end);
      return;
    }
    // The debugger's own memory going away (a JIT module freed): not put back, so not kept either.
    for (let page = Number(start >> PAGE_SHIFT); BigInt(page) << PAGE_SHIFT < end; page++) this.saved.delete(page);
    this.lastPage = -1;
  }
}
