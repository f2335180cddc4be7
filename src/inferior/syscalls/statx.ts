/**
 * statx(2), as glibc's stat family, ls and coreutils call it: the same answer as newfstatat,
 * rearranged. newfstatat (files.ts) writes its 144-byte struct stat into the caller's 256-byte
 * statx buffer, which is then read back and rewritten as struct statx. Birth time and mount id
 * are not known, so stx_mask leaves them out (as a file system without them does).
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { fileSyscalls } from "./files.js";
import { int, type SyscallEntry } from "./types.js";

const NEWFSTATAT = 262;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_NO_AUTOMOUNT = 0x800;
const AT_EMPTY_PATH = 0x1000;
/** AT_STATX_FORCE_SYNC and AT_STATX_DONT_SYNC: how fresh a network file system's answer must be; both at once is EINVAL. */
const AT_STATX_SYNC_TYPE = 0x6000;
/** type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
const STATX_BASIC_STATS = 0x7ff;
const STATX_RESERVED = 0x8000_0000;
const STATX_SIZE = 256;

/** gnu_dev_major/gnu_dev_minor of an st_dev or st_rdev. */
const major = (dev: bigint): number => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
const minor = (dev: bigint): number => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));

/** struct stat (x86-64) → struct statx. */
export function statxFromStat(st: Uint8Array): Uint8Array {
  const s = new DataView(st.buffer, st.byteOffset, st.byteLength);
  const b = new Uint8Array(STATX_SIZE);
  const x = new DataView(b.buffer);
  x.setUint32(0, STATX_BASIC_STATS, true);
  x.setUint32(4, Number(s.getBigInt64(56, true)), true); // blksize
  x.setUint32(16, Number(s.getBigUint64(16, true)), true); // nlink
  x.setUint32(20, s.getUint32(28, true), true); // uid
  x.setUint32(24, s.getUint32(32, true), true); // gid
  x.setUint16(28, s.getUint32(24, true), true); // mode
  x.setBigUint64(32, s.getBigUint64(8, true), true); // ino
  x.setBigUint64(40, s.getBigUint64(48, true), true); // size
  x.setBigUint64(48, s.getBigUint64(64, true), true); // blocks
  // stat's atime, mtime, ctime (72, 88, 104) → statx's atime, mtime, ctime (64, 112, 96); btime (80) stays 0.
  for (const [from, to] of [[72, 64], [88, 112], [104, 96]] as const) {
    x.setBigInt64(to, s.getBigInt64(from, true), true);
    x.setUint32(to + 8, Number(s.getBigInt64(from + 8, true)), true);
  }
  const rdev = s.getBigUint64(40, true);
  const dev = s.getBigUint64(0, true);
  [major(rdev), minor(rdev), major(dev), minor(dev)].forEach((n, i) => x.setUint32(128 + 4 * i, n, true));
  return b;
}

function statx(k: Kernel, dirfd: number, path: bigint, flags: number, mask: number, out: bigint): bigint {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return E.fail(E.EINVAL);
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE || mask & STATX_RESERVED) return E.fail(E.EINVAL);
  if (out === 0n) return E.fail(E.EFAULT);
  const r = fileSyscalls[NEWFSTATAT]!.handler(k, [BigInt(dirfd), path, out, BigInt(flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))]);
  if (r !== 0n) return r;
  const st = k.readUser(out, 144);
  if (!st) return E.fail(E.EFAULT);
  return k.writeUser(out, statxFromStat(st)) ? 0n : E.fail(E.EFAULT);
}

export const statxSyscalls: Record<number, SyscallEntry> = {
  332: { name: "statx", handler: (k, a) => statx(k, int(a[0]!), a[1]!, int(a[2]!), int(a[3]!), a[4]!) },
};
