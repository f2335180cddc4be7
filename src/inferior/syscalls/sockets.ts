/**
 * The socket calls. socketpair(AF_UNIX) makes a connected pair (sockets.ts) of SOCK_STREAM,
 * SOCK_DGRAM or SOCK_SEQPACKET sockets; send/recv and their msghdr forms move bytes through
 * socket-io.ts (no ancillary data: passing descriptors or credentials is refused and logged);
 * shutdown, and names (a bound socket's, else sa_family only). socket(2) makes an unconnected
 * AF_UNIX socket, which socket-names.ts binds, connects and accepts on; the other families fail
 * as a kernel built without them answers (EAFNOSUPPORT), logged once. On descriptors that are
 * not sockets (bash asks getpeername of its stdin), ENOTSOCK.
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { SocketPair, type SocketType, type UnixSocket } from "../sockets.js";
import { ioChanged, O_CLOEXEC, O_NONBLOCK, type UserBuffer } from "./pipes.js";
import { MSG_TRUNC, readSocket, socketOf, writeSocket, type SocketEnd } from "./socket-io.js";
import { datagramTarget, socketNameSyscalls, putAddress, UNNAMED } from "./socket-names.js";
import { bufferLimits, socketOptionSyscalls } from "./socket-options.js";
import { int, size, type SyscallEntry } from "./types.js";

const AF_UNIX = 1;
/** Address families Linux has (NPROTO): beyond them even Linux says EAFNOSUPPORT. */
const NPROTO = 46;
const FAMILY_NAMES: Record<number, string> = { 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET" };
/** The types unix_create takes (SOCK_RAW is taken as SOCK_DGRAM); SOCK_MAX bounds what is a type at all. */
const TYPES: Record<number, SocketType> = { 1: "stream", 2: "dgram", 3: "dgram", 5: "seqpacket" };
const SOCK_TYPE_MASK = 0xf;
const SOCK_MAX = 11;
const SOCK_NONBLOCK = O_NONBLOCK;
const SOCK_CLOEXEC = O_CLOEXEC;
const MAX_IO = 1 << 24;
/** struct msghdr's size (msg_name at 0, msg_namelen 8, msg_iov 16, msg_iovlen 24, msg_control 32, msg_controllen 40, msg_flags 48). */
const MSGHDR_SIZE = 56;
const UIO_MAXIOV = 1024;
/** struct cmsghdr's size: a control buffer shorter holds no ancillary message. */
const CMSGHDR_SIZE = 16;
const SOCKADDR_STORAGE = 128;

/** An unnamed sender's address as recvfrom gives it: none, length 0. */
const NO_ADDRESS = new Uint8Array(0);

const familyName = (d: number): string => FAMILY_NAMES[d] ?? `family ${d}`;

/**
 * socketpair(domain, type, protocol, sv): two connected sockets at the two lowest free
 * descriptors, in __sys_socketpair's order: the flags, then sv[] gets the descriptors (EFAULT),
 * then unix_create's checks (a failure leaves those numbers written, as natively).
 */
function socketpair(k: Kernel, domain: number, typeArg: number, protocol: number, svAt: bigint): bigint {
  const flags = typeArg & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return E.fail(E.EINVAL);
  const fds = lowestFree(k, 2);
  if (!fds) return E.fail(E.EMFILE);
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setInt32(0, fds[0]!, true);
  v.setInt32(4, fds[1]!, true);
  if (!k.writeUser(svAt, out)) return E.fail(E.EFAULT);
  const typeNumber = typeArg & SOCK_TYPE_MASK;
  if (domain < 0 || domain >= NPROTO) return E.fail(E.EAFNOSUPPORT);
  if (typeNumber >= SOCK_MAX) return E.fail(E.EINVAL);
  // Linux's other families have no pairs (sock_no_socketpair).
  if (domain !== AF_UNIX) return E.fail(E.EOPNOTSUPP);
  const type = unixCreate(typeNumber, protocol);
  if (typeof type === "number") return E.fail(type);
  const pair = new SocketPair(type, bufferLimits(), k.pid);
  const nonblock = (flags & SOCK_NONBLOCK) !== 0;
  const cloexec = (flags & SOCK_CLOEXEC) !== 0;
  for (const s of pair.ends) k.fds.install({ kind: "socket", socket: s, nonblock }, cloexec); // at fds[0] and fds[1]
  return 0n;
}

/** unix_create's checks: the protocol (0 or PF_UNIX), then the type; the socket type or an errno. */
function unixCreate(typeNumber: number, protocol: number): SocketType | number {
  if (protocol !== 0 && protocol !== AF_UNIX) return E.EPROTONOSUPPORT;
  return TYPES[typeNumber] ?? E.ESOCKTNOSUPPORT;
}

/** The `count` lowest descriptors free, as install would give them; undefined when there are not so many. */
function lowestFree(k: Kernel, count: number): number[] | undefined {
  const out: number[] = [];
  for (let fd = 0; fd < k.fds.nofile.soft && out.length < count; fd++) if (!k.fds.get(fd)) out.push(fd);
  return out.length === count ? out : undefined;
}

/**
 * socket(domain, type, protocol): an unconnected AF_UNIX socket (socket-names.ts binds, listens,
 * connects and accepts), checked as unix_create; other families as a kernel built without them
 * answers (EAFNOSUPPORT), which programs test for before falling back, logged once.
 */
function socket(k: Kernel, domain: number, typeArg: number, protocol: number): bigint {
  const flags = typeArg & ~SOCK_TYPE_MASK;
  const typeNumber = typeArg & SOCK_TYPE_MASK;
  if (domain !== AF_UNIX) {
    if (domain < 0 || domain >= NPROTO) return E.fail(E.EAFNOSUPPORT);
    k.warnOnce(`socket-${domain}`, `socket(${familyName(domain)}, ${TYPES[typeNumber] ?? `type ${typeNumber}`}) is not supported (the emulated kernel has AF_UNIX sockets only): it returned EAFNOSUPPORT`);
    return E.fail(E.EAFNOSUPPORT);
  }
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return E.fail(E.EINVAL);
  if (typeNumber >= SOCK_MAX) return E.fail(E.EINVAL);
  const type = unixCreate(typeNumber, protocol);
  if (typeof type === "number") return E.fail(type);
  // One end of a pair whose other end no descriptor holds: unconnected until connect gives it a real pair.
  const s = new SocketPair(type, bufferLimits(), k.pid).ends[0];
  s.state = "unconnected";
  s.connected = false;
  const fd = k.fds.install({ kind: "socket", socket: s, nonblock: (flags & SOCK_NONBLOCK) !== 0 }, (flags & SOCK_CLOEXEC) !== 0);
  return fd < 0 ? E.fail(-fd) : BigInt(fd);
}

/** shutdown(fd, how): SHUT_RD, SHUT_WR or both; a stream or seqpacket peer is shut the other way (unix_shutdown). */
function shutdown(k: Kernel, fd: number, how: number): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  if (how < 0 || how > 2) return E.fail(E.EINVAL);
  const mode = (how + 1) & 3;
  const s = f.socket;
  s.shutdown |= mode;
  if (s.connectionOriented) s.peer.shutdown |= ((mode & 1) << 1) | ((mode & 2) >> 1);
  ioChanged(k);
  return 0n;
}

