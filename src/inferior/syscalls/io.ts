/** read/write and friends (sendfile too) on the standard streams, read-only host files, pipes and eventfds (syscalls/pipes.ts), socket pairs (socket-io.ts). */
import { fstatSync, writeSync } from "node:fs";
import { FdTable, terminalOf, type OpenFile } from "../files.js";
import type { TtyCaller } from "../terminal.js";
import { onHost } from "../host-listing.js";
import { F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW, fcntlLock, releaseLocks } from "./locks.js";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { PAGE_SIZE } from "../pipes.js";
import { SI_USER, SIGPIPE } from "../signals.js";
import { blockOnIo, ioChanged, O_CLOEXEC, O_NONBLOCK, readersOpen, readStream, writes, writeStream, type EventFd, type PipeEnd, type UserBuffer } from "./pipes.js";
import { readSocket, unread, writeSocket, type SocketEnd } from "./socket-io.js";
import { int, size, type SyscallEntry } from "./types.js";

const MAX_IO = 1 << 24;
const ENXIO = 6;
const ENOSPC = 28;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;

function readFd(k: Kernel, fd: number, length: number, position?: number): Uint8Array | number {
  const f = k.fds.get(fd);
  if (!f) return E.EBADF;
  switch (f.kind) {
    case "stdin":
      return k.io.stdin(length);
    case "stdout":
    case "stderr":
      return f.terminal ? k.io.stdin(length) : E.EBADF; // a terminal is open for reading and writing on every descriptor
    case "pipe":
    case "socket":
    case "eventfd": // read through readStream
    case "epoll":
      return E.EINVAL;
    case "host": {
      if (!f.readable) return E.EBADF;
      if (f.isDirectory) return E.EISDIR;
      const data = FdTable.readAt(f, Math.min(length, MAX_IO), position ?? f.position);
      if (position === undefined) f.position += data.length;
      return data;
    }
    case "special":
      return readSpecial(k, f, length, position);
  }
}

/** A /dev device's bytes, or the bytes a /proc file had when it was opened. */
function readSpecial(k: Kernel, f: OpenFile & { kind: "special" }, length: number, position?: number): Uint8Array | number {
  if (f.node.list) return E.EISDIR;
  if (!f.readable) return E.EBADF;
  const n = Math.min(length, MAX_IO);
  switch (f.node.device) {
    case "null":
      return new Uint8Array(0);
    case "zero":
    case "full":
      return new Uint8Array(n);
    case "random":
    case "urandom":
      return k.space.rng.fill(new Uint8Array(n));
  }
  const bytes = f.bytes ?? new Uint8Array(0);
  const at = position ?? f.position;
  const data = bytes.subarray(Math.min(at, bytes.length), Math.min(at + n, bytes.length));
  if (position === undefined) f.position += data.length;
  return data;
}

/**
 * A write to a host file opened for writing (at its end with O_APPEND, else at `position` or the
 * file's offset) or to a device (/dev/full is always full); the bytes written, or an errno.
 */
function writeFile(k: Kernel, f: OpenFile & { kind: "host" | "special" }, data: Uint8Array, position?: number): number {
  if (!f.writable) return -E.EBADF;
  if (f.kind === "special") {
    if (f.node.device === "full") return -ENOSPC;
    if (f.node.device) return data.length;
    return -E.EINVAL; // /proc files here are read-only
  }
  if (f.isDirectory) return -E.EISDIR;
  k.files.changes.before(f.hostPath);
  const at = f.append && position === undefined ? fstatSync(f.hostFd).size : (position ?? f.position);
  const n = onHost(() => writeSync(f.hostFd, data, 0, data.length, at));
  if (typeof n !== "number") return -n.errno;
  if (position === undefined) f.position = at + n;
  return n;
}

const isStream = (f: OpenFile | undefined): f is PipeEnd | EventFd | SocketEnd => f?.kind === "pipe" || f?.kind === "eventfd" || f?.kind === "socket";

/** read/readv of a pipe, an eventfd or a socket (read(2) of nothing from a socket returns at once, as sock_read_iter). */
function readQueue(k: Kernel, fd: number, f: PipeEnd | EventFd | SocketEnd, bufs: readonly UserBuffer[], nr: number): bigint {
  if (f.kind !== "socket") return readStream(k, fd, f, bufs, nr);
  return bufs.every((b) => b.len === 0) ? 0n : readSocket(k, fd, f, bufs, nr);
}

