/**
 * open/close/stat/readlink/access/getcwd/chdir on the merged file view (file-view.ts): host files
 * read in place, written in place below --allow-write roots or in the scratch layer, and /dev and
 * /proc nodes (special-files.ts).
 */
import { chmodSync, constants, fstatSync, lstatSync, statfsSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import * as E from "../errno.js";
import { changeableHost, creationHost, resized } from "../file-changes.js";
import { type Entry, type FileStat, isDirectory, isFifo, isSymlink, type Lookup } from "../file-view.js";
import { type Access, type OpenFile, READ_ONLY } from "../files.js";
import { onHost } from "../host-listing.js";
import { terminalStat } from "../special-files.js";
import type { Kernel } from "../kernel.js";
import { openFifo } from "./fifo-open.js";
import { closeFd } from "./io.js";
import { int, size, type SyscallEntry } from "./types.js";

export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const O_TMPFILE = 0o20000000 | O_DIRECTORY;
const ELOOP = 40;
const ENXIO = 6;

/** The directory a *at() call resolves relative paths against (a guest path). */
export function baseDir(k: Kernel, dirfd: number): string | number {
  if (dirfd === AT_FDCWD) return k.files.cwd;
  const f = k.fds.get(dirfd);
  if (!f) return E.EBADF;
  if (f.kind === "host" && f.isDirectory) return f.guestPath;
  if (f.kind === "special" && f.node.list) return f.guestPath;
  return E.ENOTDIR;
}

/** Reads a path argument and looks it up relative to `dirfd`: the look-up, or an errno. */
export function lookupAt(k: Kernel, dirfd: number, pathAddr: bigint, follow: boolean): Lookup | number {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.EFAULT;
  const base = baseDir(k, dirfd);
  if (typeof base === "number") return path.startsWith("/") ? k.files.lookup(path, "/", follow) : base;
  return k.files.lookup(path, base, follow);
}

/** Reads a path argument naming an existing entry. */
export function existingAt(k: Kernel, dirfd: number, pathAddr: bigint, follow: boolean): Entry | number {
  const l = lookupAt(k, dirfd, pathAddr, follow);
  if (typeof l === "number") return l;
  return l.found ?? E.ENOENT;
}

function accessOf(flags: number): Access {
  const mode = flags & O_ACCMODE;
  return { readable: mode !== 1, writable: mode === 1 || mode === 2, append: (flags & O_APPEND) !== 0 };
}

/** open(2) flags the host open gets: the access mode, O_APPEND and O_TRUNC (creation is the view's). */
const hostFlags = (flags: number): number => (flags & O_ACCMODE) | (flags & O_APPEND) | (flags & O_TRUNC);

/** open/openat/creat (`nr`, for a restart of an open a signal interrupted in a FIFO). */
function openPath(k: Kernel, dirfd: number, pathAddr: bigint, flags: number, mode: number, nr: number): bigint {
  const access = accessOf(flags);
  if ((flags & O_TMPFILE) === O_TMPFILE) return openTmpfile(k, dirfd, pathAddr, flags, mode);
  if (flags & O_PATH) return openPathOnly(k, dirfd, pathAddr, flags);
  const exclusive = (flags & O_CREAT) !== 0 && (flags & O_EXCL) !== 0;
  const follow = !(flags & O_NOFOLLOW) && !exclusive;
  const l = lookupAt(k, dirfd, pathAddr, follow);
  if (typeof l === "number") return E.fail(l);
  let fd: number;
  if (l.found) {
    const e = l.found;
    if (exclusive) return E.fail(E.EEXIST);
    // O_NOFOLLOW on a link; a /proc/self/fd/N link followed is the open file itself (bash's <(…) opens /dev/fd/63).
    if (isSymlink(e.stats) && !(follow && e.special?.fd !== undefined)) return E.fail(ELOOP);
    if (flags & O_DIRECTORY && !isDirectory(e.stats)) return E.fail(E.ENOTDIR);
    if (e.special) fd = openSpecial(k, e, access, flags);
    else if (isFifo(e.stats)) return openFifo(k, e, flags, nr); // for writing too in a read-only layer, as Linux
    else if (isDirectory(e.stats)) fd = access.writable ? -E.EISDIR : k.fds.openHost(e.host, e.guest);
    else if (access.writable || (flags & O_TRUNC && !(flags & O_PATH))) {
      const host = changeableHost(k.files, e);
      if (typeof host === "string") k.files.changes.before(host);
      fd = typeof host === "number" ? -host : k.fds.openHost(host, e.guest, access, hostFlags(flags));
      if (fd >= 0 && flags & O_TRUNC) resized(k, statSync(host as string));
    } else fd = k.fds.openHost(e.host, e.guest, READ_ONLY);
  } else {
    if (!(flags & O_CREAT)) return E.fail(E.ENOENT);
    const path = k.readCString(pathAddr) ?? "";
    if (path.endsWith("/")) return E.fail(E.EISDIR);
    const host = creationHost(k.files, l.absent, l.parent);
    if (typeof host === "number") return E.fail(host);
    k.files.changes.before(host);
    fd = k.fds.openHost(host, l.absent, access, hostFlags(flags) | constants.O_CREAT | constants.O_EXCL);
    if (fd >= 0) onHost(() => chmodSync(host, mode & ~k.umask & 0o7777)); // exactly, whatever the host's umask
  }
  if (fd < 0) return E.fail(-fd);
  if (flags & O_CLOEXEC) k.fds.setCloexec(fd, true);
  return BigInt(fd);
}

/**
 * O_PATH: a descriptor that names a file (a link itself with O_NOFOLLOW) for *at calls, fstat and
 * /proc/self/fd, without reading or writing it.
 */
function openPathOnly(k: Kernel, dirfd: number, pathAddr: bigint, flags: number): bigint {
  const e = existingAt(k, dirfd, pathAddr, !(flags & O_NOFOLLOW));
  if (typeof e === "number") return E.fail(e);
  if (flags & O_DIRECTORY && !isDirectory(e.stats)) return E.fail(E.ENOTDIR);
  const none = { readable: false, writable: false, append: false };
  const fd = e.special ? k.fds.install({ kind: "special", guestPath: e.guest, node: e.special, position: 0, ...none }) : k.fds.openHost(e.host, e.guest, none, O_PATH);
  if (fd < 0) return E.fail(-fd);
  if (flags & O_CLOEXEC) k.fds.setCloexec(fd, true);
  return BigInt(fd);
}

/**
 * O_TMPFILE: an unnamed regular file in a directory of the view (tmpfile(3) asks for one in
 * /tmp). It is made in the scratch layer and unlinked at once, so nothing of it stays.
 */
function openTmpfile(k: Kernel, dirfd: number, pathAddr: bigint, flags: number, mode: number): bigint {
  const access = accessOf(flags);
  if (!access.writable) return E.fail(E.EINVAL);
  const dir = existingAt(k, dirfd, pathAddr, true);
  if (typeof dir === "number") return E.fail(dir);
  if (!isDirectory(dir.stats)) return E.fail(E.ENOTDIR);
  const scratch = k.files.scratch;
  if (!scratch || dir.special) return E.fail(95 /* EOPNOTSUPP: glibc then makes and unlinks a named file */);
  const host = join(scratch.root, `.tmpfile-${process.pid}-${tmpfileCount++}`);
  const fd = k.fds.openHost(host, `${dir.guest === "/" ? "" : dir.guest}/#${tmpfileCount} (deleted)`, access, hostFlags(flags) | constants.O_CREAT | constants.O_EXCL, mode & ~k.umask & 0o7777);
  onHost(() => unlinkSync(host));
  if (fd < 0) return E.fail(-fd);
  if (flags & O_CLOEXEC) k.fds.setCloexec(fd, true);
  return BigInt(fd);
}
let tmpfileCount = 0;

/** Opens a /dev or /proc node: a device, a directory, a /proc file's bytes, or (/proc/self/fd/N) the open file again. */
function openSpecial(k: Kernel, e: Entry, access: Access, flags: number): number {
  const node = e.special!;
  if (node.fd !== undefined) return reopen(k, node.fd, access, flags);
  if (node.device === "tty") {
    // The session's terminal, read and written as the standard streams on it are; ENXIO without one.
    const terminal = k.fds.controllingTerminal;
    if (!terminal) return -ENXIO;
    return k.fds.install({ kind: access.writable ? "stdout" : "stdin", terminal });
  }
  if (node.list) {
    if (access.writable) return -E.EISDIR;
    return k.fds.install({ kind: "special", guestPath: e.guest, node, position: 0, ...READ_ONLY });
  }
  if (!node.device && access.writable && (node.stats.mode & 0o222) === 0) return -E.EACCES;
  const bytes = node.content?.();
  return k.fds.install({ kind: "special", guestPath: e.guest, node, bytes, position: 0, ...access });
}

/**
 * /proc/self/fd/N opened: a host file opens again (a new offset, as Linux gives), anything else
 * (a pipe, a standard stream) is the same open file under a new descriptor.
 */
function reopen(k: Kernel, fd: number, access: Access, flags: number): number {
  const f = k.fds.get(fd);
  if (!f) return -E.ENOENT;
  if (f.kind === "host") {
    if (access.writable && !f.writable) {
      const e = k.files.lookup(f.guestPath, "/", true);
      if (typeof e === "number" || !e.found) return -E.ENOENT;
      const host = changeableHost(k.files, e.found);
      if (typeof host === "number") return -host;
      k.files.changes.before(host);
      return k.fds.openHost(host, f.guestPath, access, hostFlags(flags));
    }
    return k.fds.openHost(f.hostPath, f.guestPath, access, hostFlags(flags));
  }
  return k.fds.dup(fd);
}

/** A host file's times to the nanosecond (Stats' milliseconds are a double: diff -u prints all nine digits). */
export interface NsTimes {
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The nanosecond times of a host path (not followed) or descriptor, when it can be read. */
function hostTimes(of: string | number): NsTimes | undefined {
  const big = onHost(() => (typeof of === "string" ? lstatSync(of, { bigint: true }) : fstatSync(of, { bigint: true })));
  return "errno" in big ? undefined : big;
}

/** struct stat as x86-64 Linux lays it out (144 bytes); times to the nanosecond when `exact` gives them. */
export function encodeStat(st: FileStat, exact?: NsTimes): Uint8Array {
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  const ns = (ms: number, i: number) => {
    const t = exact ? [exact.atimeNs, exact.mtimeNs, exact.ctimeNs][i]! : undefined;
    return t !== undefined ? ([t / 1_000_000_000n, t % 1_000_000_000n] as const) : ([BigInt(Math.floor(ms / 1000)), BigInt(Math.floor((ms % 1000) * 1e6))] as const);
  };
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
    const [s, n] = ns(t, i);
    v.setBigInt64(72 + i * 16, s, true);
    v.setBigInt64(80 + i * 16, n, true);
  });
  return b;
}

