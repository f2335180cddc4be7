/** Blocking writes of whole buffers to a file descriptor (stdio may be non-blocking pipes). */
import { writeSync } from "node:fs";

export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}
