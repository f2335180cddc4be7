/**
 * Kernel objects that move bytes between threads: the pipe (a ring of page buffers, as Linux's
 * pipe_inode_info; also each direction of a socket pair, sockets.ts) and the eventfd counter. They hold data only; who reads and writes them, who
 * waits and who is woken is in syscalls/pipes.ts. Both can save their state and put it back (the
 * expression undo log, FdTable.snapshot).
 */

export const PAGE_SIZE = 4096;
/** Writes of at most this many bytes are atomic (POSIX PIPE_BUF). */
export const PIPE_BUF = 4096;
/** A new pipe's slots (PIPE_DEF_BUFFERS): 16 pages, 65536 bytes. */
const DEFAULT_SLOTS = 16;

/** One slot: a page and the bytes of it still to be read. */
interface PipeBuffer {
  readonly page: Uint8Array;
  offset: number;
  len: number;
  /** A saved state refers to the page: it is never reused. */
  saved?: boolean;
}

let nextInode = 1;

/** A message of a pipe that keeps boundaries: its length and how many buffers (from the first) hold it. */
interface Message {
  readonly length: number;
  readonly buffers: number;
  /** The sender's address (a datagram from a bound AF_UNIX socket), which recvfrom gives back. */
  readonly from?: Uint8Array;
}

/**
 * A pipe as Linux's fs/pipe.c keeps it: up to `slots` pages, each holding what one write put
 * there (small writes merge into the last page while they fit). The capacity in bytes therefore
 * depends on the write sizes, as natively: 16 writes of 4096 bytes fill it, and so do 64 of 1000.
 *
 * With `messages`, it keeps boundaries instead (a datagram or seqpacket socket's queue): each
 * message starts a page of its own (push), and a read takes one message (take).
 */
export class Pipe {
  private bufs: PipeBuffer[] = [];
  private messages: Message[] | undefined;
  /** The last page a read emptied, for the next write (Linux's tmp_page): a page per write otherwise costs more than the copy. */
  private spare: Uint8Array | undefined;
  slots = DEFAULT_SLOTS;
  /** Bumped by every write (what wakes readers): epoll's edge-triggered mode reports changes of it on the read end. */
  writes = 0;
  /** Bumped by every read (what wakes writers), for the write end. */
  reads = 0;
  /** st_ino of both ends. */
  readonly inode = nextInode++;
  /**
   * Opens of each end so far (Linux's r_counter and w_counter): pipe() opens each once; a FIFO's
   * open that waits for its partner waits for the other count to move (syscalls/fifo-open.ts).
   */
  readonly opened = { read: 1, write: 1 };

  constructor(messages = false) {
    if (messages) this.messages = [];
  }

  get empty(): boolean {
    return this.bufs.length === 0;
  }

  get full(): boolean {
    return this.bufs.length >= this.slots;
  }

  /** Bytes buffered (FIONREAD). */
  get available(): number {
    return this.bufs.reduce((n, b) => n + b.len, 0);
  }

  /** Pages in use (F_SETPIPE_SZ may not shrink below them). */
  get used(): number {
    return this.bufs.length;
  }

  /**
   * pipe_write's first step: the write's last `length % PAGE_SIZE` bytes' worth from its start
   * joins the last page when it fits there. Returns the bytes taken from `data`.
   */
  merge(data: Uint8Array): number {
    const chars = data.length & (PAGE_SIZE - 1);
    const last = this.bufs[this.bufs.length - 1];
    if (chars === 0 || !last) return 0;
    const end = last.offset + last.len;
    if (end + chars > PAGE_SIZE) return 0;
    last.page.set(data.subarray(0, chars), end);
    last.len += chars;
    this.writes++;
    return chars;
  }

  /** pipe_write's loop: a new page per free slot, each filled with up to a page of `data` from `from`. Returns the bytes taken. */
  fill(data: Uint8Array, from: number): number {
    let at = from;
    while (at < data.length && !this.full) {
      const n = Math.min(PAGE_SIZE, data.length - at);
      // Bytes past a buffer's end are never read (merges write before they extend it): no zeroing.
      const page = this.spare ?? new Uint8Array(PAGE_SIZE);
      this.spare = undefined;
      page.set(at === 0 && n === data.length ? data : data.subarray(at, at + n));
      this.bufs.push({ page, offset: 0, len: n });
      at += n;
    }
    if (at > from) this.writes++;
    return at - from;
  }

