/**
 * The writable layer over the inferior's read-only file view, the way overlayfs's upper directory
 * is: a per-run directory on the host that holds every file and directory the program creates or
 * changes outside the roots it may write in place (a changed file is copied up whole on its first
 * change), plus what the program removed from the lower layer (whiteouts: a removed name hides
 * the lower entry and everything below it for the rest of the run, even when the name is made
 * again in this layer). The host outside this directory is never written. Its directory is made
 * on first use and removed at the end of the run (at the latest when Node exits) unless the user
 * named it: then it is kept, to look at what the program wrote.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, rmSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isHostError } from "../errors.js";

/**
 * Directories every run has of its own, empty and sticky world-writable as on a fresh machine:
 * /tmp, and /dev/shm (shm_open and sem_open make their files there; the rest of /dev is the
 * special namespace's).
 */
const OWN_DIRECTORIES = ["/tmp", "/dev/shm"];

/** Whether `guest` is in one of the run's own directories (a program's temporary files). */
export const inOwnDirectory = (guest: string): boolean => OWN_DIRECTORIES.some((d) => guest === d || guest.startsWith(`${d}/`));

/** Layers whose directories are still on the host, removed when Node exits if nobody did before. */
const live = new Set<ScratchLayer>();
let exitHookInstalled = false;

/** The layer's own bookkeeping at one moment (an expression call's undo puts it back). */
export interface ScratchState {
  readonly whiteouts: ReadonlySet<string>;
  readonly dirs: ReadonlySet<string>;
}

export class ScratchLayer {
  /** Told before the layer makes or changes something on the host (undo journals). */
  private changing: (host: string) => void = () => {};
  /** Guest paths removed from the lower layer. */
  private readonly whiteouts = new Set<string>();
  /** Guest directories that exist in this layer (only their entries need a look on the host). */
  private readonly dirs = new Set<string>(["/", "/dev", ...OWN_DIRECTORIES]);
  private made: string | undefined;
  /** Where the run's /dev/shm is on the host, when not inside `made` (hostShmDirectory). */
  private shm: string | undefined;
  /** How many guest paths the program changed here, and the first few (for the note at the end). */
  private changedCount = 0;
  private readonly changedFirst: string[] = [];
  private disposed = false;

  private constructor(
    /** The directory the user named (kept after the run), or none: a new temporary one. */
    private readonly named: string | undefined,
  ) {}

  /** A layer in a new temporary directory, or in `dir` (made if needed, kept after the run). */
  static create(dir?: string): ScratchLayer {
    return new ScratchLayer(dir);
  }

  /**
   * The host directory holding the layer (guest path /a/b is `${root}/a/b`), made now if it is
   * not yet, with the run's own directories (OWN_DIRECTORIES).
   */
  get root(): string {
    if (this.made === undefined) {
      if (this.named) mkdirSync(this.named, { recursive: true });
      this.made = this.named ?? mkdtempSync(join(tmpdir(), "jitdbg-scratch-"));
      this.shm = this.named ? undefined : hostShmDirectory();
      for (const d of OWN_DIRECTORIES) {
        const host = this.hostPath(d);
        mkdirSync(host, { recursive: true });
        chmodSync(host, 0o1777); // exactly, whatever the host's umask
      }
      if (!this.named) live.add(this);
      installExitHook();
    }
    return this.made;
  }

  /** Whether the host path `host` is inside this layer. */
  holds(host: string): boolean {
    return this.made !== undefined && [this.made, this.shm].some((d) => d !== undefined && (host === d || host.startsWith(`${d}/`)));
  }

  onChange(listener: (host: string) => void): void {
    this.changing = listener;
  }

  save(): ScratchState {
    return { whiteouts: new Set(this.whiteouts), dirs: new Set(this.dirs) };
  }

  restore(s: ScratchState): void {
    this.whiteouts.clear();
    for (const w of s.whiteouts) this.whiteouts.add(w);
    this.dirs.clear();
    for (const d of s.dirs) this.dirs.add(d);
  }

  hostPath(guest: string): string {
    const root = this.root;
    if (this.shm !== undefined && (guest === "/dev/shm" || guest.startsWith("/dev/shm/"))) return join(this.shm, guest.slice("/dev/shm".length));
    return guest === "/" ? root : join(root, guest);
  }

