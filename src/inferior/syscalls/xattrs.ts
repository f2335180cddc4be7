/**
 * Extended attributes: the view shows none (Node reads no host xattrs), as a file without any
 * reads on Linux — a get is ENODATA, a list is empty. ls -l asks for each file's SELinux label and
 * ACL this way. The path or descriptor is checked as Linux checks it, so a missing one is ENOENT
 * or EBADF. Setting and removing stay unsupported (ENOSYS, named in the log).
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { AT_FDCWD, existingAt } from "./files.js";
import { int, type SyscallEntry } from "./types.js";

const ENODATA = 61;

/** The errno of naming `path` (followed or not), or 0 when it exists. */
function pathError(k: Kernel, path: bigint, follow: boolean): number {
  const e = existingAt(k, AT_FDCWD, path, follow);
  return typeof e === "number" ? e : 0;
}

const fdError = (k: Kernel, fd: number): number => (k.fds.get(fd) ? 0 : E.EBADF);

/** A get's answer: the naming error, or ENODATA (no such attribute). */
const get = (err: number): bigint => E.fail(err || ENODATA);
/** A list's answer: the naming error, or 0 bytes of names. */
const list = (err: number): bigint => (err ? E.fail(err) : 0n);

export const xattrSyscalls: Record<number, SyscallEntry> = {
  191: { name: "getxattr", handler: (k, a) => get(pathError(k, a[0]!, true)) },
  192: { name: "lgetxattr", handler: (k, a) => get(pathError(k, a[0]!, false)) },
  193: { name: "fgetxattr", handler: (k, a) => get(fdError(k, int(a[0]!))) },
  194: { name: "listxattr", handler: (k, a) => list(pathError(k, a[0]!, true)) },
  195: { name: "llistxattr", handler: (k, a) => list(pathError(k, a[0]!, false)) },
  196: { name: "flistxattr", handler: (k, a) => list(fdError(k, int(a[0]!))) },
};
