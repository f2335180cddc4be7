/**
 * The inferior's address space: which page ranges are mapped, with what protection and for what,
 * kept in step with the emulated MMU. brk, mmap/munmap/mprotect, the loader and the JIT memory
 * manager all go through here, so queries (what holds an address, what is free) are always true.
 */
import { JitdbgError } from "../errors.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu, type MappedFile } from "../emu/cpu.js";
import type { SharedPart } from "../emu/shared-memory.js";
import { Rng } from "./random.js";

export const PAGE = 0x1000n;

export type RegionKind = "image" | "stack" | "heap" | "mmap" | "file" | "jit" | "runtime" | "vdso";

export interface Region {
  start: bigint;
  end: bigint; // exclusive
  prot: number;
  kind: RegionKind;
  name: string;
  /** MAP_SHARED memory: the segment (and where in it this region starts) that other mappings share. */
  shared?: SharedPart;
}

/** The mapped regions and the program break at one moment (AddressSpace.layout). */
export interface SpaceLayout {
  readonly regions: readonly Region[];
  readonly brkStart: bigint;
  readonly brkEnd: bigint;
  /** Changes to the mappings so far: an unchanged count means an unchanged layout. */
  readonly changes: number;
}

/** Told before pages stop being mapped, while their bytes can still be read (an undo log saves them). */
export type UnmapWatcher = (start: bigint, end: bigint, region: Region) => void;

export interface FreeRange {
  start: bigint;
  end: bigint;
}

export interface AllocateOptions {
  prot: number;
  kind: RegionKind;
  name: string;
  /** Address range the whole allocation must fall in (default: the mmap area). */
  within?: { low: bigint; high: bigint };
  /** Alignment of the start (a multiple of the page size; default one page). */
  align?: bigint;
  /** Random placement (default: the space's policy); false places top-down like Linux mmap. */
  randomize?: boolean;
}

/** Linux x86-64 user space with 47-bit addresses, and where its mmap area usually sits. */
export const USER_END = 0x7fff_ffff_f000n;
export const MMAP_LOW = 0x7f00_0000_0000n;
export const MMAP_HIGH = 0x7ff0_0000_0000n;
/**
 * Where the debugger's own regions (kinds "jit" and "runtime") go when they name no window: away
 * from the program's mmap area, so they never change where the program's mappings land.
 */
export const DEBUGGER_WINDOW = { low: 0x6000_0000_0000n, high: 0x7000_0000_0000n };
/** Room above the program break that the debugger's regions leave free for the heap to grow into. */
export const HEAP_ROOM = 0x4000_0000n;

/** Regions the debugger makes for itself: placed with their own randomness and out of the program's way. */
const isDebuggerKind = (kind: RegionKind): boolean => kind === "jit" || kind === "runtime";

export const pageDown = (a: bigint): bigint => a & ~(PAGE - 1n);
export const pageUp = (a: bigint): bigint => (a + PAGE - 1n) & ~(PAGE - 1n);
const alignUp = (a: bigint, align: bigint): bigint => ((a + align - 1n) / align) * align;
const alignDown = (a: bigint, align: bigint): bigint => (a / align) * align;
const hex = (n: bigint): string => `0x${n.toString(16)}`;

export function protString(prot: number): string {
  return `${prot & PROT_READ ? "r" : "-"}${prot & PROT_WRITE ? "w" : "-"}${prot & PROT_EXEC ? "x" : "-"}`;
}

export class AddressSpace {
  private regions: Region[] = [];
  brkStart = 0n;
  brkEnd = 0n;
  private changes = 0;
  private readonly unmapWatchers = new Set<UnmapWatcher>();

  /**
   * The debugger's own placement draws: a separate stream, so that linking an expression or
   * allocating a persistent variable never changes what the program's next mmap returns.
   */
  private readonly debuggerRng: Rng;

  constructor(
    private readonly cpu: Cpu,
    readonly rng: Rng,
    /** Whether allocations without an explicit choice are placed at random. */
    readonly randomizeByDefault: boolean,
  ) {
    this.debuggerRng = new Rng(rng.next64());
  }

