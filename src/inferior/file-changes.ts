/**
 * Changes to the inferior's merged file tree (file-view.ts). Each lands where the view says:
 * in place on the host below a --allow-write root, or in the run's scratch layer (copying a lower
 * file up whole before its first change, as overlayfs does), never elsewhere. Every function
 * answers 0, a host path, or a Linux errno: host failures come back as the host's errno.
 */
import { chmodSync, linkSync, mkdirSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { SharedSegment } from "../emu/shared-memory.js";
import { makeHostNode } from "../emu/host-nodes.js";
import * as E from "./errno.js";
import { type Entry, type FileView, isDirectory, isSymlink, type Lookup, S_IFBLK, S_IFCHR, S_IFMT, S_IFREG } from "./file-view.js";
import { onHost } from "./host-listing.js";
import type { Kernel } from "./kernel.js";
import { inOwnDirectory, type ScratchLayer } from "./scratch-layer.js";

const ENOTEMPTY = 39;
const EXDEV = 18;

/** The permission bits a directory copied up keeps: its lower counterpart's. */
function lowerMode(view: FileView): (guest: string) => number {
  return (guest) => view.lowerEntry(guest)?.stats.mode ?? 0o755;
}

/**
 * Counts a change that landed in the scratch layer for the note at the end of the run, unless it
 * is in the run's own /tmp or /dev/shm (a program's temporary files: what a directory the user
 * lets it read holds, even under /tmp, is counted).
 */
function noteChange(view: FileView, guest: string): void {
  if (inOwnDirectory(guest) && !view.isReadRoot(guest)) return;
  scratchOf(view).changed(guest);
}

function scratchOf(view: FileView): ScratchLayer {
  return view.scratch!; // changesGo() said "scratch": the view has one
}

/** The host path where an existing entry may be changed: itself in place or in the scratch layer, else a copy made there now. */
export function changeableHost(view: FileView, e: Entry): string | number {
  if (e.layer === "special") return E.EACCES;
  if (e.layer === "upper") return e.host;
  const go = view.changesGo(e.guest);
  if (go !== "scratch") return go === "in-place" ? e.host : go;
  const scratch = scratchOf(view);
  noteChange(view, e.guest);
  const made = onHost(() => {
    if (isDirectory(e.stats)) {
      scratch.makeDirectories(e.guest, lowerMode(view));
      return scratch.hostPath(e.guest);
    }
    if (isSymlink(e.stats)) {
      scratch.makeDirectories(dirname(e.guest), lowerMode(view));
      view.changes.before(scratch.hostPath(e.guest));
      symlinkSync(readlinkSync(e.host), scratch.hostPath(e.guest));
      return scratch.hostPath(e.guest);
    }
    if ((e.stats.mode & S_IFMT) !== S_IFREG) {
      // A FIFO or socket node is made anew, a device refused (copying would read the host FIFO or device, and wait).
      scratch.makeDirectories(dirname(e.guest), lowerMode(view));
      const host = scratch.hostPath(e.guest);
      view.changes.before(host);
      const r = makeNodeAt(host, e.stats.mode);
      return r === 0 ? host : r;
    }
    const host = scratch.copyUp(e.guest, e.host, lowerMode(view));
    chmodSync(host, e.stats.mode & 0o7777);
    return host;
  });
  return typeof made === "object" ? made.errno : made;
}

/** The host path where a new entry at `guest` (missing, in a directory that exists) is made. */
export function creationHost(view: FileView, guest: string, parent: Entry): string | number {
  if (parent.layer === "special") return E.EACCES;
  if (!isDirectory(parent.stats)) return E.ENOTDIR;
  const go = view.changesGo(guest);
  if (go === "in-place") return view.lowerHost(guest);
  if (go !== "scratch") return go;
  const scratch = scratchOf(view);
  noteChange(view, guest);
  const made = onHost(() => {
    scratch.makeDirectories(dirname(guest), lowerMode(view));
    return scratch.hostPath(guest);
  });
  return typeof made === "string" ? made : made.errno;
}

/** unlink(2) (`directory` false) or rmdir(2) of an entry found without following its last link. */
export function removeEntry(view: FileView, e: Entry, directory: boolean): number {
  if (directory && !isDirectory(e.stats)) return E.ENOTDIR;
  if (!directory && isDirectory(e.stats)) return E.EISDIR;
  if (e.layer === "special") return E.EACCES;
  if (directory) {
    const entries = view.list(e);
    if (typeof entries === "number") return entries;
    if (entries.some((d) => !isDot(d.name))) return ENOTEMPTY;
  }
  const go = e.layer === "upper" ? "scratch" : view.changesGo(e.guest);
  if (typeof go === "number") return go;
  if (e.layer === "upper" || go === "in-place") {
    view.changes.before(e.host);
    const r = onHost(() => (directory ? rmdirSync(e.host) : unlinkSync(e.host)));
    if (r !== undefined) return r.errno;
  }
  if (go === "scratch") {
    scratchOf(view).removed(e.guest, view.lowerEntry(e.guest) !== undefined);
    noteChange(view, e.guest);
  }
  return 0;
}

/** mkdir(2) at a missing name; `mode` already masked by the umask. */
export function makeDirectory(view: FileView, l: Lookup, mode: number): number {
  if (l.found) return E.EEXIST;
  const host = creationHost(view, l.absent, l.parent);
  if (typeof host === "number") return host;
  view.changes.before(host);
  const r = onHost(() => {
    mkdirSync(host);
    chmodSync(host, mode & 0o7777);
  });
  if (r !== undefined) return r.errno;
  if (view.changesGo(l.absent) === "scratch") scratchOf(view).addedDirectory(l.absent);
  return 0;
}

/**
 * mknod(2) at a missing name: `mode` (the node's type — a FIFO, a socket node or a regular file —
 * and its permissions, already masked by the umask) as given, whatever the host's umask.
 */
export function makeNode(view: FileView, l: Lookup, mode: number): number {
  if (l.found) return E.EEXIST;
  const host = creationHost(view, l.absent, l.parent);
  if (typeof host === "number") return host;
  view.changes.before(host);
  return makeNodeAt(host, mode);
}

/** A node on the host (never a device: the view gives no program the host's devices); 0 or an errno. */
function makeNodeAt(host: string, mode: number): number {
  const type = mode & S_IFMT;
  if (type === S_IFCHR || type === S_IFBLK) return E.EPERM;
  const made = makeHostNode(host, mode);
  if (made === undefined) return E.ENOSYS;
  if (made !== 0) return made;
  const r = onHost(() => chmodSync(host, mode & 0o7777));
  return r === undefined ? 0 : r.errno;
}

/** symlink(2): a link at a missing name. */
export function makeSymlink(view: FileView, target: string, l: Lookup): number {
  if (l.found) return E.EEXIST;
  const host = creationHost(view, l.absent, l.parent);
  if (typeof host === "number") return host;
  view.changes.before(host);
  const r = onHost(() => symlinkSync(target, host));
  return r === undefined ? 0 : r.errno;
}

/** link(2): a second name for a file, in the same layer (EXDEV across an in-place root's edge, as across file systems). */
export function makeHardLink(view: FileView, from: Entry, to: Lookup): number {
  if (to.found) return E.EEXIST;
  if (isDirectory(from.stats)) return E.EPERM;
  if (view.changesGo(from.guest) !== view.changesGo(to.absent)) return EXDEV;
  const source = changeableHost(view, from);
  if (typeof source === "number") return source;
  const host = creationHost(view, to.absent, to.parent);
  if (typeof host === "number") return host;
  view.changes.before(host);
  const r = onHost(() => linkSync(source, host));
  return r === undefined ? 0 : r.errno;
}

/**
 * rename(2) of an entry found without following its last link to `to` (found the same way).
 * Within the scratch layer a file or a directory of its own moves; a directory that has lower
 * entries fails with EXDEV (overlayfs does the same; mv then copies), as does a move across an
 * in-place root's edge.
 */
export function renameEntry(view: FileView, from: Entry, to: Lookup, noReplace: boolean): number {
  const target = to.found;
  if (target && noReplace) return E.EEXIST;
  if (target?.guest === from.guest) return 0;
  if (from.layer === "special" || target?.layer === "special") return E.EACCES;
  const toGuest = target?.guest ?? to.absent!;
  if (toGuest.startsWith(`${from.guest}/`)) return E.EINVAL; // into itself
  if (target) {
    if (isDirectory(from.stats) && !isDirectory(target.stats)) return E.ENOTDIR;
    if (!isDirectory(from.stats) && isDirectory(target.stats)) return E.EISDIR;
    if (isDirectory(target.stats)) {
      const entries = view.list(target);
      if (typeof entries === "number") return entries;
      if (entries.some((d) => !isDot(d.name))) return ENOTEMPTY;
    }
  }
  const fromGo = from.layer === "upper" ? "scratch" : view.changesGo(from.guest);
  const toGo = view.changesGo(toGuest);
  if (typeof fromGo === "number") return fromGo;
  if (typeof toGo === "number") return toGo;
  if (fromGo !== toGo) return EXDEV;
  if (fromGo === "in-place") {
    const dest = target?.host ?? view.lowerHost(toGuest);
    view.changes.before(from.host);
    view.changes.before(dest);
    const r = onHost(() => renameSync(from.host, dest));
    return r === undefined ? 0 : r.errno;
  }
  const scratch = scratchOf(view);
  const hasLower = view.lowerEntry(from.guest) !== undefined;
  if (isDirectory(from.stats) && hasLower) return EXDEV;
  const source = changeableHost(view, from); // a lower file is copied up first
  if (typeof source === "number") return source;
  const dest = target ? changeableHost(view, target) : creationHost(view, toGuest, to.parent!);
  if (typeof dest === "number") return dest;
  view.changes.before(source);
  view.changes.before(dest);
  if (target && isDirectory(target.stats)) {
    const r = onHost(() => rmdirSync(dest));
    if (r !== undefined) return r.errno;
  }
  const r = onHost(() => renameSync(source, dest));
  if (r !== undefined) return r.errno;
  if (isDirectory(from.stats)) scratch.movedDirectory(from.guest, toGuest);
  scratch.removed(from.guest, hasLower);
  if (isDirectory(from.stats)) scratch.addedDirectory(toGuest);
  return 0;
}

const isDot = (name: Uint8Array): boolean => (name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);

/**
 * A host file may have shrunk under shared mappings of it: their pages past its end become zeros
 * (the host would kill jitdbg for touching them; Linux sends the program SIGBUS), and the log says so.
 */
export function resized(k: Kernel, st: Pick<Stats, "dev" | "ino" | "size">): void {
  if (SharedSegment.fileResized(st.dev, st.ino, st.size)) {
    k.warnOnce("shared-shrunk", "a file shrank under a shared mapping of it: the mapping's pages past the file's new end read zeros, where Linux would raise SIGBUS on touching them");
  }
}
