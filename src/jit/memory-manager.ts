/**
 * Where JIT sections live: the linker asks for code / read-only data / data sections (size,
 * alignment, name) and gets a local buffer plus the target address the bytes will have in the
 * inferior. The AddressSpace implementation reserves one contiguous range per module so every
 * module is within ±2 GiB of itself, lays its sections out grouped by protection so finalization
 * sets whole pages, and places the range at random inside the window the module's code model
 * allows (a seeded Rng makes it reproducible).
 */
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import { JitdbgError } from "../errors.js";
import type { TlsBlock, TlsRuntime } from "./tls.js";
import { AddressSpace, MMAP_HIGH, MMAP_LOW, PAGE, pageUp, type Region } from "../inferior/address-space.js";

export type ProtGroup = "code" | "rodata" | "data";

export interface SectionAllocation {
  /** Target address in the inferior. */
  address: bigint;
  /** Local buffer holding the bytes until finalization (undefined for zero-fill sections). */
  local: Uint8Array | undefined;
}

/** Bytes a module needs per protection group, alignment slack included. */
export interface ReservationRequest {
  code: number;
  rodata: number;
  data: number;
  /** Largest alignment any section asks for. */
  maxAlign: number;
}

/** Where a module may go: below 2 GiB (small/medium code model), anywhere, or an explicit window. */
export type Placement = "low" | "anywhere" | { low: bigint; high: bigint };

export const LOW_WINDOW = { low: 0x10000n, high: 0x8000_0000n };

export interface MemoryRange {
  start: bigint;
  end: bigint;
  group: ProtGroup;
}

export interface JitMemoryManager {
  /** Reserves target space for one module before its sections are allocated. */
  reserve(module: string, request: ReservationRequest, placement: Placement): void;
  allocateCodeSection(module: string, size: number, align: number, section: string): SectionAllocation;
  allocateDataSection(module: string, size: number, align: number, section: string, readOnly: boolean, zeroFill: boolean): SectionAllocation;
  /** A TLS block for the module's .tdata/.tbss (one per module), from the thread's static surplus. */
  allocateTlsBlock(module: string, size: number, align: number): TlsBlock;
  /** Takes over [address, address+size) for a section moved by mapSectionAddress (maps it if free). */
  claim(module: string, address: bigint, size: number, group: ProtGroup, section: string): void;
  /** Makes every page of the module writable (before patching a finalized module). */
  makeWritable(module: string): void;
  /** Sets final permissions: code R-X, rodata R--, data RW-. */
  finalizeMemory(module: string): void;
  /** Unmaps everything the module holds. */
  release(module: string): void;
  /** Ranges the module holds, by protection group (for invalidation and reports). */
  ranges(module: string): MemoryRange[];
}

const PROT_OF: Record<ProtGroup, number> = {
  code: PROT_READ | PROT_EXEC,
  rodata: PROT_READ,
  data: PROT_READ | PROT_WRITE,
};

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const hex = (n: bigint): string => `0x${n.toString(16)}`;

interface Reservation {
  region: Region;
  /** Start, next free offset and end of each group inside the region. */
  start: Record<ProtGroup, bigint>;
  cursor: Record<ProtGroup, bigint>;
  end: Record<ProtGroup, bigint>;
  /** The console arena's slot the module lives in (its groups are not contiguous then). */
  slot?: Slot;
  /** Made writable (makeWritable) since it was last finalized. */
  writable?: boolean;
  /** Extra ranges taken over by mapSectionAddress. */
  claims: MemoryRange[];
  /** Ranges mapped on behalf of claims outside the reservation (unmapped on release). */
  mapped: { start: bigint; end: bigint }[];
  tls?: TlsBlock;
}

/**
 * A released module's mappings, kept for the next module that fits: mapping, protecting and
 * unmapping are the costly part of a small module's life (Unicorn rebuilds its memory map each
 * time: ~0.2 ms of a ~1.3 ms console evaluation), and an evaluation of a new text loads and drops
 * one module. Group boundaries as they were; protections as finalize left them.
 */
interface Parked {
  start: bigint;
  end: Record<ProtGroup, bigint>;
}

/** At most this many bytes of released modules' mappings are kept for reuse. */
const PARKED_BYTES = 1n << 20n;

/**
 * The console's arena: a module whose every group fits in a page (what an expression needs) gets
 * a slot of one code, one read-only and one writable page. Slots are mapped ARENA_SLOTS at a time,
 * as three mappings laid out by group — [code pages R-X][rodata pages R--][data pages RW-] — with
 * their final protections from the start, so a module's load, finalize and release never map,
 * protect or unmap (each rebuilds Unicorn's memory map, more slowly the more mappings there are):
 * its bytes are written straight into the host memory behind the pages, the translations of any
 * code they replace dropped (Cpu.write). Within a slot the groups are ARENA_SLOTS pages apart, well
 * within the ±2 GiB the small code model needs. The arena goes at a random place in the low window.
 */
