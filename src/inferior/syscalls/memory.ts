/** brk, mmap, munmap, mprotect, mremap, madvise, mincore on the inferior's address space. */
import { fstatSync } from "node:fs";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type MappedFile } from "../../emu/cpu.js";
import { SharedSegment } from "../../emu/shared-memory.js";
import type { OpenFile } from "../files.js";
import { PAGE, pageUp, USER_END } from "../address-space.js";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { int, type SyscallEntry } from "./types.js";

const MAP_SHARED = 0x01;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;

const protOf = (p: bigint): number => Number(p) & (PROT_READ | PROT_WRITE | PROT_EXEC);

function sysMmap(k: Kernel, a: readonly bigint[]): bigint {
  const [addr, len, protArg, flagsArg, fdArg, offArg] = a as [bigint, bigint, bigint, bigint, bigint, bigint];
  const flags = Number(flagsArg);
  const prot = protOf(protArg);
  if (len === 0n || len > USER_END) return E.fail(E.EINVAL);
  if (addr % PAGE !== 0n && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) return E.fail(E.EINVAL);
  if (offArg % PAGE !== 0n) return E.fail(E.EINVAL);
  const length = pageUp(len);
  const shared = (flags & MAP_SHARED) !== 0;
  let anonymous = (flags & MAP_ANONYMOUS) !== 0;
  let file: MappedFile | undefined;
  let segment: SharedSegment | undefined;
  let name = "[anon]";
  if (!anonymous) {
    const f = k.fds.get(int(fdArg));
    if (!f) return E.fail(E.EBADF);
    if (f.kind === "special" && f.node.device === "zero") anonymous = true; // /dev/zero: shared or not, zeroed memory
    else if (f.kind !== "host" || f.isDirectory) return E.fail(E.EACCES);
    else {
      // A shared writable mapping needs the file open for writing, as on Linux.
      if (shared && prot & PROT_WRITE && !f.writable) return E.fail(E.EACCES);
      const available = Math.max(0, fstatSync(f.hostFd).size - Number(offArg)); // now: the file may have been written
      if (shared && f.writable) {
        // The file's own pages, shared with read(2), write(2) and every other mapping of it.
        segment = SharedSegment.create(length, { fd: f.hostFd, dev: f.stats.dev, ino: f.stats.ino, offset: Number(offArg), fileLength: available });
        if (!segment) return E.fail(E.ENOMEM);
      } else {
        // Private, or shared but read-only through a read-only descriptor: nobody can store into
        // it, so a copy shows what a shared mapping would (until another writer changes the file).
        // The whole last page holds file bytes, as natively (mmap of 100 bytes shows the page's rest).
        file = { fd: f.hostFd, offset: Number(offArg), length: Math.min(Number(length), available), stable: unchangeable(k, f) };
      }
      name = f.guestPath;
    }
  }
  if (shared && anonymous) {
    segment = SharedSegment.create(length);
    if (!segment) return E.fail(E.ENOMEM);
    name = "/dev/zero (deleted)";
  }
  const part = segment && { segment, offset: 0n };
  const kind = anonymous ? "mmap" : "file";
  let start: bigint;
  if (flags & MAP_FIXED) {
    if (addr + length > USER_END) return E.fail(E.ENOMEM);
    k.space.mapFixed(addr, length, prot, kind, name, file, part);
    start = addr;
  } else {
    const hintFree = addr !== 0n && addr + length <= USER_END && k.space.freeRanges(addr, addr + length).some((g) => g.start === addr && g.end === addr + length);
    const found = hintFree ? addr : flags & MAP_FIXED_NOREPLACE ? undefined : k.space.findFree(length, {});
    if (found === undefined) {
      segment?.dispose();
      return E.fail(flags & MAP_FIXED_NOREPLACE ? E.EEXIST : E.ENOMEM);
    }
    start = k.space.map(found, length, prot, kind, name, file, part).start;
  }
  return start;
}

/**
 * Whether nothing the program (or its family) can do shrinks the host file behind `f`: a file of
 * the read-only lower layer, whose changes would go to a copy in the scratch layer.
 */
