/**
 * The relay a terminal runs for `"console": "integratedTerminal"` / `"externalTerminal"` (the
 * adapter asks the client to start it with runInTerminal, as CodeLLDB and cpptools do): it
 * connects back to the adapter (terminal-link.ts) and bridges this terminal and the emulated
 * program's standard streams — what is typed goes to the program's stdin, what it writes comes
 * here — and keeps this terminal in the program's mode (tcsetattr: raw, no echo) with `stty`,
 * reports its window size, and passes on ^C and ^\ as signals. Plain Node, no dependencies:
 *   node terminal-relay.cjs HOST:PORT TOKEN
 * Messages both ways are JSON lines (terminal-protocol.ts).
 */
import { spawnSync } from "node:child_process";
import { read, writeSync } from "node:fs";
import { connect } from "node:net";
import { isatty } from "node:tty";
import { parseLines, type FromAdapter, type FromRelay } from "./terminal-protocol.js";
import type { TerminalMode } from "../src/inferior/terminal.js";

const [address, token] = process.argv.slice(2);
const match = /^(.*):(\d+)$/.exec(address ?? "");
if (!match || !token) {
  process.stderr.write("jitdbg terminal relay: usage: terminal-relay HOST:PORT TOKEN (the debug adapter starts it)\n");
  process.exit(2);
}

const onTty = isatty(0);
/** This terminal's settings before the program changed them, put back at the end. */
const saved = onTty ? stty(["-g"])?.trim() : undefined;

const socket = connect(Number(match[2]), match[1]!);
const send = (m: FromRelay) => socket.write(`${JSON.stringify(m)}\n`);

socket.on("connect", () => {
  send({ t: "hello", token, ...windowSize() });
  readInput();
});
socket.on("data", parseLines((m: FromAdapter) => handle(m)));
socket.on("error", (e) => finish(`jitdbg: the connection to the debugger failed (${e.message})\n`));
socket.on("close", () => finish());

process.stdout.on("resize", () => {
  const size = windowSize();
  if (size.rows) send({ t: "size", rows: size.rows, cols: size.cols! });
});
// Keys that raise signals in this terminal's mode are the program's, not the relay's.
for (const [name, signo] of [["SIGINT", 2], ["SIGQUIT", 3]] as const) process.on(name, () => send({ t: "signal", signo }));
process.on("SIGTSTP", () => undefined);

function handle(m: FromAdapter): void {
  switch (m.t) {
    case "out":
      writeAll(m.fd, Buffer.from(m.d, "base64"));
      break;
    case "mode":
      if (onTty) stty(sttyArguments(m.mode));
      break;
    case "bye":
      socket.end();
      break;
  }
}

/** Reads this terminal (fd 0) with blocking reads in Node's thread pool: on a tty, a read of 0 bytes is ^D, and reading goes on. */
function readInput(): void {
  const buf = Buffer.alloc(65536);
  read(0, buf, 0, buf.length, null, (err, n) => {
    if (err) {
      if (err.code === "EAGAIN") return void setTimeout(readInput, 20);
      return void send({ t: "closed" });
    }
    if (n > 0) send({ t: "in", d: buf.subarray(0, n).toString("base64") });
    else if (onTty) send({ t: "eof" });
    else return void send({ t: "closed" }); // a pipe's end: nothing more comes
    readInput();
  });
}

function writeAll(fd: 1 | 2, data: Buffer): void {
  for (let at = 0; at < data.length; ) {
    try {
      at += writeSync(fd, data, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return;
    }
  }
}

function windowSize(): { rows?: number; cols?: number } {
  const { rows, columns } = process.stdout;
  return process.stdout.isTTY && rows > 0 && columns > 0 ? { rows, cols: columns } : {};
}

/** The `stty` settings that put this terminal in the program's mode. */
function sttyArguments(mode: TerminalMode): string[] {
  const flag = (on: boolean, name: string) => (on ? name : `-${name}`);
  return [flag(mode.canonical, "icanon"), flag(mode.echo, "echo"), flag(mode.signals, "isig"), flag(mode.crToNl, "icrnl"), flag(mode.outputProcessing, "opost"), "min", String(mode.min), "time", String(mode.time)];
}

/** Runs stty on this terminal (its stdin); its output, or undefined when it failed. */
function stty(args: string[]): string | undefined {
  const r = spawnSync("stty", args, { stdio: [0, "pipe", "pipe"] });
  return r.status === 0 ? r.stdout.toString() : undefined;
}

let finished = false;
function finish(message?: string): void {
  if (finished) return;
  finished = true;
  if (saved) stty([saved]);
  if (message) process.stderr.write(message);
  process.exit(0);
}