function writeFd(k: Kernel, fd: number, data: Uint8Array, nr: number): bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  if (f.kind === "socket") return writeSocket(k, fd, f, data, nr);
  if (isStream(f)) return writeStream(k, fd, f, data, nr);
  if (f.kind === "epoll") return E.fail(E.EINVAL);
  if (f.kind === "host" || f.kind === "special") {
    const n = writeFile(k, f, data);
    return n < 0 ? E.fail(-n) : BigInt(n);
  }
  if (f.kind === "stdin" && !f.terminal) return E.fail(E.EBADF);
  if (f.kind !== "stdout" && f.kind !== "stderr" && f.kind !== "stdin") return E.fail(E.EBADF);
  if (k.output(f.kind === "stdin" ? "stdout" : f.kind, data)) return BigInt(data.length);
  brokenPipe(k);
  return E.fail(E.EPIPE);
}

/** A write to a stream whose reader has gone raises SIGPIPE in the writing thread (the call fails with EPIPE). */
function brokenPipe(k: Kernel): void {
  k.signals.send({ signo: SIGPIPE, code: SI_USER, pid: k.pid }, k.thread.tid);
  k.reschedule();
}

/**
 * A read of standard input typed at a terminal before anything is there waits for it (retried when
 * input arrives); undefined when the read can go ahead.
 */
function awaitInput(k: Kernel, f: OpenFile | undefined, nr: number, read: () => bigint): bigint | undefined {
  const input = k.io.interactive;
  if (!input || input.ready() || (f?.kind !== "stdin" && !terminalOf(f))) return undefined;
  return blockOnIo(k, { kind: "io", what: "input on the terminal (standard input)", again: () => input.ready(), retry: () => (input.ready() ? { done: read() } : undefined) }, nr);
}

function sysRead(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  const waiting = awaitInput(k, f, 0, () => sysRead(k, a));
  if (waiting !== undefined) return waiting;
  if (isStream(f)) return readQueue(k, int(a[0]!), f, [{ base: a[1]!, len: Math.min(size(a[2]!), MAX_IO) }], 0);
  const r = readFd(k, int(a[0]!), Math.min(size(a[2]!), MAX_IO));
  if (typeof r === "number") return E.fail(r);
  if (!k.writeUser(a[1]!, r)) return E.fail(E.EFAULT);
  return BigInt(r.length);
}

function sysPwrite(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (!f) return E.fail(E.EBADF);
  if (f.kind !== "host" && f.kind !== "special") return E.fail(E.ESPIPE);
  const position = Number(BigInt.asIntN(64, a[3]!));
  if (position < 0) return E.fail(E.EINVAL);
  const data = k.readUser(a[1]!, Math.min(size(a[2]!), MAX_IO));
  if (!data) return E.fail(E.EFAULT);
  const n = writeFile(k, f, data, f.kind === "host" && f.append ? undefined : position); // Linux appends with O_APPEND whatever the offset
  return n < 0 ? E.fail(-n) : BigInt(n);
}

function sysPread(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (f && f.kind !== "host" && f.kind !== "special") return E.fail(E.ESPIPE);
  const r = readFd(k, int(a[0]!), Math.min(size(a[2]!), MAX_IO), Number(a[3]!));
  if (typeof r === "number") return E.fail(r);
  if (!k.writeUser(a[1]!, r)) return E.fail(E.EFAULT);
  return BigInt(r.length);
}

function sysWrite(k: Kernel, a: readonly bigint[]): bigint {
  const data = k.readUser(a[1]!, Math.min(size(a[2]!), MAX_IO));
  if (!data) return E.fail(E.EFAULT);
  return writeFd(k, int(a[0]!), data, 1);
}

function iovecs(k: Kernel, at: bigint, count: number): UserBuffer[] | undefined {
  const out: UserBuffer[] = [];
  for (let i = 0; i < count; i++) {
    const base = k.readU64(at + BigInt(i * 16));
    const len = k.readU64(at + BigInt(i * 16 + 8));
    if (base === undefined || len === undefined) return undefined;
    out.push({ base, len: size(len) });
  }
  return out;
}

