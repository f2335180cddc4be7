/**
 * The inferior's open files (host files of the file view, its standard streams, pipes, socket
 * pairs, eventfds, epoll sets, /dev and /proc nodes) and the table of its file descriptors.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import * as E from "./errno.js";
import { type DirEntry, onHost } from "./host-listing.js";
import type { FileStat, SpecialNode } from "./file-view.js";
import type { EpollSet } from "./epoll.js";
import { NamedPipe } from "./fifos.js";
import type { EventCounter, Pipe } from "./pipes.js";
import type { UnixSocket } from "./sockets.js";
import type { Terminal } from "./terminal.js";

export type OpenFile =
  /** The standard streams: from and to the debugger, each a terminal (`terminal`) or a pipe. */
  | { kind: "stdin"; terminal?: Terminal }
  | { kind: "stdout"; terminal?: Terminal }
  | { kind: "stderr"; terminal?: Terminal }
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
  /**
   * One end of a pipe: pipe/pipe2's read or write end, or a FIFO opened by its path (O_RDWR opens
   * both ends). O_NONBLOCK belongs to the open file, shared by dup.
   */
  | { kind: "pipe"; pipe: Pipe; end: "read" | "write" | "both"; nonblock: boolean; fifo?: FifoNode }
  /** One end of a socket pair (socketpair), read and written both ways. */
  | { kind: "socket"; socket: UnixSocket; nonblock: boolean }
  | { kind: "eventfd"; counter: EventCounter; nonblock: boolean }
  | { kind: "epoll"; epoll: EpollSet };

/** The node a FIFO's end was opened by. */
export interface FifoNode {
  guestPath: string;
  /** Its stat when opened (fstat's answer: the name may be gone since). */
  stats: FileStat;
  /**
   * A read end opened under O_NONBLOCK while no writer was there: the count of writer opens then.
   * It reports POLLHUP only once a writer came and went since (Linux's f_pipe), not at once.
   */
  hupAfter?: number;
}

/** What an open file description was opened for (O_ACCMODE) and whether writes go to its end (O_APPEND). */
export interface Access {
  readable: boolean;
  writable: boolean;
  append: boolean;
}

export const READ_ONLY: Access = { readable: true, writable: false, append: false };

/** Which standard streams are the terminal: output always, input when it comes from the terminal. */
export interface StdioTerminal {
  terminal: Terminal;
  stdin: boolean;
}

/** The terminal an open file is, if it is one (isatty). */
export const terminalOf = (f: OpenFile | undefined): Terminal | undefined => (f && (f.kind === "stdin" || f.kind === "stdout" || f.kind === "stderr") ? f.terminal : undefined);

/** The descriptor table and file offsets at one moment (FdTable.snapshot). */
export interface FdSnapshot {
  readonly entries: ReadonlyMap<number, OpenFile>;
  /** Offsets of host files and /proc files. */
  readonly positions: ReadonlyMap<OpenFile, number>;
  readonly cloexec: ReadonlySet<number>;
  readonly opening: ReadonlySet<OpenFile>;
  readonly nofile: NofileLimit;
  /** Put back what the open files hold besides offsets: pipes' and sockets' bytes, eventfd counters, epoll lists, O_NONBLOCK. */
  readonly contents: readonly (() => void)[];
}

/**
 * RLIMIT_NOFILE, which the table enforces (so it keeps it; the kernel's other limits are in
 * Kernel.rlimits): a new descriptor is below `soft`; `hard` is how far the soft one may go.
 */
export interface NofileLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Linux's default when nothing else is known (INR_OPEN_CUR, INR_OPEN_MAX). */
export const DEFAULT_NOFILE: NofileLimit = { soft: 1024, hard: 4096 };

/**
 * The descriptor table: a map, so that a limit of thousands costs nothing until descriptors are
 * open up there (Linux grows its array on demand for the same reason).
 */