const ARENA_SLOTS = 64n;

interface Slot {
  code: bigint;
  rodata: bigint;
  data: bigint;
}

export class AddressSpaceMemoryManager implements JitMemoryManager {
  private readonly reservations = new Map<string, Reservation>();
  private parked: Parked[] = [];
  /** Free arena slots (the last released first: its pages are the warmest). */
  private readonly freeSlots: Slot[] = [];

  constructor(
    private readonly space: AddressSpace,
    private readonly tls?: TlsRuntime,
    /**
     * Whether released modules' mappings are kept for the next modules (the console's, which
     * come and go with each evaluation); otherwise release unmaps them at once.
     */
    private readonly reuseReleased = false,
  ) {}

  reserve(module: string, req: ReservationRequest, placement: Placement): void {
    if (this.reservations.has(module)) throw new JitdbgError("JIT_DUPLICATE_MODULE", `a module named "${module}" is already loaded; give each object a distinct name`);
    const code = pageUp(BigInt(req.code));
    const rodata = pageUp(BigInt(req.rodata));
    const data = pageUp(BigInt(req.data));
    const total = code + rodata + data || PAGE;
    const within = placement === "low" ? LOW_WINDOW : placement === "anywhere" ? { low: MMAP_LOW, high: MMAP_HIGH } : placement;
    const align = req.maxAlign > Number(PAGE) ? pageUp(BigInt(req.maxAlign)) : PAGE;
    if (this.reuseReleased && code <= PAGE && rodata <= PAGE && data <= PAGE && align === PAGE && this.takeSlot(module, { code, rodata, data }, within)) return;
    if (this.unpark(module, { code, rodata, data }, within, align)) return;
    const s = this.space.findFree(total, { within, align, randomize: true, kind: "jit" });
    if (s === undefined) {
      throw new JitdbgError("JIT_NO_SPACE", `no room for module "${module}" (${hex(total)} bytes) in ${hex(within.low)}..${hex(within.high)}; free JIT modules with removeModule, or build the object with -mcmodel=large so it can go anywhere`);
    }
    // One mapping per protection group, writable until finalize so look-ups and moves never need
    // a protection change: finalize then protects each mapping whole (Unicorn splits a mapping
    // protected in part, which cost more than the protection itself, at every evaluation).
    const name = `jit:${module}`;
    const rw = PROT_READ | PROT_WRITE;
    let at = s;
    for (const size of [code, rodata, data]) {
      if (size === 0n) continue;
      this.space.map(at, size, rw, "jit", name);
      at += size;
    }
    if (at === s) this.space.map(s, total, rw, "jit", name);
    const region: Region = { start: s, end: s + total, prot: rw, kind: "jit", name };
    this.reservations.set(module, {
      region,
      start: { code: s, rodata: s + code, data: s + code + rodata },
      cursor: { code: s, rodata: s + code, data: s + code + rodata },
      end: { code: s + code, rodata: s + code + rodata, data: s + total },
      claims: [],
      mapped: [],
    });
  }

  allocateCodeSection(module: string, size: number, align: number, section: string): SectionAllocation {
    return this.take(module, "code", size, align, section, false);
  }

  allocateDataSection(module: string, size: number, align: number, section: string, readOnly: boolean, zeroFill: boolean): SectionAllocation {
    return this.take(module, readOnly ? "rodata" : "data", size, align, section, zeroFill);
  }

  allocateTlsBlock(module: string, size: number, align: number): TlsBlock {
    const r = this.get(module);
    if (!this.tls) throw new JitdbgError("JIT_NO_TLS", `module "${module}" defines thread-local variables but the memory manager has no TLS runtime`);
    r.tls = this.tls.allocateBlock(size, align, module);
    return r.tls;
  }

  claim(module: string, address: bigint, size: number, group: ProtGroup, section: string): void {
    const r = this.get(module);
    const end = address + BigInt(Math.max(size, 1));
    const inOwn = r.slot ? (["code", "rodata", "data"] as const).some((g) => address >= r.start[g] && end <= r.start[g] + PAGE) : address >= r.region.start && end <= r.region.end;
    const inClaim = r.mapped.some((c) => address >= c.start && end <= c.end);
    if (inOwn || inClaim) {
      r.claims.push({ start: address, end, group });
      return;
    }
    if (this.space.isMapped(address, end - address) || this.space.freeRanges(address, end).length !== 1 || this.space.freeRanges(address, end)[0]!.start !== address) {
      const other = this.space.regionAt(address) ?? this.space.list().find((x) => x.start < end && address < x.end);
      throw new JitdbgError("JIT_MAP_OVERLAP", { file: module, section }, `cannot move the section to ${hex(address)}..${hex(end)}: the range is in use${other ? ` by ${other.name}` : ""}; pick a free address (AddressSpace.findFree)`);
    }
    const mapped = this.space.map(address, end - address, PROT_READ | PROT_WRITE, "jit", `jit:${module}:${section}`);
    r.mapped.push({ start: mapped.start, end: mapped.end });
    r.claims.push({ start: address, end, group });
  }

