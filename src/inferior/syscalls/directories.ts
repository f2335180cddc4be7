/**
 * getdents64 and getdents: a directory's entries in the merged view (file-view.ts): the host's
 * entries in the host's order with the host's d_type, then the scratch layer's. A directory's offset is the index of its next entry and each
 * record's d_off the index after it, so telldir/seekdir (lseek) and rewinddir work; reading from
 * offset 0 lists the directory afresh, as rewinddir sees files created since.
 */
import * as E from "../errno.js";
import type { DirEntry } from "../host-listing.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import type { SyscallEntry } from "./types.js";

/** Most bytes one call fills, whatever the buffer's size. */
const MAX_FILL = 1 << 20;

/** A record's layout: its length for a name, and its bytes. */
interface RecordFormat {
  length(nameLength: number): number;
  write(into: DataView, at: number, e: DirEntry, nextOffset: number, reclen: number): void;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name[] (NUL-terminated, padded to 8). */
const DIRENT64: RecordFormat = {
  length: (n) => align8(19 + n + 1),
  write(v, at, e, next, reclen) {
    v.setBigUint64(at, e.ino, true);
    v.setBigInt64(at + 8, BigInt(next), true);
    v.setUint16(at + 16, reclen, true);
    v.setUint8(at + 18, e.type);
    new Uint8Array(v.buffer, v.byteOffset + at + 19, e.name.length).set(e.name);
  },
};

/** The old struct linux_dirent: d_ino, d_off, d_reclen, d_name[], NUL, padding, d_type in the last byte. */
const DIRENT: RecordFormat = {
  length: (n) => align8(18 + n + 2),
  write(v, at, e, next, reclen) {
    v.setBigUint64(at, e.ino, true);
    v.setBigUint64(at + 8, BigInt(next), true);
    v.setUint16(at + 16, reclen, true);
    new Uint8Array(v.buffer, v.byteOffset + at + 18, e.name.length).set(e.name);
    v.setUint8(at + reclen - 1, e.type);
  },
};

function getdents(k: Kernel, a: readonly bigint[], format: RecordFormat): bigint {
  const f = k.fds.get(Number(BigInt.asIntN(32, a[0]!)));
  if (!f) return E.fail(E.EBADF);
  const isDir = f.kind === "host" ? f.isDirectory : f.kind === "special" && f.node.list !== undefined;
  if (!isDir || (f.kind !== "host" && f.kind !== "special")) return E.fail(E.ENOTDIR);
  const count = Math.min(Number(BigInt.asUintN(32, a[2]!)), MAX_FILL);
  if (f.position === 0 || f.listing === undefined) {
    const listing = listingOf(k, f);
    if (typeof listing === "number") return E.fail(listing);
    f.listing = listing;
  }
  const entries = f.listing;
  const out = new Uint8Array(count);
  const view = new DataView(out.buffer);
  let used = 0;
  let next = f.position;
  for (; next < entries.length; next++) {
    const e = entries[next]!;
    const reclen = format.length(e.name.length);
    if (used + reclen > count) break;
    format.write(view, used, e, next + 1, reclen);
    used += reclen;
  }
  if (used === 0 && next < entries.length) return E.fail(E.EINVAL); // the buffer cannot hold one entry
  if (used > 0 && !k.writeUser(a[1]!, out.subarray(0, used))) return E.fail(E.EFAULT);
  f.position = next;
  return BigInt(used);
}

/** The entries of an open directory now, in the merged view (a directory removed since lists as empty, as Linux's does). */
function listingOf(k: Kernel, f: OpenFile & { kind: "host" | "special" }): DirEntry[] | number {
  if (f.kind === "special") return f.node.list!();
  const l = k.files.lookup(f.guestPath, "/", false);
  if (typeof l === "number" || !l.found) return [];
  return k.files.list(l.found);
}

export const directorySyscalls: Record<number, SyscallEntry> = {
  78: { name: "getdents", handler: (k, a) => getdents(k, a, DIRENT) },
  217: { name: "getdents64", handler: (k, a) => getdents(k, a, DIRENT64) },
};
