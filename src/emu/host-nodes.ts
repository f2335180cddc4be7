/**
 * Makes a file-system node on the host (a FIFO, a socket node, an empty regular file): libc's
 * mknod, called through koffi, since Node has neither mknod nor mkfifo. mknodat(2) of the
 * inferior lands here with the host path its file view chose. It lives in src/emu because this
 * folder alone calls native code.
 */
import koffi from "koffi";

type Mknod = (path: string, mode: number, dev: bigint) => number;
/** null: libc's mknod could not be bound; callers fail the call. */
let bound: Mknod | null | undefined;

function mknod(): Mknod | null {
  if (bound !== undefined) return bound;
  try {
    bound = koffi.load("libc.so.6").func("int mknod(const char *path, uint32_t mode, uint64_t dev)") as Mknod;
  } catch {
    bound = null;
  }
  return bound;
}

/**
 * mknod(path, mode, dev) on the host (the host's umask applies; the caller sets the exact mode
 * afterwards). 0 when made, a positive errno when the host refused, undefined when libc's mknod
 * is not available.
 */
export function makeHostNode(path: string, mode: number, dev = 0n): number | undefined {
  const call = mknod();
  if (!call) return undefined;
  return call(path, mode, dev) === 0 ? 0 : koffi.errno();
}
