/**
 * pipe/pipe2 and eventfd/eventfd2, and reading and writing them (read/write/readv/writev come here
 * from io.ts; a stream socket's queue is a pipe too, moved through readPipe/writePipe by
 * socket-io.ts). A read of an empty pipe or a write to a full one blocks the calling thread with an
 * "io" wait (threads.ts) whose retry does the transfer; ioChanged retries every such wait after
 * anything that may let one finish (a write, a read, a close), so the bytes move in the thread that
 * made room or brought data, and the woken thread finds its result in rax. As in Linux's fs/pipe.c:
 * a read takes what is there (EOF once no write end is open), a write of at most PIPE_BUF bytes is
 * atomic, a bigger one goes in page by page; no read end left: EPIPE and SIGPIPE to the writer.
 */
import * as E from "../errno.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import { EventCounter, EVENTFD_MAX, Pipe } from "../pipes.js";
import { SI_USER, SIGPIPE } from "../signals.js";
import type { IoWait, Thread } from "../threads.js";
import { block } from "./threads.js";
import { int, SYSCALL_LENGTH, type SyscallEntry } from "./types.js";

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
const O_DIRECT = 0o40000;
const EFD_SEMAPHORE = 1;

export type PipeEnd = Extract<OpenFile, { kind: "pipe" }>;
export type EventFd = Extract<OpenFile, { kind: "eventfd" }>;

/** A piece of user memory a read fills or a write takes (an iovec). */
export interface UserBuffer {
  base: bigint;
  len: number;
}

/** Whether an end reads (a read end, or a FIFO opened O_RDWR) and whether it writes. */
export const reads = (f: PipeEnd): boolean => f.end !== "write";
export const writes = (f: PipeEnd): boolean => f.end !== "read";

export const readersOpen = (k: Kernel, p: Pipe): boolean => k.fds.someOpen((f) => f.kind === "pipe" && f.pipe === p && reads(f));
export const writersOpen = (k: Kernel, p: Pipe): boolean => k.fds.someOpen((f) => f.kind === "pipe" && f.pipe === p && writes(f));

/**
 * Retries every io wait, longest waiting first, until none moves: a transfer may make room or
 * bring data for another. Call it after whatever may let a wait finish.
 */
export function ioChanged(k: Kernel): void {
  for (let moved = true; moved; ) {
    moved = false;
    for (const t of [...k.threads.blockedThreads()]) {
      const b = t.blocked;
      if (b?.wait.kind !== "io") continue;
      if (b.wait.again && t !== k.thread && t.context) {
        if (!b.wait.again()) continue;
        // Woken onto its syscall instruction with the syscall's number in rax: it runs the call again.
        t.context.setReg("rip", t.context.reg("rip") - SYSCALL_LENGTH);
        k.threads.wake(t, BigInt(b.nr));
        moved = true;
        continue;
      }
      const r = b.wait.retry();
      if (!r) continue;
      moved = true;
      if ("still" in r) t.blocked = { ...b, wait: r.still };
      else {
        k.threads.wake(t, r.done);
        r.then?.();
      }
    }
  }
}

/** Blocks the calling thread on an io wait; the syscall's result comes from its retry, a time-out or a signal. */
export function blockOnIo(k: Kernel, wait: IoWait, nr: number, timed: { deadline?: bigint; onTimeout?: () => void; timeoutResult?: bigint; interrupt?: "restart" | "eintr-if-handled" | "eintr"; onInterrupt?: () => void } = {}): bigint {
  return block(k, { wait, deadline: timed.deadline, onTimeout: timed.onTimeout, onInterrupt: timed.onInterrupt, timeoutResult: timed.timeoutResult ?? 0n, nr, interrupt: timed.interrupt ?? "restart" });
}

/** The write end's SIGPIPE, to the thread that wrote (delivered when it runs next). */
export function sigpipe(k: Kernel, t: Thread): void {
  k.signals.send({ signo: SIGPIPE, code: SI_USER, pid: k.pid }, t.tid);
  if (t === k.thread) k.reschedule();
}

export const total = (bufs: readonly UserBuffer[]): number => bufs.reduce((n, b) => n + b.len, 0);

/** Whether the first `length` bytes of `bufs` are mapped (a read checks before it takes bytes out of the pipe). */
export function mapped(k: Kernel, bufs: readonly UserBuffer[], length: number): boolean {
  let left = length;
  for (const b of bufs) {
    if (left <= 0) break;
    const n = Math.min(b.len, left);
    if (n > 0 && !k.space.isMapped(b.base, BigInt(n))) return false;
    left -= n;
  }
  return true;
}

/** Spreads `data` over `bufs` in order. */
export function scatter(k: Kernel, bufs: readonly UserBuffer[], data: Uint8Array): boolean {
  let at = 0;
  for (const b of bufs) {
    if (at >= data.length) break;
    const n = Math.min(b.len, data.length - at);
    // The whole of `data` into one buffer (the usual read) needs no view of a part (subarray is slow).
    if (n > 0 && !k.writeUser(b.base, at === 0 && n === data.length ? data : data.subarray(at, at + n))) return false;
    at += n;
  }
  return true;
}

