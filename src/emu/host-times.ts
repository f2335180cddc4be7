/**
 * Sets a host file's access and modification times to the nanosecond: libc's utimensat, called
 * through koffi. Node's utimes takes seconds as a double (about 240 ns apart today), so a program
 * that sets exact times (tar -x, touch -d, cp -p) and reads them back would see others. It lives
 * in src/emu because this folder alone calls native code.
 */
import koffi from "koffi";

/** A time for utimensat: seconds and nanoseconds, or UTIME_NOW / UTIME_OMIT in `nsec`. */
export interface HostTime {
  sec: bigint;
  nsec: bigint;
}

export const UTIME_NOW = (1n << 30n) - 1n;
export const UTIME_OMIT = (1n << 30n) - 2n;

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

interface Calls {
  utimensat: (dirfd: number, path: string, times: Uint8Array, flags: number) => number;
  /** glibc's utimensat refuses a NULL path (EINVAL): a descriptor's times go through futimens. */
  futimens: (fd: number, times: Uint8Array) => number;
}
/** null: libc's calls could not be bound; callers fall back to Node's utimes. */
let bound: Calls | null | undefined;

function calls(): Calls | null {
  if (bound !== undefined) return bound;
  try {
    const libc = koffi.load("libc.so.6");
    bound = {
      utimensat: libc.func("int utimensat(int dirfd, const char *path, const uint8_t *times, int flags)") as Calls["utimensat"],
      futimens: libc.func("int futimens(int fd, const uint8_t *times)") as Calls["futimens"],
    };
  } catch {
    bound = null;
  }
  return bound;
}

/**
 * Sets the times of a host path (a link itself with `noFollow`) or of an open descriptor (`of` a
 * number; path NULL, as futimens does). 0 when done, a positive errno when the host refused,
 * undefined when libc's calls are not available.
 */
export function setHostTimes(of: string | number, atime: HostTime, mtime: HostTime, noFollow = false): number | undefined {
  const c = calls();
  if (!c) return undefined;
  const times = new Uint8Array(32);
  const v = new DataView(times.buffer);
  [atime, mtime].forEach((t, i) => {
    v.setBigInt64(i * 16, t.sec, true);
    v.setBigInt64(i * 16 + 8, t.nsec, true);
  });
  const r = typeof of === "number" ? c.futimens(of, times) : c.utimensat(AT_FDCWD, of, times, noFollow ? AT_SYMLINK_NOFOLLOW : 0);
  return r === 0 ? 0 : koffi.errno();
}
