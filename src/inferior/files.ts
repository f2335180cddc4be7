/**
 * The inferior's view of the host file system: read-only, and only below the paths the user
 * allows (default: the program's directory). Anything else looks absent (ENOENT), so a program
 * never reads a host file it was not given. Also the table of open file descriptors.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import * as E from "./errno.js";

export type OpenFile =
  | { kind: "stdin" }
  | { kind: "stdout" }
  | { kind: "stderr" }
  | { kind: "host"; hostPath: string; guestPath: string; hostFd: number; position: number; isDirectory: boolean; stats: Stats };

export class FileView {
  private readonly roots: string[];

  constructor(
    allowedPaths: string[],
    public cwd: string,
    /** Guest path of the executable, for /proc/self/exe. */
    readonly exePath: string,
  ) {
    this.roots = allowedPaths.map((p) => {
      try {
        return realpathSync(p);
      } catch {
        return resolve(p);
      }
    });
  }

  get allowedRoots(): readonly string[] {
    return this.roots;
  }

  /** Resolves a guest path to a host path it may read, or an errno. */
  resolve(path: string, base = this.cwd): string | number {
    if (path === "") return E.ENOENT;
    if (path.length > 4095) return E.ENAMETOOLONG;
    const full = isAbsolute(path) ? path : resolve(base, path);
    if (full === "/proc/self/exe") return this.allowed(this.exePath) ?? E.ENOENT;
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return E.ENOENT;
    }
    return this.allowed(real) ?? E.ENOENT;
  }

  private allowed(real: string): string | undefined {
    return this.roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) ? real : undefined;
  }

  stat(path: string): Stats | number {
    const host = this.resolve(path);
    if (typeof host === "number") return host;
    try {
      return statSync(host);
    } catch {
      return E.ENOENT;
    }
  }
}

export class FdTable {
  private readonly files = new Map<number, OpenFile>([
    [0, { kind: "stdin" }],
    [1, { kind: "stdout" }],
    [2, { kind: "stderr" }],
  ]);

  get(fd: number): OpenFile | undefined {
    return this.files.get(fd);
  }

  openHost(hostPath: string, guestPath: string): number {
    let fd = 3;
    while (this.files.has(fd)) fd++;
    if (fd >= 1024) return -E.EMFILE;
    const hostFd = openSync(hostPath, "r");
    const stats = fstatSync(hostFd);
    this.files.set(fd, { kind: "host", hostPath, guestPath, hostFd, position: 0, isDirectory: stats.isDirectory(), stats });
    return fd;
  }

  close(fd: number): boolean {
    const f = this.files.get(fd);
    if (!f) return false;
    if (f.kind === "host") closeSync(f.hostFd);
    this.files.delete(fd);
    return true;
  }

  closeAll(): void {
    for (const fd of [...this.files.keys()]) if (fd > 2) this.close(fd);
  }

  /** Reads from a host file at a position (pread), without moving the file's offset. */
  static readAt(f: OpenFile & { kind: "host" }, length: number, position: number): Uint8Array {
    const buf = new Uint8Array(length);
    const n = readSync(f.hostFd, buf, 0, length, position);
    return buf.subarray(0, n);
  }
}
