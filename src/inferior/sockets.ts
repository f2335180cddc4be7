/**
 * Unix-domain sockets as socketpair(2) makes them: two connected ends, each with a receive queue
 * that is a Pipe (pipes.ts) of its own (byte stream for SOCK_STREAM, messages for SOCK_DGRAM and
 * SOCK_SEQPACKET), which the other end writes into. socket(2) makes one end of a pair whose other
 * end no descriptor ever holds: unconnected, it may be bound to a name and listen; a connect to
 * the name makes a new pair, one end for the connecting descriptor and one queued for accept
 * (syscalls/socket-names.ts). Data only, as pipes.ts: who reads, writes,
 * waits and is woken is in syscalls/socket-io.ts. Whether an end is still open is asked of the
 * descriptor tables there (as a pipe's readers are), so closing needs no hook here.
 */
import { PAGE_SIZE, Pipe } from "./pipes.js";

export type SocketType = "stream" | "dgram" | "seqpacket";

/** A bound socket in the family's name table (FileView.unixNames): the socket, and the inode of its file (a file-system name). */
export interface UnixName {
  socket: UnixSocket;
  ino?: number;
}

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
  /** connected: a pair's end (socketpair, connect, accept); else socket(2)'s, unconnected or listening. */
  state: "connected" | "unconnected" | "listening" = "connected";
  /** The sockaddr_un it is bound to (an accepted end: its listener's); undefined: unnamed. */
  address: Uint8Array | undefined;
  /** A listening socket's connections not yet accepted: the ends accept(2) hands out. */
  backlog: UnixSocket[] = [];
  /** The listener whose backlog holds this end until accept: open while the listener is (the connecting end sees a live peer). */
  queuedOn: UnixSocket | undefined;
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
    const saved = this.ends.map((s) => ({ s, shutdown: s.shutdown, connected: s.connected, sndbuf: s.sndbuf, rcvbuf: s.rcvbuf, options: new Map(s.options), state: s.state, address: s.address, backlog: [...s.backlog], queuedOn: s.queuedOn, peer: s.peer, incoming: s.incoming.save() }));
    return () => {
      for (const e of saved) {
        Object.assign(e.s, { shutdown: e.shutdown, connected: e.connected, sndbuf: e.sndbuf, rcvbuf: e.rcvbuf, options: new Map(e.options), state: e.state, address: e.address, backlog: [...e.backlog], queuedOn: e.queuedOn, peer: e.peer });
        e.incoming();
      }
    };
  }
}
