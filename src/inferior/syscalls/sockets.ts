/**
 * The socket calls a program makes on descriptors it did not create as sockets: bash asks
 * getpeername of its stdin, Tcl getsockname of its streams. No descriptor of an emulated process
 * is a socket (socket(2) itself is unsupported and stays ENOSYS), so an open one is ENOTSOCK.
 */
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { int, type SyscallEntry } from "./types.js";

const ENOTSOCK = 88;

const notSocket = (k: Kernel, fd: number): bigint => E.fail(k.fds.get(fd) ? ENOTSOCK : E.EBADF);

export const socketSyscalls: Record<number, SyscallEntry> = {
  51: { name: "getsockname", handler: (k, a) => notSocket(k, int(a[0]!)) },
  52: { name: "getpeername", handler: (k, a) => notSocket(k, int(a[0]!)) },
};
