/**
 * Advisory file locks, as Linux keeps them for the processes of one family: POSIX record locks
 * (fcntl F_SETLK: owned by a process, released when it closes any descriptor of the file or
 * ends), open-file-description locks (F_OFD_SETLK: owned by the open file) and flock(2) locks
 * (whole file, owned by the open file, a namespace of their own). A file is its host identity
 * (device and inode), so two names of one file share its locks.
 */

export type LockType = "read" | "write";
/** A process id (POSIX locks) or an open file description (OFD and flock locks). */
export type LockOwner = number | object;

export interface Lock {
  start: bigint;
  /** Exclusive; END for "to the end of the file, however long it grows". */
  end: bigint;
  type: LockType;
  owner: LockOwner;
  /** Who F_GETLK names: the owning process, or -1 for OFD locks. */
  pid: number;
}

export const END = 1n << 63n;

export class FileLocks {
  private readonly records = new Map<string, Lock[]>();
  private readonly flocks = new Map<string, Lock[]>();

  /** The first lock another owner holds over [start, end) that `type` conflicts with. */
  conflict(file: string, start: bigint, end: bigint, type: LockType, owner: LockOwner, whole = false): Lock | undefined {
    const locks = (whole ? this.flocks : this.records).get(file) ?? [];
    return locks.find((l) => l.owner !== owner && l.start < end && start < l.end && (type === "write" || l.type === "write"));
  }

  /** Sets (or with `type` undefined, clears) `owner`'s lock over [start, end): its own locks there are replaced, split where needed. */
  set(file: string, start: bigint, end: bigint, type: LockType | undefined, owner: LockOwner, pid: number, whole = false): void {
    const table = whole ? this.flocks : this.records;
    const kept: Lock[] = [];
    for (const l of table.get(file) ?? []) {
      if (l.owner !== owner || l.end <= start || end <= l.start) kept.push(l);
      else {
        if (l.start < start) kept.push({ ...l, end: start });
        if (end < l.end) kept.push({ ...l, start: end });
      }
    }
    if (type) kept.push({ start, end, type, owner, pid });
    if (kept.length > 0) table.set(file, kept);
    else table.delete(file);
  }

  /** Everything `owner` holds on `file` (a POSIX owner closed a descriptor of it), or on every file. */
  release(owner: LockOwner, file?: string): void {
    for (const table of [this.records, this.flocks]) {
      for (const [f, locks] of table) {
        if (file !== undefined && f !== file) continue;
        const kept = locks.filter((l) => l.owner !== owner);
        if (kept.length > 0) table.set(f, kept);
        else table.delete(f);
      }
    }
  }
}