function sockName(k: Kernel, fd: number, at: bigint, lenAt: bigint, peer: boolean): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (peer && (s.state !== "connected" || !s.connected)) return E.fail(E.ENOTCONN);
  return putAddress(k, (peer ? s.peer.address : s.address) ?? UNNAMED, at, lenAt);
}

/**
 * A destination address given to sendto/sendmsg: a connected stream socket refuses it (EISCONN),
 * a seqpacket one ignores it (unix_seqpacket_sendmsg), a datagram goes to the socket bound to it
 * (socket-names.ts). The target (undefined: the peer), or an errno.
 */
function destination(k: Kernel, f: SocketEnd, addrAt: bigint, addrLen: number): UnixSocket | bigint | undefined {
  if (addrAt === 0n || addrLen === 0) return undefined;
  if (addrLen < 0 || addrLen > SOCKADDR_STORAGE) return E.fail(E.EINVAL);
  const addr = k.readUser(addrAt, addrLen);
  if (!addr) return E.fail(E.EFAULT);
  switch (f.socket.type) {
    case "stream":
      return E.fail(E.EISCONN);
    case "seqpacket":
      return undefined;
    case "dgram": {
      const to = datagramTarget(k, f.socket, addr);
      return typeof to === "number" ? E.fail(to) : to;
    }
  }
}

function sendto(k: Kernel, a: readonly bigint[]): bigint {
  const f = socketOf(k, int(a[0]!));
  if (typeof f === "bigint") return f;
  const data = k.readUser(a[1]!, Math.min(size(a[2]!), MAX_IO));
  if (!data) return E.fail(E.EFAULT);
  const to = destination(k, f, a[4]!, int(a[5]!));
  if (typeof to === "bigint") return to;
  return writeSocket(k, int(a[0]!), f, data, 44, int(a[3]!), to);
}

function recvfrom(k: Kernel, a: readonly bigint[]): bigint {
  const fd = int(a[0]!);
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const [addrAt, lenAt] = [a[4]!, a[5]!];
  // The sender's address where one is asked for: a bound datagram sender's, else none (length 0).
  const finish = addrAt === 0n ? undefined : (r: bigint, _truncated: boolean, from?: Uint8Array) => {
    const put = putAddress(k, from ?? NO_ADDRESS, addrAt, lenAt);
    return put < 0n ? put : r;
  };
  return readSocket(k, fd, f, [{ base: a[1]!, len: Math.min(size(a[2]!), MAX_IO) }], 45, int(a[3]!), finish);
}