/**
 * Runs `now` (the transfer: its result, or undefined while it cannot happen; `ready` says whether
 * it can); when it cannot, EAGAIN under O_NONBLOCK, else a wait that each change of the
 * descriptors asks again. `moved` says whether a result changed something another wait may
 * be waiting for (by default: it moved bytes).
 */
export function transfer(k: Kernel, nonblock: boolean, what: string, nr: number, ready: () => boolean, now: () => bigint | undefined, moved = (r: bigint) => r > 0n): bigint {
  const r = now();
  if (r !== undefined) {
    if (moved(r)) ioChanged(k);
    return r;
  }
  if (nonblock) return E.fail(E.EAGAIN);
  const retry = () => {
    const n = now();
    return n === undefined ? undefined : { done: n };
  };
  return blockOnIo(k, { kind: "io", what, again: ready, retry }, nr);
}

/** Where a read takes bytes from: a pipe, and when nothing more will come into it. */
export interface PipeSource {
  pipe: Pipe;
  /** Nothing more can come (no write end open, a socket shut down): an empty pipe reads as end of file. */
  ended(): boolean;
  /** An error an empty pipe reports (once) before its end of file: a stream socket whose peer left bytes unread, ECONNRESET. */
  error?(): number | undefined;
}

/** How a read goes: `peek` leaves the bytes there (MSG_PEEK); `finish` completes the call once it has a result (recvmsg's msghdr), returning it or an errno. */
export interface ReadOptions {
  peek?: boolean;
  finish?: (r: bigint) => bigint;
}

/** What a read of `src` into `bufs` can do now: bytes read (0 at EOF), an errno, or undefined to wait. */
export function readNow(k: Kernel, src: PipeSource, bufs: readonly UserBuffer[], opts: ReadOptions = {}): bigint | undefined {
  const pipe = src.pipe;
  let r: bigint;
  if (pipe.empty) {
    const e = src.error?.();
    if (e !== undefined) return E.fail(e);
    if (!src.ended()) return undefined;
    r = 0n;
  } else {
    const want = total(bufs);
    if (!mapped(k, bufs, Math.min(want, pipe.available))) return E.fail(E.EFAULT);
    const data = opts.peek ? pipe.peek(want) : pipe.read(want);
    scatter(k, bufs, data);
    r = BigInt(data.length);
  }
  return opts.finish ? opts.finish(r) : r;
}

/** A read of a pipe or a stream socket's queue, of up to the buffers' size. */
export function readPipe(k: Kernel, what: string, src: PipeSource, nonblock: boolean, bufs: readonly UserBuffer[], nr: number, opts: ReadOptions = {}): bigint {
  const pipe = src.pipe;
  return transfer(k, nonblock, what, nr, () => !pipe.empty || src.ended(), () => readNow(k, src, bufs, opts), (r) => r > 0n && !opts.peek);
}

/** Where a write puts bytes: a pipe, whether anyone may still read them, and what a write finding no one does (SIGPIPE). */
export interface PipeSink {
  pipe: Pipe;
  open(): boolean;
  /** No reader any more, `sent` bytes of the write in: before it fails with EPIPE (or returns `sent`). */
  broken(t: Thread, sent: number): void;
}

/** read/readv of a pipe's read end or an eventfd. `nr` is the syscall, for a restart after a signal. */
export function readStream(k: Kernel, fd: number, f: PipeEnd | EventFd, bufs: readonly UserBuffer[], nr: number): bigint {
  if (f.kind === "eventfd") return readEventFd(k, fd, f, bufs, nr);
  if (!reads(f)) return E.fail(E.EBADF);
  if (total(bufs) === 0) return 0n;
  const pipe = f.pipe;
  return readPipe(k, `read of pipe fd ${fd}`, { pipe, ended: () => !writersOpen(k, pipe) }, f.nonblock, bufs, nr);
}

/** write/writev to a pipe's write end or an eventfd, of `data` (already read from the program's memory). */
export function writeStream(k: Kernel, fd: number, f: PipeEnd | EventFd, data: Uint8Array, nr: number): bigint {
  if (f.kind === "eventfd") return writeEventFd(k, fd, f, data, nr);
  if (!writes(f)) return E.fail(E.EBADF);
  if (data.length === 0) return 0n;
  const pipe = f.pipe;
  const sink: PipeSink = { pipe, open: () => readersOpen(k, pipe), broken: (t) => sigpipe(k, t) };
  return writePipe(k, `write to pipe fd ${fd}`, sink, f.nonblock, data, nr);
}

/**
 * A write of `data` (not empty) into a pipe or a stream socket's peer queue, as Linux's
 * pipe_write: at most PIPE_BUF bytes go in at once or wait, more go in page by page.
 */
