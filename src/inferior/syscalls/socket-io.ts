/**
 * Reading and writing socket pairs: read/write/readv/writev (io.ts) and the send and recv calls
 * (sockets.ts) come here. A stream socket's queue is a pipe and moves through readPipe/writePipe
 * (syscalls/pipes.ts: the same waits, wake-ups and partial writes); datagram and seqpacket queues
 * keep message boundaries (Pipe.push/take). What Linux's af_unix.c decides on its own is here:
 * a peer counts as closed once no descriptor of the family refers to it, and then, for stream and
 * seqpacket sockets, the survivor is shut down both ways and reads ECONNRESET once if the peer
 * left bytes unread; a datagram socket finds the peer gone when it sends (ECONNREFUSED, then
 * ENOTCONN). EPIPE raises SIGPIPE for stream sockets only, and not with MSG_NOSIGNAL.
 */
import * as E from "../errno.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import { PAGE_SIZE } from "../pipes.js";
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, type UnixSocket } from "../sockets.js";
import type { IoWait, Thread } from "../threads.js";
import { blockOnIo, ioChanged, mapped, readNow, readPipe, scatter, sigpipe, total, transfer, writePipe, type PipeSink, type PipeSource, type UserBuffer } from "./pipes.js";

export type SocketEnd = Extract<OpenFile, { kind: "socket" }>;

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;

/** A datagram may be at most this much smaller than the send buffer (unix_dgram_sendmsg's sk_sndbuf - 32). */
const DGRAM_OVERHEAD = 32;

/** The socket behind `fd`, or EBADF / ENOTSOCK. */
export function socketOf(k: Kernel, fd: number): SocketEnd | bigint {
  const f = k.fds.get(fd);
  if (!f) return E.fail(E.EBADF);
  return f.kind === "socket" ? f : E.fail(E.ENOTSOCK);
}

/** Whether some descriptor of the family refers to `s`. */
export const held = (k: Kernel, s: UnixSocket): boolean => k.fds.someOpen((f) => f.kind === "socket" && f.socket === s);

/**
 * Whether the peer is open: some descriptor of the family still refers to it (its last close is
 * the peer's close), or it waits in an open listener's backlog for accept.
 */
export const peerOpen = (k: Kernel, s: UnixSocket): boolean => held(k, s.peer) || (s.peer.queuedOn !== undefined && held(k, s.peer.queuedOn));

/** sk_shutdown as Linux has it: shutdown(2)'s, and for stream and seqpacket sockets both ways once the peer is closed (unix_release_sock). */
export function shutdownOf(k: Kernel, s: UnixSocket): number {
  return s.shutdown | (s.connectionOriented && !peerOpen(k, s) ? SHUTDOWN_MASK : 0);
}

/** sk_err: the peer of a stream or seqpacket socket closed with bytes unread (Linux then sets ECONNRESET on the survivor). */
export const resetPending = (k: Kernel, s: UnixSocket): boolean => s.connectionOriented && !s.peer.incoming.empty && !peerOpen(k, s);

/** sock_error: ECONNRESET once (the unread bytes are dropped, as Linux purged them at the close), else nothing. */
export function takeError(k: Kernel, s: UnixSocket): number | undefined {
  if (!resetPending(k, s)) return undefined;
  s.peer.incoming.clear();
  return E.ECONNRESET;
}

/** unix_writable: at most a quarter of the send buffer unread at the peer (a closed peer's queue was purged: all free). */
export const writable = (k: Kernel, s: UnixSocket): boolean => !s.connected || s.peer.incoming.used * PAGE_SIZE * 4 <= s.sndbuf || !peerOpen(k, s);

/** Bytes a read would find (FIONREAD): all of them, but a datagram socket's first message only (unix_inq_len). */
export const unread = (s: UnixSocket): number => (s.type === "dgram" ? s.incoming.nextLength : s.incoming.available);

/** MSG_OOB: Linux's stream sockets carry one out-of-band byte (CONFIG_AF_UNIX_OOB); here, as without it, EOPNOTSUPP. */
function outOfBand(k: Kernel, s: UnixSocket): bigint {
  if (s.type === "stream") k.warnOnce("socket-oob", "MSG_OOB on a stream socket pair is not supported (as in a kernel without CONFIG_AF_UNIX_OOB): it failed with EOPNOTSUPP");
  return E.fail(E.EOPNOTSUPP);
}