  /** Writes mapped memory whatever its protection (the kernel's view, for loaders and syscalls). */
  poke(address: bigint, data: Uint8Array): void {
    this.cpu.write(address, data);
  }

  /** Reads mapped memory whatever its protection. */
  peek(address: bigint, size: number): Uint8Array {
    return this.cpu.read(address, size);
  }

  /** All mapped regions in address order (a copy). */
  list(): Region[] {
    return this.regions.map((r) => ({ ...r }));
  }

  regionAt(address: bigint): Region | undefined {
    const i = this.indexAt(address);
    return i >= 0 ? { ...this.regions[i]! } : undefined;
  }

  /** Where `address` is in the shared memory that holds it, if a MAP_SHARED mapping does. */
  sharedAt(address: bigint): SharedPart | undefined {
    const i = this.indexAt(address);
    const r = i >= 0 ? this.regions[i]! : undefined;
    return r?.shared && partAt(r, address);
  }

  isMapped(start: bigint, size: bigint): boolean {
    let at = start;
    const end = start + size;
    while (at < end) {
      const r = this.regionAt(at);
      if (!r) return false;
      at = r.end;
    }
    return true;
  }

  /** Unmapped gaps inside [low, high), in address order. */
  freeRanges(low = 0x10000n, high = USER_END): FreeRange[] {
    const out: FreeRange[] = [];
    let cursor = low;
    for (const r of this.regions) {
      if (r.end <= cursor) continue;
      if (r.start >= high) break;
      if (r.start > cursor) out.push({ start: cursor, end: r.start < high ? r.start : high });
      cursor = r.end > cursor ? r.end : cursor;
    }
    if (cursor < high) out.push({ start: cursor, end: high });
    return out;
  }

  /**
   * Maps a fresh range that must not overlap anything mapped: zeroed, or starting with `file`'s
   * bytes, or showing `shared`'s memory (MAP_SHARED: the same bytes as every other mapping of it).
   */
  map(start: bigint, size: bigint, prot: number, kind: RegionKind, name: string, file?: MappedFile, shared?: SharedPart): Region {
    const s = pageDown(start);
    const e = pageUp(start + size);
    if (e <= s) throw new JitdbgError("AS_BAD_RANGE", `cannot map an empty range at ${hex(start)}`);
    if (e > USER_END + PAGE) throw new JitdbgError("AS_BAD_RANGE", `range ${hex(s)}..${hex(e)} is outside user space`);
    const clash = this.regions.find((r) => r.start < e && s < r.end);
    if (clash) {
      throw new JitdbgError("AS_OVERLAP", `cannot map ${name} at ${hex(s)}..${hex(e)}: it overlaps ${clash.name} (${hex(clash.start)}..${hex(clash.end)})`);
    }
    if (shared) this.cpu.mapShared(s, e - s, prot, shared);
    else this.cpu.map(s, e - s, prot, file);
    const region: Region = shared ? { start: s, end: e, prot, kind, name, shared } : { start: s, end: e, prot, kind, name };
    this.insert(region);
    this.changes++;
    return { ...region };
  }

  /** MAP_FIXED semantics: whatever was mapped in the range is replaced. */
  mapFixed(start: bigint, size: bigint, prot: number, kind: RegionKind, name: string, file?: MappedFile, shared?: SharedPart): Region {
    this.unmap(pageDown(start), pageUp(start + size) - pageDown(start));
    return this.map(start, size, prot, kind, name, file, shared);
  }

  /** Finds a free range and maps it; throws when none fits. */
  allocate(size: bigint, opts: AllocateOptions): Region {
    const start = this.findFree(size, opts);
    if (start === undefined) {
      const w = opts.within ?? (isDebuggerKind(opts.kind) ? DEBUGGER_WINDOW : { low: MMAP_LOW, high: MMAP_HIGH });
      throw new JitdbgError("AS_NO_SPACE", `no free range of ${hex(pageUp(size))} bytes for ${opts.name} in ${hex(w.low)}..${hex(w.high)}`);
    }
    return this.map(start, size, opts.prot, opts.kind, opts.name);
  }

