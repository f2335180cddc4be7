/**
 * Waiting for descriptors to become ready: poll/ppoll, select/pselect6 and epoll. Readiness is
 * Linux's: a pipe's read end is readable with data or once no write end is left (POLLHUP), its
 * write end writable while a slot is free (POLLERR once no reader is left); sockets as af_unix.c's
 * unix_poll (shutdowns, a peer's close, a quarter of the send buffer free); eventfds by their
 * counter; regular files, directories and the standard streams are always ready (the emulator
 * reads the host's stdin synchronously, so it never waits in poll). A call that finds nothing ready
 * blocks with an "io" wait that every change retries (syscalls/pipes.ts ioChanged), until its
 * time-out on the emulated clock or a signal: EINTR once a handler has run, a restart otherwise
 * (epoll_wait: always EINTR). ppoll, pselect6 and epoll_pwait wait under the mask they are given,
 * as sigsuspend does.
 */
import { CLOCK_MONOTONIC, type TimedWait } from "../clock.js";
import { EpollSet, type EpollItem } from "../epoll.js";
import * as E from "../errno.js";
import type { OpenFile } from "../files.js";
import type { Kernel } from "../kernel.js";
import { EVENTFD_MAX } from "../pipes.js";
import { UNBLOCKABLE } from "../signals.js";
import type { IoWait } from "../threads.js";
import { blockOnIo, ioChanged, O_CLOEXEC, readersOpen, reads, writersOpen, writes } from "./pipes.js";
import { resetPending, shutdownOf, writable } from "./socket-io.js";
import { RCV_SHUTDOWN, SHUTDOWN_MASK, type UnixSocket } from "../sockets.js";
import { int, type SyscallEntry } from "./types.js";

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLRDHUP = 0x2000;
/** What a regular file reports (DEFAULT_POLLMASK). */
const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
/** select's three sets, as the masks that put a descriptor in each (fs/select.c). */
const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

const EPOLLONESHOT = 1 << 30;
const EPOLLET = 1 << 31;
const EPOLLEXCLUSIVE = 1 << 28;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLL_EVENT_SIZE = 12;

/** What `f` reports to poll now (its f_op->poll). */
export function pollMask(k: Kernel, f: OpenFile): number {
  switch (f.kind) {
    case "pipe": {
      // No writer: POLLHUP, but for a FIFO's read end opened without one, only once one came since.
      const hup = !writersOpen(k, f.pipe) && f.pipe.opened.write !== (f.fifo?.hupAfter ?? 0);
      const read = reads(f) ? (f.pipe.empty ? 0 : POLLIN | POLLRDNORM) | (hup ? POLLHUP : 0) : 0;
      const write = writes(f) ? (f.pipe.full ? 0 : POLLOUT | POLLWRNORM) | (readersOpen(k, f.pipe) ? 0 : POLLERR) : 0;
      return read | write;
    }
    case "socket":
      return socketMask(k, f.socket);
    case "eventfd":
      return (f.counter.value > 0n ? POLLIN : 0) | (f.counter.value < EVENTFD_MAX ? POLLOUT : 0);
    case "epoll":
      return [...f.epoll.items.values()].some((it) => !it.disarmed && k.fds.someOpen((g) => g === it.file) && (pollMask(k, it.file) & (it.events | POLLERR | POLLHUP)) !== 0) ? POLLIN | POLLRDNORM : 0;
    case "stdin":
    case "stdout":
    case "stderr": {
      // Input typed at a terminal is there or not; other input (bytes given, the host's) always is.
      const input = f.kind === "stdin" || f.terminal ? ((k.io.interactive?.ready() ?? true) ? POLLIN | POLLRDNORM : 0) : 0;
      return input | (f.kind !== "stdin" || f.terminal ? POLLOUT | POLLWRNORM : 0);
    }
    case "host":
    case "special":
      return DEFAULT_POLLMASK;
  }
}

/** unix_poll and unix_dgram_poll (the same for a pair): errors, shutdowns, bytes to read, room to write. */
function socketMask(k: Kernel, s: UnixSocket): number {
  // A listening socket is readable with a connection to accept; an unconnected stream or seqpacket
  // one hangs up and is writable (unix_poll, TCP_CLOSE), a datagram one is writable.
  if (s.state === "listening") return s.backlog.length > 0 ? POLLIN | POLLRDNORM : 0;
  if (s.state === "unconnected") return POLLOUT | POLLWRNORM | POLLWRBAND | (s.type !== "dgram" ? POLLHUP : s.incoming.empty ? 0 : POLLIN | POLLRDNORM);
  const shut = shutdownOf(k, s);
  let m = resetPending(k, s) ? POLLERR : 0;
  if (shut === SHUTDOWN_MASK) m |= POLLHUP;
  if (shut & RCV_SHUTDOWN) m |= POLLRDHUP | POLLIN | POLLRDNORM;
  if (!s.incoming.empty) m |= POLLIN | POLLRDNORM;
  if (writable(k, s)) m |= POLLOUT | POLLWRNORM | POLLWRBAND;
  return m;
}