/**
 * A read of a socket (recv's flags; read(2) passes 0). `finish` completes recvfrom/recvmsg once
 * there is a result (the sender's address, msg_flags): it gets the result and whether a message
 * was cut short, and returns the result or an errno.
 */
export function readSocket(k: Kernel, fd: number, f: SocketEnd, bufs: readonly UserBuffer[], nr: number, flags = 0, finish?: Finish): bigint {
  const s = f.socket;
  // unix_stream_read_generic and unix_seqpacket_recvmsg: not connected (or listening) is EINVAL.
  if (s.state !== "connected" && s.type !== "dgram") return E.fail(E.EINVAL);
  if (flags & MSG_OOB) return outOfBand(k, s);
  const nonblock = f.nonblock || (flags & MSG_DONTWAIT) !== 0;
  const peek = (flags & MSG_PEEK) !== 0;
  const what = `read of socket fd ${fd}`;
  if (s.type !== "stream") return receiveMessage(k, what, s, nonblock, bufs, nr, flags, finish);
  const src: PipeSource = { pipe: s.incoming, ended: () => (shutdownOf(k, s) & RCV_SHUTDOWN) !== 0, error: () => takeError(k, s) };
  const opts = { peek, finish: finish && ((r: bigint) => finish(r, false)) };
  if (flags & MSG_WAITALL && !peek && !nonblock) return readAll(k, what, src, bufs, nr, opts.finish);
  return readPipe(k, what, src, nonblock, bufs, nr, opts);
}

/** The buffers past their first `n` bytes. */
function after(bufs: readonly UserBuffer[], n: number): UserBuffer[] {
  const out: UserBuffer[] = [];
  for (const b of bufs) {
    const skip = Math.min(n, b.len);
    n -= skip;
    if (b.len > skip) out.push({ base: b.base + BigInt(skip), len: b.len - skip });
  }
  return out;
}

/**
 * MSG_WAITALL on a blocking stream socket: reads until the buffers are full, the stream ends or
 * fails (what was read is the result then), or a signal comes (likewise, once some was read).
 */
function readAll(k: Kernel, what: string, src: PipeSource, bufs: readonly UserBuffer[], nr: number, finish?: (r: bigint) => bigint): bigint {
  const want = total(bufs);
  const end = (r: bigint): bigint => (finish ? finish(r) : r);
  /** Reads on from `got` bytes: the call's result, or how far it got before it has to wait. */
  const readOn = (got: number): { done: bigint } | { got: number } => {
    for (;;) {
      const r = readNow(k, src, after(bufs, got));
      if (r === undefined) return { got };
      if (r <= 0n) return { done: got > 0 ? end(BigInt(got)) : r < 0n ? r : end(r) };
      got += Number(r);
      if (got === want) return { done: end(BigInt(got)) };
    }
  };
  const waitFrom = (from: number): IoWait => ({
    kind: "io",
    what,
    again: from === 0 ? () => !src.pipe.empty || src.ended() : undefined,
    interrupted: from > 0 ? () => end(BigInt(from)) : undefined,
    retry: () => {
      const r = readOn(from);
      if ("done" in r) return r;
      return r.got === from ? undefined : { still: waitFrom(r.got) };
    },
  });
  const r = readOn(0);
  if ("done" in r) {
    ioChanged(k);
    return r.done;
  }
  const result = blockOnIo(k, waitFrom(r.got), nr);
  // Blocked first, then the writers: what it took makes room for them.
  if (r.got > 0) ioChanged(k);
  return result;
}

/**
 * A datagram or seqpacket read: one message, cut to the buffers (MSG_TRUNC: its whole length is
 * the result). A pending error comes first, before any message (__skb_try_recv_datagram).
 */
/** Completes recvfrom/recvmsg: the result, whether the message was truncated, and its sender's address (undefined: unnamed). */
export type Finish = (r: bigint, truncated: boolean, from?: Uint8Array) => bigint;

