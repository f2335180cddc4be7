/**
 * Entry of the jitdbg debug adapter: speaks DAP on stdin/stdout, or, with --server=PORT, on a TCP
 * port (one session per connection) so the adapter itself can be debugged.
 */
import { createServer } from "node:net";
import { JitdbgSession } from "./session.js";
import { serveStdio } from "./stdio-transport.js";

function serverPort(argv: string[]): number | undefined {
  const arg = argv.find((a) => a.startsWith("--server="));
  if (!arg) return undefined;
  const port = Number(arg.slice("--server=".length));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write(`jitdbg-adapter: --server needs a port number, got '${arg}'\n`);
    process.exit(2);
  }
  return port;
}

const port = serverPort(process.argv.slice(2));
if (port === undefined) {
  const session = new JitdbgSession();
  process.on("SIGTERM", () => {
    session.endDebuggee();
    process.exit(0);
  });
  serveStdio(session);
} else {
  createServer((socket) => {
    const session = new JitdbgSession();
    session.setRunAsServer(true);
    session.start(socket, socket);
  })
    .listen(port, "127.0.0.1", () => process.stderr.write(`jitdbg-adapter: listening for DAP on 127.0.0.1:${port}\n`));
}
