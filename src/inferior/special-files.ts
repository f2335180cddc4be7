/**
 * /dev and /proc as the inferior sees them, made from the emulated process's own state rather
 * than the host's (whose /proc would describe Node): the character devices programs open by name
 * (null, zero, full, random, urandom; tty and pts/0 are the session's terminal, ENXIO without one; /dev/shm is the
 * scratch layer's directory, see scratch-layer.ts), the standard
 * stream links, and /proc/self (= /proc/<pid>) with exe, cwd, fd/, maps, status, stat, cmdline,
 * comm, mounts (the host's) and task/. Files are made when they are opened, as Linux makes them when first read.
 */
import { readFileSync } from "node:fs";
import { isHostError } from "../errors.js";
import type { Kernel } from "./kernel.js";
import type { OpenFile } from "./files.js";
import { type FileStat, type SpecialNamespace, type SpecialNode, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG } from "./file-view.js";
import { DT_CHR, DT_DIR, DT_LNK, DT_REG, type DirEntry } from "./host-listing.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import { Terminal } from "./terminal.js";
import { groupsOf } from "./syscalls/credentials.js";

/** devtmpfs's and procfs's device numbers (st_dev), as a typical x86-64 Linux shows them. */
const DEV_DEV = 5;
const PROC_DEV = 22;
const PTS_DEV = Terminal.DEV;

/** The memory character devices (major 1) and /dev/tty (5, 0). */
const DEVICES: Record<string, number> = { null: 0x103, zero: 0x105, full: 0x107, random: 0x108, urandom: 0x109, tty: 0x500 };
const DEV_LINKS: Record<string, string> = { stdin: "/proc/self/fd/0", stdout: "/proc/self/fd/1", stderr: "/proc/self/fd/2", fd: "/proc/self/fd" };

let nextInode = 1000;
const inodes = new Map<string, number>();
const inodeOf = (path: string): number => {
  let n = inodes.get(path);
  if (n === undefined) inodes.set(path, (n = nextInode++));
  return n;
};

function stat(path: string, mode: number, dev: number, rdev = 0, size = 0): FileStat {
  const now = Date.now();
  return { dev, ino: inodeOf(path), nlink: mode & S_IFDIR ? 2 : 1, mode, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, rdev, size, blksize: 4096, blocks: 0, atimeMs: now, mtimeMs: now, ctimeMs: now };
}

/** A directory whose entries are listed when it is read (a process's descriptors change while it is open). */
const dirNode = (path: string, dev: number, names: () => [string, number][]): SpecialNode => ({
  stats: stat(path, S_IFDIR | 0o555, dev),
  list: () => [
    { name: Buffer.from("."), ino: BigInt(inodeOf(path)), type: DT_DIR },
    { name: Buffer.from(".."), ino: 1n, type: DT_DIR },
    ...names().map(([name, type]): DirEntry => ({ name: Buffer.from(name), ino: BigInt(inodeOf(`${path}/${name}`)), type })),
  ],
});
const linkNode = (path: string, dev: number, target: string): SpecialNode => ({ stats: stat(path, S_IFLNK | 0o777, dev, 0, target.length), link: target });
const fileNode = (path: string, content: () => string | Uint8Array, mode = 0o444): SpecialNode => ({
  stats: stat(path, S_IFREG | mode, PROC_DEV),
  content: () => {
    const c = content();
    return typeof c === "string" ? Buffer.from(c) : c;
  },
});

/** What /proc shows that the kernel alone does not know. */
export interface ProcessDescription {
  /** The arguments the program was started with. */
  argv(): readonly string[];
  /** The guest path of the loaded ELF file whose segments a mapping named `name` holds (the program, its loader). */
  imagePath(name: string): string | undefined;
}

export class SpecialFiles implements SpecialNamespace {
  constructor(
    private readonly k: Kernel,
    private readonly description: ProcessDescription,
  ) {}

  covers(guest: string): boolean {
    if (guest === "/dev/shm" || guest.startsWith("/dev/shm/")) return false; // the scratch layer's (shared memory files)
    return guest === "/dev" || guest.startsWith("/dev/") || guest === "/proc" || guest.startsWith("/proc/");
  }

  node(guest: string): SpecialNode | undefined {
    const parts = guest.split("/").filter((c) => c !== "");
    return parts[0] === "dev" ? this.dev(guest, parts.slice(1)) : this.proc(guest, parts.slice(1));
  }

