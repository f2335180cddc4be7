/**
 * What code the debugger runs in the program (an expression call) did to files on the host, so
 * that a roll-back can undo it (undo-log.ts): before its first change, each host path's file,
 * link or directory is saved (a file's bytes copied aside, with its mode and times); a path that
 * did not exist is remembered as made. Rolling back walks the record backwards: what was made is
 * removed, what was saved is put back. Journals nest, as undo logs do: every open one records.
 */
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SharedSegment } from "../emu/shared-memory.js";

type Saved =
  | { kind: "absent"; host: string }
  | { kind: "file"; host: string; copy: string; mode: number; atimeMs: number; mtimeMs: number }
  | { kind: "link"; host: string; target: string }
  | { kind: "directory"; host: string; mode: number };

export class FileJournal {
  private readonly saved: Saved[] = [];
  private readonly seen = new Set<string>();
  private backups: string | undefined;

  /** Called before `host` is changed, made or removed: keeps what is there now, the first time. */
  beforeChange(host: string): void {
    if (this.seen.has(host)) return;
    this.seen.add(host);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) this.saved.push({ kind: "absent", host });
    else if (st.isSymbolicLink()) this.saved.push({ kind: "link", host, target: readlinkSync(host) });
    else if (st.isDirectory()) this.saved.push({ kind: "directory", host, mode: st.mode & 0o7777 });
    else if (st.isFile()) {
      this.backups ??= mkdtempSync(join(tmpdir(), "jitdbg-undo-"));
      const copy = join(this.backups, String(this.saved.length));
      copyFileSync(host, copy);
      this.saved.push({ kind: "file", host, copy, mode: st.mode & 0o7777, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs });
    }
  }

  /** Puts every saved path back as it was, the latest first, and ends the journal. */
  rollback(): void {
    for (const s of [...this.saved].reverse()) {
      const now = lstatSync(s.host, { throwIfNoEntry: false });
      // A file or directory still there keeps its inode (descriptors opened before the call stay on it).
      const same = (s.kind === "directory" && now?.isDirectory()) || (s.kind === "file" && now?.isFile());
      if (now && !same) rmSync(s.host, { recursive: true, force: true });
      switch (s.kind) {
        case "absent":
          break;
        case "link":
          symlinkSync(s.target, s.host);
          break;
        case "directory":
          if (!now?.isDirectory()) mkdirSync(s.host);
          chmodSync(s.host, s.mode);
          break;
        case "file":
          copyFileSync(s.copy, s.host); // O_TRUNC on the same inode when it is there
          keepSharedMappingsSafe(s.host);
          chmodSync(s.host, s.mode);
          utimesSync(s.host, s.atimeMs / 1000, s.mtimeMs / 1000);
          break;
      }
    }
    this.end();
  }

  /** Keeps every change and lets go of the saved copies. */
  end(): void {
    if (this.backups) rmSync(this.backups, { recursive: true, force: true });
    this.backups = undefined;
    this.saved.length = 0;
    this.seen.clear();
  }
}

/** The open journals of one family's file system: every host change is told to each first. */
export class HostChanges {
  private readonly journals: FileJournal[] = [];

  /** Called before a host path is changed, made or removed. */
  before(host: string): void {
    for (const j of this.journals) j.beforeChange(host);
  }

  begin(): FileJournal {
    const j = new FileJournal();
    this.journals.push(j);
    return j;
  }

  /** Ends a journal: its changes undone (`rollback`) or kept. */
  finish(j: FileJournal, rollback: boolean): void {
    const i = this.journals.indexOf(j);
    if (i >= 0) this.journals.splice(i, 1);
    if (rollback) j.rollback();
    else j.end();
  }
}

/** A file put back may be shorter than shared mappings of it expect (SharedSegment.fileResized). */
function keepSharedMappingsSafe(host: string): void {
  const st = statSync(host);
  SharedSegment.fileResized(st.dev, st.ino, st.size);
}