function sysWritev(k: Kernel, a: readonly bigint[]): bigint {
  const count = int(a[2]!);
  if (count < 0 || count > 1024) return E.fail(E.EINVAL);
  const vecs = iovecs(k, a[1]!, count);
  if (!vecs) return E.fail(E.EFAULT);
  const parts: Uint8Array[] = [];
  for (const v of vecs) {
    const d = k.readUser(v.base, v.len);
    if (!d) return E.fail(E.EFAULT);
    parts.push(d);
  }
  return writeFd(k, int(a[0]!), Buffer.concat(parts), 20);
}

function sysReadv(k: Kernel, a: readonly bigint[]): bigint {
  const count = int(a[2]!);
  if (count < 0 || count > 1024) return E.fail(E.EINVAL);
  const vecs = iovecs(k, a[1]!, count);
  if (!vecs) return E.fail(E.EFAULT);
  const f = k.fds.get(int(a[0]!));
  const waiting = awaitInput(k, f, 19, () => sysReadv(k, a));
  if (waiting !== undefined) return waiting;
  if (isStream(f)) return readQueue(k, int(a[0]!), f, vecs, 19);
  let total = 0;
  for (const v of vecs) {
    if (v.len === 0) continue;
    const r = readFd(k, int(a[0]!), v.len);
    if (typeof r === "number") return total > 0 ? BigInt(total) : E.fail(r);
    if (!k.writeUser(v.base, r)) return E.fail(E.EFAULT);
    total += r.length;
    if (r.length < v.len) break;
  }
  return BigInt(total);
}

function sysLseek(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (!f) return E.fail(E.EBADF);
  if (f.kind !== "host" && f.kind !== "special") return E.fail(E.ESPIPE);
  if (f.kind === "special" && f.node.device) return 0n; // devices ignore seeks
  const off = Number(BigInt.asIntN(64, a[1]!));
  const whence = int(a[2]!);
  const end = f.kind === "special" ? (f.bytes?.length ?? 0) : f.isDirectory ? 0 : fstatSync(f.hostFd).size;
  let base: number;
  if (whence === SEEK_DATA || whence === SEEK_HOLE) {
    if (off >= end) return E.fail(ENXIO); // no data and no hole past the end
    base = whence === SEEK_DATA ? 0 : end - off; // files here have no holes: data everywhere, the hole at the end
  } else base = whence === 0 ? 0 : whence === 1 ? f.position : whence === 2 ? end : NaN;
  if (Number.isNaN(base) || base + off < 0) return E.fail(E.EINVAL);
  f.position = base + off;
  return BigInt(f.position);
}

/** A pipe's default capacity in pages (PIPE_DEF_BUFFERS). */
const PIPE_PAGES = 16;
const PAGE = PAGE_SIZE;

/**
 * sendfile(out_fd, in_fd, offset, count): from a host file to the standard output or error, to a
 * pipe the program made, or to a file opened for writing. With an offset pointer the file is read
 * from *offset, *offset moves past what was sent and the file's own offset stays; without, the
 * file's offset moves. Checks run in Linux's order (do_sendfile, then splicing into the pipe); one
 * call into a pipe sends at most what its free slots hold (a full one waits for room, as a write
 * does), as a native run into a drained pipe does.
 */
function sysSendfile(k: Kernel, a: readonly bigint[]): bigint {
  const out = k.fds.get(int(a[0]!));
  if (out?.kind === "pipe" && writes(out) && out.pipe.full && readersOpen(k, out.pipe) && k.fds.get(int(a[1]!))?.kind === "host") {
    // A full pipe: wait for room as a write does, then send (splice fills free slots only).
    if (out.nonblock) return E.fail(E.EAGAIN);
    const pipe = out.pipe;
    const ready = () => !pipe.full || !readersOpen(k, pipe);
    return blockOnIo(k, { kind: "io", what: `sendfile into pipe fd ${int(a[0]!)}`, again: ready, retry: () => (ready() ? { done: sysSendfile(k, a) } : undefined) }, 40);
  }
  const offsetAt = a[2]!;
  if (offsetAt === 0n) return sendfile(k, int(a[0]!), int(a[1]!), undefined, a[3]!).result;
  const v = k.readU64(offsetAt);
  if (v === undefined) return E.fail(E.EFAULT);
  const { result, pos } = sendfile(k, int(a[0]!), int(a[1]!), Number(BigInt.asIntN(64, v)), a[3]!);
  return k.writeU64(offsetAt, BigInt(pos!)) ? result : E.fail(E.EFAULT); // written back even on failure, as Linux does
}