/** EPOLLET: what has to change for a descriptor to be reported again (the wake-ups its object has had, and its mask). */
function edgeKey(f: OpenFile, mask: number): string {
  const wakeups =
    f.kind === "pipe" ? (reads(f) ? f.pipe.writes : 0) + (writes(f) ? f.pipe.reads : 0) : f.kind === "socket" ? `${f.socket.incoming.writes}.${f.socket.peer.incoming.reads}.${f.socket.shutdown}.${f.socket.backlog.length}` : f.kind === "eventfd" ? f.counter.generation : 0;
  return `${wakeups}/${mask}`;
}

/** The mask a ppoll/pselect6/epoll_pwait waits under, and putting the caller's back. */
interface MaskSwap {
  restore(): void;
  swapped: boolean;
}

const NO_SWAP: MaskSwap = { restore: () => {}, swapped: false };

function swapMask(k: Kernel, maskAt: bigint, setSize: bigint): MaskSwap | bigint {
  if (maskAt === 0n) return NO_SWAP;
  if (setSize !== 8n) return E.fail(E.EINVAL);
  const mask = k.readU64(maskAt);
  if (mask === undefined) return E.fail(E.EFAULT);
  const t = k.thread;
  const saved = t.sigmask;
  k.signals.suspendMasks.set(t.tid, saved);
  t.sigmask = mask & ~UNBLOCKABLE;
  return {
    swapped: true,
    restore: () => {
      t.sigmask = saved;
      k.signals.suspendMasks.delete(t.tid);
    },
  };
}

interface ReadyWait {
  what: string;
  nr: number;
  /** Whether something is ready (nothing written, nothing changed). */
  ready: () => boolean;
  /** The result when something is ready (results written to the program), else undefined. */
  check: () => bigint | undefined;
  /** Nothing became ready in time: write the empty results. */
  timedOut: () => void;
  /** undefined: for ever. */
  time: TimedWait | undefined;
  mask: MaskSwap;
  interrupt: "eintr-if-handled" | "eintr";
}

/** Returns at once when something is ready or the time-out is zero; else blocks until it is, the time-out passes, or a signal comes. */
function waitReady(k: Kernel, w: ReadyWait): bigint {
  const now = w.check();
  if (now !== undefined || (w.time !== undefined && w.time.deadline <= k.clock.now)) {
    if (now === undefined) w.timedOut();
    w.mask.restore();
    return now ?? 0n;
  }
  const wait: IoWait = {
    kind: "io",
    what: w.what,
    // Woken to call again: the call swaps the mask in again and computes what is ready then.
    again: () => {
      if (!w.ready()) return false;
      w.mask.restore();
      return true;
    },
    retry: () => {
      const r = w.check();
      if (r === undefined) return undefined;
      w.mask.restore();
      return { done: r };
    },
  };
  const time = w.time;
  const r = blockOnIo(k, wait, w.nr, {
    deadline: time?.deadline,
    onTimeout: () => {
      if (time) k.clock.reach(time.reading);
      w.timedOut();
      w.mask.restore();
    },
    timeoutResult: 0n,
    interrupt: w.interrupt,
  });
  // A signal the new mask lets through is already pending: it interrupts the wait at once.
  if (w.mask.swapped && k.signals.deliverable(k.thread)) k.signals.maskChanged(k.thread);
  return r;
}

/** A relative time-out in nanoseconds as a timed wait (undefined: none, wait for ever). */
const timed = (k: Kernel, ns: bigint | undefined): TimedWait | undefined => (ns === undefined ? undefined : k.clock.timedWait(ns));

/** What is left of a time-out (select and ppoll write it back, as Linux does). */
function left(k: Kernel, time: TimedWait | undefined): bigint {
  if (!time) return 0n;
  const l = time.reading - k.clock.reading(CLOCK_MONOTONIC);
  return l > 0n ? l : 0n;
}

// --- poll ---