export class FdTable {
  private readonly files: Map<number, OpenFile>;
  /** The session's terminal (/dev/tty), whichever descriptors still refer to it; a fork's table keeps it. */
  controllingTerminal: Terminal | undefined;
  /** Every descriptor below it is in use (Linux's next_fd): the search for a free one starts here. */
  private firstFree = 3;
  /**
   * Opens that wait for their partner (a FIFO's, syscalls/fifo-open.ts): their open files count
   * as open already — a reader waiting in open lets a writer's open through — but have no
   * descriptor until the wait ends.
   */
  private opening = new Set<OpenFile>();
  /** Live snapshots: a host file they hold stays open when closed, so restore can bring it back. */
  private readonly held = new Set<FdSnapshot>();
  /** Descriptors with FD_CLOEXEC (a flag of the descriptor, not of the open file). */
  private cloexec = new Set<number>();
  /**
   * The tables sharing open files with this one (a forked process's and its parent's): a pipe end
   * is open while any of them holds it, and a host file is closed once none does.
   */
  private group = new Set<FdTable>([this]);

  constructor(
    /** RLIMIT_NOFILE (setrlimit changes it; a fork's table and an executed program keep it). */
    public nofile: NofileLimit = DEFAULT_NOFILE,
    /** The terminal the standard streams are, if any: stdout and stderr, and stdin unless it is given bytes. */
    stdio?: StdioTerminal,
  ) {
    const tty = stdio?.terminal;
    this.controllingTerminal = tty;
    this.files = new Map<number, OpenFile>([
      [0, { kind: "stdin", terminal: stdio?.stdin ? tty : undefined }],
      [1, { kind: "stdout", terminal: tty }],
      [2, { kind: "stderr", terminal: tty }],
    ]);
  }

  /** fork(2): a table with the same descriptors, referring to the same open files (offsets shared), in this one's group. */
  fork(): FdTable {
    const t = new FdTable(this.nofile);
    t.controllingTerminal = this.controllingTerminal;
    t.files.clear();
    for (const [fd, f] of this.files) t.files.set(fd, f);
    t.firstFree = this.firstFree;
    t.cloexec = new Set(this.cloexec);
    t.group = this.group;
    this.group.add(t);
    return t;
  }

  /** execve(2): the descriptors with FD_CLOEXEC are closed, and the opens other threads waited in are gone with them. */
  closeOnExec(): void {
    for (const fd of [...this.cloexec]) this.close(fd);
    this.abandonOpens();
  }

  /** A process's end: every descriptor closed, the table out of its group. */
  closeEverything(): void {
    for (const fd of [...this.files.keys()]) this.close(fd);
    this.abandonOpens();
    this.group.delete(this);
    this.group = new Set([this]);
  }

  get(fd: number): OpenFile | undefined {
    return this.files.get(fd);
  }

  /** Whether some descriptor, or an open still waiting, refers to an open file `test` accepts (a pipe's readers or writers). */
  someOpen(test: (f: OpenFile) => boolean): boolean {
    for (const t of this.group) {
      for (const f of t.files.values()) if (test(f)) return true;
      for (const f of t.opening) if (test(f)) return true;
    }
    return false;
  }

  /** Gives `f` the lowest free descriptor; -EMFILE when none is left below the limit. */
  install(f: OpenFile, cloexec = false): number {
    const fd = this.lowestFree(0);
    if (fd >= this.nofile.soft) return -E.EMFILE;
    this.files.set(fd, f);
    if (cloexec) this.cloexec.add(fd);
    return fd;
  }

  /** Whether a descriptor is left for a new open file (an open checks before it waits, as Linux takes the number first). */
  get full(): boolean {
    return this.lowestFree(0) >= this.nofile.soft;
  }

  /** An open that waits for its partner begins: `f` counts as open from now on. */
  beginOpen(f: OpenFile): void {
    this.opening.add(f);
  }

  /** The waiting open is done: `f` gets the lowest free descriptor (or -EMFILE, and it is dropped). */
  completeOpen(f: OpenFile, cloexec: boolean): number {
    const fd = this.install(f, cloexec);
    this.opening.delete(f);
    if (fd < 0) this.closeIfUnused(f);
    return fd;
  }

  /** The waiting open gave up (a signal interrupted it, the process ended). */
  abandonOpen(f: OpenFile): void {
    if (this.opening.delete(f)) this.closeIfUnused(f);
  }

  private abandonOpens(): void {
    for (const f of [...this.opening]) this.abandonOpen(f);
  }

