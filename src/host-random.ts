/**
 * Random bytes from the host's kernel source: /dev/urandom read directly. node:crypto gives the
 * same bytes, but loading it (seventeen internal modules) cost ~3 ms of every adapter start for the
 * eight bytes that seed the inferior's generator; node:crypto stays the fallback where the device
 * cannot be read (a sandbox without /dev).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { lazyModule } from "./lazy-module.js";

const crypto = lazyModule<typeof import("node:crypto")>("node:crypto");

export function hostRandomBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  let fd: number | undefined;
  try {
    fd = openSync("/dev/urandom", "r");
    for (let got = 0; got < n; ) {
      const r = readSync(fd, out, got, n - got, null);
      if (r <= 0) throw new Error("short read");
      got += r;
    }
    return out;
  } catch {
    return crypto().randomBytes(n);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
