/**
 * Maps an x86-64 executable into an address space the way the kernel's binfmt_elf does: non-PIE at
 * its link addresses, PIE at a page-aligned random base (fixed when reproducible). The dynamic
 * loader a PT_INTERP names is mapped by interpreter.ts with the same mapImage.
 */
import { JitdbgError } from "../errors.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import * as C from "../elf/constants.js";
import type { ElfFile, ProgramHeader } from "../elf/reader.js";
import { PAGE, pageDown, pageUp, type AddressSpace } from "./address-space.js";

/** Where Linux puts ET_DYN executables (ELF_ET_DYN_BASE on x86-64), and our fixed base. */
export const PIE_BASE = 0x5555_5555_4000n;
const PIE_RANDOM_PAGES = 1n << 28n; // 28 bits of page-granular entropy, as Linux's default

export interface LoadedImage {
  file: ElfFile;
  path: string;
  /** Added to every link-time address of the file (0 for ET_EXEC). */
  bias: bigint;
  entry: bigint;
  /** Address of the program headers in memory (AT_PHDR). */
  phdr: bigint;
  /** Start of the lowest segment's page in memory. */
  start: bigint;
  /** End of the highest segment in memory (where brk starts). */
  end: bigint;
  /** PT_INTERP: the dynamic loader the program asks for (undefined for static programs). */
  interpreter?: string;
  /** The PT_TLS template, if any, in memory addresses. */
  tls?: { address: bigint; fileSize: number; memSize: bigint; align: bigint; image: Uint8Array };
}

export interface LoadOptions {
  /** Fixed base for PIE executables (reproducible runs); default random. */
  base?: bigint;
}

function segmentProt(p: ProgramHeader): number {
  return (p.flags & C.PF_R ? PROT_READ : 0) | (p.flags & C.PF_W ? PROT_WRITE : 0) | (p.flags & C.PF_X ? PROT_EXEC : 0);
}

/** Where an ET_DYN image goes: a fixed base, or "anywhere" (a free range the address space picks). */
export type Placement = { base: bigint } | { anywhere: true };

export function loadExecutable(space: AddressSpace, file: ElfFile, path: string, opts: LoadOptions = {}): LoadedImage {
  const h = file.header;
  if (h.type === C.ET_REL) {
    throw new JitdbgError("LOAD_NOT_EXECUTABLE", { file: path }, "is a relocatable object (.o), not an executable; link it first, or load it with `jitdbg rtdyld`");
  }
  if (h.type !== C.ET_DYN) return mapImage(space, file, path, { base: 0n });
  const base = opts.base ?? PIE_BASE + space.rng.below(PIE_RANDOM_PAGES) * PAGE;
  return mapImage(space, file, path, { base });
}

/** Maps an image's PT_LOAD segments (ET_EXEC at their addresses, ET_DYN as placed) and describes it. */
export function mapImage(space: AddressSpace, file: ElfFile, path: string, placement: Placement): LoadedImage {
  const h = file.header;
  const loads = file.segments.filter((p) => p.type === C.PT_LOAD && p.memsz > 0n);
  if (loads.length === 0) throw new JitdbgError("LOAD_NO_SEGMENTS", { file: path }, "has no loadable segments");
  for (const p of loads) {
    if ((p.vaddr - BigInt(p.offset)) % PAGE !== 0n) {
      throw new JitdbgError("ELF_CORRUPT", { file: path }, `segment ${p.index} is not page-congruent (vaddr 0x${p.vaddr.toString(16)}, offset 0x${p.offset.toString(16)})`);
    }
  }
  const lo = pageDown(loads.reduce((m, p) => (p.vaddr < m ? p.vaddr : m), loads[0]!.vaddr));
  const hi = pageUp(loads.reduce((m, p) => (p.vaddr + p.memsz > m ? p.vaddr + p.memsz : m), 0n));

  let bias = 0n;
  if (h.type === C.ET_DYN) {
    let base: bigint | undefined;
    if ("base" in placement) base = placement.base;
    else base = space.findFree(hi - lo, {});
    if (base === undefined) throw new JitdbgError("AS_NO_SPACE", { file: path }, `no free range of 0x${(hi - lo).toString(16)} bytes to load it`);
    bias = base - lo;
  } else if (lo < 0x10000n) {
    throw new JitdbgError("LOAD_BAD_ADDRESS", { file: path }, `segments start at 0x${lo.toString(16)}, below the lowest mappable address (0x10000)`);
  }

  // Pages shared by two segments get the union of their protections, as the kernel's mappings do.
  const pageProt = new Map<bigint, number>();
  for (const p of loads) {
    for (let a = pageDown(p.vaddr); a < pageUp(p.vaddr + p.memsz); a += PAGE) pageProt.set(a, (pageProt.get(a) ?? 0) | segmentProt(p));
  }
  const pages = [...pageProt.keys()].sort((a, b) => (a < b ? -1 : 1));
  const name = path.split("/").pop() ?? path;
  for (let i = 0; i < pages.length; ) {
    let j = i + 1;
    const prot = pageProt.get(pages[i]!)!;
    while (j < pages.length && pages[j] === pages[j - 1]! + PAGE && pageProt.get(pages[j]!) === prot) j++;
    space.map(pages[i]! + bias, pages[j - 1]! + PAGE - pages[i]!, prot, "image", name);
    i = j;
  }
  for (const p of loads) space.poke(p.vaddr + bias, file.segmentData(p));

  const phdrSeg = file.segments.find((p) => p.type === C.PT_PHDR);
  let phdr: bigint;
  if (phdrSeg) phdr = phdrSeg.vaddr + bias;
  else {
    const first = loads.find((p) => BigInt(p.offset) <= BigInt(h.phoff) && BigInt(h.phoff) < BigInt(p.offset + p.filesz));
    if (!first) throw new JitdbgError("ELF_CORRUPT", { file: path }, "program headers are not inside any loadable segment");
    phdr = first.vaddr + BigInt(h.phoff - first.offset) + bias;
  }

  const tlsSeg = file.segments.find((p) => p.type === C.PT_TLS);
  const image: LoadedImage = { file, path, bias, entry: h.entry + bias, phdr, start: lo + bias, end: hi + bias, interpreter: file.interpreter() };
  if (tlsSeg) {
    image.tls = {
      address: tlsSeg.vaddr + bias,
      fileSize: tlsSeg.filesz,
      memSize: tlsSeg.memsz,
      align: tlsSeg.align,
      image: file.segmentData(tlsSeg),
    };
  }
  return image;
}
