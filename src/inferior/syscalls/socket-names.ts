/**
 * Named AF_UNIX sockets within the process family: socket(2) makes an unconnected socket, bind
 * gives it a name — a socket file made where the path's changes go (the scratch layer, or in place
 * below --allow-write), or an abstract name — listen lets connections queue, connect to the name
 * makes a connected pair (sockets.ts) whose one end the connecting descriptor gets and whose other
 * waits for accept; a datagram socket's connect or sendto names the socket its messages go to.
 * Only the family's own sockets can be reached: a socket file of the host (a daemon's) refuses
 * the connection (ECONNREFUSED, logged once), as nothing would answer here. The backlog has no
 * limit.
 */
import * as E from "../errno.js";
import { makeNode } from "../file-changes.js";
import { S_IFMT, S_IFSOCK } from "../file-view.js";
import type { Kernel } from "../kernel.js";
import { SocketPair, type UnixSocket } from "../sockets.js";
import { blockOnIo, ioChanged, O_CLOEXEC, O_NONBLOCK } from "./pipes.js";
import { held, socketOf } from "./socket-io.js";
import { bufferLimits } from "./socket-options.js";
import { int, type SyscallEntry } from "./types.js";

const AF_UNIX = 1;
/** offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un). */
const SUN_PATH = 2;
const SOCKADDR_UN_SIZE = 110;
const SOCK_NONBLOCK = O_NONBLOCK;
const SOCK_CLOEXEC = O_CLOEXEC;
/** An unnamed socket's address: sa_family alone (unix_getname). */
export const UNNAMED = new Uint8Array([AF_UNIX, 0]);

/** A sockaddr_un read from the program: a path, or an abstract name (sun_path[0] is NUL); an errno when it is none. */
type UnixAddress = { path: string; bytes: Uint8Array } | { abstract: string; bytes: Uint8Array };

/** unix_validate_addr and unix_mkname: the family, the length, the path up to its NUL. */
function readAddress(k: Kernel, at: bigint, len: number): UnixAddress | number {
  if (len <= SUN_PATH || len > SOCKADDR_UN_SIZE) return E.EINVAL;
  const raw = k.readUser(at, len);
  if (!raw) return E.EFAULT;
  return parseAddress(raw);
}

function parseAddress(raw: Uint8Array): UnixAddress | number {
  if (raw.length <= SUN_PATH || raw.length > SOCKADDR_UN_SIZE) return E.EINVAL;
  if ((raw[0]! | (raw[1]! << 8)) !== AF_UNIX) return E.EINVAL;
  if (raw[SUN_PATH] === 0) return { abstract: Buffer.from(raw.subarray(SUN_PATH + 1)).toString("latin1"), bytes: raw.slice() };
  const end = raw.indexOf(0, SUN_PATH);
  const name = raw.subarray(SUN_PATH, end < 0 ? raw.length : end);
  // The address as getsockname gives it back: the path and its NUL.
  const bytes = new Uint8Array(SUN_PATH + name.length + 1);
  bytes.set(raw.subarray(0, SUN_PATH));
  bytes.set(name, SUN_PATH);
  return { path: Buffer.from(name).toString("latin1"), bytes };
}

/** The abstract namespace is one per socket type (unix_find_socket_byname hashes the type in). */
const abstractKey = (s: UnixSocket, name: string): string => `@${s.type}:${name}`;

let autobindCount = 0;

function bind(k: Kernel, fd: number, at: bigint, len: number): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  const names = k.files.unixNames;
  if (len === SUN_PATH) {
    if (s.address) return 0n; // unix_autobind: bound already
    // Autobind: an abstract name of five hex digits (unix_autobind).
    let name: string;
    do name = (autobindCount++ & 0xfffff).toString(16).padStart(5, "0");
    while (names.has(abstractKey(s, name)) && held(k, names.get(abstractKey(s, name))!.socket));
    s.address = new Uint8Array([AF_UNIX, 0, 0, ...Buffer.from(name, "latin1")]);
    names.set(abstractKey(s, name), { socket: s });
    return 0n;
  }
  const addr = readAddress(k, at, len);
  if (typeof addr === "number") return E.fail(addr);
  if ("abstract" in addr) {
    if (s.address) return E.fail(E.EINVAL);
    const taken = names.get(abstractKey(s, addr.abstract));
    if (taken && held(k, taken.socket)) return E.fail(E.EADDRINUSE);
    names.set(abstractKey(s, addr.abstract), { socket: s });
    s.address = addr.bytes;
    return 0n;
  }
  // unix_bind_bsd makes the file first: a taken name is EADDRINUSE even for a bound socket.
  const l = k.files.lookup(addr.path, k.files.cwd, false);
  if (typeof l === "number") return E.fail(l);
  if (l.found) return E.fail(E.EADDRINUSE);
  if (s.address) return E.fail(E.EINVAL);
  const made = makeNode(k.files, l, S_IFSOCK | (0o777 & ~k.umask));
  if (made !== 0) return E.fail(made);
  const node = k.files.lookup(l.absent, "/", false);
  names.set(l.absent, { socket: s, ino: typeof node === "number" ? undefined : node.found?.stats.ino });
  s.address = addr.bytes;
  return 0n;
}

function listen(k: Kernel, fd: number): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (s.type === "dgram") return E.fail(E.EOPNOTSUPP);
  if (s.state === "connected" || !s.address) return E.fail(E.EINVAL);
  s.state = "listening";
  return 0n;
}

/**
 * The open socket of `s`'s type bound to `addr` (unix_find_other), or the errno a connect or a
 * send to it gets: ENOENT for a path that is not there, ECONNREFUSED for a file that is no
 * socket of the family's or one nobody holds any more, EPROTOTYPE for a socket of another type
 * (the abstract namespace is per type: there, ECONNREFUSED).
 */
