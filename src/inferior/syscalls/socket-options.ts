/**
 * getsockopt/setsockopt of socket pairs, at SOL_SOCKET (an AF_UNIX socket has no other level:
 * EOPNOTSUPP, as Linux). What a socket is (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN,
 * SO_PEERCRED), its pending error (SO_ERROR, read once), its buffer sizes (SO_SNDBUF bounds what
 * it may have unread at its peer), and the options that change nothing for a connected AF_UNIX
 * pair, kept to be read back. Options with an effect that is not emulated (time-outs, low-water
 * marks, credentials passing) are refused with ENOPROTOOPT and logged once.
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import type { BufferLimits, UnixSocket } from "../sockets.js";
import { readHostProc } from "./host-proc.js";
import { ioChanged } from "./pipes.js";
import { socketOf, takeError } from "./socket-io.js";
import { int, type SyscallEntry } from "./types.js";

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SO_ERROR = 4;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_PRIORITY = 12;
const SO_LINGER = 13;
const SO_PEERCRED = 17;
const SO_ACCEPTCONN = 30;
const SO_PROTOCOL = 38;
const SO_DOMAIN = 39;
/** On/off options that change nothing for a connected AF_UNIX pair: SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE, SO_OOBINLINE, SO_REUSEPORT. */
const FLAGS = new Set([2, 5, 6, 9, 10, 15]);
/** Ints read back as set; low-water marks read 1 (they cannot be set here). */
const DEFAULTS: Record<number, readonly number[]> = { [SO_PRIORITY]: [0], [SO_LINGER]: [0, 0], 18: [1], 19: [1] };
const TYPE_NUMBERS = { stream: 1, dgram: 2, seqpacket: 5 } as const;
/** Names for the log. */
const NAMES: Record<number, string> = { 16: "SO_PASSCRED", 18: "SO_RCVLOWAT", 19: "SO_SNDLOWAT", 20: "SO_RCVTIMEO", 21: "SO_SNDTIMEO", 26: "SO_ATTACH_FILTER", 31: "SO_PEERSEC", 32: "SO_SNDBUFFORCE", 33: "SO_RCVBUFFORCE", 34: "SO_PASSSEC", 42: "SO_PEEK_OFF", 66: "SO_RCVTIMEO_NEW", 67: "SO_SNDTIMEO_NEW" };

let limits: BufferLimits | undefined;

/** The host's net.core buffer sizes, read once: a native socket gets these (212992 bytes where unchanged). */
export function bufferLimits(): BufferLimits {
  const read = (name: string): number => Number(readHostProc(`/proc/sys/net/core/${name}`)?.trim()) || 212992;
  limits ??= { sndbuf: read("wmem_default"), rcvbuf: read("rmem_default"), wmemMax: read("wmem_max"), rmemMax: read("rmem_max") };
  return limits;
}

/** Linux numbers its socket options below this: a number above is no option at all, refused without a log line, as natively. */
const LINUX_OPTIONS = 100;

function unsupported(k: Kernel, call: string, name: number): bigint {
  if (name <= 0 || name >= LINUX_OPTIONS) return E.fail(E.ENOPROTOOPT);
  k.warnOnce(`sockopt-${name}`, `${call} of ${NAMES[name] ?? `socket option ${name}`} is not supported on socket pairs: it failed with ENOPROTOOPT`);
  return E.fail(E.ENOPROTOOPT);
}

/** An option's value now, as the ints Linux copies out; undefined when it is not one here. */
function optionValue(k: Kernel, s: UnixSocket, name: number): readonly number[] | undefined {
  switch (name) {
    case SO_TYPE:
      return [TYPE_NUMBERS[s.type]];
    case SO_ERROR:
      return [takeError(k, s) ?? 0];
    case SO_SNDBUF:
      return [s.sndbuf];
    case SO_RCVBUF:
      return [s.rcvbuf];
    case SO_ACCEPTCONN:
      return [0];
    case SO_DOMAIN:
      return [1];
    case SO_PROTOCOL:
      return [0];
    case SO_PEERCRED:
      // struct ucred of the process that made the pair (both ends'), as init_peercred: uid and gid 0, as getuid says here.
      return [s.pair.creator, 0, 0];
  }
  return s.options.get(name) ?? DEFAULTS[name] ?? (FLAGS.has(name) ? [0] : undefined);
}

/** getsockopt: at most *optlen bytes of the value, and how many went to *optlen (sk_getsockopt). */
function getsockopt(k: Kernel, fd: number, level: number, name: number, at: bigint, lenAt: bigint): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (level !== SOL_SOCKET) return E.fail(E.EOPNOTSUPP);
  const raw = k.readU32(lenAt);
  if (raw === undefined) return E.fail(E.EFAULT);
  if ((raw | 0) < 0) return E.fail(E.EINVAL);
  const value = optionValue(k, s, name);
  if (!value) return unsupported(k, "getsockopt", name);
  const bytes = new Uint8Array(value.length * 4);
  value.forEach((v, i) => new DataView(bytes.buffer).setInt32(i * 4, v, true));
  const len = Math.min(raw, bytes.length);
  if (len > 0 && !k.writeUser(at, bytes.subarray(0, len))) return E.fail(E.EFAULT);
  return k.writeU32(lenAt, len) ? 0n : E.fail(E.EFAULT);
}

/** setsockopt: an int at least (EINVAL below), in sk_setsockopt's order of checks. */
function setsockopt(k: Kernel, fd: number, level: number, name: number, at: bigint, len: number): bigint {
  const f = socketOf(k, fd);
  if (typeof f === "bigint") return f;
  const s = f.socket;
  if (level !== SOL_SOCKET) return E.fail(E.EOPNOTSUPP);
  if (len < 4) return E.fail(E.EINVAL);
  const val = k.readU32(at);
  if (val === undefined) return E.fail(E.EFAULT);
  switch (name) {
    case SO_SNDBUF:
      s.setSndbuf(val);
      ioChanged(k); // a writer waiting for room may have it now
      return 0n;
    case SO_RCVBUF:
      s.setRcvbuf(val);
      return 0n;
    case SO_PRIORITY:
      s.options.set(name, [val | 0]);
      return 0n;
    case SO_LINGER: {
      if (len < 8) return E.fail(E.EINVAL);
      const seconds = k.readU32(at + 4n);
      if (seconds === undefined) return E.fail(E.EFAULT);
      // l_onoff 0 leaves the time as it was (sock_reset_flag only).
      s.options.set(name, val === 0 ? [0, (s.options.get(name) ?? [0, 0])[1]!] : [1, seconds | 0]);
      return 0n;
    }
  }
  if (!FLAGS.has(name)) return unsupported(k, "setsockopt", name);
  s.options.set(name, [val === 0 ? 0 : 1]);
  return 0n;
}

export const socketOptionSyscalls: Record<number, SyscallEntry> = {
  54: { name: "setsockopt", handler: (k, a) => setsockopt(k, int(a[0]!), int(a[1]!), int(a[2]!), a[3]!, int(a[4]!)) },
  55: { name: "getsockopt", handler: (k, a) => getsockopt(k, int(a[0]!), int(a[1]!), int(a[2]!), a[3]!, a[4]!) },
};