const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
/** pipefs's, anon_inodefs's and sockfs's device numbers (none has a backing device: st_dev 0:12, 0:13 and 0:9 here). */
const PIPEFS_DEV = 12n;
const ANON_INODE_DEV = 13n;
const SOCKFS_DEV = 9n;

/**
 * A pipe, as the inferior's standard streams are and pipe() makes (S_IFIFO, rw-------); eventfd
 * and epoll descriptors are anonymous inodes (rw-------, no file type), a socket is sockfs's
 * (S_IFSOCK, rwxrwxrwx), as Linux shows them.
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

/** What fstat(2) reports of an open file (a host file's stat read now: it may have been written). */
export function statOf(f: OpenFile): FileStat | Uint8Array {
  switch (f.kind) {
    case "host": {
      const now = onHost(() => (f.hostFd >= 0 ? fstatNow(f.hostFd) : f.stats));
      return "errno" in now ? f.stats : now;
    }
    case "special":
      return { ...f.node.stats, size: f.bytes?.length ?? f.node.stats.size };
    case "pipe":
      return f.fifo ? f.fifo.stats : streamStat(S_IFIFO | 0o600, f.pipe.inode, PIPEFS_DEV);
    case "socket":
      return streamStat(S_IFSOCK | 0o777, f.socket.inode, SOCKFS_DEV);
    case "eventfd":
      return streamStat(0o600, f.counter.inode, ANON_INODE_DEV);
    case "epoll":
      return streamStat(0o600, f.epoll.inode, ANON_INODE_DEV);
    default:
      return f.terminal ? terminalStat() : streamStat(S_IFIFO | 0o600, 0, 0n);
  }
}

