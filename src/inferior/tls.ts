/**
 * A loaded object's thread-local storage as glibc's loader set it up: its TLS module id
 * (link_map.l_tls_modid, what R_X86_64_DTPMOD64 and __tls_get_addr use), its static TLS offset
 * (l_tls_offset: the block is at tp - offset on x86-64) and the current thread's block, read from
 * the DTV (tcbhead_t.dtv at %fs:8, dtv[modid] = {block, to_free}).
 *
 * l_tls_* live in the private part of struct link_map, whose offsets change between glibc
 * versions. The debugger can pass them from the loader's DWARF (struct link_map members, e.g.
 * from libc6-dbg); without that we find them in memory: the run of fields
 * `l_tls_initimage, l_tls_initimage_size, l_tls_blocksize, l_tls_align, l_tls_firstbyte_offset,
 * l_tls_offset, l_tls_modid` has kept this order since glibc 2.3, and its first three values are
 * known from the object's PT_TLS (run-time address, p_filesz, p_memsz).
 */
import * as C from "../elf/constants.js";
import type { ElfFile } from "../elf/reader.js";
import type { MemoryReader } from "./link-map.js";

/** Byte offsets of the TLS fields in struct link_map. */
export interface LinkMapTlsLayout {
  initImage: number;
  blockSize: number;
  align: number;
  offset: number;
  modid: number;
}

export interface TlsInfo {
  moduleId: bigint;
  /** l_tls_offset: the static block is at tp - offset (0 or -1 when the block is dynamic only). */
  offset: bigint;
  blockSize: bigint;
  align: bigint;
  /** Run-time address of the initialization image (.tdata) and its size. */
  initImage: bigint;
  initSize: bigint;
  /** This thread's block (from the DTV), when allocated. */
  block: bigint | undefined;
}

/** Where the scan looks: struct link_map is about 1.1 KiB in glibc 2.3x. */
const SCAN_LIMIT = 0x800;
/** NO_TLS_OFFSET and FORCED_DYNAMIC_TLS_OFFSET (glibc's markers for "no static block"). */
const NO_STATIC_BLOCK = new Set([0n, 0xffff_ffff_ffff_ffffn]);

export function tlsSegment(file: ElfFile): { vaddr: bigint; filesz: bigint; memsz: bigint; align: bigint } | undefined {
  const p = file.segments.find((s) => s.type === C.PT_TLS);
  return p ? { vaddr: p.vaddr, filesz: BigInt(p.filesz), memsz: p.memsz, align: p.align } : undefined;
}

/** Finds the TLS fields in a link_map of an object with PT_TLS (see the file comment). */
export function discoverTlsLayout(mem: MemoryReader, linkMap: bigint, file: ElfFile, bias: bigint): LinkMapTlsLayout | undefined {
  const seg = tlsSegment(file);
  if (!seg) return undefined;
  const image = seg.vaddr + bias;
  for (let off = 40; off + 56 <= SCAN_LIMIT; off += 8) {
    const a = mem.readU64(linkMap + BigInt(off));
    if (a !== image) continue;
    if (mem.readU64(linkMap + BigInt(off + 8)) !== seg.filesz || mem.readU64(linkMap + BigInt(off + 16)) !== seg.memsz) continue;
    return { initImage: off, blockSize: off + 16, align: off + 24, offset: off + 40, modid: off + 48 };
  }
  return undefined;
}

/** Reads an object's TLS fields with a known layout; `tp` is the thread pointer (fs_base). */
export function readTls(mem: MemoryReader, linkMap: bigint, layout: LinkMapTlsLayout, tp: bigint): TlsInfo | undefined {
  const at = (off: number) => mem.readU64(linkMap + BigInt(off));
  const moduleId = at(layout.modid);
  const offset = at(layout.offset);
  const blockSize = at(layout.blockSize);
  const align = at(layout.align);
  const initImage = at(layout.initImage);
  const initSize = at(layout.initImage + 8);
  if (moduleId === undefined || offset === undefined || blockSize === undefined || align === undefined || initImage === undefined || initSize === undefined) return undefined;
  if (moduleId === 0n) return undefined; // no TLS
  let block: bigint | undefined;
  const dtv = tp === 0n ? undefined : mem.readU64(tp + 8n);
  if (dtv !== undefined && dtv !== 0n) {
    const v = mem.readU64(dtv + moduleId * 16n);
    if (v !== undefined && v !== 0xffff_ffff_ffff_ffffn && v !== 0n) block = v;
  }
  if (block === undefined && tp !== 0n && !NO_STATIC_BLOCK.has(offset)) block = tp - offset;
  return { moduleId, offset, blockSize, align, initImage, initSize, block };
}
