/**
 * Unix-domain socket pairs against the native runs of test/fixtures/pipes/socketpair.c in the
 * three build kinds: a stream pair in one process (both directions, peeking, non-blocking calls,
 * poll readiness, shutdown, the peer's close and ECONNRESET, options, names, fstat), datagram and
 * seqpacket pairs (message boundaries, truncation, how each takes shutdown and a peer's close), a
 * forked child talking with its parent (ending by SIGPIPE), and 6 MiB each way between a forked
 * echo and two threads, which fills and drains the buffers across many run slices. And what
 * socket(2) says of the families it does not have, which has no native equal: a failure, logged
 * once per family (named sockets: unix-names.test.ts).
 */
import { describe, expect, it } from "vitest";
import { compileSource } from "../helpers/compile.js";
import { emulate } from "../threads/harness.js";
import { BUILD_KINDS, buildPipes, expectLikeNative } from "./harness.js";

describe("socket pairs run as natively", () => {
  for (const kind of BUILD_KINDS) {
    describe(`gcc ${kind}`, () => {
      it("a stream pair in one process: both ways, peek, EAGAIN, poll, shutdown, the peer's close, options, names, fstat", () => {
        const n = expectLikeNative(buildPipes("socketpair", kind), ["basics"]);
        expect(n.stdout).toContain("fstat: socket 1, mode 777");
        expect(n.stdout).toContain("recv after: -1 ECONNRESET");
        expect(n.stdout).toContain("poll after SHUT_WR, the peer: 1 IN|OUT|RDHUP");
        expect(n.stdout).not.toContain("FAILED");
      });

      it("datagram and seqpacket pairs keep message boundaries and take shutdown and close as Linux does", () => {
        const n = expectLikeNative(buildPipes("socketpair", kind), ["messages"]);
        expect(n.stdout).toContain("recvmsg into 5: 5 third flags 0x20");
        expect(n.stdout).toContain("send again: -1 ENOTCONN");
      });

      it("a forked child talks with its parent, then dies of SIGPIPE", () => {
        const n = expectLikeNative(buildPipes("socketpair", kind), ["fork"]);
        expect(n.stdout).toContain("parent MSG_WAITALL got 6: ababab");
        expect(n.stdout).toContain("child ended: by signal 13");
      });

      it("6 MiB each way between a forked echo and two threads", () => {
        const n = expectLikeNative(buildPipes("socketpair", kind), ["stream"]);
        expect(n.stdout).toMatch(/^echo: 6291456 bytes, then EOF\nparent: 6291456 bytes back, 0 wrong, checksum [0-9a-f]{16}, child status 0\n$/);
      });
    });
  }

  it("chaos scheduling: the echo still comes back whole", () => {
    expectLikeNative(buildPipes("socketpair", "static"), ["stream"], { scheduler: { chaos: true }, seed: 11n });
  });
});

describe("socket(2)", () => {
  it("makes an unconnected AF_UNIX socket (socket-names: bind, listen, connect, accept); the other families fail, logged once each (EAFNOSUPPORT)", () => {
    const src = `#include <stdio.h>
#include <sys/socket.h>
int main(void) {
  for (int i = 0; i < 2; i++) {
    int u = socket(AF_UNIX, SOCK_STREAM, 0), v4 = socket(AF_INET, SOCK_DGRAM, 0), v6 = socket(AF_INET6, SOCK_STREAM, 0);
    printf("%d %d %d\\n", u, v4, v6);
  }
  return 0;
}`;
    const e = emulate(compileSource(src, { flags: ["-O1"] }, "socket_families"));
    expect(e.stdout).toBe("3 -1 -1\n4 -1 -1\n");
    expect(e.warnings).toEqual([
      "socket(AF_INET, dgram) is not supported (the emulated kernel has AF_UNIX sockets only): it returned EAFNOSUPPORT",
      "socket(AF_INET6, stream) is not supported (the emulated kernel has AF_UNIX sockets only): it returned EAFNOSUPPORT",
    ]);
  });
});
