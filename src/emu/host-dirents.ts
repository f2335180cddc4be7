/**
 * The host kernel's own listing of a directory: getdents64 on a host descriptor, called in libc
 * through koffi. Node's fs hides "." and ".." and where the file system puts them (ext4 lists a
 * small directory in hash order, dots among the names), so only the host's getdents gives the
 * inferior the listing a native run sees: its order, d_ino and d_type (DT_UNKNOWN included).
 * It lives in src/emu because this folder alone calls native code (koffi).
 */
import { closeSync, constants, openSync } from "node:fs";
import koffi from "koffi";
import { isHostError } from "../errors.js";
/** One directory entry as the host's getdents64 gives it (name bytes, inode, DT_* type). */
export interface HostDirEntry {
  name: Uint8Array;
  ino: bigint;
  type: number;
}

type Getdents64 = (fd: number, buf: Uint8Array, length: number) => number;

const BUFFER_SIZE = 1 << 16;
/** null: libc's getdents64 could not be bound (a libc without it, or no koffi): callers fall back. */
let bound: Getdents64 | null | undefined;

function getdents64(): Getdents64 | null {
  if (bound !== undefined) return bound;
  try {
    const libc = koffi.load("libc.so.6");
    bound = libc.func("long getdents64(int fd, _Out_ uint8_t *buf, size_t len)") as Getdents64;
  } catch {
    bound = null;
  }
  return bound;
}

/**
 * Every entry of the host directory `hostPath`, in the host's order; an errno (positive) when it
 * cannot be listed; undefined when the host's getdents64 is not available.
 */
export function hostDirents(hostPath: string): HostDirEntry[] | number | undefined {
  const call = getdents64();
  if (!call) return undefined;
  let fd: number;
  try {
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    if (!isHostError(e)) throw e;
    return -(e.errno ?? -5); // Node's errno is negative
  }
  try {
    const out: HostDirEntry[] = [];
    const buf = new Uint8Array(BUFFER_SIZE);
    const view = new DataView(buf.buffer);
    for (;;) {
      const n = call(fd, buf, buf.length);
      if (n < 0) return koffi.errno();
      if (n === 0) return out;
      for (let at = 0; at < n; ) {
        const reclen = view.getUint16(at + 16, true);
        const name = buf.subarray(at + 19, at + reclen);
        const nul = name.indexOf(0);
        out.push({ ino: view.getBigUint64(at, true), type: view.getUint8(at + 18), name: Buffer.from(nul >= 0 ? name.subarray(0, nul) : name) });
        at += reclen;
      }
    }
  } finally {
    closeSync(fd);
  }
}