  private dev(path: string, rest: string[]): SpecialNode | undefined {
    if (rest.length === 0) return dirNode(path, DEV_DEV, () => [...Object.keys(DEVICES).map((n): [string, number] => [n, DT_CHR]), ...Object.keys(DEV_LINKS).map((n): [string, number] => [n, DT_LNK]), ["shm", DT_DIR], ["pts", DT_DIR]]);
    if (rest[0] === "pts") return this.pts(path, rest.slice(1));
    if (rest.length !== 1) return undefined;
    const name = rest[0]!;
    const rdev = DEVICES[name];
    if (rdev !== undefined) return { stats: stat(path, S_IFCHR | (name === "tty" ? 0o666 : 0o666), DEV_DEV, rdev), device: name };
    const target = DEV_LINKS[name];
    return target === undefined ? undefined : linkNode(path, DEV_DEV, target);
  }

  /** /dev/pts: the session's terminal, pts/0, when it has one (opened, it is that terminal, as /dev/tty is). */
  private pts(path: string, rest: string[]): SpecialNode | undefined {
    const tty = this.k.fds.controllingTerminal;
    if (rest.length === 0) return { ...dirNode(path, PTS_DEV, () => (tty ? [["0", DT_CHR]] : [])), stats: { ...stat(path, S_IFDIR | 0o755, PTS_DEV), ino: 1 } };
    if (rest.length === 1 && rest[0] === "0" && tty) return { stats: terminalStat(), device: "tty" };
    return undefined;
  }

  private proc(path: string, rest: string[]): SpecialNode | undefined {
    const pid = String(this.k.pid);
    if (rest.length === 0) return dirNode(path, PROC_DEV, () => [["self", DT_LNK], ["thread-self", DT_LNK], ["mounts", DT_LNK], [pid, DT_DIR]]);
    const [first, ...below] = rest as [string, ...string[]];
    if (first === "self" && below.length === 0) return linkNode(path, PROC_DEV, pid);
    if (first === "thread-self" && below.length === 0) return linkNode(path, PROC_DEV, `${pid}/task/${this.k.thread.tid}`);
    if (first === "mounts" && below.length === 0) return linkNode(path, PROC_DEV, "self/mounts");
    if (first !== pid) return undefined;
    if (below.length === 0) return dirNode(path, PROC_DEV, () => [["exe", DT_LNK], ["cwd", DT_LNK], ["fd", DT_DIR], ["task", DT_DIR], ...["maps", "status", "stat", "cmdline", "comm", "mounts"].map((n): [string, number] => [n, DT_REG])]);
    return this.processNode(path, below, this.k.thread.tid);
  }

  /** A node below /proc/<pid>/ (or /proc/<pid>/task/<tid>/, whose comm is that thread's). */
  private processNode(path: string, rest: string[], tid: number): SpecialNode | undefined {
    const [name, ...below] = rest as [string, ...string[]];
    const k = this.k;
    switch (below.length === 0 ? name : `${name}/`) {
      case "exe":
        return linkNode(path, PROC_DEV, k.files.exePath);
      case "cwd":
        return linkNode(path, PROC_DEV, k.files.cwd);
      case "fd":
        return dirNode(path, PROC_DEV, () => k.fds.descriptors().map(([fd]): [string, number] => [String(fd), DT_LNK]));
      case "fd/": {
        const fd = Number(below[0]);
        const f = below.length === 1 && /^\d+$/.test(below[0]!) ? k.fds.get(fd) : undefined;
        if (!f) return undefined;
        return { ...linkNode(path, PROC_DEV, describeOpenFile(f)), fd };
      }
      case "task":
        return dirNode(path, PROC_DEV, () => k.threads.live().map((t): [string, number] => [String(t.tid), DT_DIR]));
      case "task/": {
        const t = k.threads.get(Number(below[0]));
        if (!t || !/^\d+$/.test(below[0]!)) return undefined;
        if (below.length === 1) return dirNode(path, PROC_DEV, () => [["comm", DT_REG], ["stat", DT_REG], ["status", DT_REG]]);
        return below.length === 2 ? this.processNode(path, below.slice(1), t.tid) : undefined;
      }
      case "maps":
        return fileNode(path, () => this.maps());
      case "status":
        return fileNode(path, () => this.status(tid));
      case "stat":
        return fileNode(path, () => this.statLine(tid));
      case "cmdline":
        return fileNode(path, () => Buffer.from(this.description.argv().map((a) => `${a}\0`).join("")));
      case "comm":
        return fileNode(path, () => `${k.threads.get(tid)?.name ?? ""}\n`, 0o644);
      case "mounts":
        return fileNode(path, hostMounts); // the host's: what statfs of a mount point answers is the host's too
      default:
        return undefined;
    }
  }

