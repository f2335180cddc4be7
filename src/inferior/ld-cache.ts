/**
 * /etc/ld.so.cache in glibc's new format ("glibc-ld.so.cache1.1", optionally behind the old
 * "ld.so-1.7.0" table): the sonames ldconfig knows and the files they live in. We read it only to
 * learn which library directories the dynamic loader will open files from, so the inferior's
 * read-only file view can allow exactly those.
 */
import { JitdbgError } from "../errors.js";
import { cString } from "../elf/reader.js";

export interface LdCacheEntry {
  /** The soname (key), e.g. "libc.so.6". */
  name: string;
  /** The file the loader opens, e.g. "/lib/x86_64-linux-gnu/libc.so.6". */
  path: string;
  flags: number;
  hwcap: bigint;
}

const OLD_MAGIC = "ld.so-1.7.0";
const NEW_MAGIC = "glibc-ld.so.cache1.1";
const OLD_HEADER = 16; // magic[11] + pad + nlibs
const OLD_ENTRY = 12; // flags, key, value
const NEW_HEADER = 48; // magic[17] version[3] nlibs len_strings flags pad[3] extension_offset unused[3]
const NEW_ENTRY = 24; // flags, key, value, osversion, hwcap

/** FLAG_ELF_LIBC6 | FLAG_X8664_LIB64: the entries an x86-64 glibc loader accepts. */
export const FLAG_X86_64_LIBC6 = 0x0303;

function corrupt(path: string, what: string): JitdbgError {
  return new JitdbgError("LDCACHE_CORRUPT", { file: path }, `${what}; regenerate it with \`ldconfig\`, or pass the library directories as allowed paths`);
}

/** Parses the cache; entries in file order (the loader's search order). */
export function parseLdCache(bytes: Uint8Array, path = "/etc/ld.so.cache"): LdCacheEntry[] {
  const ascii = (at: number, n: number) => Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(n, Math.max(0, bytes.length - at))).toString("latin1");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  if (ascii(0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (bytes.length < OLD_HEADER) throw corrupt(path, "truncated old-format header");
    const nOld = view.getUint32(12, true);
    start = OLD_HEADER + nOld * OLD_ENTRY;
    start = (start + 7) & ~7; // the new table is aligned after the old one
  }
  if (ascii(start, NEW_MAGIC.length) !== NEW_MAGIC) {
    throw corrupt(path, `no "${NEW_MAGIC}" table (unknown ld.so.cache format)`);
  }
  if (bytes.length < start + NEW_HEADER) throw corrupt(path, "truncated header");
  const nlibs = view.getUint32(start + 20, true);
  if (start + NEW_HEADER + nlibs * NEW_ENTRY > bytes.length) throw corrupt(path, `${nlibs} entries run past the end of the file (${bytes.length} bytes)`);
  const out: LdCacheEntry[] = [];
  const str = (off: number): string => {
    const at = start + off;
    if (at >= bytes.length) throw corrupt(path, `string offset ${off} is outside the file`);
    return cString(bytes, at);
  };
  for (let i = 0; i < nlibs; i++) {
    const at = start + NEW_HEADER + i * NEW_ENTRY;
    out.push({
      flags: view.getInt32(at, true),
      name: str(view.getUint32(at + 4, true)),
      path: str(view.getUint32(at + 8, true)),
      hwcap: view.getBigUint64(at + 16, true),
    });
  }
  return out;
}

/** Whether the loader of an x86-64 program uses the entry (not a 32-bit or x32 library's). */
export function isX8664Libc6(e: LdCacheEntry): boolean {
  return (e.flags & 0xffff) === FLAG_X86_64_LIBC6;
}

/** The distinct directories of x86-64 libc6 entries, in first-seen order. */
export function ldCacheDirectories(entries: readonly LdCacheEntry[]): string[] {
  const dirs = new Set<string>();
  for (const e of entries) {
    if (!isX8664Libc6(e)) continue;
    const slash = e.path.lastIndexOf("/");
    if (slash > 0) dirs.add(e.path.slice(0, slash));
  }
  return [...dirs];
}
