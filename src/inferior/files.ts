/**
 * The inferior's view of the host file system: read-only, and only below the paths the user
 * allows (default: the program's directory) plus, for dynamically linked programs, what the
 * dynamic loader needs (optionally inside a sysroot). Anything else looks absent (ENOENT), so a
 * program never reads a host file it was not given. Also the table of open file descriptors.
 */
import { closeSync, type Dir, type Dirent, fstatSync, lstatSync, opendirSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import * as E from "./errno.js";
import { isHostError } from "../errors.js";
import { hostDirents } from "../emu/host-dirents.js";
import type { EpollSet } from "./epoll.js";
import type { EventCounter, Pipe } from "./pipes.js";

export type OpenFile =
  | { kind: "stdin" }
  | { kind: "stdout" }
  | { kind: "stderr" }
  | {
      kind: "host";
      hostPath: string;
      guestPath: string;
      hostFd: number;
      /** Byte offset; in a directory, the index of the next entry of `listing`. */
      position: number;
      isDirectory: boolean;
      stats: Stats;
      /** A directory's entries, as listed when it was last read from its start (getdents). */
      listing?: DirEntry[];
    }
  /** One end of a pipe (pipe/pipe2); O_NONBLOCK belongs to the open file, shared by dup. */
  | { kind: "pipe"; pipe: Pipe; end: "read" | "write"; nonblock: boolean }
  | { kind: "eventfd"; counter: EventCounter; nonblock: boolean }
  | { kind: "epoll"; epoll: EpollSet };

/** One directory entry as getdents reports it. */
export interface DirEntry {
  /** The name's bytes as the host's file system holds them (not necessarily UTF-8). */
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

export interface FileViewOptions {
  /** Host paths the inferior may read (the program's directory, --allow paths). */
  allowed: string[];
  /**
   * Paths the dynamic loader reads (its own directory, the library directories of ld.so.cache,
   * /etc/ld.so.cache): inside `sysroot` when one is given, else on the host like `allowed`.
   */
  system?: string[];
  /** A directory that absolute guest paths resolve inside (a target's root file system). */
  sysroot?: string;
}

const MAX_SYMLINKS = 40;

export class FileView {
  private readonly hostRoots: string[];
  private readonly sysRoots: string[];
  readonly sysroot: string | undefined;

  constructor(
    opts: FileViewOptions | string[],
    public cwd: string,
    /** Guest path of the executable, for /proc/self/exe. */
    readonly exePath: string,
  ) {
    const o: FileViewOptions = Array.isArray(opts) ? { allowed: opts } : opts;
    this.sysroot = o.sysroot ? realOrResolved(o.sysroot) : undefined;
    this.hostRoots = o.allowed.map(realOrResolved);
    if (this.sysroot) {
      const root = this.sysroot;
      this.sysRoots = (o.system ?? []).map((p) => canonicalInRoot(root, p) ?? resolve("/", p));
    } else {
      this.hostRoots.push(...(o.system ?? []).map(realOrResolved));
      this.sysRoots = [];
    }
  }

  /**
   * The same view with a working directory of its own (fork), or for another program (execve:
   * `exePath`, with its directory and its loader's paths added to what this view allows).
   */
  derive(exePath = this.exePath, more: { allowed?: string[]; system?: string[] } = {}): FileView {
    const v = new FileView({ allowed: more.allowed ?? [], system: more.system, sysroot: this.sysroot }, this.cwd, exePath);
    v.hostRoots.unshift(...this.hostRoots);
    v.sysRoots.unshift(...this.sysRoots);
    return v;
  }

  /** Everything the inferior may read: host paths, then guest paths inside the sysroot. */
  get allowedRoots(): readonly string[] {
    return [...this.hostRoots, ...this.sysRoots.map((r) => `${this.sysroot}${r === "/" ? "" : r}`)];
  }

  /** Resolves a guest path to a host path it may read, or an errno. */
  resolve(path: string, base = this.cwd): string | number {
    if (path === "") return E.ENOENT;
    if (path.length > 4095) return E.ENAMETOOLONG;
    const full = isAbsolute(path) ? path : resolve(base, path);
    if (full === "/proc/self/exe") return within(this.hostRoots, this.exePath) ?? within(this.hostRoots, realOrResolved(this.exePath)) ?? E.ENOENT;
    if (this.sysroot) {
      const guest = canonicalInRoot(this.sysroot, full);
      if (guest !== undefined && within(this.sysRoots, guest) !== undefined) return join(this.sysroot, guest);
    }
    let real: string;
    try {
      real = realpathSync(full);
    } catch (e) {
      if (!isHostError(e)) throw e;
      return E.ENOENT;
    }
    return within(this.hostRoots, real) ?? E.ENOENT;
  }

  /**
   * Like resolve(), but a symbolic link in the last component is not followed (lstat,
   * AT_SYMLINK_NOFOLLOW): the directory holding it must be in the view, wherever it points.
   */
  resolveNoFollow(path: string, base = this.cwd): string | number {
    if (path === "" || path.length > 4095) return this.resolve(path, base);
    const full = isAbsolute(path) ? path : resolve(base, path);
    const last = basename(full);
    if (full === "/proc/self/exe" || full === "/" || last === "." || last === ".." || path.endsWith("/")) return this.resolve(path, base);
    const parent = dirname(full);
    if (this.sysroot) {
      const guestParent = canonicalInRoot(this.sysroot, parent);
      if (guestParent !== undefined) {
        const guest = join(guestParent, last);
        if (within(this.sysRoots, guest) !== undefined) return lstatSync(join(this.sysroot, guest), { throwIfNoEntry: false }) ? join(this.sysroot, guest) : E.ENOENT;
      }
    }
    let real: string;
    try {
      real = join(realpathSync(parent), last);
    } catch (e) {
      if (!isHostError(e)) throw e;
      return E.ENOENT;
    }
    if (within(this.hostRoots, real) === undefined) return E.ENOENT;
    return lstatSync(real, { throwIfNoEntry: false }) ? real : E.ENOENT;
  }

  stat(path: string): Stats | number {
    const host = this.resolve(path);
    if (typeof host === "number") return host;
    return this.statHost(host);
  }

  /** stat(2) of a host path that resolve() returned; lstat(2) with `noFollow` (of what resolveNoFollow() returned). */
  statHost(host: string, noFollow = false): Stats | number {
    try {
      return noFollow ? lstatSync(host) : statSync(host);
    } catch (e) {
      if (!isHostError(e)) throw e;
      return E.ENOENT;
    }
  }
}

/**
 * The entries of a host directory (a path resolve() returned) as the host lists them: from the
 * host's own getdents64 (host-dirents.ts). Without it, from readdir(3) through Node, which hides
 * "." and "..": they come first then, as most Linux file systems emit them, with d_ino from lstat
 * (an entry gone meanwhile gets inode 0, which readdir(3) skips as deleted).
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

/** The errno of a failed host file-system call. */
function hostErrno(e: unknown): number {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return E.ENOENT;
    case "ENOTDIR":
      return E.ENOTDIR;
    case "EACCES":
      return E.EACCES;
    case "EMFILE":
    case "ENFILE":
      return E.EMFILE;
    default:
      return E.EIO;
  }
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch (e) {
    if (!isHostError(e)) throw e;
    return resolve(p);
  }
}

function within(roots: readonly string[], real: string): string | undefined {
  return roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep)) ? real : undefined;
}