function sendfile(k: Kernel, outFd: number, inFd: number, pos: number | undefined, count: bigint): { result: bigint; pos: number | undefined } {
  const fail = (errno: number) => ({ result: E.fail(errno), pos });
  const input = k.fds.get(inFd);
  if (!input || input.kind === "stdout" || input.kind === "stderr") return fail(E.EBADF); // not open for reading
  if (pos !== undefined && input.kind !== "host") return fail(E.ESPIPE);
  if ((pos !== undefined && pos < 0) || BigInt.asIntN(64, count) < 0n) return fail(E.EINVAL);
  const output = k.fds.get(outFd);
  if (output?.kind === "socket") {
    // Linux splices into a socket whatever its room (a blocking call sends it all); callers such as Python's socket.sendfile fall back to send on an error.
    k.warnOnce("sendfile-socket", "sendfile into a socket is not supported: it failed with EINVAL");
    return fail(E.EINVAL);
  }
  const toFile = output?.kind === "host" || output?.kind === "special";
  const toPipe = output?.kind === "pipe" && writes(output);
  if (!output || !(output.kind === "stdout" || output.kind === "stderr" || toPipe || (toFile && output.writable))) return fail(E.EBADF); // not open for writing
  if (count === 0n) return { result: 0n, pos };
  // Linux splices into the output pipe: a directory or a pipe (stdin) has nothing to splice from.
  if (input.kind !== "host" || input.isDirectory) return fail(E.EINVAL);
  // Into a pipe: at most what an empty one of the default 16 pages takes, its first page filled
  // from the offset on. Into a file: up to 2 GiB less a page, as Linux's MAX_RW_COUNT.
  const slots = output.kind === "pipe" ? output.pipe.slots - output.pipe.used : PIPE_PAGES;
  const room = toFile ? MAX_IO : slots * PAGE - ((pos ?? input.position) % PAGE);
  const data = readFd(k, inFd, count > BigInt(room) ? room : Number(count), pos);
  if (typeof data === "number") return fail(data);
  if (output.kind === "pipe") {
    const n = data.length > 0 ? writeStream(k, outFd, output, data, 40) : 0n; // fits: no wait
    if (n < 0n) return { result: n, pos };
    return { result: n, pos: pos === undefined ? undefined : pos + Number(n) };
  }
  if (output.kind === "host" || output.kind === "special") {
    const n = data.length > 0 ? writeFile(k, output, data) : 0;
    if (n < 0) return fail(-n);
    if (pos === undefined && n < data.length) input.position -= data.length - n;
    return { result: BigInt(n), pos: pos === undefined ? undefined : pos + n };
  }
  if (data.length > 0 && !k.output(output.kind, data)) {
    brokenPipe(k);
    return fail(E.EPIPE);
  }
  return { result: BigInt(data.length), pos: pos === undefined ? undefined : pos + data.length };
}

/**
 * copy_file_range(fd_in, off_in, fd_out, off_out, len, flags): bytes from one host file to
 * another (cp uses it), at the offsets given or at each file's own offset, which then moves.
 */
