/**
 * The inferior's view of the file system, as one tree of guest paths merged from three layers:
 *
 * - lower: host files below the paths the user allows (default: the program's directory), plus,
 *   for dynamically linked programs, what the dynamic loader needs (optionally inside a sysroot);
 *   the directories above those paths show only the way down to them. Anything else looks absent
 *   (ENOENT), so a program never reads a host file it was not given. Lower files below the
 *   `writable` roots (--allow-write) are changed in place; all others are read-only.
 * - upper: the run's scratch layer (scratch-layer.ts), where every other change lands;
 * - special: /dev and /proc (special-files.ts), made from the process's own state.
 *
 * Look-ups walk a path one component at a time through the merged tree, following symbolic links
 * as Linux does (`..` after a link goes up from where the link led), so no link and no `..` leads
 * out of what the view shows: the answer is always a guest path checked against the layers.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import { join, resolve, sep } from "node:path";
import * as E from "./errno.js";
import { isHostError } from "../errors.js";
import { listDirectory, type DirEntry } from "./host-listing.js";
import { type FileJournal, HostChanges } from "./file-journal.js";
import { FileLocks } from "./file-locks.js";
import { FifoTable } from "./fifos.js";
import type { ScratchLayer, ScratchState } from "./scratch-layer.js";
import type { UnixName } from "./sockets.js";

/** What stat(2) reports of an entry (node's Stats has it; special files make their own). */
export type FileStat = Pick<Stats, "dev" | "ino" | "nlink" | "mode" | "uid" | "gid" | "rdev" | "size" | "blksize" | "blocks" | "atimeMs" | "mtimeMs" | "ctimeMs">;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_IFBLK = 0o060000;
export const S_IFSOCK = 0o140000;
export const isDirectory = (st: FileStat): boolean => (st.mode & S_IFMT) === S_IFDIR;
export const isSymlink = (st: FileStat): boolean => (st.mode & S_IFMT) === S_IFLNK;
export const isFifo = (st: FileStat): boolean => (st.mode & S_IFMT) === S_IFIFO;

/** A node of /dev or /proc. */
export interface SpecialNode {
  stats: FileStat;
  /** A directory's entries. */
  list?(): DirEntry[];
  /** A symbolic link's target. */
  link?: string;
  /** /proc/self/fd/N: a link that leads to the open file itself, whatever its name. */
  fd?: number;
  /** A regular file's bytes, made when it is opened. */
  content?(): Uint8Array;
  /** A character device's name (null, zero, full, random, urandom, tty). */
  device?: string;
}

/** The /dev and /proc trees of one process. */
export interface SpecialNamespace {
  /** Whether `guest` is in the namespace (the answer is then node()'s, never the host's). */
  covers(guest: string): boolean;
  node(guest: string): SpecialNode | undefined;
}

export interface Entry {
  /** The canonical guest path. */
  guest: string;
  layer: "lower" | "upper" | "special";
  /** Where it is on the host ("" for special nodes). */
  host: string;
  stats: FileStat;
  special?: SpecialNode;
}

/** A look-up's answer: the entry, or the last component missing in a directory that exists. */
export type Lookup = { found: Entry; absent?: undefined } | { found?: undefined; absent: string; parent: Entry };

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
  /** Host directories the program may change in place (--allow-write); readable too. */
  writable?: string[];
  /**
   * The library files ld.so.cache names, as it names them: readable wherever their symbolic links
   * lead (a library directory's link to /usr/lib/llvm-14/lib, say), since the loader opens them.
   */
  loaderLibraries?: readonly string[];
  /**
   * Told of each path the program looked for that exists on the host but is outside the view
   * (the program was told ENOENT: where its run may part from the native one).
   */
  onHidden?: (guest: string) => void;
  /** Where every other change lands; without one the view is read-only (EROFS). */
  scratch?: ScratchLayer;
  /** The journals and locks of the view this one derives from (fork, execve): the family's. */
  changes?: HostChanges;
  locks?: FileLocks;
  fifos?: FifoTable;
  unixNames?: Map<string, UnixName>;
}

/** What an expression call may change of the file view (saveState/restoreState). */
export interface FileViewState {
  cwd: string;
  scratch: ScratchState | undefined;
  journal: FileJournal;
}

const MAX_SYMLINKS = 40;
const ELOOP = 40;

const components = (path: string): string[] => path.split("/").filter((c) => c !== "");