/**
 * The canonical guest path of `path` inside `root`: symbolic links are followed with absolute
 * targets re-rooted, as chroot would; undefined when a component does not exist.
 */
export function canonicalInRoot(root: string, path: string): string | undefined {
  const pending = resolve("/", path).split("/").filter((c) => c !== "");
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    let st: Stats;
    try {
      st = lstatSync(host);
    } catch (e) {
      if (!isHostError(e)) throw e;
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith("/")) done.length = 0;
      pending.unshift(...target.split("/").filter((x) => x !== ""));
      continue;
    }
    done.push(c);
  }
  return `/${done.join("/")}`;
}

/** The descriptor table and file offsets at one moment (FdTable.snapshot). */
export interface FdSnapshot {
  readonly entries: ReadonlyMap<number, OpenFile>;
  readonly positions: ReadonlyMap<OpenFile, number>;
  readonly cloexec: ReadonlySet<number>;
  /** Put back what the open files hold besides offsets: pipes' bytes, eventfd counters, epoll lists, O_NONBLOCK. */
  readonly contents: readonly (() => void)[];
}

/** Descriptors a process may have open (RLIMIT_NOFILE's soft limit). */
export const MAX_FDS = 1024;

export class FdTable {
  private readonly files = new Map<number, OpenFile>([
    [0, { kind: "stdin" }],
    [1, { kind: "stdout" }],
    [2, { kind: "stderr" }],
  ]);
  /** Live snapshots: a host file they hold stays open when closed, so restore can bring it back. */
  private readonly held = new Set<FdSnapshot>();
  /** Descriptors with FD_CLOEXEC (a flag of the descriptor, not of the open file). */
  private cloexec = new Set<number>();
  /**
   * The tables sharing open files with this one (a forked process's and its parent's): a pipe end
   * is open while any of them holds it, and a host file is closed once none does.
   */
  private group = new Set<FdTable>([this]);

  /** fork(2): a table with the same descriptors, referring to the same open files (offsets shared), in this one's group. */
  fork(): FdTable {
    const t = new FdTable();
    t.files.clear();
    for (const [fd, f] of this.files) t.files.set(fd, f);
    t.cloexec = new Set(this.cloexec);
    t.group = this.group;
    this.group.add(t);
    return t;
  }

  /** execve(2): the descriptors with FD_CLOEXEC are closed. */
  closeOnExec(): void {
    for (const fd of [...this.cloexec]) this.close(fd);
  }