  /** pipe_read: up to `max` bytes, from as many pages as it takes; emptied pages free their slots. */
  read(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.available));
    let n = 0;
    while (n < out.length) {
      const b = this.bufs[0]!;
      const take = Math.min(b.len, out.length - n);
      out.set(b.page.subarray(b.offset, b.offset + take), n);
      n += take;
      b.offset += take;
      b.len -= take;
      if (b.len === 0) this.free();
    }
    if (n > 0) this.reads++;
    return out;
  }

  /** What read(max) would return, left in the pipe (MSG_PEEK). */
  peek(max: number): Uint8Array {
    return this.copy(0, Math.min(max, this.available));
  }

  /** The first message's length (a datagram socket's FIONREAD); 0 when there is none. */
  get nextLength(): number {
    return this.messages?.[0]?.length ?? 0;
  }

  /**
   * Queues `data` as one message, on pages of its own, whatever room is left: as Linux's
   * sock_alloc_send_pskb, the sender only waits while the pipe is full, and one message may take it past.
   */
  push(data: Uint8Array, from?: Uint8Array): void {
    const buffers = Math.max(1, Math.ceil(data.length / PAGE_SIZE));
    for (let i = 0; i < buffers; i++) {
      const page = this.spare ?? new Uint8Array(PAGE_SIZE);
      this.spare = undefined;
      const part = data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      page.set(part);
      this.bufs.push({ page, offset: 0, len: part.length });
    }
    this.messages!.push(from ? { length: data.length, buffers, from } : { length: data.length, buffers });
    this.writes++;
  }

  /** The first message, at most `max` bytes of it, and its whole length; unless peeking, the message is gone (the rest of it too). */
  take(max: number, peek: boolean): { data: Uint8Array; length: number; from?: Uint8Array } | undefined {
    const m = this.messages![0];
    if (!m) return undefined;
    const data = this.copy(0, Math.min(max, m.length));
    if (!peek) {
      for (let i = 0; i < m.buffers; i++) this.free();
      this.messages!.shift();
      this.reads++;
    }
    return { data, length: m.length, from: m.from };
  }

  /** Everything dropped unread (Linux purging a receive queue). */
  clear(): void {
    if (this.empty) return;
    while (this.bufs.length > 0) this.free();
    this.messages &&= [];
    this.reads++;
  }

  /** `length` bytes from buffer `first` on, without taking them. */
  private copy(first: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let n = 0, i = first; n < length; i++) {
      const b = this.bufs[i]!;
      const take = Math.min(b.len, length - n);
      out.set(b.page.subarray(b.offset, b.offset + take), n);
      n += take;
    }
    return out;
  }

  /** Drops the first buffer; its page serves the next write unless a saved state refers to it. */
  private free(): void {
    const b = this.bufs.shift()!;
    if (!b.saved) this.spare = b.page;
  }

  /**
   * The pipe as it is now, to put back later. Cheap: pages are shared, since a page only ever
   * changes beyond its buffered bytes (a merge appends), which the saved view does not include,
   * and a saved page is not reused once read.
   */
  save(): () => void {
    for (const b of this.bufs) b.saved = true;
    const bufs = this.bufs.map((b) => ({ ...b }));
    const messages = this.messages && [...this.messages];
    const { slots, writes, reads } = this;
    return () => {
      this.bufs = bufs.map((b) => ({ ...b }));
      this.messages = messages && [...messages];
      this.slots = slots;
      this.writes = writes;
      this.reads = reads;
    };
  }
}

/** The largest value an eventfd counter holds. */
export const EVENTFD_MAX = 0xffff_ffff_ffff_fffen;

/** An eventfd's 64-bit counter (EFD_SEMAPHORE reads one at a time). */
export class EventCounter {
  generation = 0;
  readonly inode = nextInode++;

  constructor(
    public value: bigint,
    readonly semaphore: boolean,
  ) {}

  save(): () => void {
    const { value, generation } = this;
    return () => {
      this.value = value;
      this.generation = generation;
    };
  }
}
