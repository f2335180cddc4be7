/** open/close/stat/readlink/access on the read-only view of allowed host paths. */
import type { Stats } from "node:fs";
import { resolve } from "node:path";
import * as E from "../errno.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import { closeFd } from "./io.js";
import { int, size, type SyscallEntry } from "./types.js";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;

/** The directory a *at() call resolves relative paths against. */
function baseDir(k: Kernel, dirfd: number): string | number {
  if (dirfd === AT_FDCWD) return k.files.cwd;
  const f = k.fds.get(dirfd);
  if (!f) return E.EBADF;
  if (f.kind !== "host" || !f.isDirectory) return E.ENOTDIR;
  return f.guestPath;
}

function openPath(k: Kernel, dirfd: number, pathAddr: bigint, flags: number): bigint {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.fail(E.EFAULT);
  const base = baseDir(k, dirfd);
  if (typeof base === "number") return E.fail(base);
  const guest = resolve(base, path);
  const host = k.files.resolve(path, base);
  if ((flags & O_ACCMODE) !== 0 || flags & (O_CREAT | O_TRUNC)) {
    // The view is read-only: report missing files as missing, existing ones as not writable.
    return E.fail(typeof host === "number" ? (flags & O_CREAT ? E.EACCES : host) : E.EROFS);
  }
  if (typeof host === "number") return E.fail(host);
  const fd = k.fds.openHost(host, guest);
  if (fd < 0) return E.fail(-fd);
  if (flags & O_CLOEXEC) k.fds.setCloexec(fd, true);
  const f = k.fds.get(fd);
  if (flags & O_DIRECTORY && f?.kind === "host" && !f.isDirectory) {
    k.fds.close(fd);
    return E.fail(E.ENOTDIR);
  }
  return BigInt(fd);
}

/** struct stat as x86-64 Linux lays it out (144 bytes). */
export function encodeStat(st: Stats): Uint8Array {
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  const ns = (ms: number) => [BigInt(Math.floor(ms / 1000)), BigInt(Math.floor((ms % 1000) * 1e6))] as const;
  v.setBigUint64(0, BigInt(st.dev), true);
  v.setBigUint64(8, BigInt(st.ino), true);
  v.setBigUint64(16, BigInt(st.nlink), true);
  v.setUint32(24, st.mode, true);
  v.setUint32(28, st.uid, true);
  v.setUint32(32, st.gid, true);
  v.setBigUint64(40, BigInt(st.rdev), true);
  v.setBigInt64(48, BigInt(st.size), true);
  v.setBigInt64(56, BigInt(st.blksize), true);
  v.setBigInt64(64, BigInt(st.blocks), true);
  [st.atimeMs, st.mtimeMs, st.ctimeMs].forEach((t, i) => {
    const [s, n] = ns(t);
    v.setBigInt64(72 + i * 16, s, true);
    v.setBigInt64(80 + i * 16, n, true);
  });
  return b;
}

const S_IFIFO = 0o010000;
/** pipefs's and anon_inodefs's device numbers (both have no backing device: st_dev 0:12 and 0:13 here). */
const PIPEFS_DEV = 12n;
const ANON_INODE_DEV = 13n;

/**
 * A pipe, as the inferior's standard streams are and pipe() makes (S_IFIFO, rw-------); eventfd
 * and epoll descriptors are anonymous inodes (rw-------, no file type), as Linux shows them.
 */
function streamStat(mode: number, ino: number, dev: bigint): Uint8Array {
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, dev, true);
  v.setBigUint64(8, BigInt(ino), true);
  v.setBigUint64(16, 1n, true);
  v.setUint32(24, mode, true);
  v.setBigInt64(56, 4096n, true);
  return b;
}

function statOf(f: OpenFile): Uint8Array {
  switch (f.kind) {
    case "host":
      return encodeStat(f.stats);
    case "pipe":
      return streamStat(S_IFIFO | 0o600, f.pipe.inode, PIPEFS_DEV);
    case "eventfd":
      return streamStat(0o600, f.counter.inode, ANON_INODE_DEV);
    case "epoll":
      return streamStat(0o600, f.epoll.inode, ANON_INODE_DEV);
    default:
      return streamStat(S_IFIFO | 0o600, 0, 0n);
  }
}

