/**
 * The adapter's end of a terminal the client runs for the program (`"console":
 * "integratedTerminal"` or `"externalTerminal"`): a loopback server the relay (terminal-relay.ts,
 * started through the runInTerminal reverse request) connects to with a one-time token. Typed
 * input fills the program's stdin (an InputQueue), its output goes to the terminal, mode changes
 * (tcsetattr) go to the relay, the terminal's size and signal keys come from it.
 */
import { hostRandomBytes } from "../src/host-random.js";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { InputQueue } from "../src/inferior/input-queue.js";
import { Terminal } from "../src/inferior/terminal.js";
import { projectRoot } from "../src/project-root.js";
import { JitdbgError } from "../src/errors.js";
import { parseLines, type FromAdapter, type FromRelay } from "./terminal-protocol.js";

/** The relay script, bundled next to the adapter (scripts/bundle.mjs; the .vsix carries it). */
export const RELAY_SCRIPT = join(projectRoot(), "dist", "adapter", "terminal-relay.cjs");

/** How long the relay may take to connect once the client has started the terminal. */
const CONNECT_TIMEOUT_MS = 20_000;

/** What a link needs of the session: to send runInTerminal and hear its answer. */
export type RunInTerminal = (args: DebugProtocol.RunInTerminalRequestArguments) => Promise<DebugProtocol.RunInTerminalResponse>;

export interface TerminalEvents {
  /** A signal key typed (^C) in the terminal's mode. */
  signal(signo: number): void;
  /** The terminal went away (closed by the user): the program's input ended. */
  closed(): void;
  /** The terminal was resized: the program has a SIGWINCH to take. */
  resized(): void;
}

export class TerminalLink {
  readonly input = new InputQueue();
  /** The emulated terminal the program's streams are (with "tty": true): its size is the real one's. */
  readonly terminal = new Terminal();
  private open = true;

  private readonly socket: Socket;

  private constructor(relay: RelayConnection, events: TerminalEvents) {
    this.socket = relay.socket;
    const { rows, cols } = relay.hello;
    if (rows && cols) this.terminal.resize({ rows, cols });
    relay.listen((m) => {
      if (m.t === "in") this.input.push(Buffer.from(m.d, "base64"));
      else if (m.t === "eof") this.input.end();
      else if (m.t === "closed") this.input.close();
      else if (m.t === "size") {
        this.terminal.resize({ rows: m.rows, cols: m.cols });
        events.resized();
      }
      else if (m.t === "signal") events.signal(m.signo);
    });
    this.socket.on("close", () => {
      const was = this.open;
      this.open = false;
      this.input.close();
      if (was) events.closed();
    });
    this.terminal.onModeChange((mode) => this.send({ t: "mode", mode }));
  }

  get isOpen(): boolean {
    return this.open;
  }

  /**
   * Asks the client to run the relay in a terminal of `kind` and waits for it to connect; an error
   * saying what went wrong when the client cannot, or the relay never connects.
   */
  static async start(run: RunInTerminal, kind: "integrated" | "external", title: string, cwd: string, events: TerminalEvents): Promise<TerminalLink> {
    const token = hostRandomBytes(16).toString("hex");
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const accept = acceptRelay(server, token);
    try {
      const { port } = server.address() as { port: number };
      // In VS Code the extension host's executable is Electron: ELECTRON_RUN_AS_NODE makes it run the script as Node.
      const response = await run({ kind, title, cwd, args: [process.execPath, RELAY_SCRIPT, `127.0.0.1:${port}`, token], env: { ELECTRON_RUN_AS_NODE: "1" } });
      if (!response.success) {
        throw new JitdbgError("LOAD_TERMINAL", `launch: the client could not start the ${kind} terminal (${response.message ?? "runInTerminal failed"}); use "console": "debugConsole"`);
      }
      return new TerminalLink(await accept.connection, events);
    } finally {
      accept.stop();
      server.close();
    }
  }

  /** The program's output, to the terminal. */
  write(fd: 1 | 2, data: Uint8Array): void {
    if (this.open) this.send({ t: "out", fd, d: Buffer.from(data).toString("base64") });
  }

  /** Ends the relay (it restores its terminal's settings and exits). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.send({ t: "bye" });
    this.socket.end();
    this.input.close();
  }

  private send(m: FromAdapter): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(m)}\n`);
  }
}

/** A relay's connection once it said the token: its messages from then on go to `listen`'s listener (those before it, once it is set). */
interface RelayConnection {
  socket: Socket;
  hello: Extract<FromRelay, { t: "hello" }>;
  listen(on: (m: FromRelay) => void): void;
}

/** The first connection that says the token, within the time-out; other connections are closed. `stop` ends the wait (its time-out too). */
function acceptRelay(server: Server, token: string): { connection: Promise<RelayConnection>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const connection = new Promise<RelayConnection>((resolve, reject) => {
    timer = setTimeout(() => reject(new JitdbgError("LOAD_TERMINAL", `launch: the terminal's relay did not connect back within ${CONNECT_TIMEOUT_MS / 1000} s (is Node able to run ${RELAY_SCRIPT}?); use "console": "debugConsole"`)), CONNECT_TIMEOUT_MS);
    server.on("connection", (socket) => {
      socket.on("error", () => undefined); // a relay that vanished: "close" follows
      let hello: Extract<FromRelay, { t: "hello" }> | undefined;
      const early: FromRelay[] = [];
      let listener: ((m: FromRelay) => void) | undefined;
      socket.on(
        "data",
        parseLines((m: FromRelay) => {
          if (hello) return void (listener ? listener(m) : early.push(m));
          if (m.t !== "hello" || m.token !== token) return void socket.destroy();
          hello = m;
          clearTimeout(timer);
          resolve({ socket, hello, listen: (on) => ((listener = on), early.splice(0).forEach(on)) });
        }),
      );
    });
  });
  connection.catch(() => undefined); // a launch that failed before waiting for it does not wait
  return { connection, stop: () => clearTimeout(timer) };
}
