/**
 * Pipes, eventfds and waiting for descriptors (poll, select, epoll), against the native runs of
 * C programs built in the three build kinds: a producer thread streaming 1 MiB to a consumer
 * through writes and reads of many sizes (blocking on full and empty, EOF at the end), in plain
 * calls, readv/writev, one single 1 MiB write, and behind poll/select/epoll; single-threaded
 * behaviour (EOF, O_NONBLOCK and how many bytes fit, atomic and partial writes, fcntl, dup*,
 * fstat, EPIPE with SIGPIPE ignored, dup2 onto stdout, readiness and time-outs that expire);
 * waits other threads end; signals interrupting pipe waits with and without SA_RESTART; SIGPIPE's
 * default action (status 141).
 */
import { describe, expect, it } from "vitest";
import { BUILD_KINDS, buildPipes, expectLikeNative } from "./harness.js";

const STREAM_MODES = ["write", "one", "vector", "poll", "select", "epoll"];

describe("pipes run as natively", () => {
  for (const kind of BUILD_KINDS) {
    describe(`gcc ${kind}`, () => {
      for (const mode of STREAM_MODES) {
        it(`1 MiB from a producer thread to a consumer thread (${mode})`, () => {
          const n = expectLikeNative(buildPipes("stream", kind), [mode]);
          expect(n.stdout).toBe(`${mode}: received 1048576 bytes, checksum 22e95ee529f6a48a, then EOF\n`);
        });
      }

      it("one thread: EOF, O_NONBLOCK, capacity, fcntl, dup, fstat, EPIPE, dup2 onto stdout, poll/select/epoll time-outs, eventfd", () => {
        const n = expectLikeNative(buildPipes("basics", kind));
        expect(n.status).toBe(0);
        expect(n.stdout).toContain("size 4097: 45066 bytes until EAGAIN"); // the page accounting of Linux's pipe
        expect(n.stdout).not.toContain("FAILED");
      });

      it("waits another thread ends: poll, select, ppoll, epoll_wait, read at EOF, writes woken by a read and by EPIPE, eventfd", () => {
        expect(expectLikeNative(buildPipes("wakeups", kind)).status).toBe(0);
      });

      it("signals interrupt pipe waits: EINTR without SA_RESTART, a restart with it; poll/select/epoll EINTR; ppoll's mask; SIGPIPE handled", () => {
        const n = expectLikeNative(buildPipes("interrupt", kind));
        expect(n.stdout).toContain("SA_RESTART: read 1 ok, handled 1");
        expect(n.stdout).toContain("no SA_RESTART: read -1 EINTR, handled 1");
      });

      // Signals.interrupt asks the io wait for its partial result (IoWait.interrupted), as pipe_write returns it.
      it("a blocking write interrupted by a handled signal after part of it went in returns that part", () => {
        expectLikeNative(buildPipes("partial", kind));
      });

      for (const where of ["main", "thread"]) {
        it(`a write without readers ends the program by SIGPIPE, status 141 (in the ${where} thread)`, () => {
          const n = expectLikeNative(buildPipes("sigpipe", kind), where === "thread" ? ["thread"] : []);
          expect(n.status).toBe(141);
          expect(n.stdout).toBe("writing to a pipe without readers\n");
        });
      }
    });
  }

  it("chaos scheduling: the stream still arrives whole, in every mode, and a seed replays", () => {
    const exe = buildPipes("stream", "static");
    for (const [i, mode] of STREAM_MODES.entries()) expectLikeNative(exe, [mode], { scheduler: { chaos: true }, seed: BigInt(7 + i) });
  });
});
