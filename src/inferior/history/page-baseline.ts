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
/**
 * The bytes of every page that holds only zeros, shared (pages are never changed in place): most
 * of a program's memory at its start — the stack, .bss — and often later. Holding it costs nothing.
 */
export const ZERO_PAGE: Uint8Array = new Uint8Array(PAGE_BYTES);

/** The page's bytes to keep: the shared zero page, or a copy (the buffer is read over next). */
function kept(cur: Uint8Array): Uint8Array {
  return cur === ZERO_PAGE || Buffer.compare(cur, ZERO_PAGE) === 0 ? ZERO_PAGE : cur.slice();
}

export class PageBaseline {
  /** Page number → its bytes at the last checkpoint. */
  private readonly pages = new Map<number, Uint8Array>();
  /** Memory now, read into it a chunk at a time. */
  private readonly scratch = new Uint8Array(CHUNK_BYTES);
  /** Pages held that are not the shared zero page. */
  private ownPages = 0;

  constructor(
    private readonly cpu: Cpu,
    private readonly space: AddressSpace,
    /** The debugger's patches to the program's code, seen through: the baseline holds the program's bytes. */
    private readonly patches: Pick<CodePatches, "overlay">,
    /** The pages to start from (a clone's); the memory now when not given. */
    pages?: ReadonlyMap<number, Uint8Array>,
  ) {
    if (pages) for (const [page, bytes] of pages) this.store(page, bytes);
    else this.compare(() => undefined);
  }

  /** Another baseline holding the same pages (shared: a page's bytes are never changed in place). */
  clone(): PageBaseline {
    return new PageBaseline(this.cpu, this.space, this.patches, this.pages);
  }

  /** The baseline's bytes of `page` become `bytes` (kept, not copied). */
  set(page: number, bytes: Uint8Array): void {
    this.store(page, bytes);
  }

  /** Bytes held (the shared zero page not counted). */
  get bytes(): number {
    return this.ownPages * PAGE_BYTES;
  }

  /** The page's bytes become `bytes` (undefined: it leaves the baseline), counting the pages held. */
  private store(page: number, bytes: Uint8Array | undefined): void {
    const old = this.pages.get(page);
    if (old !== undefined && old !== ZERO_PAGE) this.ownPages--;
    if (bytes === undefined) this.pages.delete(page);
    else {
      this.pages.set(page, bytes);
      if (bytes !== ZERO_PAGE) this.ownPages++;
    }
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
    // The pages visited, to drop those that left the mapping unseen; the first scan has none to drop.
    const seen = update && this.pages.size > 0 ? new Set<number>() : undefined;
    const visit = (page: number, cur: Uint8Array): void => {
      seen?.add(page);
      const base = this.pages.get(page);
      if (!base) {
        if (update) this.store(page, kept(cur));
        return;
      }
      if (base === cur || Buffer.compare(base, cur) === 0) return;
      changed(page, base);
      if (update) this.store(page, kept(cur));
    };
    for (const r of this.space.list()) {
      if (ownedByDebugger(r)) continue;
      // A megabyte at a time, into the same buffer (a fresh copy of each region was most of the collector's work).
      for (let at = r.start; at < r.end; at += CHUNK) {
        const size = Number(r.end - at < CHUNK ? r.end - at : CHUNK);
        const first = Number(at >> PAGE_SHIFT);
        // Pages nothing has touched are zeros without reading them (most of a stack, of .bss).
        const zeros = this.cpu.zeroPages(at, size);
        const count = size / PAGE_BYTES;
        for (let i = 0; i < count; ) {
          if (zeros?.[i] === 1) {
            // visit(page, ZERO_PAGE) written out: a launch's baseline is thousands of these (a
            // static program's stack and .bss), the pages that were zero staying so after.
            const page = first + i++;
            seen?.add(page);
            const base = this.pages.get(page);
            if (base === ZERO_PAGE) continue;
            if (base === undefined) {
              if (update) this.pages.set(page, ZERO_PAGE);
              continue;
            }
            if (Buffer.compare(base, ZERO_PAGE) === 0) continue;
            changed(page, base);
            if (update) this.store(page, ZERO_PAGE);
            continue;
          }
          let j = i + 1;
          while (j < count && zeros?.[j] !== 1) j++;
          const from = at + BigInt(i * PAGE_BYTES);
          const now = this.scratch.subarray(0, (j - i) * PAGE_BYTES);
          if (this.cpu.tryRead(from, now)) {
            this.patches.overlay(from, now);
            for (let k = i; k < j; k++) visit(first + k, now.subarray((k - i) * PAGE_BYTES, (k - i + 1) * PAGE_BYTES));
          }
          i = j;
        }
      }
    }
    if (seen) for (const page of [...this.pages.keys()]) if (!seen.has(page)) this.store(page, undefined);
  }

  /** Pages about to be unmapped: their bytes at the last checkpoint, which leave the baseline. */
  take(start: bigint, end: bigint, each: (page: number, before: Uint8Array) => void): void {
    for (let page = Number(start >> PAGE_SHIFT); BigInt(page) << PAGE_SHIFT < end; page++) {
      const base = this.pages.get(page);
      if (!base) continue;
      this.store(page, undefined);
      each(page, base);
    }
  }
}