  /** Where an allocation would go, without mapping it. */
  findFree(size: bigint, opts: Pick<AllocateOptions, "within" | "align" | "randomize"> & { kind?: RegionKind }): bigint | undefined {
    const len = pageUp(size);
    const align = opts.align && opts.align > PAGE ? opts.align : PAGE;
    const own = opts.kind !== undefined && isDebuggerKind(opts.kind);
    const { low, high } = opts.within ?? (own ? DEBUGGER_WINDOW : { low: MMAP_LOW, high: MMAP_HIGH });
    const candidates: FreeRange[] = [];
    let slots = 0n;
    const free = this.freeRanges(pageUp(low), pageDown(high));
    for (const g of own ? this.clearOfHeap(free) : free) {
      const first = alignUp(g.start, align);
      const last = alignDown(g.end - len, align);
      if (g.end - g.start < len || last < first) continue;
      candidates.push({ start: first, end: last });
      slots += (last - first) / align + 1n;
    }
    if (candidates.length === 0) return undefined;
    if (opts.randomize ?? this.randomizeByDefault) {
      let pick = (own ? this.debuggerRng : this.rng).below(slots);
      for (const c of candidates) {
        const n = (c.end - c.start) / align + 1n;
        if (pick < n) return c.start + pick * align;
        pick -= n;
      }
    }
    return candidates[candidates.length - 1]!.end; // top-down, like Linux's mmap
  }

  /** Free ranges less the room above the break the heap may grow into. */
  private clearOfHeap(free: FreeRange[]): FreeRange[] {
    const s = this.brkStart;
    const e = this.brkStart + HEAP_ROOM;
    return free.flatMap((g) => (g.end <= s || g.start >= e ? [g] : [...(g.start < s ? [{ start: g.start, end: s }] : []), ...(g.end > e ? [{ start: e, end: g.end }] : [])]));
  }

  /** Unmaps every mapped page in the range (holes are fine, as for munmap). */
  unmap(start: bigint, size: bigint): void {
    const s = pageDown(start);
    const e = pageUp(start + size);
    for (const r of this.overlapping(s, e)) {
      const cs = r.start > s ? r.start : s;
      const ce = r.end < e ? r.end : e;
      for (const w of this.unmapWatchers) w(cs, ce, { ...r });
      this.cpu.unmap(cs, ce - cs);
      this.cut(r, cs, ce, undefined);
      this.changes++;
    }
  }

  /** Gives the regions inside [start, end) a new name (a debugger region reused for another purpose). */
  rename(start: bigint, end: bigint, name: string): void {
    for (const r of this.overlapping(start, end)) if (r.start >= start && r.end <= end) r.name = name;
    this.changes++;
  }

  /** Changes protection; every page of the range must be mapped (else false, as mprotect's ENOMEM). */
  protect(start: bigint, size: bigint, prot: number): boolean {
    const s = pageDown(start);
    const e = pageUp(start + size);
    if (!this.isMapped(s, e - s)) return false;
    for (const r of this.overlapping(s, e)) {
      if (r.prot === prot) continue; // the engine's work (and a split of its region) for nothing
      const cs = r.start > s ? r.start : s;
      const ce = r.end < e ? r.end : e;
      this.cpu.protect(cs, ce - cs, prot);
      this.cut(r, cs, ce, prot);
      this.changes++;
    }
    return true;
  }

  /** Sets up the program break just after the image's end (randomized like Linux unless reproducible). */
  initBrk(imageEnd: bigint): void {
    const gap = this.randomizeByDefault ? this.rng.below(0x2000n) * PAGE : 0n;
    this.brkStart = pageUp(imageEnd) + gap;
    this.brkEnd = this.brkStart;
  }

  /** brk(2): grows or shrinks the heap; returns the (possibly unchanged) break. */
  setBrk(requested: bigint): bigint {
    if (requested === 0n || requested < this.brkStart) return this.brkEnd;
    const oldTop = pageUp(this.brkEnd);
    const newTop = pageUp(requested);
    if (newTop > oldTop) {
      if (!this.freeRanges(oldTop, newTop).some((g) => g.start === oldTop && g.end === newTop)) return this.brkEnd;
      this.map(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE, "heap", "[heap]");
      this.mergeNeighbours(oldTop);
    } else if (newTop < oldTop) {
      this.unmap(newTop, oldTop - newTop);
    }
    this.brkEnd = requested;
    return this.brkEnd;
  }