const fstatNow = (hostFd: number): FileStat => fstatSync(hostFd);

function statBytes(f: OpenFile): Uint8Array {
  const st = statOf(f);
  if (st instanceof Uint8Array) return st;
  return encodeStat(st, f.kind === "host" && f.hostFd >= 0 ? hostTimes(f.hostFd) : undefined);
}

/** The stat of what a path names (an open file's for /proc/self/fd/N, followed). */
function entryStat(k: Kernel, e: Entry): Uint8Array | number {
  if (e.special?.fd !== undefined) {
    const f = k.fds.get(e.special.fd);
    return f ? statBytes(f) : E.ENOENT;
  }
  return encodeStat(e.stats, e.layer === "special" ? undefined : hostTimes(e.host));
}

function sysFstat(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (!f) return E.fail(E.EBADF);
  return k.writeUser(a[1]!, statBytes(f)) ? 0n : E.fail(E.EFAULT);
}

function statPath(k: Kernel, dirfd: number, pathAddr: bigint, out: bigint, flags: number): bigint {
  const path = k.readCString(pathAddr);
  if (path === undefined) return E.fail(E.EFAULT);
  let st: Uint8Array | number;
  if (path === "" && flags & AT_EMPTY_PATH) {
    const f = k.fds.get(dirfd);
    st = dirfd === AT_FDCWD ? statCwd(k) : f ? statBytes(f) : E.EBADF;
  } else {
    const e = existingAt(k, dirfd, pathAddr, (flags & AT_SYMLINK_NOFOLLOW) === 0);
    st = typeof e === "number" ? e : entryStat(k, e);
  }
  if (typeof st === "number") return E.fail(st);
  return k.writeUser(out, st) ? 0n : E.fail(E.EFAULT);
}