function poll(k: Kernel, nr: number, fdsAt: bigint, nfds: bigint, ns: bigint | undefined, mask: MaskSwap, timeoutAt?: bigint): bigint {
  if (nfds > BigInt(k.fds.nofile.soft)) return E.fail(E.EINVAL); // as Linux: more entries than the process may have descriptors
  const n = Number(nfds);
  const raw = n === 0 ? new Uint8Array(0) : k.readUser(fdsAt, n * 8);
  if (!raw) return E.fail(E.EFAULT);
  const v = new DataView(raw.buffer);
  const entries = Array.from({ length: n }, (_, i) => ({ fd: v.getInt32(i * 8, true), events: v.getUint16(i * 8 + 4, true) }));
  const time = timed(k, ns);
  const writeBack = (revents: number[]): boolean => {
    revents.forEach((r, i) => v.setUint16(i * 8 + 6, r, true));
    if (timeoutAt !== undefined && time) writeTimespec(k, timeoutAt, left(k, time));
    return n === 0 || k.writeUser(fdsAt, raw);
  };
  const revents = (): number[] =>
    entries.map((e) => {
      if (e.fd < 0) return 0;
      const f = k.fds.get(e.fd);
      return f ? pollMask(k, f) & (e.events | POLLERR | POLLHUP) : POLLNVAL;
    });
  return waitReady(k, {
    what: `poll of ${entries.map((e) => e.fd).join(", ") || "nothing"}`,
    nr,
    time,
    mask,
    interrupt: "eintr-if-handled",
    ready: () => revents().some((r) => r !== 0),
    check: () => {
      const now = revents();
      const count = now.filter((r) => r !== 0).length;
      if (count === 0) return undefined;
      return writeBack(now) ? BigInt(count) : E.fail(E.EFAULT);
    },
    timedOut: () => void writeBack(entries.map(() => 0)),
  });
}

function writeTimespec(k: Kernel, at: bigint, ns: bigint, micro = false): void {
  // Linux ignores a failure here: the time-out may be in read-only memory.
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, ns / 1_000_000_000n, true);
  dv.setBigInt64(8, micro ? (ns % 1_000_000_000n) / 1000n : ns % 1_000_000_000n, true);
  if (k.space.isMapped(at, 16n)) k.writeUser(at, b);
}

/** ppoll's and pselect6's struct timespec (NULL: for ever); "bad" when unreadable or invalid. */
function timespecArg(k: Kernel, at: bigint): bigint | undefined | "bad" {
  if (at === 0n) return undefined;
  return k.readTimespec(at) ?? "bad";
}

function sysPoll(k: Kernel, a: readonly bigint[]): bigint {
  const ms = int(a[2]!);
  return poll(k, 7, a[0]!, a[1]!, ms < 0 ? undefined : BigInt(ms) * 1_000_000n, NO_SWAP);
}

function sysPpoll(k: Kernel, a: readonly bigint[]): bigint {
  const ns = timespecArg(k, a[2]!);
  if (ns === "bad") return E.fail(E.EINVAL);
  const mask = swapMask(k, a[3]!, a[4]!);
  if (typeof mask === "bigint") return mask;
  return poll(k, 271, a[0]!, a[1]!, ns, mask, a[2]! === 0n ? undefined : a[2]!);
}

// --- select ---

function select(k: Kernel, nr: number, nfdsArg: number, sets: readonly bigint[], ns: bigint | undefined, mask: MaskSwap, timeoutAt: bigint | undefined, micro: boolean): bigint {
  if (nfdsArg < 0) return E.fail(E.EINVAL);
  const nfds = Math.min(nfdsArg, k.fds.nofile.soft); // Linux stops at its table's size; the limit stands in for it
  const bytes = Math.ceil(nfds / 64) * 8;
  const wanted: (Uint8Array | undefined)[] = [];
  for (const at of sets) {
    if (at === 0n || bytes === 0) wanted.push(undefined);
    else {
      const b = k.readUser(at, bytes);
      if (!b) return E.fail(E.EFAULT);
      wanted.push(b);
    }
  }
  const has = (b: Uint8Array | undefined, fd: number) => b !== undefined && (b[fd >> 3]! & (1 << (fd & 7))) !== 0;
  const fds: number[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    if (!wanted.some((b) => has(b, fd))) continue;
    if (!k.fds.get(fd)) return E.fail(E.EBADF);
    fds.push(fd);
  }
  const time = timed(k, ns);
  const writeBack = (result: Uint8Array[]): boolean => {
    if (timeoutAt !== undefined && time) writeTimespec(k, timeoutAt, left(k, time), micro);
    return sets.every((at, i) => wanted[i] === undefined || k.writeUser(at, result[i]!));
  };
  const empty = () => wanted.map(() => new Uint8Array(bytes));
  const SETS = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
  /** The three result sets now, and how many bits they have. */
  const scan = (): { result: Uint8Array[]; count: number } => {
    const result = empty();
    let count = 0;
    for (const fd of fds) {
      const f = k.fds.get(fd);
      const m = f ? pollMask(k, f) : POLLNVAL;
      SETS.forEach((set, i) => {
        if (has(wanted[i], fd) && m & set) {
          result[i]![fd >> 3]! |= 1 << (fd & 7);
          count++;
        }
      });
    }
    return { result, count };
  };
  return waitReady(k, {
    what: `select of ${fds.join(", ") || "nothing"}`,
    nr,
    time,
    mask,
    interrupt: "eintr-if-handled",
    ready: () => scan().count > 0,
    check: () => {
      const { result, count } = scan();
      if (count === 0) return undefined;
      return writeBack(result) ? BigInt(count) : E.fail(E.EFAULT);
    },
    timedOut: () => void writeBack(empty()),
  });
}