function statFd(k: Kernel, fd: number): Uint8Array | number {
  const f = k.fds.get(fd);
  if (!f) return E.EBADF;
  return statOf(f);
}

function sysFstat(k: Kernel, a: readonly bigint[]): bigint {
  const st = statFd(k, int(a[0]!));
  if (typeof st === "number") return E.fail(st);
  return k.writeUser(a[1]!, st) ? 0n : E.fail(E.EFAULT);
}

function statPath(k: Kernel, dirfd: number, pathAddr: bigint, out: bigint, flags: number): bigint {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.fail(E.EFAULT);
  let st: Uint8Array | number;
  if (path === "" && flags & AT_EMPTY_PATH) st = statFd(k, dirfd);
  else {
    const base = baseDir(k, dirfd);
    if (typeof base === "number") return E.fail(base);
    const noFollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
    const host = noFollow ? k.files.resolveNoFollow(path, base) : k.files.resolve(path, base);
    const s = typeof host === "number" ? host : k.files.statHost(host, noFollow);
    st = typeof s === "number" ? s : encodeStat(s);
  }
  if (typeof st === "number") return E.fail(st);
  return k.writeUser(out, st) ? 0n : E.fail(E.EFAULT);
}

function readlinkAt(k: Kernel, dirfd: number, pathAddr: bigint, buf: bigint, bufsize: number): bigint {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.fail(E.EFAULT);
  if (bufsize <= 0) return E.fail(E.EINVAL);
  if (path === "/proc/self/exe") {
    const bytes = Buffer.from(k.files.exePath).subarray(0, bufsize);
    return k.writeUser(buf, bytes) ? BigInt(bytes.length) : E.fail(E.EFAULT);
  }
  const base = baseDir(k, dirfd);
  if (typeof base === "number") return E.fail(base);
  const host = k.files.resolve(path, base);
  return E.fail(typeof host === "number" ? host : E.EINVAL); // only /proc/self/exe is a link we show
}

function accessAt(k: Kernel, dirfd: number, pathAddr: bigint, mode: number): bigint {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.fail(E.EFAULT);
  const base = baseDir(k, dirfd);
  if (typeof base === "number") return E.fail(base);
  const host = k.files.resolve(path, base);
  if (typeof host === "number") return E.fail(host);
  return mode & 2 ? E.fail(E.EROFS) : 0n;
}

function sysGetcwd(k: Kernel, a: readonly bigint[]): bigint {
  const bytes = Buffer.from(`${k.files.cwd}\0`);
  if (bytes.length > size(a[1]!)) return E.fail(E.ERANGE);
  return k.writeUser(a[0]!, bytes) ? BigInt(bytes.length) : E.fail(E.EFAULT);
}

export const fileSyscalls: Record<number, SyscallEntry> = {
  2: { name: "open", handler: (k, a) => openPath(k, AT_FDCWD, a[0]!, int(a[1]!)) },
  3: { name: "close", handler: (k, a) => (closeFd(k, int(a[0]!)) ? 0n : E.fail(E.EBADF)) },
  4: { name: "stat", handler: (k, a) => statPath(k, AT_FDCWD, a[0]!, a[1]!, 0) },
  5: { name: "fstat", handler: sysFstat },
  6: { name: "lstat", handler: (k, a) => statPath(k, AT_FDCWD, a[0]!, a[1]!, AT_SYMLINK_NOFOLLOW) },
  21: { name: "access", handler: (k, a) => accessAt(k, AT_FDCWD, a[0]!, int(a[1]!)) },
  79: { name: "getcwd", handler: sysGetcwd },
  89: { name: "readlink", handler: (k, a) => readlinkAt(k, AT_FDCWD, a[0]!, a[1]!, int(a[2]!)) },
  257: { name: "openat", handler: (k, a) => openPath(k, int(a[0]!), a[1]!, int(a[2]!)) },
  262: { name: "newfstatat", handler: (k, a) => statPath(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!)) },
  267: { name: "readlinkat", handler: (k, a) => readlinkAt(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!)) },
  269: { name: "faccessat", handler: (k, a) => accessAt(k, int(a[0]!), a[1]!, int(a[2]!)) },
  439: { name: "faccessat2", handler: (k, a) => accessAt(k, int(a[0]!), a[1]!, int(a[2]!)) },
};
