/**
 * The program's memory as it was at the last checkpoint, page by page, to find at the next one
 * what changed in between — by comparing, not by watching stores. A store hook that sees each
 * page's first store is called again at every TLB refill, which a program touching memory at
 * random does millions of times a second (measured: an 8.5x slowdown); comparing costs one copy
 * and one memcmp of the mapped memory per checkpoint, whatever the program does in between.
 */
import type { Cpu } from "../../emu/cpu.js";
import type { CodePatches } from "../code-patches.js";
import { PAGE, type AddressSpace } from "../address-space.js";
import { ownedByDebugger } from "../undo-log.js";

const PAGE_BYTES = Number(PAGE);
const PAGE_SHIFT = 12n;
const CHUNK_BYTES = 1 << 20;
const CHUNK = BigInt(CHUNK_BYTES);

export class PageBaseline {
  /** Page number → its bytes at the last checkpoint. */
  private readonly pages = new Map<number, Uint8Array>();
  /** Memory now, read into it a chunk at a time. */
  private readonly scratch = new Uint8Array(CHUNK_BYTES);

  constructor(
    private readonly cpu: Cpu,
    private readonly space: AddressSpace,
    /** The debugger's patches to the program's code, seen through: the baseline holds the program's bytes. */
    private readonly patches: Pick<CodePatches, "overlay">,
    /** The pages to start from (a clone's); the memory now when not given. */
    pages?: ReadonlyMap<number, Uint8Array>,
  ) {
    if (pages) for (const [page, bytes] of pages) this.pages.set(page, bytes);
    else this.compare(() => undefined);
  }

  /** Another baseline holding the same pages (shared: a page's bytes are never changed in place). */
  clone(): PageBaseline {
    return new PageBaseline(this.cpu, this.space, this.patches, this.pages);
  }

  /** The baseline's bytes of `page` become `bytes` (kept, not copied). */
  set(page: number, bytes: Uint8Array): void {
    this.pages.set(page, bytes);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.pages.size * PAGE_BYTES;
  }

  /**
   * Compares the mapped memory with the baseline: `changed` gets each page that differs, with its
   * bytes at the last checkpoint; the baseline becomes the memory now. Pages mapped since join it.
   */
  compare(changed: (page: number, before: Uint8Array) => void): void {
    this.scan(changed, true);
  }

  /** Each page whose memory differs from the baseline, with its baseline bytes; the baseline stays as it is. */
  differences(each: (page: number, base: Uint8Array) => void): void {
    this.scan(each, false);
  }

  private scan(changed: (page: number, before: Uint8Array) => void, update: boolean): void {
    const seen = new Set<number>();
    for (const r of this.space.list()) {
      if (ownedByDebugger(r)) continue;
      // A megabyte at a time, into the same buffer (a fresh copy of each region was most of the collector's work).
      for (let at = r.start; at < r.end; at += CHUNK) {
        const size = Number(r.end - at < CHUNK ? r.end - at : CHUNK);
        const now = this.scratch.subarray(0, size);
        if (!this.cpu.tryRead(at, now)) continue;
        this.patches.overlay(at, now);
        const first = Number(at >> PAGE_SHIFT);
        for (let i = 0, off = 0; off < size; i++, off += PAGE_BYTES) {
          const page = first + i;
          seen.add(page);
          const cur = now.subarray(off, off + PAGE_BYTES);
          const base = this.pages.get(page);
          // Copies: the buffer is read over next.
          if (!base) {
            if (update) this.pages.set(page, cur.slice());
            continue;
          }
          if (Buffer.compare(base, cur) === 0) continue;
          changed(page, base);
          if (update) this.pages.set(page, cur.slice());
        }
      }
    }
    if (update) for (const page of this.pages.keys()) if (!seen.has(page)) this.pages.delete(page);
  }

  /** Pages about to be unmapped: their bytes at the last checkpoint, which leave the baseline. */
  take(start: bigint, end: bigint, each: (page: number, before: Uint8Array) => void): void {
    for (let page = Number(start >> PAGE_SHIFT); BigInt(page) << PAGE_SHIFT < end; page++) {
      const base = this.pages.get(page);
      if (!base) continue;
      this.pages.delete(page);
      each(page, base);
    }
  }
}
