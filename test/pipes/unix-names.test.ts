/**
 * Named AF_UNIX sockets against the native runs of test/fixtures/pipes/unix_names.c in the three
 * build kinds: bind, listen, connect and accept with a file-system name and an abstract one, the
 * names each end reports, poll of a listener, every call's errors, forked clients served in turn,
 * a thread blocked in accept while the main thread connects, a seqpacket conversation; under chaos
 * scheduling too; datagrams to names (unix_datagrams.c). And a socket file of the host, which no emulated process answers: refused,
 * logged once.
 */
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileSource, repoRoot } from "../helpers/compile.js";
import { emulate } from "../threads/harness.js";
import { BUILD_KINDS, buildPipes, expectLikeNative } from "./harness.js";

describe("named AF_UNIX sockets run as natively", () => {
  for (const kind of BUILD_KINDS) {
    it(`gcc ${kind}: bind, listen, connect, accept, names, poll, errors, forked clients, a thread in accept, seqpacket`, () => {
      const n = expectLikeNative(buildPipes("unix_names", kind));
      expect(n.stdout).toContain("client peer: len 30 /tmp/jitdbg-unix-names.sock\n");
      expect(n.stdout).toContain("server got 9: from main\n");
      expect(n.stdout).toContain("server second message, 3 asked: 3 sec\n");
      expect(n.stdout).toContain("abstract name after close: ECONNREFUSED");
    });
  }

  for (const kind of BUILD_KINDS) {
    it(`gcc ${kind}: datagrams to a path and an abstract name, the sender's address, connect then send, EPERM from a third socket, a forked sender`, () => {
      const n = expectLikeNative(buildPipes("unix_datagrams", kind));
      expect(n.stdout).toContain("recvmsg: 5 'world' namelen 27 /tmp/jitdbg-dgram-2.sock\n");
      expect(n.stdout).toContain("a third socket to the receiver: EPERM\n");
      expect(n.stdout).toContain("abstract: 10 'from child' from len 0");
    });
  }

  it("chaos scheduling: the same conversation", () => {
    expectLikeNative(buildPipes("unix_names", "static"), [], { scheduler: { chaos: true }, seed: 5n });
  });
});

describe("a socket file of the host", () => {
  it("refuses the connection (ECONNREFUSED) and says once that the host's sockets cannot be reached", () => {
    const src = `#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct sockaddr_un a = {AF_UNIX};
  strcpy(a.sun_path, argv[1]);
  for (int i = 0; i < 2; i++) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("%d %s\\n", r, strerror(errno));
    close(s);
  }
  return 0;
}`;
    const exe = compileSource(src, { flags: ["-O1"] }, "host_socket");
    // The test's own host socket: a listening socket file in the program's directory, made natively.
    const e = emulate(exe, { args: [hostSocket()] });
    expect(e.stdout).toBe("-1 Connection refused\n-1 Connection refused\n");
    expect(e.warnings).toEqual([`a connection to ${hostSocket()}, a socket of the host (not one the program made), is not supported: it was refused (ECONNREFUSED)`]);
  });
});

let made: string | undefined;
/** A listening AF_UNIX socket on the host (this test process's, through Node), among the fixtures. */
function hostSocket(): string {
  if (made) return made;
  made = join(repoRoot, ".cache", "fixtures", "host-listener.sock");
  rmSync(made, { force: true });
  createServer().listen(made).unref();
  return made;
}