  /** The lowest descriptor ≥ `from` not in use (it may be past the limit). */
  private lowestFree(from: number): number {
    let fd = Math.max(from, this.firstFree);
    while (this.files.has(fd)) fd++;
    if (from <= this.firstFree) this.firstFree = fd;
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
    const fd = this.lowestFree(0);
    if (fd >= this.nofile.soft) return -E.EMFILE;
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

  /**
   * dup/dup2/dup3/F_DUPFD: `target` exactly (closing what it held; EBADF at or past the soft
   * limit, as Linux's dup2), or the lowest free fd ≥ `min` (EINVAL for a `min` past it, EMFILE
   * when none is free below it); FD_CLOEXEC only when asked.
   */
  dup(fd: number, opts: { target?: number; min?: number; cloexec?: boolean } = {}): number {
    const f = this.files.get(fd);
    if (!f) return -E.EBADF;
    let to: number;
    if (opts.target !== undefined) {
      if (opts.target < 0 || opts.target >= this.nofile.soft) return -E.EBADF;
      to = opts.target;
      if (to === fd) return to;
      this.close(to);
    } else {
      const min = opts.min ?? 0;
      if (min < 0 || min >= this.nofile.soft) return -E.EINVAL; // F_DUPFD takes an unsigned long
      to = this.lowestFree(min);
      if (to >= this.nofile.soft) return -E.EMFILE;
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
    if (fd < this.firstFree) this.firstFree = fd;
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
      if (f.kind === "socket") {
        // connect(2) gives an unconnected socket's open file the end of a new pair.
        const socket = f.socket;
        contents.push(() => void (f.socket = socket));
      }
      const object = f.kind === "pipe" ? f.pipe : f.kind === "socket" ? f.socket.pair : f.kind === "eventfd" ? f.counter : f.kind === "epoll" ? f.epoll : undefined;
      if (object && !objects.has(object)) {
        objects.add(object);
        contents.push(object.save());
      }
    }
    const s: FdSnapshot = { entries: new Map(this.files), positions, cloexec: new Set(this.cloexec), opening: new Set(this.opening), nofile: this.nofile, contents };
    this.held.add(s);
    return s;
  }

  /** Puts a snapshot back: descriptors opened since are closed, closed ones are back, offsets as they were. */
  restore(s: FdSnapshot): void {
    const now = [...this.files.values(), ...this.opening];
    this.held.delete(s);
    this.files.clear();
    for (const [fd, f] of s.entries) this.files.set(fd, f);
    this.firstFree = 0;
    for (const [f, position] of s.positions) if (f.kind === "host" || f.kind === "special") f.position = position;
    this.cloexec = new Set(s.cloexec);
    this.opening = new Set(s.opening);
    this.nofile = s.nofile;
    for (const put of s.contents) put();
    for (const f of now) this.closeIfUnused(f);
  }

  /** Ends a snapshot without restoring it: host files closed since it was taken are closed now. */
  release(s: FdSnapshot): void {
    this.held.delete(s);
    for (const f of [...s.entries.values(), ...s.opening]) this.closeIfUnused(f);
  }

  /**
   * What a file needs once nothing refers to it any more (no descriptor, no waiting open, no live
   * snapshot): a host file's descriptor is closed, a FIFO's pipe dropped.
   */
  private closeIfUnused(f: OpenFile): void {
    if (f.kind === "pipe" && f.pipe instanceof NamedPipe) {
      const p = f.pipe;
      if (!this.referred((g) => g.kind === "pipe" && g.pipe === p)) p.release();
      return;
    }
    if (f.kind !== "host" || f.hostFd < 0 || this.referred((g) => g === f)) return;
    closeSync(f.hostFd);
    f.hostFd = -1;
  }

  /** Whether a descriptor, a waiting open or a live snapshot of the group refers to an open file `test` accepts. */
  private referred(test: (f: OpenFile) => boolean): boolean {
    for (const t of this.group) {
      for (const f of t.files.values()) if (test(f)) return true;
      for (const f of t.opening) if (test(f)) return true;
      for (const s of t.held) {
        for (const f of s.entries.values()) if (test(f)) return true;
        for (const f of s.opening) if (test(f)) return true;
      }
    }
    return false;
  }

  /** The launched process ended: its descriptors but the standard streams close (its caller still reads those). */
  closeAll(): void {
    for (const fd of [...this.files.keys()]) if (fd > 2) this.close(fd);
    this.abandonOpens();
  }

  /** Reads from a host file at a position (pread), without moving the file's offset. */
  static readAt(f: OpenFile & { kind: "host" }, length: number, position: number): Uint8Array {
    const buf = new Uint8Array(length);
    const n = readSync(f.hostFd, buf, 0, length, position);
    return buf.subarray(0, n);
  }
}