  makeWritable(module: string): void {
    this.get(module).writable = true;
    for (const range of this.pageRanges(module)) this.space.protect(range.start, range.end - range.start, PROT_READ | PROT_WRITE);
  }

  finalizeMemory(module: string): void {
    // An arena slot has its final protections from the start (unless made writable to re-link it).
    const r = this.get(module);
    if (r.slot && !r.writable && r.claims.length === 0) return;
    r.writable = false;
    // Pages shared by two groups (only possible for moved sections) get the union of permissions.
    const pages = new Map<bigint, number>();
    for (const range of this.ranges(module)) {
      for (let p = range.start & ~(PAGE - 1n); p < range.end; p += PAGE) pages.set(p, (pages.get(p) ?? 0) | PROT_OF[range.group]);
    }
    const sorted = [...pages.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let i = 0;
    while (i < sorted.length) {
      const [start, prot] = sorted[i]!;
      let j = i + 1;
      while (j < sorted.length && sorted[j]![0] === sorted[j - 1]![0] + PAGE && sorted[j]![1] === prot) j++;
      this.space.protect(start, BigInt(j - i) * PAGE, prot);
      i = j;
    }
  }

  release(module: string): void {
    const r = this.reservations.get(module);
    if (!r) return;
    if (r.slot) {
      // Zero-fill sections of the next module count on zeroed pages (its code is written at finalize).
      if (r.end.rodata > r.start.rodata) this.space.poke(r.slot.rodata, zeros(Number(PAGE)));
      if (r.end.data > r.start.data) this.space.poke(r.slot.data, zeros(Number(PAGE)));
      this.freeSlots.push(r.slot);
    }
    else if (!this.park(r)) this.space.unmap(r.region.start, r.region.end - r.region.start);
    for (const m of r.mapped) this.space.unmap(m.start, m.end - m.start);
    if (r.tls) this.tls?.release(r.tls.moduleId);
    this.reservations.delete(module);
  }

  /** Keeps a released module's mappings for a later one (true), unless that would keep too much. */
  private park(r: Reservation): boolean {
    if (!this.reuseReleased) return false;
    const size = r.region.end - r.region.start;
    const kept = this.parked.reduce((n, p) => n + (p.end.data - p.start), 0n);
    if (kept + size > PARKED_BYTES) return false;
    this.space.rename(r.region.start, r.region.end, "jit:(released)");
    this.parked.push({ start: r.region.start, end: { ...r.end } });
    return true;
  }

  /**
   * Gives `module` a parked reservation whose groups hold `need` and that lies in `within` at
   * `align`, its data pages zeroed as fresh ones (the old code's translations go when the new
   * code is written over it).
   * False when none fits. A stale pointer into a released module's code may now run the new
   * module's code rather than fault (the inferior's own code never points there).
   */
  private unpark(module: string, need: Record<ProtGroup, bigint>, within: { low: bigint; high: bigint }, align: bigint): boolean {
    const i = this.parked.findIndex((p) => {
      const room = { code: p.end.code - p.start, rodata: p.end.rodata - p.end.code, data: p.end.data - p.end.rodata };
      return room.code >= need.code && room.rodata >= need.rodata && room.data >= need.data && p.start % align === 0n && p.start >= within.low && p.end.data <= within.high;
    });
    if (i < 0) return false;
    const p = this.parked.splice(i, 1)[0]!;
    const name = `jit:${module}`;
    this.space.rename(p.start, p.end.data, name);
    // Zero-fill sections count on zeroed pages (cheap: not executable, written directly); code
    // is written at finalization, and what lies between its sections is never run.
    this.space.poke(p.end.code, zeros(Number(p.end.data - p.end.code)));
    this.reservations.set(module, {
      region: { start: p.start, end: p.end.data, prot: PROT_READ | PROT_WRITE, kind: "jit", name },
      start: { code: p.start, rodata: p.end.code, data: p.end.rodata },
      cursor: { code: p.start, rodata: p.end.code, data: p.end.rodata },
      end: { ...p.end },
      claims: [],
      mapped: [],
    });
    return true;
  }

  /**
   * An arena slot for `module` inside `within` (false: none there); a new arena is mapped when
   * every slot is taken.
   */
  private takeSlot(module: string, need: Record<ProtGroup, bigint>, within: { low: bigint; high: bigint }): boolean {
    const fits = (x: Slot): boolean => x.code >= within.low && x.data + PAGE <= within.high;
    let i = this.freeSlots.length - 1;
    while (i >= 0 && !fits(this.freeSlots[i]!)) i--;
    if (i < 0) {
      if (!this.mapArena(within)) return false;
      i = this.freeSlots.length - 1;
    }
    // Its pages are zero (fresh, or cleared when released): nothing is written before finalize.
    const slot = this.freeSlots.splice(i, 1)[0]!;
    this.reservations.set(module, {
      region: { start: slot.code, end: slot.code + PAGE, prot: PROT_READ | PROT_EXEC, kind: "jit", name: "jit:(console arena)" },
      start: { ...slot },
      cursor: { ...slot },
      end: { code: slot.code + need.code, rodata: slot.rodata + need.rodata, data: slot.data + need.data },
      slot,
      claims: [],
      mapped: [],
    });
    return true;
  }

  /** Maps ARENA_SLOTS more slots in the low window when `within` allows it there. */
  private mapArena(within: { low: bigint; high: bigint }): boolean {
    const low = within.low > LOW_WINDOW.low ? within.low : LOW_WINDOW.low;
    const high = within.high < LOW_WINDOW.high ? within.high : LOW_WINDOW.high;
    if (low >= high) return false;
    const span = ARENA_SLOTS * PAGE;
    const base = this.space.findFree(3n * span, { within: { low, high }, randomize: true, kind: "jit" });
    if (base === undefined) return false;
    this.space.map(base, span, PROT_OF.code, "jit", "jit:(console arena code)");
    this.space.map(base + span, span, PROT_OF.rodata, "jit", "jit:(console arena rodata)");
    this.space.map(base + 2n * span, span, PROT_OF.data, "jit", "jit:(console arena data)");
    // Taken from the end: the lowest slot first.
    for (let k = ARENA_SLOTS - 1n; k >= 0n; k--) this.freeSlots.push({ code: base + k * PAGE, rodata: base + span + k * PAGE, data: base + 2n * span + k * PAGE });
    return true;
  }

  ranges(module: string): MemoryRange[] {
    const r = this.get(module);
    const out: MemoryRange[] = [];
    const codeStart = r.start.code;
    const roStart = r.start.rodata;
    const dataStart = r.start.data;
    if (r.end.code > codeStart) out.push({ start: codeStart, end: r.end.code, group: "code" });
    if (r.end.rodata > roStart) out.push({ start: roStart, end: r.end.rodata, group: "rodata" });
    if (r.end.data > dataStart) out.push({ start: dataStart, end: r.end.data, group: "data" });
    for (const c of r.claims) out.push({ start: c.start & ~(PAGE - 1n), end: pageUp(c.end), group: c.group });
    return out;
  }

  /** The reserved region (for reports and tests). */
  region(module: string): Region | undefined {
    const r = this.reservations.get(module);
    return r ? { ...r.region } : undefined;
  }

  private pageRanges(module: string): MemoryRange[] {
    return this.ranges(module);
  }

  private get(module: string): Reservation {
    const r = this.reservations.get(module);
    if (!r) throw new JitdbgError("JIT_NO_RESERVATION", `module "${module}" has no memory reserved (reserve() first)`);
    return r;
  }

  private take(module: string, group: ProtGroup, size: number, align: number, section: string, zeroFill: boolean): SectionAllocation {
    const r = this.get(module);
    const a = BigInt(Math.max(align, 1));
    const start = ((r.cursor[group] + a - 1n) / a) * a;
    const end = start + BigInt(size);
    if (end > r.end[group]) {
      throw new JitdbgError("JIT_RESERVATION_TOO_SMALL", { file: module, section }, `the section (${size} bytes, align ${align}) does not fit in the ${group} space reserved for it; the reservation request undercounted`);
    }
    r.cursor[group] = end;
    return { address: start, local: zeroFill ? undefined : new Uint8Array(size) };
  }
}

/** A shared, never written buffer of zeros (what reused pages are cleared with). */
let zeroBuffer = new Uint8Array(0);
function zeros(n: number): Uint8Array {
  if (zeroBuffer.length < n) zeroBuffer = new Uint8Array(Math.max(n, 2 * zeroBuffer.length));
  return zeroBuffer.subarray(0, n);
}

/** Bytes to reserve for sections of given sizes and alignments laid out one after another. */
export function groupSize(items: readonly { size: number; align: number }[]): number {
  let n = 0;
  for (const it of items) n = alignUp(n, Math.max(it.align, 1)) + it.size;
  return n;
}