function boundAt(k: Kernel, s: UnixSocket, addr: UnixAddress): UnixSocket | number {
  if ("abstract" in addr) {
    const name = k.files.unixNames.get(abstractKey(s, addr.abstract));
    return name && held(k, name.socket) ? name.socket : E.ECONNREFUSED;
  }
  const l = k.files.lookup(addr.path, k.files.cwd, true);
  if (typeof l === "number") return l;
  if (!l.found) return E.ENOENT;
  if ((l.found.stats.mode & S_IFMT) !== S_IFSOCK) return E.ECONNREFUSED;
  const name = k.files.unixNames.get(l.found.guest);
  if (!name || name.ino !== l.found.stats.ino) {
    k.warnOnce(`unix-host-${l.found.guest}`, `a connection to ${l.found.guest}, a socket of the host (not one the program made), is not supported: it was refused (ECONNREFUSED)`);
    return E.ECONNREFUSED;
  }
  if (!held(k, name.socket)) return E.ECONNREFUSED;
  return name.socket.type === s.type ? name.socket : E.EPROTOTYPE;
}

/** sendto's and sendmsg's address for a datagram socket: the named socket to deliver to, or an errno. */
export function datagramTarget(k: Kernel, s: UnixSocket, raw: Uint8Array): UnixSocket | number {
  const addr = parseAddress(raw);
  return typeof addr === "number" ? addr : boundAt(k, s, addr);
}

function connect(k: Kernel, fd: number, at: bigint, len: number): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (s.type === "dgram") return connectDatagram(k, s, at, len);
  if (s.state === "connected") return E.fail(E.EISCONN);
  if (s.state === "listening") return E.fail(E.EINVAL);
  const addr = readAddress(k, at, len);
  if (typeof addr === "number") return E.fail(addr);
  const listener = boundAt(k, s, addr);
  if (typeof listener === "number") return E.fail(listener);
  if (listener.state !== "listening") return E.fail(E.ECONNREFUSED);
  // A new pair: this descriptor's open file gets one end, the listener's queue the other.
  const [mine, theirs] = new SocketPair(s.type, bufferLimits(), k.pid).ends;
  mine.options = new Map(s.options);
  mine.address = s.address;
  theirs.address = listener.address;
  theirs.queuedOn = listener;
  f.socket = mine;
  listener.backlog.push(theirs);
  ioChanged(k);
  return 0n;
}

/**
 * A datagram socket's connect: the named socket becomes its peer, where send and write go, and
 * a socket bound elsewhere can no longer send to it (EPERM, unix_may_send).
 */
function connectDatagram(k: Kernel, s: UnixSocket, at: bigint, len: number): bigint {
  const addr = readAddress(k, at, len);
  if (typeof addr === "number") return E.fail(addr);
  const target = boundAt(k, s, addr);
  if (typeof target === "number") return E.fail(target);
  s.peer = target;
  s.state = "connected";
  s.connected = true;
  return 0n;
}

/** Writes a socket address out as accept and getsockname do (move_addr_to_user): at most *lenAt bytes, its whole length to *lenAt. */
export function putAddress(k: Kernel, addr: Uint8Array, at: bigint, lenAt: bigint): bigint {
  const raw = k.readU32(lenAt);
  if (raw === undefined) return E.fail(E.EFAULT);
  const len = Math.min(raw | 0, addr.length);
  if (len < 0) return E.fail(E.EINVAL);
  if (len > 0 && !k.writeUser(at, addr.subarray(0, len))) return E.fail(E.EFAULT);
  return k.writeU32(lenAt, addr.length) ? 0n : E.fail(E.EFAULT);
}

function accept(k: Kernel, fd: number, at: bigint, lenAt: bigint, flags: number, nr: number): bigint {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return E.fail(E.EINVAL);
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (s.type === "dgram") return E.fail(E.EOPNOTSUPP);
  if (s.state !== "listening") return E.fail(E.EINVAL);
  const take = (): bigint => {
    const end = s.backlog.shift()!;
    end.queuedOn = undefined;
    const got = k.fds.install({ kind: "socket", socket: end, nonblock: (flags & SOCK_NONBLOCK) !== 0 }, (flags & SOCK_CLOEXEC) !== 0);
    if (got < 0) {
      end.queuedOn = s;
      s.backlog.unshift(end);
      return BigInt(got);
    }
    if (at !== 0n) {
      const put = putAddress(k, end.peer.address ?? UNNAMED, at, lenAt);
      if (put < 0n) return put;
    }
    return BigInt(got);
  };
  if (s.backlog.length > 0) return take();
  if (f.nonblock) return E.fail(E.EAGAIN);
  return blockOnIo(k, { kind: "io", what: `accept on socket fd ${fd}`, again: () => s.backlog.length > 0, retry: () => (s.backlog.length > 0 ? { done: take() } : undefined) }, nr);
}

export const socketNameSyscalls: Record<number, SyscallEntry> = {
  42: { name: "connect", handler: (k, a) => connect(k, int(a[0]!), a[1]!, int(a[2]!)) },
  43: { name: "accept", handler: (k, a) => accept(k, int(a[0]!), a[1]!, a[2]!, 0, 43) },
  49: { name: "bind", handler: (k, a) => bind(k, int(a[0]!), a[1]!, int(a[2]!)) },
  50: { name: "listen", handler: (k, a) => listen(k, int(a[0]!)) },
  288: { name: "accept4", handler: (k, a) => accept(k, int(a[0]!), a[1]!, a[2]!, int(a[3]!), 288) },
};
