/**
 * Unix-domain sockets as socketpair(2) makes them: two connected ends, each with a receive queue
 * that is a Pipe (pipes.ts) of its own (byte stream for SOCK_STREAM, messages for SOCK_DGRAM and
 * SOCK_SEQPACKET), which the other end writes into. Data only, as pipes.ts: who reads, writes,
 * waits and is woken is in syscalls/socket-io.ts. Whether an end is still open is asked of the
 * descriptor tables there (as a pipe's readers are), so closing needs no hook here.
 */
import { PAGE_SIZE, Pipe } from "./pipes.js";

export type SocketType = "stream" | "dgram" | "seqpacket";

/** sk_shutdown's bits (shutdown(2)'s SHUT_RD, SHUT_WR, SHUT_RDWR are these less one). */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;

/** The host's buffer sizes (net.core.[rw]mem_default, [rw]mem_max): what a native socket starts with and may be given. */
export interface BufferLimits {
  sndbuf: number;
  rcvbuf: number;
  wmemMax: number;
  rmemMax: number;
}

/** SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF: 2 and 1 minimal skb truesizes on x86-64 Linux. */
const MIN_SNDBUF = 4608;
const MIN_RCVBUF = 2304;

let nextInode = 1;

/** One end of a pair. */
export class UnixSocket {
  /** RCV_SHUTDOWN | SEND_SHUTDOWN from shutdown(2), its own or (stream, seqpacket) the peer's mirrored. */
  shutdown = 0;
  /** A datagram socket whose peer was found gone by a send: unconnected from then on (ENOTCONN). */
  connected = true;
  sndbuf: number;
  rcvbuf: number;
  /** Options set that only read back (setsockopt of SO_KEEPALIVE, SO_LINGER...): their values as ints. */
  options = new Map<number, readonly number[]>();
  /** What the peer sent and this end has not read. */
  readonly incoming: Pipe;
  readonly inode = nextInode++;
  /** Set by socketPair. */
  peer!: UnixSocket;

  constructor(
    readonly type: SocketType,
    readonly pair: SocketPair,
    private readonly limits: BufferLimits,
  ) {
    this.incoming = new Pipe(type !== "stream");
    this.sndbuf = limits.sndbuf;
    this.rcvbuf = limits.rcvbuf;
  }

  /** Whether shutdown and peer-close mirror onto the other end (connection-oriented types, as unix_shutdown). */
  get connectionOriented(): boolean {
    return this.type !== "dgram";
  }

  /**
   * SO_SNDBUF: what Linux stores (twice the value asked, capped by wmem_max, at least the
   * minimum); the bytes this end may have unread at its peer follow it, as sk_sndbuf bounds them.
   */
  setSndbuf(value: number): void {
    this.sndbuf = Math.max(Math.min(value >>> 0, this.limits.wmemMax, 0x3fffffff) * 2, MIN_SNDBUF);
    this.peer.incoming.slots = pagesFor(this.sndbuf);
  }

  setRcvbuf(value: number): void {
    this.rcvbuf = Math.max(Math.min(value >>> 0, this.limits.rmemMax, 0x3fffffff) * 2, MIN_RCVBUF);
  }
}

const pagesFor = (bytes: number): number => Math.max(1, Math.ceil(bytes / PAGE_SIZE));

/** Both ends, which a saved state saves together (a write to one fills the other's queue). */
export class SocketPair {
  readonly ends: readonly [UnixSocket, UnixSocket];

  constructor(
    type: SocketType,
    limits: BufferLimits,
    /** The pid of the process that made it: both ends' SO_PEERCRED. */
    readonly creator: number,
  ) {
    const a = new UnixSocket(type, this, limits);
    const b = new UnixSocket(type, this, limits);
    a.peer = b;
    b.peer = a;
    for (const s of [a, b]) s.incoming.slots = pagesFor(s.peer.sndbuf);
    this.ends = [a, b];
  }

  save(): () => void {
    const saved = this.ends.map((s) => ({ s, shutdown: s.shutdown, connected: s.connected, sndbuf: s.sndbuf, rcvbuf: s.rcvbuf, options: new Map(s.options), incoming: s.incoming.save() }));
    return () => {
      for (const e of saved) {
        Object.assign(e.s, { shutdown: e.shutdown, connected: e.connected, sndbuf: e.sndbuf, rcvbuf: e.rcvbuf, options: new Map(e.options) });
        e.incoming();
      }
    };
  }
}
