/** read/write and friends (sendfile too) on the standard streams and on read-only host files. */
import { FdTable } from "../files.js";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { SI_USER, SIGPIPE } from "../signals.js";
import { int, size, type SyscallEntry } from "./types.js";

const MAX_IO = 1 << 24;

function readFd(k: Kernel, fd: number, length: number, position?: number): Uint8Array | number {
  const f = k.fds.get(fd);
  if (!f) return E.EBADF;
  switch (f.kind) {
    case "stdin":
      return k.io.stdin(length);
    case "stdout":
    case "stderr":
      return E.EBADF;
    case "host": {
      if (f.isDirectory) return E.EISDIR;
      const data = FdTable.readAt(f, Math.min(length, MAX_IO), position ?? f.position);
      if (position === undefined) f.position += data.length;
      return data;
    }
  }
}

function writeFd(k: Kernel, fd: number, data: Uint8Array): number {
  const f = k.fds.get(fd);
  if (!f) return -E.EBADF;
  if (f.kind !== "stdout" && f.kind !== "stderr") return -E.EBADF; // files are opened read-only
  if (k.output(f.kind, data)) return data.length;
  brokenPipe(k);
  return -E.EPIPE;
}

/** A write to a stream whose reader has gone raises SIGPIPE in the writing thread (the call fails with EPIPE). */
function brokenPipe(k: Kernel): void {
  k.signals.send({ signo: SIGPIPE, code: SI_USER, pid: k.pid }, k.thread.tid);
  k.reschedule();
}

function sysRead(k: Kernel, a: readonly bigint[]): bigint {
  const r = readFd(k, int(a[0]!), Math.min(size(a[2]!), MAX_IO));
  if (typeof r === "number") return E.fail(r);
  if (!k.writeUser(a[1]!, r)) return E.fail(E.EFAULT);
  return BigInt(r.length);
}

function sysPread(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (f && f.kind !== "host") return E.fail(E.ESPIPE);
  const r = readFd(k, int(a[0]!), Math.min(size(a[2]!), MAX_IO), Number(a[3]!));
  if (typeof r === "number") return E.fail(r);
  if (!k.writeUser(a[1]!, r)) return E.fail(E.EFAULT);
  return BigInt(r.length);
}

function sysWrite(k: Kernel, a: readonly bigint[]): bigint {
  const data = k.readUser(a[1]!, Math.min(size(a[2]!), MAX_IO));
  if (!data) return E.fail(E.EFAULT);
  return BigInt(writeFd(k, int(a[0]!), data));
}

function iovecs(k: Kernel, at: bigint, count: number): { base: bigint; len: number }[] | undefined {
  const out: { base: bigint; len: number }[] = [];
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
  return BigInt(writeFd(k, int(a[0]!), Buffer.concat(parts)));
}

function sysReadv(k: Kernel, a: readonly bigint[]): bigint {
  const count = int(a[2]!);
  if (count < 0 || count > 1024) return E.fail(E.EINVAL);
  const vecs = iovecs(k, a[1]!, count);
  if (!vecs) return E.fail(E.EFAULT);
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
  if (f.kind !== "host") return E.fail(E.ESPIPE);
  const off = Number(BigInt.asIntN(64, a[1]!));
  const whence = int(a[2]!);
  const base = whence === 0 ? 0 : whence === 1 ? f.position : whence === 2 ? f.stats.size : NaN;
  if (Number.isNaN(base) || base + off < 0) return E.fail(E.EINVAL);
  f.position = base + off;
  return BigInt(f.position);
}

/** A pipe's default capacity in pages (PIPE_DEF_BUFFERS), and the page size. */
const PIPE_PAGES = 16;
const PAGE = 4096;

/**
 * sendfile(out_fd, in_fd, offset, count): from a host file to the standard output or error
 * (pipes; host files are read-only). With an offset pointer the file is read from *offset,
 * *offset moves past what was sent and the file's own offset stays; without, the file's offset
 * moves. Checks run in Linux's order (do_sendfile, then splicing into the pipe), and one call
 * sends at most what an empty pipe holds, as a native run into a drained pipe does.
 */
function sysSendfile(k: Kernel, a: readonly bigint[]): bigint {
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
  if (!output || (output.kind !== "stdout" && output.kind !== "stderr")) return fail(E.EBADF); // not open for writing
  if (count === 0n) return { result: 0n, pos };
  // Linux splices into the output pipe: a directory or a pipe (stdin) has nothing to splice from.
  if (input.kind !== "host" || input.isDirectory) return fail(E.EINVAL);
  // At most what an empty pipe of the default 16 pages takes, its first page filled from the offset on.
  const room = PIPE_PAGES * PAGE - ((pos ?? input.position) % PAGE);
  const data = readFd(k, inFd, count > BigInt(room) ? room : Number(count), pos);
  if (typeof data === "number") return fail(data);
  if (data.length > 0 && !k.output(output.kind, data)) {
    brokenPipe(k);
    return fail(E.EPIPE);
  }
  return { result: BigInt(data.length), pos: pos === undefined ? undefined : pos + data.length };
}

const TCGETS = 0x5401n;
const TIOCGWINSZ = 0x5413n;

function sysIoctl(k: Kernel, a: readonly bigint[]): bigint {
  if (!k.fds.get(int(a[0]!))) return E.fail(E.EBADF);
  // The inferior's standard streams are pipes, never terminals.
  if (a[1] === TCGETS || a[1] === TIOCGWINSZ) return E.fail(E.ENOTTY);
  return E.fail(E.ENOTTY);
}

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;

const errOr = (n: number): bigint => (n < 0 ? E.fail(-n) : BigInt(n));

function sysDup3(k: Kernel, a: readonly bigint[], flagsAllowed: boolean): bigint {
  const oldfd = int(a[0]!);
  const newfd = int(a[1]!);
  if (flagsAllowed) {
    if (oldfd === newfd) return E.fail(E.EINVAL);
    if ((int(a[2]!) & ~0o2000000) !== 0) return E.fail(E.EINVAL); // only O_CLOEXEC
  } else if (oldfd === newfd) return k.fds.get(oldfd) ? BigInt(oldfd) : E.fail(E.EBADF);
  return errOr(k.fds.dup(oldfd, { target: newfd }));
}

function sysFcntl(k: Kernel, a: readonly bigint[]): bigint {
  const f = k.fds.get(int(a[0]!));
  if (!f) return E.fail(E.EBADF);
  switch (int(a[1]!)) {
    case F_GETFD:
    case F_SETFD:
    case F_SETFL:
      return 0n;
    case F_GETFL:
      return f.kind === "stdin" || f.kind === "host" ? 0n : 1n; // O_RDONLY / O_WRONLY
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return errOr(k.fds.dup(int(a[0]!), { min: int(a[2]!) }));
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
  19: { name: "readv", handler: sysReadv },
  20: { name: "writev", handler: sysWritev },
  32: { name: "dup", handler: (k, a) => errOr(k.fds.dup(int(a[0]!))) },
  33: { name: "dup2", handler: (k, a) => sysDup3(k, a, false) },
  72: { name: "fcntl", handler: sysFcntl },
  40: { name: "sendfile", handler: sysSendfile },
  292: { name: "dup3", handler: (k, a) => sysDup3(k, a, true) },
};
