/**
 * Host memory behind the guest's mappings, allocated by jitdbg (uc_mem_map_ptr) rather than by
 * Unicorn (uc_mem_map). Unicorn 2.0.1 cuts a region in two, to unmap or re-protect part of it, by
 * copying the whole region out and back in (split_region: copy_region, unmap, map the pieces,
 * write them back); a region whose memory the caller owns it re-points instead. The dynamic
 * loader does exactly that to every library (a reservation the size of the library, then
 * MAP_FIXED pieces and mprotect over it): measured 10 ms of a 65 ms dynamic start-up.
 *
 * Each map gets its own anonymous mmap; unmapping a range releases just its pages, and the
 * record of what is still held is cut to match, so no host page is released twice. The memory is
 * also this process's to read and write directly (`read`, `write`): a syscall's buffers are
 * copied with a typed-array copy instead of a call into the engine (~1 µs each through koffi).
 * The views are made 64 KiB at a time as copies need them (a copy across windows goes window by
 * window): a view costs in proportion to its size (V8 accounts for the external memory: ~180 µs
 * for the 2 MiB the dynamic loader reserves for libc, of which a hello world touches a few pages).
 */
import type { MappedFile } from "./cpu.js";
import { anonymousPages, mapFileOver, memoryView, releaseMemory, unbackedPages } from "./native-page.js";
import type { SharedPart, SharedSegment } from "./shared-memory.js";

/** The size (and alignment within a block) of the views of a block's memory. */
const WINDOW = 0x10000;

interface Block {
  guest: bigint;
  size: bigint;
  host: bigint;
  /** A shared segment's bytes (undefined for blocks too large for a view, and for blocks of our own: see windows). */
  bytes: Uint8Array | undefined;
  /** Views of WINDOW bytes of an own block, by window number, made as accesses need them. */
  windows?: Map<number, Uint8Array>;
  /** The shared segment the block's memory belongs to (the segment gives it back, not the block). */
  segment?: SharedSegment;
  /** An own block's host memory below this address is a file's private mapping; above, anonymous. */
  fileEnd?: bigint;
}

const PAGE_BYTES = 0x1000n;

export class HostMemory {
  private blocks: Block[] = [];
  /** The block the last look-up found (syscalls touch the same buffers again and again). */
  private last: Block | undefined;

  /**
   * Host memory for the guest range [guest, guest + size): zeroed, or starting with `file`'s bytes
   * mapped from the host file (`fromFile`: then nobody needs to copy them in). Undefined when the
   * host has none.
   */
  allocate(guest: bigint, size: bigint, file?: MappedFile): { host: bigint; fromFile: boolean } | undefined {
    const host = anonymousPages(Number(size));
    if (host === undefined) return undefined;
    const fromFile = file !== undefined && file.stable && file.length > 0 && mapFileOver(host, file.length, file.fd, file.offset);
    const fileEnd = fromFile ? host + ((BigInt(file.length) + PAGE_BYTES - 1n) & ~(PAGE_BYTES - 1n)) : host;
    this.blocks.push({ guest, size, host, bytes: undefined, windows: new Map(), fileEnd });
    return { host, fromFile };
  }

  /** The guest range [guest, guest + size) shows `part`'s memory, shared with whoever else maps it. */
  adopt(guest: bigint, size: bigint, part: SharedPart): bigint {
    const { segment, offset } = part;
    segment.retain();
    this.blocks.push({ guest, size, host: segment.host + offset, bytes: segment.bytes?.subarray(Number(offset), Number(offset + size)), segment });
    return segment.host + offset;
  }

  /** The engine refused the mapping `allocate` or `adopt` gave `host` for: give it back. */
  discard(host: bigint): void {
    const b = this.blocks.find((x) => x.host === host);
    if (!b) return;
    this.blocks = this.blocks.filter((x) => x !== b);
    this.last = undefined;
    giveBack(b, b.host, b.size);
  }

  /** Copies the guest range [guest, guest + into.length) into `into`; false when no one block holds it all (the caller asks the engine). */
  read(guest: bigint, into: Uint8Array): boolean {
    const b = this.holding(guest, into.length);
    if (!b) return false;
    const offset = Number(guest - b.guest);
    if (!b.windows) into.set(b.bytes!.subarray(offset, offset + into.length));
    else this.eachWindow(b, offset, into.length, (view, from, done, n) => into.set(view.subarray(from, from + n), done));
    return true;
  }