function sysSelect(k: Kernel, a: readonly bigint[]): bigint {
  let ns: bigint | undefined;
  if (a[4]! !== 0n) {
    const sec = k.readU64(a[4]!);
    const usec = k.readU64(a[4]! + 8n);
    if (sec === undefined || usec === undefined) return E.fail(E.EFAULT);
    if (BigInt.asIntN(64, sec) < 0n || BigInt.asIntN(64, usec) < 0n || usec >= 1_000_000n) return E.fail(E.EINVAL);
    ns = sec * 1_000_000_000n + usec * 1000n;
  }
  return select(k, 23, int(a[0]!), [a[1]!, a[2]!, a[3]!], ns, NO_SWAP, a[4]! === 0n ? undefined : a[4]!, true);
}

function sysPselect6(k: Kernel, a: readonly bigint[]): bigint {
  const ns = timespecArg(k, a[4]!);
  if (ns === "bad") return E.fail(E.EINVAL);
  let mask = NO_SWAP;
  if (a[5]! !== 0n) {
    const set = k.readU64(a[5]!);
    const size = k.readU64(a[5]! + 8n);
    if (set === undefined || size === undefined) return E.fail(E.EFAULT);
    const m = swapMask(k, set, size);
    if (typeof m === "bigint") return m;
    mask = m;
  }
  return select(k, 270, int(a[0]!), [a[1]!, a[2]!, a[3]!], ns, mask, a[4]! === 0n ? undefined : a[4]!, false);
}

// --- epoll ---

function epollCreate(k: Kernel, flags: number): bigint {
  if (flags & ~O_CLOEXEC) return E.fail(E.EINVAL);
  const fd = k.fds.install({ kind: "epoll", epoll: new EpollSet() }, (flags & O_CLOEXEC) !== 0);
  return fd < 0 ? E.fail(-fd) : BigInt(fd);
}

function epollOf(k: Kernel, epfd: number): EpollSet | bigint {
  const f = k.fds.get(epfd);
  if (!f) return E.fail(E.EBADF);
  return f.kind === "epoll" ? f.epoll : E.fail(E.EINVAL);
}

function epollCtl(k: Kernel, epfd: number, op: number, fd: number, eventAt: bigint): bigint {
  let events = 0;
  let data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const raw = k.readUser(eventAt, EPOLL_EVENT_SIZE);
    if (!raw) return E.fail(E.EFAULT);
    const v = new DataView(raw.buffer);
    events = v.getUint32(0, true);
    data = v.getBigUint64(4, true);
  }
  const ep = epollOf(k, epfd);
  if (typeof ep === "bigint") return ep;
  const file = k.fds.get(fd);
  if (!file) return E.fail(E.EBADF);
  if (file.kind === "host" || file.kind === "special") return E.fail(E.EPERM); // regular files and directories cannot be polled by epoll
  if (fd === epfd) return E.fail(E.EINVAL);
  const item = ep.items.get(fd);
  const mine = item !== undefined && item.file === file;
  switch (op) {
    case EPOLL_CTL_ADD:
      if (mine) return E.fail(E.EEXIST);
      ep.items.set(fd, { fd, file, events, data, disarmed: false });
      break;
    case EPOLL_CTL_DEL:
      if (!mine) return E.fail(E.ENOENT);
      ep.items.delete(fd);
      break;
    case EPOLL_CTL_MOD:
      if (!mine) return E.fail(E.ENOENT);
      if (events & EPOLLEXCLUSIVE || item.events & EPOLLEXCLUSIVE) return E.fail(E.EINVAL);
      ep.items.set(fd, { fd, file, events, data, disarmed: false });
      break;
    default:
      return E.fail(E.EINVAL);
  }
  ioChanged(k); // a waiting epoll_wait may have something to report now
  return 0n;
}

