/**
 * The inferior's open files (host files of the file view, its standard streams, pipes, socket
 * pairs, eventfds, epoll sets, /dev and /proc nodes) and the table of its file descriptors.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import * as E from "./errno.js";
import { type DirEntry, onHost } from "./host-listing.js";
import type { SpecialNode } from "./file-view.js";
import type { EpollSet } from "./epoll.js";
import type { EventCounter, Pipe } from "./pipes.js";
import type { UnixSocket } from "./sockets.js";

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
      /** At open time: a file being written changes size, so its stat is read again (fstatSync) when asked. */
      stats: Stats;
      /** A directory's entries, as listed when it was last read from its start (getdents). */
      listing?: DirEntry[];
    } & Access
  /**
   * A node of /dev or /proc (special-files.ts): a device, a directory, or a file whose bytes were
   * made when it was opened.
   */
  | ({ kind: "special"; guestPath: string; node: SpecialNode; bytes?: Uint8Array; position: number; listing?: DirEntry[] } & Access)
  /** One end of a pipe (pipe/pipe2); O_NONBLOCK belongs to the open file, shared by dup. */
  | { kind: "pipe"; pipe: Pipe; end: "read" | "write"; nonblock: boolean }
  /** One end of a socket pair (socketpair), read and written both ways. */
  | { kind: "socket"; socket: UnixSocket; nonblock: boolean }
  | { kind: "eventfd"; counter: EventCounter; nonblock: boolean }
  | { kind: "epoll"; epoll: EpollSet };

/** What an open file description was opened for (O_ACCMODE) and whether writes go to its end (O_APPEND). */
export interface Access {
  readable: boolean;
  writable: boolean;
  append: boolean;
}

export const READ_ONLY: Access = { readable: true, writable: false, append: false };

/** The descriptor table and file offsets at one moment (FdTable.snapshot). */
export interface FdSnapshot {
  readonly entries: ReadonlyMap<number, OpenFile>;
  /** Offsets of host files and /proc files. */
  readonly positions: ReadonlyMap<OpenFile, number>;
  readonly cloexec: ReadonlySet<number>;
  /** Put back what the open files hold besides offsets: pipes' and sockets' bytes, eventfd counters, epoll lists, O_NONBLOCK. */
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

  /**
   * Opens a host file of the view at the lowest free descriptor: `hostFlags` are open(2)'s, O_NOFOLLOW always added (the view resolved
   * every link already, so a link there now is not the file the view found). The descriptor, or a
   * negative errno.
   */
  openHost(hostPath: string, guestPath: string, access: Access = READ_ONLY, hostFlags = constants.O_RDONLY, mode = 0o666): number {
    let fd = 0;
    while (this.files.has(fd)) fd++;
    if (fd >= MAX_FDS) return -E.EMFILE;
    const opened = onHost(() => {
      const hostFd = openSync(hostPath, hostFlags | constants.O_NOFOLLOW, mode);
      return { hostFd, stats: fstatSync(hostFd) };
    });
    if ("errno" in opened) return -opened.errno;
    const { hostFd, stats } = opened;
    this.files.set(fd, { kind: "host", hostPath, guestPath, hostFd, position: 0, isDirectory: stats.isDirectory(), stats, ...access });
    return fd;
  }

  /** Every descriptor and what it refers to, in descriptor order (/proc/self/fd). */
  descriptors(): [number, OpenFile][] {
    return [...this.files].sort(([a], [b]) => a - b);
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
      if (f.kind === "host" || f.kind === "special") positions.set(f, f.position);
      if (f.kind === "pipe" || f.kind === "socket" || f.kind === "eventfd") {
        const nonblock = f.nonblock;
        contents.push(() => void (f.nonblock = nonblock));
      }
      const object = f.kind === "pipe" ? f.pipe : f.kind === "socket" ? f.socket.pair : f.kind === "eventfd" ? f.counter : f.kind === "epoll" ? f.epoll : undefined;
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
    for (const [f, position] of s.positions) if (f.kind === "host" || f.kind === "special") f.position = position;
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