function statCwd(k: Kernel): Uint8Array | number {
  const e = lookupEntry(k, k.files.cwd);
  return typeof e === "number" ? e : entryStat(k, e);
}

function readlinkAt(k: Kernel, dirfd: number, pathAddr: bigint, buf: bigint, bufsize: number): bigint {
  if (bufsize <= 0) return E.fail(E.EINVAL);
  const e = existingAt(k, dirfd, pathAddr, false);
  if (typeof e === "number") return E.fail(e);
  if (!isSymlink(e.stats)) return E.fail(E.EINVAL);
  const target = k.files.readLink(e);
  if (target === undefined) return E.fail(E.ENOENT);
  const bytes = Buffer.from(target).subarray(0, bufsize);
  return k.writeUser(buf, bytes) ? BigInt(bytes.length) : E.fail(E.EFAULT);
}

const R_OK = 4, W_OK = 2, X_OK = 1;

/** access(2): existence, and the mode bits as the file's owner (or root) sees them; writes are allowed wherever the view takes changes. */
function accessAt(k: Kernel, dirfd: number, pathAddr: bigint, mode: number, flags: number): bigint {
  if (mode & ~7) return E.fail(E.EINVAL);
  const e = existingAt(k, dirfd, pathAddr, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (typeof e === "number") return E.fail(e);
  if (mode & W_OK && e.layer === "lower" && typeof k.files.changesGo(e.guest) === "number") return E.fail(E.EROFS);
  if (mode === 0 || e.special) return 0n;
  const root = (process.getuid?.() ?? 0) === 0;
  const bits = e.stats.mode;
  const owner = e.stats.uid === (process.getuid?.() ?? 0);
  const group = e.stats.gid === (process.getgid?.() ?? 0);
  const allowed = (want: number) => (root ? want !== X_OK || (bits & 0o111) !== 0 || isDirectory(e.stats) : ((owner ? bits >> 6 : group ? bits >> 3 : bits) & want) !== 0);
  for (const want of [R_OK, W_OK, X_OK]) if (mode & want && !allowed(want)) return E.fail(E.EACCES);
  return 0n;
}

function sysGetcwd(k: Kernel, a: readonly bigint[]): bigint {
  const bytes = Buffer.from(`${k.files.cwd}\0`);
  if (bytes.length > size(a[1]!)) return E.fail(E.ERANGE);
  return k.writeUser(a[0]!, bytes) ? BigInt(bytes.length) : E.fail(E.EFAULT);
}

function chdirTo(k: Kernel, e: Entry | number): bigint {
  if (typeof e === "number") return E.fail(e);
  if (!isDirectory(e.stats)) return E.fail(E.ENOTDIR);
  k.files.cwd = e.guest;
  return 0n;
}

function sysFchdir(k: Kernel, fd: number): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  const dir = baseDir(k, fd);
  if (typeof dir === "number") return E.fail(dir);
  return chdirTo(k, lookupEntry(k, dir));
}

