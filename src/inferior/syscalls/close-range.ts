/**
 * close_range(2): closes (or marks close-on-exec) every open descriptor from `first` to `last`;
 * Python's subprocess and posix_spawn's file actions use it in a child before execve.
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { closeFd } from "./io.js";
import type { SyscallEntry } from "./types.js";

/** Accepted and ignored: the range is closed in the table the caller's threads share (Linux would copy it first). */
const CLOSE_RANGE_UNSHARE = 1n << 1n;
const CLOSE_RANGE_CLOEXEC = 1n << 2n;

function closeRange(k: Kernel, first: bigint, last: bigint, flags: bigint): bigint {
  first = BigInt.asUintN(32, first);
  last = BigInt.asUintN(32, last);
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) !== 0n || first > last) return E.fail(E.EINVAL);
  // The open descriptors in the range (a limit may be in the thousands; some may be open past it, set before it was lowered).
  for (const [fd] of k.fds.descriptors()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) k.fds.setCloexec(fd, true);
    else closeFd(k, fd);
  }
  return 0n;
}

export const closeRangeSyscalls: Record<number, SyscallEntry> = {
  436: { name: "close_range", handler: (k, a) => closeRange(k, a[0]!, a[1]!, a[2]!) },
};
