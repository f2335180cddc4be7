/**
 * open(2) of a FIFO, as Linux's fifo_open: the new end is one of the node's emulated pipe
 * (fifos.ts), never the host FIFO, which a host open would block on. O_RDONLY waits until a writer
 * opens (O_NONBLOCK: at once), O_WRONLY until a reader does (O_NONBLOCK without one: ENXIO),
 * O_RDWR never waits. A waiting open counts as its end already (FdTable.beginOpen), as Linux
 * counts pipe->readers before it waits, so the partner's open goes through; and it waits for the
 * partner's open count to move, so a writer that opened and closed again still ends it (the read
 * then sees EOF). The wait is an io wait like a pipe read's; a signal interrupts it (restarted
 * under SA_RESTART or without a handler, else EINTR).
 */
import * as E from "../errno.js";
import type { Entry } from "../file-view.js";
import type { Kernel } from "../kernel.js";
import { blockOnIo, ioChanged, O_CLOEXEC, O_NONBLOCK, readersOpen, writersOpen, type PipeEnd } from "./pipes.js";

const O_ACCMODE = 3;
const ENXIO = 6;

const result = (fd: number): bigint => (fd < 0 ? E.fail(-fd) : BigInt(fd));

export function openFifo(k: Kernel, e: Entry, flags: number, nr: number): bigint {
  const mode = flags & O_ACCMODE;
  if (mode === O_ACCMODE) return E.fail(E.EINVAL); // neither reading nor writing
  if (k.fds.full) return E.fail(E.EMFILE); // Linux takes the descriptor before it opens
  const end = mode === 0 ? "read" : mode === 1 ? "write" : "both";
  const nonblock = (flags & O_NONBLOCK) !== 0;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (end === "write" && nonblock) {
    const open = k.files.fifos.openPipe(e.stats);
    if (!open || !readersOpen(k, open)) return E.fail(ENXIO);
  }
  const pipe = k.files.fifos.pipeOf(e.stats);
  const f: PipeEnd = { kind: "pipe", pipe, end, nonblock, fifo: { guestPath: e.guest, stats: e.stats } };
  const partner = end === "both" || (end === "read" ? writersOpen(k, pipe) : readersOpen(k, pipe));
  if (end !== "write") pipe.opened.read++;
  if (end !== "read") pipe.opened.write++;
  if (partner || nonblock) {
    if (!partner) f.fifo!.hupAfter = pipe.opened.write;
    const fd = k.fds.install(f, cloexec);
    ioChanged(k); // the partner may be waiting in its open
    return result(fd);
  }
  const partnerOpens = () => (end === "read" ? pipe.opened.write : pipe.opened.read);
  const since = partnerOpens();
  k.fds.beginOpen(f);
  return blockOnIo(
    k,
    {
      kind: "io",
      what: `open of FIFO ${e.guest} for ${end === "read" ? "reading" : "writing"}`,
      retry: () => (partnerOpens() === since ? undefined : { done: result(k.fds.completeOpen(f, cloexec)) }),
    },
    nr,
    { onInterrupt: () => k.fds.abandonOpen(f) },
  );
}