function unchangeable(k: Kernel, f: OpenFile & { kind: "host" }): boolean {
  const e = k.files.entryAt(f.guestPath);
  return e?.layer === "lower" && e.host === f.hostPath && !k.files.changesInPlace(e.guest, f.stats);
}

function sysMunmap(k: Kernel, a: readonly bigint[]): bigint {
  const [addr, len] = a as [bigint, bigint];
  if (addr % PAGE !== 0n || len === 0n) return E.fail(E.EINVAL);
  k.space.unmap(addr, len);
  return 0n;
}

function sysMprotect(k: Kernel, a: readonly bigint[]): bigint {
  const [addr, len, prot] = a as [bigint, bigint, bigint];
  if (addr % PAGE !== 0n) return E.fail(E.EINVAL);
  if (len === 0n) return 0n;
  return k.space.protect(addr, len, protOf(prot)) ? 0n : E.fail(E.ENOMEM);
}

function sysMremap(k: Kernel, a: readonly bigint[]): bigint {
  const [oldAddr, oldLenArg, newLenArg, flagsArg] = a as [bigint, bigint, bigint, bigint];
  const flags = Number(flagsArg);
  if (oldAddr % PAGE !== 0n || flags & MREMAP_FIXED) return E.fail(E.EINVAL);
  const oldLen = pageUp(oldLenArg);
  const newLen = pageUp(newLenArg);
  const region = k.space.regionAt(oldAddr);
  if (!region || !k.space.isMapped(oldAddr, oldLen)) return E.fail(E.EFAULT);
  if (newLen <= oldLen) {
    if (newLen < oldLen) k.space.unmap(oldAddr + newLen, oldLen - newLen);
    return oldAddr;
  }
  if (region.shared) {
    // Growing would need the shared object to grow under every process that maps it.
    k.warnOnce("mremap-shared", `mremap growing the shared mapping at 0x${oldAddr.toString(16)} was refused (ENOMEM): shared mappings keep the size they were made with`);
    return E.fail(E.ENOMEM);
  }
  const tailFree = k.space.freeRanges(oldAddr + oldLen, oldAddr + newLen);
  if (tailFree.length === 1 && tailFree[0]!.start === oldAddr + oldLen && tailFree[0]!.end === oldAddr + newLen) {
    k.space.map(oldAddr + oldLen, newLen - oldLen, region.prot, region.kind, region.name);
    return oldAddr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return E.fail(E.ENOMEM);
  const found = k.space.findFree(newLen, {});
  if (found === undefined) return E.fail(E.ENOMEM);
  const moved = k.space.map(found, newLen, region.prot, region.kind, region.name);
  k.space.poke(moved.start, k.space.peek(oldAddr, Number(oldLen)));
  k.space.unmap(oldAddr, oldLen);
  return moved.start;
}

/**
 * mincore: every mapped page is resident (the emulated memory is all in RAM); a range with an
 * unmapped page is ENOMEM, an unaligned start EINVAL, as Linux answers.
 */
function sysMincore(k: Kernel, start: bigint, len: bigint, vec: bigint): bigint {
  if (start % PAGE !== 0n) return E.fail(E.EINVAL);
  const size = pageUp(len);
  if (start + size > USER_END || (size > 0n && !k.space.isMapped(start, size))) return E.fail(E.ENOMEM);
  return k.writeUser(vec, new Uint8Array(Number(size / PAGE)).fill(1)) ? 0n : E.fail(E.EFAULT);
}

export const memorySyscalls: Record<number, SyscallEntry> = {
  9: { name: "mmap", handler: sysMmap },
  10: { name: "mprotect", handler: sysMprotect },
  11: { name: "munmap", handler: sysMunmap },
  12: { name: "brk", handler: (k, a) => k.space.setBrk(a[0]!) },
  25: { name: "mremap", handler: sysMremap },
  27: { name: "mincore", handler: (k, a) => sysMincore(k, a[0]!, a[1]!, a[2]!) },
  28: { name: "madvise", handler: () => 0n },
};
