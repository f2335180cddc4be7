/** Directory entries as getdents reports them, read from a host directory; host errors as Linux errno values. */
import { type Dir, type Dirent, lstatSync, opendirSync } from "node:fs";
import { join, sep } from "node:path";
import * as E from "./errno.js";
import { hostDirents } from "../emu/host-dirents.js";
import { isHostError } from "../errors.js";

/** One directory entry as getdents reports it. */
export interface DirEntry {
  /** The name's bytes as the file system holds them (not necessarily UTF-8). */
  name: Uint8Array;
  ino: bigint;
  /** A DT_* value of <dirent.h>. */
  type: number;
}

export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

/**
 * The entries of a host directory as the host lists them: from the host's own getdents64
 * (host-dirents.ts). Without it, from readdir(3) through Node, which hides "." and "..": they come
 * first then, as most Linux file systems emit them, with d_ino from lstat (an entry gone meanwhile
 * gets inode 0, which readdir(3) skips as deleted).
 */
export function listDirectory(hostPath: string): DirEntry[] | number {
  return hostDirents(hostPath) ?? readdirListing(hostPath);
}

/** The listing through Node's readdir(3), "." and ".." put first (listDirectory's fallback). */
export function readdirListing(hostPath: string): DirEntry[] | number {
  const prefix = Buffer.from(hostPath.endsWith(sep) ? hostPath : hostPath + sep);
  const inode = (path: Buffer | string): bigint => lstatSync(path, { bigint: true, throwIfNoEntry: false })?.ino ?? 0n;
  const out: DirEntry[] = [
    { name: Buffer.from("."), ino: inode(hostPath), type: DT_DIR },
    { name: Buffer.from(".."), ino: inode(join(hostPath, "..")), type: DT_DIR },
  ];
  let dir: Dir;
  try {
    dir = opendirSync(hostPath, { encoding: "latin1" }); // one character per byte: names of any encoding survive
  } catch (e) {
    return hostErrno(e);
  }
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
      const name = Buffer.from(e.name, "latin1");
      out.push({ name, ino: inode(Buffer.concat([prefix, name])), type: direntType(e) });
    }
  } catch (e) {
    return hostErrno(e);
  } finally {
    dir.closeSync();
  }
  return out;
}

function direntType(e: Dirent): number {
  if (e.isFile()) return DT_REG;
  if (e.isDirectory()) return DT_DIR;
  if (e.isSymbolicLink()) return DT_LNK;
  if (e.isFIFO()) return DT_FIFO;
  if (e.isSocket()) return DT_SOCK;
  if (e.isCharacterDevice()) return DT_CHR;
  if (e.isBlockDevice()) return DT_BLK;
  return DT_UNKNOWN;
}

/** The Linux errno of a failed host file-system call (Node keeps it, negated, in `errno`). */
export function hostErrno(e: unknown): number {
  const n = (e as NodeJS.ErrnoException).errno;
  return typeof n === "number" && n < 0 ? -n : E.EIO;
}

/** Runs a host file-system call: its result, or the Linux errno it failed with (other exceptions pass). */
export function onHost<T>(call: () => T): T | { errno: number } {
  try {
    return call();
  } catch (e) {
    if (!isHostError(e)) throw e;
    return { errno: hostErrno(e) };
  }
}
