/**
 * Advisory locks: fcntl's F_GETLK/F_SETLK/F_SETLKW and their open-file-description forms, and
 * flock(2), on the family's lock table (file-locks.ts). A lock that conflicts with another
 * process's makes F_SETLKW and a blocking flock wait (woken when a lock is released); F_SETLK and
 * LOCK_NB fail with EAGAIN and EWOULDBLOCK, as on Linux.
 */
import * as E from "../errno.js";
import { END, type LockOwner, type LockType } from "../file-locks.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import { blockOnIo, ioChanged } from "./pipes.js";
import { int, type SyscallEntry } from "./types.js";
import { fstatSync } from "node:fs";

export const F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;

const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
const FCNTL = 72;
const FLOCK = 73;
const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

type Lockable = OpenFile & { kind: "host" };

/** A file's identity in the lock table: its device and inode. */
export const lockKey = (f: Lockable): string => `${f.stats.dev}:${f.stats.ino}`;

/** fcntl's lock commands on `fd`; `arg` points at a struct flock (type, whence, start, len, pid). */
export function fcntlLock(k: Kernel, fd: number, f: OpenFile, cmd: number, arg: bigint): bigint {
  if (f.kind !== "host") return E.fail(E.EINVAL); // pipes and special files take no record locks here
  const raw = k.readUser(arg, 32);
  if (!raw) return E.fail(E.EFAULT);
  const v = new DataView(raw.buffer, raw.byteOffset, 32);
  const lType = v.getInt16(0, true);
  const whence = v.getInt16(2, true);
  const lStart = v.getBigInt64(8, true);
  const lLen = v.getBigInt64(16, true);
  const ofd = cmd >= F_OFD_GETLK;
  if (ofd && v.getInt32(24, true) !== 0) return E.fail(E.EINVAL); // l_pid must be 0 for OFD locks
  const base = whence === 0 ? 0n : whence === 1 ? BigInt(f.position) : whence === 2 ? BigInt(fstatSync(f.hostFd).size) : -1n;
  if (base < 0n || (lType !== F_RDLCK && lType !== F_WRLCK && lType !== F_UNLCK)) return E.fail(E.EINVAL);
  let start = base + lStart;
  let end = lLen === 0n ? END : start + lLen;
  if (lLen < 0n) [start, end] = [start + lLen, start];
  if (start < 0n) return E.fail(E.EINVAL);
  const owner: LockOwner = ofd ? f : k.pid;
  const locks = k.files.locks;
  const key = lockKey(f);
  const type: LockType | undefined = lType === F_RDLCK ? "read" : lType === F_WRLCK ? "write" : undefined;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    if (!type) return E.fail(E.EINVAL);
    const c = locks.conflict(key, start, end, type, owner);
    const out = new Uint8Array(32);
    const o = new DataView(out.buffer);
    o.setInt16(0, c ? (c.type === "read" ? F_RDLCK : F_WRLCK) : F_UNLCK, true);
    if (c) {
      o.setBigInt64(8, c.start, true);
      o.setBigInt64(16, c.end === END ? 0n : c.end - c.start, true);
      o.setInt32(24, c.pid, true);
    } else {
      o.setInt16(2, whence, true);
      o.setBigInt64(8, lStart, true);
      o.setBigInt64(16, lLen, true);
    }
    return k.writeUser(arg, out) ? 0n : E.fail(E.EFAULT);
  }
  if ((type === "read" && !f.readable) || (type === "write" && !f.writable)) return E.fail(E.EBADF);
  const apply = (): bigint => {
    locks.set(key, start, end, type, owner, ofd ? -1 : k.pid);
    if (!type) ioChanged(k); // a waiter may take it now
    return 0n;
  };
  if (!type || !locks.conflict(key, start, end, type, owner)) return apply();
  if (cmd === F_SETLK || cmd === F_OFD_SETLK) return E.fail(E.EAGAIN);
  return blockOnIo(k, { kind: "io", what: `lock of fd ${fd}`, again: () => !locks.conflict(key, start, end, type, owner), retry: () => (locks.conflict(key, start, end, type, owner) ? undefined : { done: apply() }) }, FCNTL, { interrupt: "eintr" });
}

function flock(k: Kernel, fd: number, op: number): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  if (f.kind !== "host") return E.fail(E.EINVAL);
  const what = op & ~LOCK_NB;
  if (what !== LOCK_SH && what !== LOCK_EX && what !== LOCK_UN) return E.fail(E.EINVAL);
  const locks = k.files.locks;
  const key = lockKey(f);
  const type: LockType | undefined = what === LOCK_SH ? "read" : what === LOCK_EX ? "write" : undefined;
  const apply = (): bigint => {
    locks.set(key, 0n, END, type, f, k.pid, true);
    if (!type) ioChanged(k);
    return 0n;
  };
  if (!type || !locks.conflict(key, 0n, END, type, f, true)) return apply();
  if (op & LOCK_NB) return E.fail(E.EAGAIN);
  return blockOnIo(k, { kind: "io", what: `flock of fd ${fd}`, again: () => !locks.conflict(key, 0n, END, type, f, true), retry: () => (locks.conflict(key, 0n, END, type, f, true) ? undefined : { done: apply() }) }, FLOCK, { interrupt: "eintr" });
}

/**
 * A descriptor of `f` was closed: the process's POSIX locks on the file go (all of them, as
 * Linux's close does), and once no descriptor refers to the open file, its own locks too.
 */
export function releaseLocks(k: Kernel, f: OpenFile): void {
  if (f.kind !== "host") return;
  const locks = k.files.locks;
  locks.release(k.pid, lockKey(f));
  if (!k.fds.someOpen((g) => g === f)) locks.release(f);
  ioChanged(k);
}

export const lockSyscalls: Record<number, SyscallEntry> = {
  73: { name: "flock", handler: (k, a) => flock(k, int(a[0]!), int(a[1]!)) },
};