  /**
   * fork(2): the same regions in `into` (an empty space over another CPU), each with its
   * protection and bytes, and the same break. A copy, not copy-on-write: Unicorn cannot share
   * pages between engines copy-on-write; all-zero chunks are not written (the new pages are zero).
   * Shared regions are not copied: the child maps the same memory.
   */
  copyInto(into: AddressSpace): void {
    const CHUNK = 0x10_0000n;
    for (const r of this.regions) {
      into.insert({ ...r });
      if (r.shared) {
        into.cpu.mapShared(r.start, r.end - r.start, r.prot, r.shared);
        continue;
      }
      into.cpu.map(r.start, r.end - r.start, r.prot);
      for (let at = r.start; at < r.end; at += CHUNK) {
        const n = r.end - at < CHUNK ? r.end - at : CHUNK;
        const bytes = this.cpu.read(at, Number(n));
        if (!allZero(bytes)) into.cpu.write(at, bytes);
      }
    }
    into.brkStart = this.brkStart;
    into.brkEnd = this.brkEnd;
    into.changes++;
  }

  /**
   * vfork's shared memory, after the fact: the pages of this space's writable regions that differ
   * from `into`'s are copied there. The child of a vfork runs on a copy while its parent waits;
   * when it executes a program or ends, what it wrote (posix_spawn's error code, say) reaches the parent.
   */
  copyChangesInto(into: AddressSpace): void {
    const CHUNK = 0x10000n;
    for (const r of this.regions) {
      if (!(r.prot & PROT_WRITE) || r.shared || !into.isMapped(r.start, r.end - r.start)) continue;
      for (let at = r.start; at < r.end; at += CHUNK) {
        const n = Number(r.end - at < CHUNK ? r.end - at : CHUNK);
        const mine = Buffer.from(this.cpu.read(at, n).buffer);
        const theirs = Buffer.from(into.cpu.read(at, n).buffer);
        if (mine.equals(theirs)) continue;
        for (let off = 0; off < n; off += Number(PAGE)) {
          const page = mine.subarray(off, off + Number(PAGE));
          if (!page.equals(theirs.subarray(off, off + Number(PAGE)))) into.cpu.write(at + BigInt(off), page);
        }
      }
    }
  }

  /** Tells `watcher` before any mapped pages are unmapped; returns its removal. */
  watchUnmaps(watcher: UnmapWatcher): () => void {
    this.unmapWatchers.add(watcher);
    return () => this.unmapWatchers.delete(watcher);
  }

  /** The regions and the break now, for restoreLayout. */
  layout(): SpaceLayout {
    return { regions: this.list(), brkStart: this.brkStart, brkEnd: this.brkEnd, changes: this.changes };
  }