  /** /proc/<pid>/maps: one line per mapping, in address order. */
  private maps(): string {
    return this.k.space
      .list()
      .map((r) => {
        const perms = `${r.prot & PROT_READ ? "r" : "-"}${r.prot & PROT_WRITE ? "w" : "-"}${r.prot & PROT_EXEC ? "x" : "-"}${r.shared ? "s" : "p"}`;
        const name = r.kind === "image" ? (this.description.imagePath(r.name) ?? "") : r.name.startsWith("/") || (r.name.startsWith("[") && r.name !== "[anon]") ? r.name : "";
        const head = `${hex(r.start)}-${hex(r.end)} ${perms} 00000000 00:00 0`;
        return name ? `${head.padEnd(73)}${name}\n` : `${head} \n`;
      })
      .join("");
  }

  private status(tid: number): string {
    const k = this.k;
    const t = k.threads.get(tid);
    const { uid, gid } = k.credentials;
    const groups = groupsOf(k.credentials);
    const mask = (v: bigint) => v.toString(16).padStart(16, "0");
    return [
      `Name:\t${t?.name ?? ""}`,
      `Umask:\t${k.umask.toString(8).padStart(4, "0")}`,
      "State:\tR (running)",
      `Tgid:\t${k.pid}`,
      `Pid:\t${tid}`,
      `PPid:\t${k.host?.ppid ?? 1}`,
      `Uid:\t${uid.join("\t")}`,
      `Gid:\t${gid.join("\t")}`,
      `FDSize:\t${Math.max(64, k.fds.descriptors().length)}`,
      `Groups:\t${groups.map((g) => `${g} `).join("")}`,
      `Threads:\t${k.threads.live().length}`,
      `SigBlk:\t${mask(t?.sigmask ?? 0n)}`,
      "",
    ].join("\n");
  }

  /** /proc/<pid>/stat: the fields programs read (pid, comm, state, ppid, pgrp, session, num_threads). */
  private statLine(tid: number): string {
    const k = this.k;
    const fields = [tid, `(${k.threads.get(tid)?.name ?? ""})`, "R", k.host?.ppid ?? 1, k.pid, k.pid, 0, -1, 0, ...Array(10).fill(0), k.threads.live().length, 0, 0];
    return `${fields.join(" ")}\n`;
  }
}

const hex = (v: bigint): string => v.toString(16).padStart(8, "0");

/** The host's mount table (df looks a directory's file system up there); empty when unreadable. */
function hostMounts(): Uint8Array {
  try {
    return readFileSync("/proc/self/mounts");
  } catch (e) {
    if (!isHostError(e)) throw e;
    return new Uint8Array(0);
  }
}

/** What readlink(2) of /proc/self/fd/N says: the path, or the kind of object (pipe:[inode], socket:[inode], anon_inode:[eventfd]). */
export function describeOpenFile(f: OpenFile): string {
  switch (f.kind) {
    case "host":
    case "special":
      return f.guestPath;
    case "pipe":
      return f.fifo?.guestPath ?? `pipe:[${f.pipe.inode}]`;
    case "socket":
      return `socket:[${f.socket.inode}]`;
    case "eventfd":
      return "anon_inode:[eventfd]";
    case "epoll":
      return "anon_inode:[eventpoll]";
    default:
      return f.terminal ? Terminal.PATH : "pipe:[1]"; // the standard streams are the session's terminal or pipes from the debugger
  }
}

/** The terminal's stat, by fstat of a descriptor or stat of /dev/pts/0 (ttyname compares the two): crw--w---- owned by the user, group tty. */
export function terminalStat(): FileStat {
  return { ...stat(Terminal.PATH, S_IFCHR | 0o620, Terminal.DEV, Terminal.RDEV), ino: Terminal.INODE, gid: TTY_GROUP };
}
const TTY_GROUP = 5;