  /**
   * One byte a page of the page-aligned guest range [guest, guest + size): 1 where the page is
   * known to hold only zeros — anonymous memory of our own the system has never backed (nothing
   * wrote or read it), so it need not be read to be compared. Undefined when nothing is known
   * (no one own block holds the range, or the system does not say).
   */
  zeroPages(guest: bigint, size: number): Uint8Array | undefined {
    const b = this.holding(guest, size);
    if (!b?.windows || b.fileEnd === undefined) return undefined;
    const host = b.host + (guest - b.guest);
    const pages = unbackedPages(host, size / Number(PAGE_BYTES));
    if (!pages) return undefined;
    // A file's pages not yet read in are the file's bytes, not zeros.
    for (let i = 0, at = host; i < pages.length && at < b.fileEnd; i++, at += PAGE_BYTES) pages[i] = 0;
    return pages;
  }

  /** Copies `data` to the guest range at `guest`; false when no one block holds it all. */
  write(guest: bigint, data: Uint8Array): boolean {
    const b = this.holding(guest, data.length);
    if (!b) return false;
    const offset = Number(guest - b.guest);
    if (!b.windows) b.bytes!.set(data, offset);
    else this.eachWindow(b, offset, data.length, (view, from, done, n) => view.set(n === data.length ? data : data.subarray(done, done + n), from));
    return true;
  }

  /**
   * `copy(view, from, done, n)` for each window of own block `b` that [offset, offset + length)
   * covers: `n` bytes at `from` in the window's `view`, `done` bytes into the range.
   */
  private eachWindow(b: Block, offset: number, length: number, copy: (view: Uint8Array, from: number, done: number, n: number) => void): void {
    for (let done = 0; done < length; ) {
      const at = offset + done;
      const view = this.window(b, at);
      const from = at % WINDOW;
      const n = Math.min(length - done, view.length - from);
      copy(view, from, done, n);
      done += n;
    }
  }

  /** The block that holds all of [guest, guest + length) and has views (own windows or a segment's bytes). */
  private holding(guest: bigint, length: number): Block | undefined {
    const end = guest + BigInt(length);
    let b = this.last;
    if (!b || guest < b.guest || end > b.guest + b.size) {
      b = this.blocks.find((x) => guest >= x.guest && end <= x.guest + x.size);
      if (!b) return undefined;
      this.last = b;
    }
    return b.windows || b.bytes ? b : undefined;
  }

  /** The view of the window of own block `b` that holds offset `at`. */
  private window(b: Block, at: number): Uint8Array {
    const w = Math.floor(at / WINDOW);
    let view = b.windows!.get(w);
    if (!view) {
      const from = w * WINDOW;
      view = memoryView(b.host + BigInt(from), Math.min(WINDOW, Number(b.size) - from));
      b.windows!.set(w, view);
    }
    return view;
  }

  /** The guest range [guest, guest + size) is unmapped: release its host pages. */
  release(guest: bigint, size: bigint): void {
    const end = guest + size;
    const kept: Block[] = [];
    for (const b of this.blocks) {
      const bEnd = b.guest + b.size;
      const lo = guest > b.guest ? guest : b.guest;
      const hi = end < bEnd ? end : bEnd;
      if (lo >= hi) {
        kept.push(b);
        continue;
      }
      const piece = (from: bigint, to: bigint): Block => {
        b.segment?.retain();
        const host = b.host + (from - b.guest);
        if (b.windows) return { guest: from, size: to - from, host, bytes: undefined, windows: new Map(), fileEnd: b.fileEnd };
        return { guest: from, size: to - from, host, bytes: b.bytes?.subarray(Number(from - b.guest), Number(to - b.guest)), segment: b.segment };
      };
      if (b.guest < lo) kept.push(piece(b.guest, lo));
      if (hi < bEnd) kept.push(piece(hi, bEnd));
      giveBack(b, b.host + (lo - b.guest), hi - lo);
    }
    this.blocks = kept;
    this.last = undefined;
  }

  /** After the engine is closed: everything goes back. */
  releaseAll(): void {
    for (const b of this.blocks) giveBack(b, b.host, b.size);
    this.blocks = [];
    this.last = undefined;
  }
}

/** Host pages [host, host + size) of `b` are no longer mapped by it: its own go back, a segment's when its last user goes. */
function giveBack(b: Block, host: bigint, size: bigint): void {
  if (b.segment) b.segment.release();
  else releaseMemory(host, Number(size));
}