  /**
   * Puts a saved layout back, on the MMU and in the region list: pages mapped since are unmapped,
   * pages unmapped since are mapped again (zeroed: their bytes are the caller's to restore), and
   * protections are as they were; the break too. Regions `leave` accepts (the debugger's own,
   * then or now) are left as they are now, and saved regions they have taken over stay theirs.
   */
  restoreLayout(saved: SpaceLayout, leave: (r: Region) => boolean): void {
    this.brkStart = saved.brkStart;
    this.brkEnd = saved.brkEnd;
    if (saved.changes === this.changes) return;
    const kept = this.regions.filter(leave);
    const now = this.regions.filter((r) => !leave(r));
    const target = subtractRanges(saved.regions.filter((r) => !leave(r)), kept);
    const cuts = [...new Set([...now, ...target].flatMap((r) => [r.start, r.end]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let ni = 0;
    let ti = 0;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i]!;
      const b = cuts[i + 1]!;
      while (ni < now.length && now[ni]!.end <= a) ni++;
      while (ti < target.length && target[ti]!.end <= a) ti++;
      const n = ni < now.length && now[ni]!.start <= a ? now[ni] : undefined;
      const t = ti < target.length && target[ti]!.start <= a ? target[ti] : undefined;
      if (n && !t) this.cpu.unmap(a, b - a);
      else if (!n && t?.shared?.segment.alive) this.cpu.mapShared(a, b - a, t.prot, partAt(t, a));
      else if (!n && t) this.cpu.map(a, b - a, t.prot);
      else if (n && t && n.prot !== t.prot) this.cpu.protect(a, b - a, t.prot);
    }
    // A shared segment gone since is mapped again as private memory (the undo log restores its bytes).
    for (const t of target) if (t.shared && !t.shared.segment.alive) delete t.shared;
    this.regions = [...kept, ...target].sort((x, y) => (x.start < y.start ? -1 : 1));
    this.changes++;
  }

  /**
   * Takes a saved layout as the region list, without touching the MMU (a replay has made the MMU's
   * changes itself). Regions `leave` accepts stay as they are now.
   */
  adoptLayout(saved: SpaceLayout, leave: (r: Region) => boolean): void {
    this.brkStart = saved.brkStart;
    this.brkEnd = saved.brkEnd;
    const kept = this.regions.filter(leave);
    const target = subtractRanges(saved.regions.filter((r) => !leave(r)).map((r) => ({ ...r })), kept);
    this.regions = [...kept, ...target].sort((x, y) => (x.start < y.start ? -1 : 1));
    this.changes++;
  }

  private indexAt(address: bigint): number {
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid]!;
      if (address < r.start) hi = mid - 1;
      else if (address >= r.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private overlapping(s: bigint, e: bigint): Region[] {
    return this.regions.filter((r) => r.start < e && s < r.end);
  }

  private insert(region: Region): void {
    let i = 0;
    while (i < this.regions.length && this.regions[i]!.start < region.start) i++;
    this.regions.splice(i, 0, region);
  }

  /** Removes [cs, ce) from region r; with a prot, puts it back with that protection. */
  private cut(r: Region, cs: bigint, ce: bigint, prot: number | undefined): void {
    const i = this.regions.indexOf(r);
    const parts: Region[] = [];
    if (r.start < cs) parts.push({ ...r, end: cs });
    if (prot !== undefined) parts.push(piece(r, cs, ce, prot));
    if (ce < r.end) parts.push(piece(r, ce, r.end, r.prot));
    this.regions.splice(i, 1, ...parts);
  }

  private mergeNeighbours(at: bigint): void {
    const i = this.indexAt(at);
    const prev = this.regions[i - 1];
    const cur = this.regions[i];
    if (prev && cur && prev.end === cur.start && prev.kind === cur.kind && prev.prot === cur.prot && prev.name === cur.name && !prev.shared && !cur.shared) {
      prev.end = cur.end;
      this.regions.splice(i, 1);
    }
  }
}

/** Where in its shared segment the region's address `at` is. */
function partAt(r: Region, at: bigint): SharedPart {
  return { segment: r.shared!.segment, offset: r.shared!.offset + (at - r.start) };
}

/** The part [start, end) of region r, with protection `prot` (a shared one keeps its place in the segment). */
function piece(r: Region, start: bigint, end: bigint, prot: number): Region {
  return r.shared ? { ...r, start, end, prot, shared: partAt(r, start) } : { ...r, start, end, prot };
}

/** Copies of `regions` (sorted, disjoint) with the ranges of `holes` cut out. */
function subtractRanges(regions: readonly Region[], holes: readonly Region[]): Region[] {
  const out: Region[] = [];
  for (const r of regions) {
    let parts: Region[] = [{ ...r }];
    for (const h of holes) {
      if (h.end <= r.start || h.start >= r.end) continue;
      parts = parts.flatMap((p) => {
        if (h.end <= p.start || h.start >= p.end) return [p];
        const left = p.start < h.start ? [{ ...p, end: h.start }] : [];
        const right = h.end < p.end ? [piece(p, h.end, p.end, p.prot)] : [];
        return [...left, ...right];
      });
    }
    out.push(...parts);
  }
  return out;
}

function allZero(bytes: Uint8Array): boolean {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  for (let i = words.length << 2; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