export function writePipe(k: Kernel, what: string, sink: PipeSink, nonblock: boolean, data: Uint8Array, nr: number): bigint {
  const pipe = sink.pipe;
  if (!sink.open()) {
    sink.broken(k.thread, 0);
    return E.fail(E.EPIPE);
  }
  let done = pipe.merge(data);
  done += pipe.fill(data, done);
  if (done === data.length || nonblock) {
    if (done > 0) ioChanged(k);
    return done > 0 ? BigInt(done) : E.fail(E.EAGAIN);
  }
  const t = k.thread;
  // Linux's pipe_write loop once it has to wait: no merging any more, a page per free slot.
  // Nothing written yet, it can run again from the start once a slot is free (or the readers are gone).
  const waitFrom = (from: number): IoWait => ({
    kind: "io",
    what,
    again: from === 0 ? () => !pipe.full || !sink.open() : undefined,
    interrupted: from > 0 ? () => BigInt(from) : undefined,
    retry: () => {
      if (!sink.open()) return { done: from > 0 ? BigInt(from) : E.fail(E.EPIPE), then: () => sink.broken(t, from) };
      const n = pipe.fill(data, from);
      if (n === 0) return undefined;
      return from + n === data.length ? { done: BigInt(data.length) } : { still: waitFrom(from + n) };
    },
  });
  const r = blockOnIo(k, waitFrom(done), nr);
  // Blocked first, then the readers: what they take makes room for the rest of this write.
  if (done > 0) ioChanged(k);
  return r;
}

function readEventFd(k: Kernel, fd: number, f: EventFd, bufs: readonly UserBuffer[], nr: number): bigint {
  if (total(bufs) < 8) return E.fail(E.EINVAL);
  const c = f.counter;
  const now = (): bigint | undefined => {
    if (c.value === 0n) return undefined;
    if (!mapped(k, bufs, 8)) return E.fail(E.EFAULT);
    const v = c.semaphore ? 1n : c.value;
    c.value -= v;
    c.generation++;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    scatter(k, bufs, b);
    return 8n;
  };
  return transfer(k, f.nonblock, `read of eventfd fd ${fd}`, nr, () => c.value > 0n, now);
}

function writeEventFd(k: Kernel, fd: number, f: EventFd, data: Uint8Array, nr: number): bigint {
  if (data.length < 8) return E.fail(E.EINVAL);
  const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
  if (v === 0xffff_ffff_ffff_ffffn) return E.fail(E.EINVAL);
  const c = f.counter;
  const now = (): bigint | undefined => {
    if (EVENTFD_MAX - c.value < v) return undefined;
    c.value += v;
    c.generation++;
    return 8n;
  };
  return transfer(k, f.nonblock, `write to eventfd fd ${fd}`, nr, () => EVENTFD_MAX - c.value >= v, now);
}

/** pipe2: two descriptors, read end first, written to fds[2]. */
function pipe2(k: Kernel, fdsAt: bigint, flags: number): bigint {
  if (flags & O_DIRECT) {
    k.warnOnce("pipe-direct", "pipe2 with O_DIRECT (a packet-mode pipe) is not supported; it failed with EINVAL");
    return E.fail(E.EINVAL);
  }
  if (flags & ~(O_NONBLOCK | O_CLOEXEC)) return E.fail(E.EINVAL);
  const pipe = new Pipe();
  const nonblock = (flags & O_NONBLOCK) !== 0;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const r = k.fds.install({ kind: "pipe", pipe, end: "read", nonblock }, cloexec);
  if (r < 0) return E.fail(-r);
  const w = k.fds.install({ kind: "pipe", pipe, end: "write", nonblock }, cloexec);
  if (w < 0) {
    k.fds.close(r);
    return E.fail(-w);
  }
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setInt32(0, r, true);
  v.setInt32(4, w, true);
  if (!k.writeUser(fdsAt, b)) {
    k.fds.close(r);
    k.fds.close(w);
    return E.fail(E.EFAULT);
  }
  return 0n;
}

function eventfd2(k: Kernel, initval: bigint, flags: number): bigint {
  if (flags & ~(O_NONBLOCK | O_CLOEXEC | EFD_SEMAPHORE)) return E.fail(E.EINVAL);
  const fd = k.fds.install({ kind: "eventfd", counter: new EventCounter(BigInt.asUintN(32, initval), (flags & EFD_SEMAPHORE) !== 0), nonblock: (flags & O_NONBLOCK) !== 0 }, (flags & O_CLOEXEC) !== 0);
  return fd < 0 ? E.fail(-fd) : BigInt(fd);
}

export const pipeSyscalls: Record<number, SyscallEntry> = {
  22: { name: "pipe", handler: (k, a) => pipe2(k, a[0]!, 0) },
  284: { name: "eventfd", handler: (k, a) => eventfd2(k, a[0]!, 0) },
  290: { name: "eventfd2", handler: (k, a) => eventfd2(k, a[0]!, int(a[1]!)) },
  293: { name: "pipe2", handler: (k, a) => pipe2(k, a[0]!, int(a[1]!)) },
};
