/**
 * The syscalls that change the file tree or a file's metadata: unlink, rmdir, mkdir, mknod,
 * rename, symlink, link, chmod, chown, utimensat, truncate, fallocate and the syncs. Where each
 * change lands (in place below a --allow-write root, or in the scratch layer) is file-changes.ts's.
 */
import { chmodSync, chownSync, fchmodSync, fchownSync, fstatSync, ftruncateSync, futimesSync, lchownSync, lstatSync, lutimesSync, statSync, truncateSync, utimesSync } from "node:fs";
import { type HostTime, setHostTimes, UTIME_NOW, UTIME_OMIT } from "../../emu/host-times.js";
import * as E from "../errno.js";
import { changeableHost, makeDirectory, makeHardLink, makeNode, makeSymlink, removeEntry, renameEntry, resized } from "../file-changes.js";
import { type Entry, isSymlink, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from "../file-view.js";
import type { OpenFile } from "../files.js";
import { onHost } from "../host-listing.js";
import type { Kernel } from "../kernel.js";
import { AT_FDCWD, existingAt, lookupAt } from "./files.js";
import { int, type SyscallEntry } from "./types.js";

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;
const RENAME_NOREPLACE = 1;
const EOPNOTSUPP = 95;
const ENOTEMPTY = 39;

const result = (errno: number): bigint => (errno === 0 ? 0n : E.fail(errno));
const hostCall = (call: () => void): bigint => {
  const r = onHost(call);
  return r === undefined ? 0n : E.fail(r.errno);
};

function unlinkAt(k: Kernel, dirfd: number, pathAddr: bigint, flags: number): bigint {
  if (flags & ~AT_REMOVEDIR) return E.fail(E.EINVAL);
  if (flags & AT_REMOVEDIR) {
    // Linux refuses these by name, before looking at the directory.
    const last = (k.readCString(pathAddr) ?? "").split("/").filter((c) => c !== "").pop();
    if (last === ".") return E.fail(E.EINVAL);
    if (last === "..") return E.fail(ENOTEMPTY);
  }
  const e = existingAt(k, dirfd, pathAddr, false);
  if (typeof e === "number") return E.fail(e);
  return result(removeEntry(k.files, e, (flags & AT_REMOVEDIR) !== 0));
}

function mkdirAt(k: Kernel, dirfd: number, pathAddr: bigint, mode: number): bigint {
  const l = lookupAt(k, dirfd, pathAddr, false);
  if (typeof l === "number") return E.fail(l);
  return result(makeDirectory(k.files, l, mode & ~k.umask));
}

/**
 * mknod(2): a FIFO (mkfifo), a socket node or an empty regular file (type 0 is one too), made
 * wherever the path's changes go. Device nodes are EPERM: the process is root (getuid says so),
 * which natively may make them, but one made on the host would open the host's device, which the
 * view never gives a program; EPERM is what a process without CAP_MKNOD gets (an ordinary user,
 * or root in a user namespace), so programs take it as a refusal. Errors in Linux's order: the type first
 * (a directory EPERM, an unknown type EINVAL), then the name, then the device's permission.
 */
function mknodAt(k: Kernel, dirfd: number, pathAddr: bigint, mode: number): bigint {
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return E.fail(E.EPERM);
  if (![0, S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK].includes(type)) return E.fail(E.EINVAL);
  const l = lookupAt(k, dirfd, pathAddr, false);
  if (typeof l === "number") return E.fail(l);
  if (l.found) return E.fail(E.EEXIST);
  if (k.readCString(pathAddr)?.endsWith("/")) return E.fail(E.ENOENT); // a trailing slash names a directory
  if (type === S_IFCHR || type === S_IFBLK) {
    const go = k.files.changesGo(l.absent);
    if (typeof go === "number") return E.fail(go);
    k.warnOnce("mknod-device", `mknod of a device node (${l.absent}) is refused with EPERM: a device node made on the host would open the host's device`);
    return E.fail(E.EPERM);
  }
  const r = makeNode(k.files, l, (type === 0 ? S_IFREG : type) | (mode & 0o7777 & ~k.umask));
  if (r === E.ENOSYS) k.warnOnce("mknod-libc", "mknod needs libc's mknod (through koffi), which could not be loaded; it failed with ENOSYS");
  return result(r);
}

function renameAt(k: Kernel, olddir: number, oldAddr: bigint, newdir: number, newAddr: bigint, flags: number): bigint {
  if (flags & ~RENAME_NOREPLACE) return E.fail(E.EINVAL); // RENAME_EXCHANGE and RENAME_WHITEOUT are not offered
  const from = existingAt(k, olddir, oldAddr, false);
  if (typeof from === "number") return E.fail(from);
  const to = lookupAt(k, newdir, newAddr, false);
  if (typeof to === "number") return E.fail(to);
  return result(renameEntry(k.files, from, to, (flags & RENAME_NOREPLACE) !== 0));
}

function symlinkAt(k: Kernel, targetAddr: bigint, dirfd: number, pathAddr: bigint): bigint {
  const target = k.readCString(targetAddr);
  if (target === undefined) return E.fail(E.EFAULT);
  if (target === "") return E.fail(E.ENOENT);
  const l = lookupAt(k, dirfd, pathAddr, false);
  if (typeof l === "number") return E.fail(l);
  return result(makeSymlink(k.files, target, l));
}

function linkAt(k: Kernel, olddir: number, oldAddr: bigint, newdir: number, newAddr: bigint, flags: number): bigint {
  const from = existingAt(k, olddir, oldAddr, (flags & AT_SYMLINK_FOLLOW) !== 0);
  if (typeof from === "number") return E.fail(from);
  const to = lookupAt(k, newdir, newAddr, false);
  if (typeof to === "number") return E.fail(to);
  return result(makeHardLink(k.files, from, to));
}

/** The entry a path or an empty path with AT_EMPTY_PATH (the descriptor's own file) names. */
function targetOf(k: Kernel, dirfd: number, pathAddr: bigint, flags: number): Entry | OpenFile | number {
  if (flags & AT_EMPTY_PATH && pathAddr !== 0n && k.readCString(pathAddr) === "") return k.fds.get(dirfd) ?? E.EBADF;
  return existingAt(k, dirfd, pathAddr, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

/**
 * Changes metadata of what `target` names: through the descriptor when it is a file opened for
 * writing or one of the scratch layer's, else at the path the view gives for changes (copied up
 * first when it is a lower file).
 */
function changeMetadata(k: Kernel, target: Entry | OpenFile | number, viaFd: (hostFd: number) => void, viaPath: (host: string, link: boolean) => void): bigint {
  if (typeof target === "number") return E.fail(target);
  if ("layer" in target && target.special?.fd !== undefined) return changeMetadata(k, k.fds.get(target.special.fd) ?? E.ENOENT, viaFd, viaPath); // /proc/self/fd/N: the open file
  if ("layer" in target) {
    const host = changeableHost(k.files, target);
    if (typeof host === "number") return E.fail(host === E.EACCES ? E.EPERM : host);
    k.files.changes.before(host);
    return hostCall(() => viaPath(host, isSymlink(target.stats)));
  }
  if (target.kind !== "host") return E.fail(E.EPERM); // pipes, streams, /dev and /proc: nothing of theirs to change here
  if (target.writable || k.files.scratch?.holds(target.hostPath)) {
    k.files.changes.before(target.hostPath);
    return hostCall(() => viaFd(target.hostFd));
  }
  const e = k.files.lookup(target.guestPath, "/", false);
  if (typeof e === "number" || !e.found) return E.fail(E.ENOENT);
  return changeMetadata(k, e.found, viaFd, viaPath);
}

function chmodAt(k: Kernel, target: Entry | OpenFile | number, mode: number): bigint {
  const link = (t: Entry | OpenFile | number): boolean => typeof t !== "number" && ("layer" in t ? isSymlink(t.stats) : t.kind === "host" && t.stats.isSymbolicLink());
  const open = typeof target !== "number" && "layer" in target && target.special?.fd !== undefined ? k.fds.get(target.special.fd) : undefined;
  if (open ? link(open) : link(target)) return E.fail(EOPNOTSUPP); // a link's own mode cannot change, as on Linux
  return changeMetadata(
    k,
    target,
    (fd) => fchmodSync(fd, mode & 0o7777),
    (host) => chmodSync(host, mode & 0o7777), // never a link (refused above): chmodSync would follow it on the host
  );
}

/** chown(2): -1 leaves an id as it is. */
function chownAt(k: Kernel, target: Entry | OpenFile | number, uidArg: bigint, gidArg: bigint): bigint {
  const id = (v: bigint, old: number) => (BigInt.asUintN(32, v) === 0xffff_ffffn ? old : Number(BigInt.asUintN(32, v)));
  return changeMetadata(
    k,
    target,
    (fd) => {
      const st = fstatSync(fd);
      fchownSync(fd, id(uidArg, st.uid), id(gidArg, st.gid));
    },
    (host, link) => {
      const st = lstatSync(host);
      (link ? lchownSync : chownSync)(host, id(uidArg, st.uid), id(gidArg, st.gid));
    },
  );
}

/** utimensat(2): two timespecs (or none: now), each possibly UTIME_NOW or UTIME_OMIT. */
function utimensAt(k: Kernel, dirfd: number, pathAddr: bigint, timesAddr: bigint, flags: number): bigint {
  const times: HostTime[] = [];
  for (let i = 0; i < 2; i++) {
    if (timesAddr === 0n) {
      times.push({ sec: 0n, nsec: UTIME_NOW });
      continue;
    }
    const sec = k.readU64(timesAddr + BigInt(i * 16));
    const nsec = k.readU64(timesAddr + BigInt(i * 16 + 8));
    if (sec === undefined || nsec === undefined) return E.fail(E.EFAULT);
    if (nsec >= 1_000_000_000n && nsec !== UTIME_NOW && nsec !== UTIME_OMIT) return E.fail(E.EINVAL);
    times.push({ sec: BigInt.asIntN(64, sec), nsec });
  }
  const target = pathAddr === 0n ? (k.fds.get(dirfd) ?? E.EBADF) : targetOf(k, dirfd, pathAddr, flags);
  return changeMetadata(
    k,
    target,
    (fd) => setTimes(fd, times[0]!, times[1]!, false),
    (host, link) => setTimes(host, times[0]!, times[1]!, link),
  );
}

/**
 * The host's utimensat, to the nanosecond (src/emu/host-times.ts); without it, Node's utimes in
 * double seconds. Throws the host's errno as Node's calls do, for changeMetadata's hostCall.
 */
function setTimes(of: string | number, atime: HostTime, mtime: HostTime, link: boolean): void {
  const r = setHostTimes(of, atime, mtime, link);
  if (r === 0) return;
  if (r !== undefined) throw Object.assign(new Error(`utimensat failed with errno ${r}`), { errno: -r, code: `E${r}`, syscall: "utimensat" });
  const st = typeof of === "number" ? fstatSync(of) : lstatSync(of);
  const seconds = (t: HostTime, oldMs: number) => (t.nsec === UTIME_OMIT ? oldMs / 1000 : t.nsec === UTIME_NOW ? Date.now() / 1000 : Number(t.sec) + Number(t.nsec) / 1e9);
  const [a, m] = [seconds(atime, st.atimeMs), seconds(mtime, st.mtimeMs)];
  if (typeof of === "number") futimesSync(of, a, m);
  else (link ? lutimesSync : utimesSync)(of, a, m);
}

/** utimes(2)/futimesat(2): two timevals, or none (now). */
function utimesAt(k: Kernel, dirfd: number, pathAddr: bigint, timesAddr: bigint): bigint {
  let times: [number, number] | undefined;
  if (timesAddr !== 0n) {
    const v = [0, 8, 16, 24].map((o) => k.readU64(timesAddr + BigInt(o)));
    if (v.some((x) => x === undefined)) return E.fail(E.EFAULT);
    const [s0, u0, s1, u1] = v.map((x) => Number(BigInt.asIntN(64, x!))) as [number, number, number, number];
    times = [s0 + u0 / 1e6, s1 + u1 / 1e6];
  }
  const now = Date.now() / 1000;
  return changeMetadata(
    k,
    existingAt(k, dirfd, pathAddr, true),
    (fd) => futimesSync(fd, times?.[0] ?? now, times?.[1] ?? now),
    (host) => utimesSync(host, times?.[0] ?? now, times?.[1] ?? now),
  );
}

function truncatePath(k: Kernel, pathAddr: bigint, length: bigint): bigint {
  if (BigInt.asIntN(64, length) < 0n) return E.fail(E.EINVAL);
  const e = existingAt(k, AT_FDCWD, pathAddr, true);
  if (typeof e === "number") return E.fail(e);
  if (e.special) return E.fail(e.special.device ? E.EINVAL : E.EACCES);
  const n = Number(length);
  return changeMetadata(
    k,
    e,
    (fd) => (ftruncateSync(fd, n), resized(k, fstatSync(fd))),
    (host) => (truncateSync(host, n), resized(k, statSync(host))),
  );
}


function ftruncateFd(k: Kernel, fd: number, length: bigint): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  if (BigInt.asIntN(64, length) < 0n) return E.fail(E.EINVAL);
  if (f.kind !== "host" || !f.writable || f.isDirectory) return E.fail(E.EINVAL);
  k.files.changes.before(f.hostPath);
  return hostCall(() => (ftruncateSync(f.hostFd, Number(length)), resized(k, fstatSync(f.hostFd))));
}

/** fallocate(2) mode 0 (and KEEP_SIZE) on a file opened for writing: extends it; the rest of its modes are EOPNOTSUPP. */
function fallocate(k: Kernel, fd: number, mode: number, offset: bigint, length: bigint): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  if (offset < 0n || length <= 0n) return E.fail(E.EINVAL);
  if (f.kind !== "host" || !f.writable) return E.fail(f.kind === "host" ? E.EBADF : E.ESPIPE);
  const FALLOC_FL_KEEP_SIZE = 1;
  if (mode & ~FALLOC_FL_KEEP_SIZE) return E.fail(EOPNOTSUPP);
  if (mode & FALLOC_FL_KEEP_SIZE) return 0n;
  const end = Number(offset + length);
  k.files.changes.before(f.hostPath);
  return hostCall(() => {
    if (fstatSync(f.hostFd).size < end) ftruncateSync(f.hostFd, end);
  });
}

/** fsync and friends: the inferior's writes are the host's already; nothing is lost at a crash of the emulation. */
function syncFd(k: Kernel, fd: number): bigint {
  return k.fds.get(fd) ? 0n : E.fail(E.EBADF);
}

export const fileChangeSyscalls: Record<number, SyscallEntry> = {
  74: { name: "fsync", handler: (k, a) => syncFd(k, int(a[0]!)) },
  75: { name: "fdatasync", handler: (k, a) => syncFd(k, int(a[0]!)) },
  76: { name: "truncate", handler: (k, a) => truncatePath(k, a[0]!, a[1]!) },
  77: { name: "ftruncate", handler: (k, a) => ftruncateFd(k, int(a[0]!), a[1]!) },
  82: { name: "rename", handler: (k, a) => renameAt(k, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, 0) },
  83: { name: "mkdir", handler: (k, a) => mkdirAt(k, AT_FDCWD, a[0]!, int(a[1]!)) },
  84: { name: "rmdir", handler: (k, a) => unlinkAt(k, AT_FDCWD, a[0]!, AT_REMOVEDIR) },
  86: { name: "link", handler: (k, a) => linkAt(k, AT_FDCWD, a[0]!, AT_FDCWD, a[1]!, 0) },
  87: { name: "unlink", handler: (k, a) => unlinkAt(k, AT_FDCWD, a[0]!, 0) },
  88: { name: "symlink", handler: (k, a) => symlinkAt(k, a[0]!, AT_FDCWD, a[1]!) },
  133: { name: "mknod", handler: (k, a) => mknodAt(k, AT_FDCWD, a[0]!, int(a[1]!)) },
  90: { name: "chmod", handler: (k, a) => chmodAt(k, existingAt(k, AT_FDCWD, a[0]!, true), int(a[1]!)) },
  91: { name: "fchmod", handler: (k, a) => chmodAt(k, k.fds.get(int(a[0]!)) ?? E.EBADF, int(a[1]!)) },
  92: { name: "chown", handler: (k, a) => chownAt(k, existingAt(k, AT_FDCWD, a[0]!, true), a[1]!, a[2]!) },
  93: { name: "fchown", handler: (k, a) => chownAt(k, k.fds.get(int(a[0]!)) ?? E.EBADF, a[1]!, a[2]!) },
  94: { name: "lchown", handler: (k, a) => chownAt(k, existingAt(k, AT_FDCWD, a[0]!, false), a[1]!, a[2]!) },
  162: { name: "sync", handler: () => 0n },
  235: { name: "utimes", handler: (k, a) => utimesAt(k, AT_FDCWD, a[0]!, a[1]!) },
  258: { name: "mkdirat", handler: (k, a) => mkdirAt(k, int(a[0]!), a[1]!, int(a[2]!)) },
  259: { name: "mknodat", handler: (k, a) => mknodAt(k, int(a[0]!), a[1]!, int(a[2]!)) },
  260: { name: "fchownat", handler: (k, a) => chownAt(k, targetOf(k, int(a[0]!), a[1]!, int(a[4]!)), a[2]!, a[3]!) },
  261: { name: "futimesat", handler: (k, a) => utimesAt(k, int(a[0]!), a[1]!, a[2]!) },
  263: { name: "unlinkat", handler: (k, a) => unlinkAt(k, int(a[0]!), a[1]!, int(a[2]!)) },
  264: { name: "renameat", handler: (k, a) => renameAt(k, int(a[0]!), a[1]!, int(a[2]!), a[3]!, 0) },
  265: { name: "linkat", handler: (k, a) => linkAt(k, int(a[0]!), a[1]!, int(a[2]!), a[3]!, int(a[4]!)) },
  266: { name: "symlinkat", handler: (k, a) => symlinkAt(k, a[0]!, int(a[1]!), a[2]!) },
  268: { name: "fchmodat", handler: (k, a) => chmodAt(k, existingAt(k, int(a[0]!), a[1]!, true), int(a[2]!)) },
  280: { name: "utimensat", handler: (k, a) => utimensAt(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!)) },
  285: { name: "fallocate", handler: (k, a) => fallocate(k, int(a[0]!), int(a[1]!), a[2]!, a[3]!) },
  306: { name: "syncfs", handler: (k, a) => syncFd(k, int(a[0]!)) },
  316: { name: "renameat2", handler: (k, a) => renameAt(k, int(a[0]!), a[1]!, int(a[2]!), a[3]!, int(a[4]!)) },
};