export class FileView {
  private readonly hostRoots: string[];
  private readonly sysRoots: string[];
  private readonly writeRoots: string[];
  readonly sysroot: string | undefined;
  readonly scratch: ScratchLayer | undefined;
  /** /dev and /proc, given by the process's kernel once it exists. */
  special: SpecialNamespace | undefined;
  /** Told before any host path changes (the undo journals of expression calls); the family's views share it. */
  readonly changes: HostChanges;
  /** Advisory locks (fcntl, flock) of the family's processes. */
  readonly locks: FileLocks;
  /** The pipes of the FIFOs the family's processes have open. */
  readonly fifos: FifoTable;
  /** The family's bound AF_UNIX sockets, by canonical guest path (a file-system name) or "@" and the abstract name. */
  readonly unixNames: Map<string, UnixName>;
  /** Canonical guest paths of the loader's libraries (see FileViewOptions.loaderLibraries). */
  private loaderLibraries: ReadonlySet<string>;
  private readonly onHidden: ((guest: string) => void) | undefined;

  constructor(
    opts: FileViewOptions,
    /** The working directory, a canonical guest path. */
    public cwd: string,
    /** Guest path of the executable, for /proc/self/exe. */
    readonly exePath: string,
  ) {
    this.sysroot = opts.sysroot ? realOrResolved(opts.sysroot) : undefined;
    this.hostRoots = opts.allowed.flatMap(asGivenAndReal);
    this.writeRoots = (opts.writable ?? []).map(realOrResolved);
    this.scratch = opts.scratch;
    this.changes = opts.changes ?? new HostChanges();
    this.locks = opts.locks ?? new FileLocks();
    this.fifos = opts.fifos ?? new FifoTable();
    this.unixNames = opts.unixNames ?? new Map();
    if (!opts.changes) this.scratch?.onChange((host) => this.changes.before(host));
    this.loaderLibraries = canonicalLibraries(this.sysroot, opts.loaderLibraries ?? []);
    this.onHidden = opts.onHidden;
    if (this.sysroot) {
      const root = this.sysroot;
      this.sysRoots = (opts.system ?? []).map((p) => canonicalInRoot(root, p) ?? resolve("/", p));
    } else {
      this.hostRoots.push(...(opts.system ?? []).flatMap(asGivenAndReal));
      this.sysRoots = [];
    }
  }

  /**
   * The same view with a working directory of its own (fork), or for another program (execve:
   * `exePath`, with its directory and its loader's paths added to what this view allows). The
   * scratch layer is the same: a family of processes shares one file system.
   */
  derive(exePath = this.exePath, more: { allowed?: string[]; system?: string[]; loaderLibraries?: readonly string[] } = {}): FileView {
    const v = new FileView({ allowed: more.allowed ?? [], system: more.system, sysroot: this.sysroot, scratch: this.scratch, changes: this.changes, locks: this.locks, fifos: this.fifos, unixNames: this.unixNames, loaderLibraries: more.loaderLibraries, onHidden: this.onHidden }, this.cwd, exePath);
    // A fork's view shares its parent's libraries; an executed program's adds its loader's.
    v.loaderLibraries = v.loaderLibraries.size === 0 ? this.loaderLibraries : new Set([...this.loaderLibraries, ...v.loaderLibraries]);
    v.hostRoots.unshift(...this.hostRoots);
    v.sysRoots.unshift(...this.sysRoots);
    v.writeRoots.push(...this.writeRoots);
    return v;
  }

  /** Starts recording what changes (an expression call begins): the working directory, the scratch layer, host files. */
  saveState(): FileViewState {
    return { cwd: this.cwd, scratch: this.scratch?.save(), journal: this.changes.begin() };
  }

  /** Undoes every change since saveState. */
  restoreState(s: FileViewState): void {
    this.changes.finish(s.journal, true);
    this.cwd = s.cwd;
    if (s.scratch) this.scratch?.restore(s.scratch);
  }

  /** Keeps the changes since saveState. */
  dropState(s: FileViewState): void {
    this.changes.finish(s.journal, false);
  }

  /** Everything the inferior may read in place: host paths, then guest paths inside the sysroot. */
  get allowedRoots(): readonly string[] {
    return [...this.hostRoots, ...this.writeRoots, ...this.sysRoots.map((r) => `${this.sysroot}${r === "/" ? "" : r}`)];
  }