  /** A process's end: every descriptor closed, the table out of its group. */
  closeEverything(): void {
    for (const fd of [...this.files.keys()]) this.close(fd);
    this.group.delete(this);
    this.group = new Set([this]);
  }

  get(fd: number): OpenFile | undefined {
    return this.files.get(fd);
  }

  /** Whether some descriptor refers to an open file `test` accepts (a pipe's readers or writers). */
  someOpen(test: (f: OpenFile) => boolean): boolean {
    for (const t of this.group) for (const f of t.files.values()) if (test(f)) return true;
    return false;
  }

  /** Gives `f` the lowest free descriptor; -EMFILE when none is left. */
  install(f: OpenFile, cloexec = false): number {
    let fd = 0;
    while (this.files.has(fd)) fd++;
    if (fd >= MAX_FDS) return -E.EMFILE;
    this.files.set(fd, f);
    if (cloexec) this.cloexec.add(fd);
    return fd;
  }

  isCloexec(fd: number): boolean {
    return this.cloexec.has(fd);
  }

  setCloexec(fd: number, on: boolean): void {
    if (on) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
  }

  openHost(hostPath: string, guestPath: string): number {
    let fd = 3;
    while (this.files.has(fd)) fd++;
    if (fd >= MAX_FDS) return -E.EMFILE;
    const hostFd = openSync(hostPath, "r");
    const stats = fstatSync(hostFd);
    this.files.set(fd, { kind: "host", hostPath, guestPath, hostFd, position: 0, isDirectory: stats.isDirectory(), stats });
    return fd;
  }

  /** dup/dup2/dup3/F_DUPFD: `target` exactly (closing what it held), or the lowest free fd ≥ `min`; FD_CLOEXEC only when asked. */
  dup(fd: number, opts: { target?: number; min?: number; cloexec?: boolean } = {}): number {
    const f = this.files.get(fd);
    if (!f) return -E.EBADF;
    let to: number;
    if (opts.target !== undefined) {
      if (opts.target < 0 || opts.target >= MAX_FDS) return -E.EBADF;
      to = opts.target;
      if (to === fd) return to;
      this.close(to);
    } else {
      if ((opts.min ?? 0) < 0 || (opts.min ?? 0) >= MAX_FDS) return -E.EINVAL; // F_DUPFD takes an unsigned long
      to = Math.max(0, opts.min ?? 0);
      while (this.files.has(to)) to++;
      if (to >= MAX_FDS) return -E.EMFILE;
    }
    this.files.set(to, f); // the same open file description: offset shared, as in Linux
    this.setCloexec(to, opts.cloexec ?? false);
    return to;
  }

  close(fd: number): boolean {
    const f = this.files.get(fd);
    if (!f) return false;
    this.files.delete(fd);
    this.cloexec.delete(fd);
    this.closeIfUnused(f);
    return true;
  }

  /**
   * The table and every host file's offset now. Until restore or release, files closed meanwhile
   * keep their host descriptor, so restore reopens nothing.
   */
  snapshot(): FdSnapshot {
    const positions = new Map<OpenFile, number>();
    const contents: (() => void)[] = [];
    const objects = new Set<object>();
    for (const f of new Set(this.files.values())) {
      if (f.kind === "host") positions.set(f, f.position);
      if (f.kind === "pipe" || f.kind === "eventfd") {
        const nonblock = f.nonblock;
        contents.push(() => void (f.nonblock = nonblock));
      }
      const object = f.kind === "pipe" ? f.pipe : f.kind === "eventfd" ? f.counter : f.kind === "epoll" ? f.epoll : undefined;
      if (object && !objects.has(object)) {
        objects.add(object);
        contents.push(object.save());
      }
    }
    const s: FdSnapshot = { entries: new Map(this.files), positions, cloexec: new Set(this.cloexec), contents };
    this.held.add(s);
    return s;
  }

  /** Puts a snapshot back: descriptors opened since are closed, closed ones are back, offsets as they were. */
  restore(s: FdSnapshot): void {
    const now = [...this.files.values()];
    this.held.delete(s);
    this.files.clear();
    for (const [fd, f] of s.entries) this.files.set(fd, f);
    for (const [f, position] of s.positions) if (f.kind === "host") f.position = position;
    this.cloexec = new Set(s.cloexec);
    for (const put of s.contents) put();
    for (const f of now) this.closeIfUnused(f);
  }

  /** Ends a snapshot without restoring it: host files closed since it was taken are closed now. */
  release(s: FdSnapshot): void {
    this.held.delete(s);
    for (const f of s.entries.values()) this.closeIfUnused(f);
  }

  /** Closes a host file's descriptor once no fd and no live snapshot refers to it. */
  private closeIfUnused(f: OpenFile): void {
    if (f.kind !== "host") return;
    for (const t of this.group) {
      if ([...t.files.values()].includes(f)) return;
      for (const s of t.held) if ([...s.entries.values()].includes(f)) return;
    }
    if (f.hostFd < 0) return;
    closeSync(f.hostFd);
    f.hostFd = -1;
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
