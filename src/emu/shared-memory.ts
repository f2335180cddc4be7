/**
 * Host memory that several engines map at once: what MAP_SHARED gives processes on Linux. Each
 * emulated process is its own Unicorn engine, and Unicorn maps memory the caller owns
 * (uc_mem_map_ptr) without copying it, so mapping one host range into two engines makes every
 * store of one a load of the other, with no copying or hooks. A file's shared mapping is a host
 * MAP_SHARED mapping of the file, so read(2) and write(2) of it and its mappings agree too.
 *
 * A segment counts the engine mappings (pieces of them, after munmap or mprotect cut one) that
 * still use it and goes back to the system with the last. Futex waits on it live here as well:
 * a shared futex is the same word to every process that maps it, wherever each maps it.
 */
import { anonymousMemory, mapSharedFileOver, releaseMemory, zeroOver } from "./native-page.js";

const PAGE = 4096;
const pageUp = (n: number): number => Math.ceil(n / PAGE) * PAGE;

/** Which host file a segment shows (by device and inode) and which of its bytes. */
interface FilePart {
  key: string;
  offset: number;
  /** Bytes of the segment that are the file's (from its start); the rest is zeroed memory. */
  length: number;
}

/** Live segments of host files, by file: a file that shrinks must not leave them pages past its end. */
const byFile = new Map<string, Set<SharedSegment>>();
const fileKey = (dev: number, ino: number): string => `${dev}:${ino}`;

/** A waiter on a futex word of a segment (the waiting side decides what waking means). */
export interface SharedFutexWaiter {
  offset: bigint;
  bitset: number;
  /** Whether it still waits (not timed out or interrupted since): only those are woken and counted. */
  waiting(): boolean;
  wake(): void;
}

export class SharedSegment {
  private users = 0;
  private released = false;
  /** Waiters on the segment's futex words, in the order they started to wait. */
  private waiters: SharedFutexWaiter[] = [];

  private constructor(
    readonly host: bigint,
    readonly size: bigint,
    /** The segment's bytes (undefined when too large for a view). */
    readonly bytes: Uint8Array | undefined,
    private readonly file: FilePart | undefined,
  ) {
    if (file) byFile.set(file.key, (byFile.get(file.key) ?? new Set()).add(this));
  }

  /**
   * `size` bytes of zeroed memory, or of `file` (a host descriptor opened for reading and writing,
   * of the file `dev`/`ino`) from `offset`: its first `fileLength` bytes are the file's, the rest
   * zeros. Undefined when the host refuses.
   */
  static create(size: bigint, file?: { fd: number; dev: number; ino: number; offset: number; fileLength: number }): SharedSegment | undefined {
    const mem = anonymousMemory(Number(size));
    if (!mem) return undefined;
    const length = file ? Math.min(pageUp(file.fileLength), Number(size)) : 0;
    if (file && length > 0 && !mapSharedFileOver(mem.address, length, file.fd, file.offset)) {
      releaseMemory(mem.address, Number(size));
      return undefined;
    }
    return new SharedSegment(mem.address, size, mem.bytes, file && length > 0 ? { key: fileKey(file.dev, file.ino), offset: file.offset, length } : undefined);
  }

  /**
   * The host file `dev`/`ino` is now `size` bytes long. Its segments' pages wholly past the end
   * become zeroed memory: the host would kill jitdbg (SIGBUS) for touching them, where Linux
   * signals only the program. (Those pages then stop following the file if it grows again.)
   * Whether any pages were cut.
   */
  static fileResized(dev: number, ino: number, size: number): boolean {
    let cut = false;
    for (const s of byFile.get(fileKey(dev, ino)) ?? []) {
      const f = s.file!;
      const keep = Math.max(0, pageUp(size) - f.offset);
      if (keep >= f.length) continue;
      zeroOver(s.host + BigInt(keep), f.length - keep);
      f.length = keep;
      cut = true;
    }
    return cut;
  }

  get alive(): boolean {
    return !this.released;
  }

  /** Gives back a segment no engine ever mapped (the mapping it was made for failed). */
  dispose(): void {
    if (this.users === 0) this.free();
  }

  /** One more engine mapping (or piece of one) uses the segment. */
  retain(): void {
    this.users++;
  }

  /** One fewer does; the last gives the memory back. */
  release(): void {
    if (--this.users === 0) this.free();
  }

  /** The memory goes back to the system, and its waiters with it. */
  private free(): void {
    if (this.released) return;
    this.released = true;
    this.waiters = [];
    if (this.file) byFile.get(this.file.key)?.delete(this);
    releaseMemory(this.host, Number(this.size));
  }

  /** Starts `w` waiting on the futex word at its offset. */
  wait(w: SharedFutexWaiter): void {
    this.waiters = this.waiters.filter((x) => x.waiting());
    this.waiters.push(w);
  }

  /** Wakes up to `count` waiters on the word at `offset` whose bitset meets `bitset`; how many woke. */
  wake(offset: bigint, count: number, bitset: number): number {
    let woken = 0;
    this.waiters = this.waiters.filter((w) => {
      if (!w.waiting()) return false;
      if (woken >= count || w.offset !== offset || (w.bitset & bitset) === 0) return true;
      w.wake();
      woken++;
      return false;
    });
    return woken;
  }
}

/** A range of a segment, as one guest mapping uses it: from `offset` on. */
export interface SharedPart {
  segment: SharedSegment;
  offset: bigint;
}