/** A struct msghdr read from the program: its address and its iovecs. */
interface MsgHdr {
  name: bigint;
  nameLen: number;
  iov: UserBuffer[];
  controlLen: bigint;
}

function readMsgHdr(k: Kernel, at: bigint): MsgHdr | bigint {
  const raw = k.readUser(at, MSGHDR_SIZE);
  if (!raw) return E.fail(E.EFAULT);
  const v = new DataView(raw.buffer, raw.byteOffset);
  const iovAt = v.getBigUint64(16, true);
  const iovLen = v.getBigUint64(24, true);
  if (iovLen > BigInt(UIO_MAXIOV)) return E.fail(E.EMSGSIZE);
  const iov: UserBuffer[] = [];
  for (let i = 0; i < Number(iovLen); i++) {
    const base = k.readU64(iovAt + BigInt(i * 16));
    const len = k.readU64(iovAt + BigInt(i * 16 + 8));
    if (base === undefined || len === undefined) return E.fail(E.EFAULT);
    if (BigInt.asIntN(64, len) < 0n) return E.fail(E.EINVAL);
    iov.push({ base, len: size(len) });
  }
  return { name: v.getBigUint64(0, true), nameLen: v.getInt32(8, true), iov, controlLen: v.getBigUint64(40, true) };
}

function sendmsg(k: Kernel, a: readonly bigint[]): bigint {
  const fd = int(a[0]!);
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const m = readMsgHdr(k, a[1]!);
  if (typeof m === "bigint") return m;
  if (m.controlLen >= BigInt(CMSGHDR_SIZE)) {
    k.warnOnce("socket-cmsg", "sendmsg with ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) is not supported on socket pairs: it failed with EOPNOTSUPP");
    return E.fail(E.EOPNOTSUPP);
  }
  const parts: Uint8Array[] = [];
  for (const b of m.iov) {
    const d = k.readUser(b.base, Math.min(b.len, MAX_IO));
    if (!d) return E.fail(E.EFAULT);
    parts.push(d);
  }
  const to = destination(k, f, m.name, m.nameLen);
  if (typeof to === "bigint") return to;
  return writeSocket(k, fd, f, Buffer.concat(parts), 46, int(a[2]!), to);
}

/** recvmsg: the bytes into msg_iov; the sender's address (msg_name, msg_namelen), msg_controllen (no ancillary data) and msg_flags written back. */
function recvmsg(k: Kernel, a: readonly bigint[]): bigint {
  const fd = int(a[0]!);
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const at = a[1]!;
  const m = readMsgHdr(k, at);
  if (typeof m === "bigint") return m;
  const finish = (r: bigint, truncated: boolean, from?: Uint8Array): bigint => {
    const back = new Uint8Array(4);
    new DataView(back.buffer).setInt32(0, truncated ? MSG_TRUNC : 0, true);
    // msg_name gets the sender's address (at most msg_namelen of it), msg_namelen its length.
    const name = from ?? NO_ADDRESS;
    const named = m.name === 0n || ((m.nameLen <= 0 || k.writeUser(m.name, name.subarray(0, Math.min(m.nameLen, name.length)))) && k.writeU32(at + 8n, name.length));
    const ok = named && k.writeU64(at + 40n, 0n) && k.writeUser(at + 48n, back);
    return ok ? r : E.fail(E.EFAULT);
  };
  return readSocket(k, fd, f, m.iov, 47, int(a[2]!), finish);
}

export const socketSyscalls: Record<number, SyscallEntry> = {
  41: { name: "socket", handler: (k, a) => socket(k, int(a[0]!), int(a[1]!), int(a[2]!)) },
  44: { name: "sendto", handler: sendto },
  45: { name: "recvfrom", handler: recvfrom },
  46: { name: "sendmsg", handler: sendmsg },
  47: { name: "recvmsg", handler: recvmsg },
  48: { name: "shutdown", handler: (k, a) => shutdown(k, int(a[0]!), int(a[1]!)) },
  51: { name: "getsockname", handler: (k, a) => sockName(k, int(a[0]!), a[1]!, a[2]!, false) },
  52: { name: "getpeername", handler: (k, a) => sockName(k, int(a[0]!), a[1]!, a[2]!, true) },
  53: { name: "socketpair", handler: (k, a) => socketpair(k, int(a[0]!), int(a[1]!), int(a[2]!), a[3]!) },
  ...socketOptionSyscalls,
  ...socketNameSyscalls,
};