  /**
   * Walks `path` (relative to `base`) through the merged tree. A symbolic link in the last
   * component is followed only with `follow`; a trailing slash asks for a directory.
   */
  lookup(path: string, base = this.cwd, follow = true): Lookup | number {
    if (path === "") return E.ENOENT;
    if (path.length > 4095) return E.ENAMETOOLONG;
    const pending = components(path.startsWith("/") ? path : `${base}/${path}`);
    const wantsDirectory = path.endsWith("/");
    const done: string[] = [];
    let current: Entry | undefined;
    let links = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === ".") continue;
      if (c === "..") {
        done.pop();
        current = undefined;
        continue;
      }
      const guest = `/${[...done, c].join("/")}`;
      const last = pending.length === 0;
      const e = this.entryAt(guest);
      if (!e) {
        this.noteIfHidden(guest, pending);
        if (!last) return E.ENOENT;
        const parent = current ?? this.entryAt(`/${done.join("/")}`);
        return parent ? { absent: guest, parent } : E.ENOENT;
      }
      if (e.special?.fd !== undefined && (!last || follow)) {
        if (!last) return E.ENOTDIR;
        return { found: e };
      }
      if (isSymlink(e.stats) && (!last || follow || wantsDirectory)) {
        if (++links > MAX_SYMLINKS) return ELOOP;
        if (e.layer === "lower" && this.loaderLibraries.has(guest)) this.allowLinkTarget(guest);
        const target = this.readLink(e);
        if (target === undefined) return E.ENOENT;
        if (target.startsWith("/")) done.length = 0;
        pending.unshift(...components(target));
        current = undefined;
        continue;
      }
      if (!last && !isDirectory(e.stats)) return E.ENOTDIR;
      done.push(c);
      current = e;
    }
    const e = current ?? this.entryAt(`/${done.join("/")}`);
    if (!e) return E.ENOENT;
    if (wantsDirectory && !isDirectory(e.stats)) return E.ENOTDIR;
    return { found: e };
  }

  /** The host path of an existing entry that may be read from the host (links followed), or an errno. */
  resolve(path: string, base = this.cwd): string | number {
    return hostOf(this.lookup(path, base, true));
  }

  /** Like resolve(), but a symbolic link in the last component is not followed. */
  resolveNoFollow(path: string, base = this.cwd): string | number {
    return hostOf(this.lookup(path, base, false));
  }

  stat(path: string): Stats | number {
    const host = this.resolve(path);
    if (typeof host === "number") return host;
    return this.statHost(host);
  }

  /** stat(2) of a host path that resolve() returned; lstat(2) with `noFollow`. */
  statHost(host: string, noFollow = false): Stats | number {
    try {
      return noFollow ? lstatSync(host) : statSync(host);
    } catch (e) {
      if (!isHostError(e)) throw e;
      return E.ENOENT;
    }
  }

  /** The entry at a canonical guest path (no link followed), from the first layer that has it. */
  entryAt(guest: string): Entry | undefined {
    if (this.special?.covers(guest)) {
      const node = this.special.node(guest);
      return node && { guest, layer: "special", host: "", stats: node.stats, special: node };
    }
    const upper = this.scratch?.entry(guest);
    if (upper) return { guest, layer: "upper", host: this.scratch!.hostPath(guest), stats: upper };
    return this.lowerEntry(guest);
  }

  /** The lower layer's entry at `guest`, when the view shows it and the scratch layer does not hide it. */
  lowerEntry(guest: string): Entry | undefined {
    if (this.scratch?.hidesLower(guest) || !this.showsLower(guest)) return undefined;
    const host = this.lowerHost(guest);
    const stats = lstatSync(host, { throwIfNoEntry: false });
    return stats && { guest, layer: "lower", host, stats };
  }

  /** A symbolic link's target, from whichever layer holds it. */
  readLink(e: Entry): string | undefined {
    if (e.layer === "special") return e.special?.link;
    try {
      return readlinkSync(e.host);
    } catch (err) {
      if (!isHostError(err)) throw err;
      return undefined;
    }
  }

  /** A directory's entries in the merged view: the lower ones the view shows, then the scratch layer's in their place. */
  list(dir: Entry): DirEntry[] | number {
    if (dir.special) return dir.special.list?.() ?? E.ENOTDIR;
    const byName = new Map<string, DirEntry>();
    const key = (e: DirEntry) => Buffer.from(e.name).toString("latin1");
    const lower = this.lowerEntry(dir.guest);
    if (lower && isDirectory(lower.stats)) {
      const entries = listDirectory(lower.host);
      if (typeof entries === "number") return entries;
      for (const e of entries) {
        const name = key(e);
        const child = join(dir.guest, name);
        if (name === "." || name === ".." || (this.showsLower(child) && !this.scratch?.hidesLower(child))) byName.set(name, e);
      }
    }
    if (this.scratch?.hasDirectory(dir.guest)) {
      const entries = listDirectory(this.scratch.hostPath(dir.guest));
      if (typeof entries === "number") return entries;
      for (const e of entries) {
        const name = key(e);
        if (!((name === "." || name === "..") && byName.has(name))) byName.set(name, e);
      }
    }
    return [...byName.values()];
  }

  /**
   * Where a change to `guest` goes: in place (below a --allow-write root), into the scratch
   * layer, or nowhere (EROFS: a view without one).
   */
  changesGo(guest: string): "in-place" | "scratch" | number {
    if (within(this.writeRoots, guest)) return "in-place";
    return this.scratch ? "scratch" : E.EROFS;
  }

  /**
   * Whether the program can change the file at `guest` (with host stats `st`) in place: it is below
   * an --allow-write root, or has another name that could be (a hard link, within one file system).
   */
  changesInPlace(guest: string, st: Pick<FileStat, "dev" | "nlink">): boolean {
    if (within(this.writeRoots, guest)) return true;
    return st.nlink > 1 && this.writeRoots.some((r) => statSync(r, { throwIfNoEntry: false })?.dev === st.dev);
  }

  /**
   * Tells onHidden of `guest` when the view hides it and the host has the whole path the program
   * asked for (`guest` and the components `rest` after it): natively that look-up would succeed.
   */
  private noteIfHidden(guest: string, rest: readonly string[]): void {
    if (!this.onHidden || this.special?.covers(guest) || this.scratch?.hidesLower(guest) || this.showsLower(guest)) return;
    // The emulated kernel has no /sys: what C libraries read there (CPU counts) they find through syscalls.
    if (guest === "/sys" || guest.startsWith("/sys/")) return;
    const asked = join(guest, ...rest);
    if (statSync(this.sysroot ? join(this.sysroot, asked) : asked, { throwIfNoEntry: false })) this.onHidden(guest);
  }

  /** Makes the file a loader's library link at `guest` leads to readable (see FileViewOptions.loaderLibraries). */
  private allowLinkTarget(guest: string): void {
    const target = canonicalInRoot(this.sysroot ?? "/", guest);
    if (target === undefined) return;
    const roots = this.sysroot ? this.sysRoots : this.hostRoots;
    if (within(roots, target) === undefined) roots.push(target);
  }

  /** Whether `guest` is below a path the view lets the program read (not merely on the way to one). */
  isReadRoot(guest: string): boolean {
    return [this.hostRoots, this.writeRoots, this.sysRoots].some((rs) => within(rs, guest) !== undefined);
  }

  /** Whether the lower layer's entry at `guest` is in the view: below a root, or on the way down to one. */
  private showsLower(guest: string): boolean {
    return this.isReadRoot(guest) || [this.hostRoots, this.writeRoots, this.sysRoots].some((rs) => rs.some((r) => isAncestor(guest, r)));
  }

  /** The host path holding the lower layer's `guest`: inside the sysroot for the loader's paths. */
  lowerHost(guest: string): string {
    if (!this.sysroot) return guest;
    const inSys = within(this.sysRoots, guest) !== undefined || this.sysRoots.some((r) => isAncestor(guest, r));
    if (inSys) {
      const host = join(this.sysroot, guest);
      const onHost = within(this.hostRoots, guest) !== undefined || this.hostRoots.some((r) => isAncestor(guest, r));
      if (!onHost || lstatSync(host, { throwIfNoEntry: false })) return host;
    }
    return guest;
  }
}