function sysCopyFileRange(k: Kernel, a: readonly bigint[]): bigint {
  const [inFd, inOffAt, outFd, outOffAt, lenArg, flags] = [int(a[0]!), a[1]!, int(a[2]!), a[3]!, a[4]!, a[5]!];
  if (flags !== 0n) return E.fail(E.EINVAL);
  const input = k.fds.get(inFd);
  const output = k.fds.get(outFd);
  if (!input || !output) return E.fail(E.EBADF);
  if (input.kind !== "host" || output.kind !== "host" || input.isDirectory || output.isDirectory) return E.fail(input.kind === "host" && output.kind === "host" ? E.EISDIR : E.EINVAL);
  if (!input.readable || !output.writable || output.append) return E.fail(E.EBADF);
  const offset = (at: bigint): number | undefined | "fault" => {
    if (at === 0n) return undefined;
    const v = k.readU64(at);
    return v === undefined ? "fault" : Number(BigInt.asIntN(64, v));
  };
  const inPos = offset(inOffAt);
  const outPos = offset(outOffAt);
  if (inPos === "fault" || outPos === "fault") return E.fail(E.EFAULT);
  if ((inPos ?? 0) < 0 || (outPos ?? 0) < 0) return E.fail(E.EINVAL);
  const data = readFd(k, inFd, Number(lenArg > BigInt(MAX_IO) ? BigInt(MAX_IO) : lenArg), inPos);
  if (typeof data === "number") return E.fail(data);
  const n = data.length === 0 ? 0 : writeFile(k, output, data, outPos);
  if (n < 0) return E.fail(-n);
  if (inPos === undefined) input.position -= data.length - n;
  else if (!k.writeU64(inOffAt, BigInt(inPos + n))) return E.fail(E.EFAULT);
  if (outPos !== undefined && !k.writeU64(outOffAt, BigInt(outPos + n))) return E.fail(E.EFAULT);
  return BigInt(n);
}

const FIONREAD = 0x541bn;
const FIONBIO = 0x5421n;
const FIOCLEX = 0x5451n;
const FIONCLEX = 0x5450n;

/** What the terminal's ioctls use of the calling process: its memory, and the input waiting on its standard input. */
function ttyCaller(k: Kernel): TtyCaller {
  return {
    pid: k.pid,
    readUser: (at, n) => k.readUser(at, n),
    writeUser: (at, d) => k.writeUser(at, d),
    pendingInput: () => k.io.interactive?.pending() ?? 0,
    flushInput: () => k.io.interactive?.flush(),
  };
}

function sysIoctl(k: Kernel, a: readonly bigint[]): bigint {
  const fd = int(a[0]!);
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  if (a[1] === FIOCLEX || a[1] === FIONCLEX) {
    k.fds.setCloexec(fd, a[1] === FIOCLEX);
    return 0n;
  }
  if (a[1] === FIONBIO && (f.kind === "pipe" || f.kind === "socket" || f.kind === "eventfd")) {
    const on = k.readU32(a[2]!);
    if (on === undefined) return E.fail(E.EFAULT);
    f.nonblock = on !== 0;
    return 0n;
  }
  if (a[1] === FIONREAD && f.kind === "pipe") return k.writeU32(a[2]!, f.pipe.available) ? 0n : E.fail(E.EFAULT);
  if (a[1] === FIONREAD && f.kind === "socket") return k.writeU32(a[2]!, unread(f.socket)) ? 0n : E.fail(E.EFAULT);
  // A standard stream that is the session's terminal answers tty requests; nothing else is a tty.
  const tty = terminalOf(f);
  const r = tty?.ioctl(ttyCaller(k), a[1]!, a[2]!);
  return r ?? E.fail(E.ENOTTY);
}

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_APPEND = 0o2000;
/** The largest pipe an unprivileged process may ask for (/proc/sys/fs/pipe-max-size). */
const PIPE_MAX_SIZE = 1 << 20;

const errOr = (n: number): bigint => (n < 0 ? E.fail(-n) : BigInt(n));

/** Whether closing `f` may end waits: the last close of a pipe end or a socket is what its peer sees (EOF, EPIPE). */
const peerSees = (f: OpenFile | undefined): boolean => f?.kind === "pipe" || f?.kind === "socket";

/** Closes `fd`; when it was a pipe end or a socket, a waiting reader may now see EOF, a writer EPIPE. */
export function closeFd(k: Kernel, fd: number): boolean {
  const f = k.fds.get(fd);
  if (!k.fds.close(fd)) return false;
  if (peerSees(f)) ioChanged(k);
  if (f?.kind === "host") releaseLocks(k, f);
  return true;
}