function lookupEntry(k: Kernel, guest: string): Entry | number {
  const l = k.files.lookup(guest, "/", true);
  return typeof l === "number" ? l : l.found ?? E.ENOENT;
}

/** f_type of struct statfs for the special trees (procfs; /dev is a tmpfs). */
const PROC_SUPER_MAGIC = 0x9fa0n;
const TMPFS_MAGIC = 0x01021994n;

/** struct statfs (120 bytes) of the file system holding an entry: the host's, or /proc's and /dev's own. */
function statfsOf(e: Entry | OpenFile): Uint8Array | number {
  const out = new Uint8Array(120);
  const v = new DataView(out.buffer);
  const special = "layer" in e ? e.layer === "special" : e.kind !== "host";
  const host = "layer" in e ? e.host : e.kind === "host" ? e.hostPath : "";
  if (special || host === "") {
    v.setBigInt64(0, "layer" in e && e.guest.startsWith("/proc") ? PROC_SUPER_MAGIC : TMPFS_MAGIC, true);
    v.setBigInt64(8, 4096n, true);
  } else {
    const st = onHost(() => statfsSync(host, { bigint: true }));
    if ("errno" in st) return st.errno;
    [st.type, st.bsize, st.blocks, st.bfree, st.bavail, st.files, st.ffree].forEach((x, i) => v.setBigInt64(i * 8, x, true));
    v.setBigInt64(80, st.bsize, true); // f_frsize
  }
  v.setBigInt64(64, 255n, true); // f_namelen
  return out;
}

function statfsPath(k: Kernel, pathAddr: bigint, out: bigint): bigint {
  const e = existingAt(k, AT_FDCWD, pathAddr, true);
  const r = typeof e === "number" ? e : statfsOf(e);
  if (typeof r === "number") return E.fail(r);
  return k.writeUser(out, r) ? 0n : E.fail(E.EFAULT);
}

function fstatfs(k: Kernel, fd: number, out: bigint): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  const r = statfsOf(f);
  if (typeof r === "number") return E.fail(r);
  return k.writeUser(out, r) ? 0n : E.fail(E.EFAULT);
}

export const fileSyscalls: Record<number, SyscallEntry> = {
  2: { name: "open", handler: (k, a) => openPath(k, AT_FDCWD, a[0]!, int(a[1]!), int(a[2]!), 2) },
  3: { name: "close", handler: (k, a) => (closeFd(k, int(a[0]!)) ? 0n : E.fail(E.EBADF)) },
  4: { name: "stat", handler: (k, a) => statPath(k, AT_FDCWD, a[0]!, a[1]!, 0) },
  5: { name: "fstat", handler: sysFstat },
  6: { name: "lstat", handler: (k, a) => statPath(k, AT_FDCWD, a[0]!, a[1]!, AT_SYMLINK_NOFOLLOW) },
  21: { name: "access", handler: (k, a) => accessAt(k, AT_FDCWD, a[0]!, int(a[1]!), 0) },
  79: { name: "getcwd", handler: sysGetcwd },
  80: { name: "chdir", handler: (k, a) => chdirTo(k, existingAt(k, AT_FDCWD, a[0]!, true)) },
  81: { name: "fchdir", handler: (k, a) => sysFchdir(k, int(a[0]!)) },
  85: { name: "creat", handler: (k, a) => openPath(k, AT_FDCWD, a[0]!, O_CREAT | 1 | O_TRUNC, int(a[1]!), 85) },
  137: { name: "statfs", handler: (k, a) => statfsPath(k, a[0]!, a[1]!) },
  138: { name: "fstatfs", handler: (k, a) => fstatfs(k, int(a[0]!), a[1]!) },
  89: { name: "readlink", handler: (k, a) => readlinkAt(k, AT_FDCWD, a[0]!, a[1]!, int(a[2]!)) },
  257: { name: "openat", handler: (k, a) => openPath(k, int(a[0]!), a[1]!, int(a[2]!), int(a[3]!), 257) },
  262: { name: "newfstatat", handler: (k, a) => statPath(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!)) },
  267: { name: "readlinkat", handler: (k, a) => readlinkAt(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!)) },
  269: { name: "faccessat", handler: (k, a) => accessAt(k, int(a[0]!), a[1]!, int(a[2]!), 0) },
  439: { name: "faccessat2", handler: (k, a) => accessAt(k, int(a[0]!), a[1]!, int(a[2]!), int(a[3]!)) },
};