function hostOf(l: Lookup | number): string | number {
  if (typeof l === "number") return l;
  if (!l.found) return E.ENOENT;
  return l.found.layer === "special" ? E.ENOENT : l.found.host;
}

/** The libraries' paths with their directories' links resolved (the form a look-up reaches them in). */
function canonicalLibraries(sysroot: string | undefined, paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  const dirs = new Map<string, string | undefined>();
  for (const p of paths) {
    const slash = p.lastIndexOf("/");
    if (slash <= 0) continue;
    const dir = p.slice(0, slash);
    if (!dirs.has(dir)) dirs.set(dir, canonicalInRoot(sysroot ?? "/", dir));
    const canonical = dirs.get(dir);
    if (canonical !== undefined) out.add(`${canonical === "/" ? "" : canonical}${p.slice(slash)}`);
  }
  return out;
}

function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch (e) {
    if (!isHostError(e)) throw e;
    return resolve(p);
  }
}

/**
 * A readable root as given and as its real path: a link on the way (/bin → usr/bin) shows, so a
 * path through it reaches the root; where the link leads is checked on its own.
 */
function asGivenAndReal(p: string): string[] {
  const real = realOrResolved(p);
  const given = resolve(p);
  return given === real ? [real] : [given, real];
}

function within(roots: readonly string[], path: string): string | undefined {
  return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep)) ? path : undefined;
}

/** Whether `dir` is strictly above `path`. */
function isAncestor(dir: string, path: string): boolean {
  return dir === "/" ? path !== "/" : path.startsWith(`${dir}/`);
}

/**
 * The canonical guest path of `path` inside `root`: symbolic links are followed with absolute
 * targets re-rooted, as chroot would; undefined when a component does not exist.
 */
export function canonicalInRoot(root: string, path: string): string | undefined {
  const pending = components(resolve("/", path));
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
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return undefined;
      const target = readlinkSync(host);
      if (target.startsWith("/")) done.length = 0;
      pending.unshift(...components(target));
      continue;
    }
    done.push(c);
  }
  return `/${done.join("/")}`;
}