  /** This layer's own entry at `guest` (lstat), if it has one. */
  entry(guest: string): Stats | undefined {
    if (guest === "/" || !this.dirs.has(dirname(guest))) return undefined;
    if (this.made === undefined && !OWN_DIRECTORIES.includes(guest)) return undefined; // nothing else exists before first use
    try {
      return lstatSync(this.hostPath(guest));
    } catch (e) {
      if (!isHostError(e)) throw e;
      return undefined;
    }
  }

  /** Whether this layer has a directory at `guest` whose entries belong in a listing. */
  hasDirectory(guest: string): boolean {
    return this.dirs.has(guest);
  }

  /** Whether the lower layer's entry at `guest` is hidden: it, or a directory above it, was removed. */
  hidesLower(guest: string): boolean {
    if (this.whiteouts.size === 0) return false;
    for (let p = guest; ; p = dirname(p)) {
      if (this.whiteouts.has(p)) return true;
      if (p === "/") return false;
    }
  }

  /**
   * Makes `guest` and its missing parents in this layer; `modeOf` gives each one's permission
   * bits (its lower counterpart's, as a copy-up keeps them).
   */
  makeDirectories(guest: string, modeOf: (guest: string) => number): void {
    if (this.dirs.has(guest)) return;
    this.makeDirectories(dirname(guest), modeOf);
    const host = this.hostPath(guest);
    if (!lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) {
      this.changing(host);
      mkdirSync(host);
      chmodSync(host, modeOf(guest) & 0o7777);
    }
    this.dirs.add(guest);
  }

  /** Copies a lower file into this layer before its first change; returns the copy's host path. */
  copyUp(guest: string, lowerHost: string, modeOf: (guest: string) => number): string {
    this.makeDirectories(dirname(guest), modeOf);
    const host = this.hostPath(guest);
    this.changing(host);
    copyFileSync(lowerHost, host);
    return host;
  }

  /** A directory was made at `guest` in this layer (mkdir). */
  addedDirectory(guest: string): void {
    this.dirs.add(guest);
  }

  /** A directory of this layer moved (rename): what was below `from` is below `to` now. */
  movedDirectory(from: string, to: string): void {
    for (const d of [...this.dirs]) {
      if (d !== from && !d.startsWith(`${from}/`)) continue;
      this.dirs.delete(d);
      this.dirs.add(to + d.slice(from.length));
    }
  }

  /** The entry at `guest` left the merged view; `lower` says whether a lower entry must stay hidden. */
  removed(guest: string, lower: boolean): void {
    for (const d of [...this.dirs]) if (d === guest || d.startsWith(`${guest}/`)) this.dirs.delete(d);
    if (lower) this.whiteouts.add(guest);
  }

  /** A guest path the program made, changed or removed in this layer (not in place), for summary(). */
  changed(guest: string): void {
    this.changedCount++;
    if (this.changedFirst.length < 3 && !this.changedFirst.includes(guest)) this.changedFirst.push(guest);
  }

  /**
   * What the run left here, for the user at its end: undefined when the program changed nothing
   * outside its in-place roots.
   */
  summary(): string | undefined {
    if (this.changedCount === 0) return undefined;
    const some = this.changedFirst.join(", ") + (this.changedCount > this.changedFirst.length ? ", …" : "");
    if (this.named) return `the program's changes outside its --allow-write directories (${some}) are kept in ${this.named}`;
    return `the program made or changed files outside its --allow-write directories (${some}); they were in the run's scratch layer and are gone now — keep them with --scratch DIR (launch: "scratch"), or let the program write in place with --allow-write DIR ("allowWrite")`;
  }

  /** Ends the run: the layer's directory goes unless the user asked to keep it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    if (this.made !== undefined && !this.named) rmSync(this.made, { recursive: true, force: true });
    if (this.shm !== undefined) rmSync(this.shm, { recursive: true, force: true });
  }
}

/**
 * A new directory for the run's /dev/shm in the host's own /dev/shm when it has a writable one: a
 * memory file system, as natively, so the program's /dev/shm has a device of its own (df and
 * statfs find tmpfs there, a rename from /tmp is EXDEV) and its files live in memory.
 */
function hostShmDirectory(): string | undefined {
  try {
    return mkdtempSync("/dev/shm/jitdbg-scratch-");
  } catch (e) {
    if (!isHostError(e)) throw e;
    return undefined; // no /dev/shm on the host: the layer's own directory serves
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const layer of [...live]) layer.dispose();
  });
}