function epollWait(k: Kernel, nr: number, epfd: number, eventsAt: bigint, maxevents: number, ns: bigint | undefined, mask: MaskSwap): bigint {
  if (maxevents <= 0 || maxevents > Math.floor(0x7fffffff / EPOLL_EVENT_SIZE)) {
    mask.restore();
    return E.fail(E.EINVAL);
  }
  const ep = epollOf(k, epfd);
  if (typeof ep === "bigint") {
    mask.restore();
    return ep;
  }
  /** The events `it` would report now (0: none; nothing changes). */
  const reportable = (it: EpollItem): number => {
    if (it.disarmed || !k.fds.someOpen((f) => f === it.file)) return 0;
    const m = pollMask(k, it.file) & (it.events | POLLERR | POLLHUP);
    return m !== 0 && it.events & EPOLLET && it.reported === edgeKey(it.file, m) ? 0 : m;
  };
  return waitReady(k, {
    what: `epoll_wait on fd ${epfd}`,
    nr,
    time: timed(k, ns),
    mask,
    interrupt: "eintr",
    ready: () => [...ep.items.values()].some((it) => reportable(it) !== 0),
    check: () => {
      const out: { events: number; data: bigint }[] = [];
      for (const it of [...ep.items.values()]) {
        if (out.length >= maxevents) break;
        if (!k.fds.someOpen((f) => f === it.file)) {
          ep.items.delete(it.fd); // its last descriptor was closed
          continue;
        }
        const m = reportable(it);
        if (m === 0) continue;
        if (it.events & EPOLLET) it.reported = edgeKey(it.file, m);
        out.push({ events: m, data: it.data });
        if (it.events & EPOLLONESHOT) it.disarmed = true;
        else if (!(it.events & EPOLLET)) {
          // Level-triggered: to the back of the list, so a small maxevents reports the others next (as Linux's ready list does).
          ep.items.delete(it.fd);
          ep.items.set(it.fd, it);
        }
      }
      if (out.length === 0) return undefined;
      const b = new Uint8Array(out.length * EPOLL_EVENT_SIZE);
      const v = new DataView(b.buffer);
      out.forEach((e, i) => {
        v.setUint32(i * EPOLL_EVENT_SIZE, e.events, true);
        v.setBigUint64(i * EPOLL_EVENT_SIZE + 4, e.data, true);
      });
      return k.writeUser(eventsAt, b) ? BigInt(out.length) : E.fail(E.EFAULT);
    },
    timedOut: () => {},
  });
}

const msTimeout = (ms: number): bigint | undefined => (ms < 0 ? undefined : BigInt(ms) * 1_000_000n);

function sysEpollPwait(k: Kernel, a: readonly bigint[], nr: number, ns: bigint | undefined): bigint {
  const mask = swapMask(k, a[4]!, a[5]!);
  if (typeof mask === "bigint") return mask;
  return epollWait(k, nr, int(a[0]!), a[1]!, int(a[2]!), ns, mask);
}

function sysEpollPwait2(k: Kernel, a: readonly bigint[]): bigint {
  const ns = timespecArg(k, a[3]!);
  if (ns === "bad") return E.fail(E.EINVAL);
  return sysEpollPwait(k, a, 441, ns);
}

export const pollSyscalls: Record<number, SyscallEntry> = {
  7: { name: "poll", handler: sysPoll },
  23: { name: "select", handler: sysSelect },
  213: { name: "epoll_create", handler: (k, a) => (int(a[0]!) <= 0 ? E.fail(E.EINVAL) : epollCreate(k, 0)) },
  232: { name: "epoll_wait", handler: (k, a) => epollWait(k, 232, int(a[0]!), a[1]!, int(a[2]!), msTimeout(int(a[3]!)), NO_SWAP) },
  233: { name: "epoll_ctl", handler: (k, a) => epollCtl(k, int(a[0]!), int(a[1]!), int(a[2]!), a[3]!) },
  270: { name: "pselect6", handler: sysPselect6 },
  271: { name: "ppoll", handler: sysPpoll },
  281: { name: "epoll_pwait", handler: (k, a) => sysEpollPwait(k, a, 281, msTimeout(int(a[3]!))) },
  291: { name: "epoll_create1", handler: (k, a) => epollCreate(k, int(a[0]!)) },
  441: { name: "epoll_pwait2", handler: sysEpollPwait2 },
};