function receiveMessage(k: Kernel, what: string, s: UnixSocket, nonblock: boolean, bufs: readonly UserBuffer[], nr: number, flags: number, finish?: Finish): bigint {
  const q = s.incoming;
  const want = total(bufs);
  const peek = (flags & MSG_PEEK) !== 0;
  // A datagram socket never reads an end: shut down or not, an empty queue waits.
  const ended = () => s.type === "seqpacket" && (shutdownOf(k, s) & RCV_SHUTDOWN) !== 0;
  const now = (): bigint | undefined => {
    const e = takeError(k, s);
    if (e !== undefined) return E.fail(e);
    if (q.empty) return ended() ? (finish ? finish(0n, false) : 0n) : undefined;
    if (!mapped(k, bufs, Math.min(want, q.nextLength))) return E.fail(E.EFAULT);
    const m = q.take(want, peek)!;
    scatter(k, bufs, m.data);
    const r = BigInt(flags & MSG_TRUNC ? m.length : m.data.length);
    return finish ? finish(r, m.data.length < m.length, m.from) : r;
  };
  return transfer(k, nonblock, what, nr, () => !q.empty || ended() || resetPending(k, s), now, (r) => r >= 0n && !peek);
}

/** Whether a stream socket may send: not shut down for sending (a closed peer shuts it), its peer not shut down for receiving. */
const streamOpen = (k: Kernel, s: UnixSocket): boolean => !(shutdownOf(k, s) & SEND_SHUTDOWN) && !(s.peer.shutdown & RCV_SHUTDOWN);

/** A write to a socket (send's flags; write(2) passes 0) of `data`, already read from the program's memory. */
export function writeSocket(k: Kernel, fd: number, f: SocketEnd, data: Uint8Array, nr: number, flags = 0, to?: UnixSocket): bigint {
  const s = f.socket;
  // No peer yet (unix_stream_sendmsg, unix_dgram_sendmsg with no address): ENOTCONN.
  if (s.state !== "connected" && !to) return E.fail(E.ENOTCONN);
  if (flags & MSG_OOB) return outOfBand(k, s);
  const nonblock = f.nonblock || (flags & MSG_DONTWAIT) !== 0;
  const what = `write to socket fd ${fd}`;
  if (s.type !== "stream") return sendMessage(k, what, s, nonblock, data, nr, to);
  const signal = (flags & MSG_NOSIGNAL) === 0;
  // unix_stream_sendmsg: SIGPIPE only when nothing of the write went in.
  const broken = (t: Thread, sent: number) => {
    if (signal && sent === 0) sigpipe(k, t);
  };
  const sink: PipeSink = { pipe: s.peer.incoming, open: () => streamOpen(k, s), broken };
  if (!sink.open()) {
    sink.broken(k.thread, 0);
    return E.fail(E.EPIPE);
  }
  if (data.length === 0) return 0n;
  return writePipe(k, what, sink, nonblock, data, nr);
}

/**
 * A datagram or seqpacket send: the message goes in whole once the peer's queue is not full, in
 * unix_dgram_sendmsg's order of checks (a pending error first, as sock_alloc_send_pskb). A datagram socket whose peer is gone is disconnected by
 * it, and loses what that peer had sent it (unix_dgram_disconnected).
 */
/**
 * A message to the peer, or with `to` to a named datagram socket (sendto's address): the sender's
 * own address goes with it, for recvfrom.
 */
function sendMessage(k: Kernel, what: string, s: UnixSocket, nonblock: boolean, data: Uint8Array, nr: number, to?: UnixSocket): bigint {
  if (!to && !s.connected) return E.fail(E.ENOTCONN);
  if (data.length > s.sndbuf - DGRAM_OVERHEAD) return E.fail(E.EMSGSIZE);
  const target = to ?? s.peer;
  const q = target.incoming;
  const open = () => (to ? held(k, to) : peerOpen(k, s));
  const now = (): bigint | undefined => {
    const e = takeError(k, s);
    if (e !== undefined) return E.fail(e);
    if (shutdownOf(k, s) & SEND_SHUTDOWN) return E.fail(E.EPIPE);
    if (!open()) {
      // Only a datagram socket gets here: a seqpacket one is shut down by its peer's close.
      if (!to) {
        s.connected = false;
        s.incoming.clear();
      }
      return E.fail(E.ECONNREFUSED);
    }
    // unix_may_send: a datagram socket connected elsewhere takes messages from its peer only.
    if (target.state === "connected" && target.peer !== s) return E.fail(E.EPERM);
    if (q.full) return undefined;
    if (target.shutdown & RCV_SHUTDOWN) return E.fail(E.EPIPE);
    q.push(data, s.address);
    return BigInt(data.length);
  };
  const ready = () => !q.full || !open() || (shutdownOf(k, s) & SEND_SHUTDOWN) !== 0;
  return transfer(k, nonblock, what, nr, ready, now, (r) => r >= 0n);
}
