/**
 * Host memory behind the guest's mappings, allocated by jitdbg (uc_mem_map_ptr) rather than by
 * Unicorn (uc_mem_map). Unicorn 2.0.1 cuts a region in two, to unmap or re-protect part of it, by
 * copying the whole region out and back in (split_region: copy_region, unmap, map the pieces,
 * write them back); a region whose memory the caller owns it re-points instead. The dynamic
 * loader does exactly that to every library (a reservation the size of the library, then
 * MAP_FIXED pieces and mprotect over it): measured 10 ms of a 65 ms dynamic start-up.
 *
 * Each map gets its own anonymous mmap; unmapping a range releases just its pages, and the
 * record of what is still held is cut to match, so no host page is released twice.
 */
import { anonymousMemory, releaseMemory } from "./native-page.js";

interface Block {
  guest: bigint;
  size: bigint;
  host: bigint;
}

export class HostMemory {
  private blocks: Block[] = [];

  /** Zeroed host memory for the guest range [guest, guest + size); undefined when the host has none. */
  allocate(guest: bigint, size: bigint): bigint | undefined {
    const host = anonymousMemory(Number(size));
    if (host !== undefined) this.blocks.push({ guest, size, host });
    return host;
  }

  /** The engine refused the mapping `allocate` gave `host` for: give it back. */
  discard(host: bigint): void {
    const b = this.blocks.find((x) => x.host === host);
    if (!b) return;
    this.blocks = this.blocks.filter((x) => x !== b);
    releaseMemory(b.host, Number(b.size));
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
      releaseMemory(b.host + (lo - b.guest), Number(hi - lo));
      if (b.guest < lo) kept.push({ guest: b.guest, size: lo - b.guest, host: b.host });
      if (hi < bEnd) kept.push({ guest: hi, size: bEnd - hi, host: b.host + (hi - b.guest) });
    }
    this.blocks = kept;
  }

  /** After the engine is closed: everything goes back. */
  releaseAll(): void {
    for (const b of this.blocks) releaseMemory(b.host, Number(b.size));
    this.blocks = [];
  }
}