function sysDup3(k: Kernel, a: readonly bigint[], flagsAllowed: boolean): bigint {
  const oldfd = int(a[0]!);
  const newfd = int(a[1]!);
  const flags = flagsAllowed ? int(a[2]!) : 0;
  if (flagsAllowed) {
    if (oldfd === newfd) return E.fail(E.EINVAL);
    if ((flags & ~O_CLOEXEC) !== 0) return E.fail(E.EINVAL); // only O_CLOEXEC
  } else if (oldfd === newfd) return k.fds.get(oldfd) ? BigInt(oldfd) : E.fail(E.EBADF);
  const replaced = k.fds.get(newfd);
  const r = k.fds.dup(oldfd, { target: newfd, cloexec: (flags & O_CLOEXEC) !== 0 });
  if (r >= 0 && peerSees(replaced)) ioChanged(k);
  return errOr(r);
}

/** F_GETFL: the access mode and O_NONBLOCK of the open file. */
function statusFlags(f: OpenFile): number {
  switch (f.kind) {
    case "stdin":
      return f.terminal ? O_RDWR : 0; // O_RDONLY
    case "host":
    case "special":
      return (f.writable ? (f.readable ? O_RDWR : O_WRONLY) : 0) | (f.append ? O_APPEND : 0);
    case "stdout":
    case "stderr":
      return f.terminal ? O_RDWR : O_WRONLY;
    case "pipe":
      return (f.end === "write" ? O_WRONLY : f.end === "both" ? O_RDWR : 0) | (f.nonblock ? O_NONBLOCK : 0);
    case "socket":
    case "eventfd":
      return O_RDWR | (f.nonblock ? O_NONBLOCK : 0);
    case "epoll":
      return O_RDWR;
  }
}

/** F_SETPIPE_SZ: the size rounded up to a power of two of pages; EBUSY below what the pipe holds. */
function setPipeSize(f: PipeEnd, size: number): bigint {
  if (size > PIPE_MAX_SIZE) return E.fail(E.EPERM);
  let slots = 1;
  while (slots * PAGE < size) slots *= 2;
  if (slots < f.pipe.used) return E.fail(16 /* EBUSY */);
  f.pipe.slots = slots;
  return BigInt(slots * PAGE);
}

function sysFcntl(k: Kernel, a: readonly bigint[]): bigint {
  const fd = int(a[0]!);
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  const arg = int(a[2]!);
  switch (int(a[1]!)) {
    case F_GETFD:
      return k.fds.isCloexec(fd) ? BigInt(FD_CLOEXEC) : 0n;
    case F_SETFD:
      k.fds.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0n;
    case F_SETFL:
      if (f.kind === "pipe" || f.kind === "socket" || f.kind === "eventfd") f.nonblock = (arg & O_NONBLOCK) !== 0;
      if (f.kind === "host" || f.kind === "special") f.append = (arg & O_APPEND) !== 0;
      return 0n;
    case F_GETFL:
      return BigInt(statusFlags(f));
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return errOr(k.fds.dup(fd, { min: arg, cloexec: int(a[1]!) === F_DUPFD_CLOEXEC }));
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return fcntlLock(k, fd, f, int(a[1]!), a[2]!);
    case F_GETPIPE_SZ:
      return f.kind === "pipe" ? BigInt(f.pipe.slots * PAGE) : E.fail(E.EBADF);
    case F_SETPIPE_SZ:
      return f.kind === "pipe" ? setPipeSize(f, arg) : E.fail(E.EBADF);
    default:
      return E.fail(E.EINVAL);
  }
}

export const ioSyscalls: Record<number, SyscallEntry> = {
  0: { name: "read", handler: sysRead },
  1: { name: "write", handler: sysWrite },
  8: { name: "lseek", handler: sysLseek },
  16: { name: "ioctl", handler: sysIoctl },
  17: { name: "pread64", handler: sysPread },
  18: { name: "pwrite64", handler: sysPwrite },
  19: { name: "readv", handler: sysReadv },
  20: { name: "writev", handler: sysWritev },
  32: { name: "dup", handler: (k, a) => errOr(k.fds.dup(int(a[0]!))) },
  33: { name: "dup2", handler: (k, a) => sysDup3(k, a, false) },
  72: { name: "fcntl", handler: sysFcntl },
  40: { name: "sendfile", handler: sysSendfile },
  292: { name: "dup3", handler: (k, a) => sysDup3(k, a, true) },
  326: { name: "copy_file_range", handler: sysCopyFileRange },
};
