/**
 * A minimal Debug Adapter Protocol client: spawns an adapter, frames messages with
 * Content-Length headers, matches responses to requests and hands events to listeners.
 *
 * The adapter may die or hang: its stderr is kept (the last STDERR_KEEP characters) and quoted in
 * every error; when it exits, is killed, cannot be started, or breaks the framing, every pending
 * request and event waiter is rejected with a message naming the exit code or signal and its last
 * stderr lines, and later requests are rejected at once; a request or waiter may have a time limit.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { JitdbgError, type ErrorCode } from "../errors.js";

type DapErrorCode = Extract<ErrorCode, `DAP_${string}`>;

export interface DapMessage {
  seq: number;
  type: "request" | "response" | "event";
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export interface DapClientOptions {
  /** Time limit in ms for every request and waiter that sets none itself (default: none). */
  timeoutMs?: number;
  /** How many of the adapter's last stderr lines an error quotes (default 10). */
  stderrLines?: number;
  /** How errors name the adapter (default: its command line, shortened). */
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface WaitOptions {
  /** Reject with DAP_TIMEOUT if no answer came within this many ms (overrides the client's). */
  timeoutMs?: number;
}

/** How much of the adapter's stderr is kept. */
const STDERR_KEEP = 64 * 1024;
/** After the adapter exits, how long its stderr may take to drain before everything is rejected. */
const DRAIN_MS = 200;

interface Pending {
  what: string; // `request "launch" (seq 2)` or `the "stopped" event`
  resolve: (m: DapMessage) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export class DapClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly name: string;
  private readonly options: DapClientOptions;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: (Pending & { event: string })[] = [];
  private readonly listeners: ((m: DapMessage) => void)[] = [];
  private stderrText = "";
  private closing = false;
  /** Set once the connection is over; every later request is rejected with it. */
  private failure?: { code: DapErrorCode; message: string };

  constructor(command: string, args: string[], options: DapClientOptions = {}) {
    this.options = options;
    const line = [command, ...args].join(" ").replace(/\s+/g, " ");
    this.name = options.name ?? (line.length > 120 ? `${line.slice(0, 117)}...` : line);
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], cwd: options.cwd, env: options.env });
    this.child.stdout.on("data", (d: Buffer) => this.receive(d));
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString("utf8")).slice(-STDERR_KEEP);
    });
    // Writing to an adapter that has died fails with EPIPE; its exit rejects what is pending.
    this.child.stdin.on("error", () => undefined);
    this.child.on("error", (e: NodeJS.ErrnoException) => {
      const why = e.code === "ENOENT" ? "cannot be started: no such file" : `failed: ${e.message}`;
      this.fail("DAP_ADAPTER_SPAWN", `the adapter ${this.name} ${why}`);
    });
    this.child.on("exit", (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      const end = () => this.fail(this.closing ? "DAP_CLOSED" : "DAP_ADAPTER_EXITED", this.closing ? "the client closed the connection to the adapter" : `the adapter ${this.name} ${how}`);
      // Let its last stderr arrive before quoting it.
      if (this.child.stderr.readableEnded || this.child.stderr.destroyed) end();
      else {
        const timer = setTimeout(end, DRAIN_MS);
        this.child.stderr.once("close", () => (clearTimeout(timer), end()));
      }
    });
  }

  /** The adapter's process id (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** What the adapter wrote on stderr so far (its last 64 KiB). */
  get stderr(): string {
    return this.stderrText;
  }

  onEvent(fn: (m: DapMessage) => void): void {
    this.listeners.push(fn);
  }

  /** Sends a request; resolves with a successful response, rejects with DAP_ERROR on an error response. */
  request(command: string, args: object = {}, opts: WaitOptions = {}): Promise<DapMessage> {
    const seq = this.seq++;
    const what = `request "${command}" (seq ${seq})`;
    const p = new Promise<DapMessage>((resolve, reject) => {
      if (this.failure) return reject(this.error(this.failure.code, `${this.failure.message}; ${what} was not sent`));
      const entry: Pending = {
        what,
        resolve: (m) => (m.success ? resolve(m) : reject(new JitdbgError("DAP_ERROR", `${command}: ${m.message ?? "failed"}`))),
        reject,
      };
      this.pending.set(seq, entry);
      this.arm(entry, opts, () => this.pending.delete(seq));
      const json = JSON.stringify({ seq, type: "request", command, arguments: args });
      this.child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    });
    return quiet(p);
  }

  /** Resolves with the next event named `event`. */
  waitFor(event: string, opts: WaitOptions = {}): Promise<DapMessage> {
    const p = new Promise<DapMessage>((resolve, reject) => {
      const what = `the "${event}" event`;
      if (this.failure) return reject(this.error(this.failure.code, `${this.failure.message} before ${what}`));
      const entry = { event, what, resolve, reject };
      this.waiters.push(entry);
      this.arm(entry, opts, () => {
        const i = this.waiters.indexOf(entry);
        if (i >= 0) this.waiters.splice(i, 1);
      });
    });
    return quiet(p);
  }

  /** Resolves once the adapter's process has exited (at once when it has). */
  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once("exit", () => resolve()));
  }

  /** Ends the adapter; whatever is still pending is rejected with DAP_CLOSED. */
  close(): void {
    this.closing = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private arm(entry: Pending, opts: WaitOptions, remove: () => void): void {
    const ms = opts.timeoutMs ?? this.options.timeoutMs;
    if (ms === undefined) return;
    entry.timer = setTimeout(() => {
      remove();
      entry.reject(this.error("DAP_TIMEOUT", `the adapter ${this.name} did not answer ${entry.what} within ${ms} ms`));
    }, ms);
  }

  /** An error quoting the adapter's last stderr lines. */
  private error(code: DapErrorCode, message: string): JitdbgError {
    const lines = this.stderrText.split("\n").filter((l) => l.trim() !== "");
    const last = lines.slice(-(this.options.stderrLines ?? 10));
    const tail = last.length === 0 ? "; it wrote nothing on stderr" : `; its last stderr lines:\n${last.map((l) => `  ${l}`).join("\n")}`;
    return new JitdbgError(code, `${message}${tail}`);
  }

  /** The connection is over: reject everything pending, once. */
  private fail(code: DapErrorCode, message: string): void {
    if (this.failure) return;
    this.failure = { code, message };
    const all = [...this.pending.values(), ...this.waiters.splice(0)];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(this.error(code, `${message} while ${p.what} was pending`));
    }
  }

  private receive(data: Buffer): void {
    if (this.failure) return;
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString());
      if (!m) return this.broken("a message without Content-Length");
      const len = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + len) return;
      let msg: DapMessage;
      try {
        msg = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + len).toString()) as DapMessage;
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        return this.broken(`a message that is not JSON (${e.message})`);
      }
      this.buffer = this.buffer.subarray(headerEnd + 4 + len);
      this.dispatch(msg);
    }
  }

  private broken(what: string): void {
    this.fail("DAP_FRAMING", `the adapter ${this.name} sent ${what}`);
    this.close();
  }

  private dispatch(msg: DapMessage): void {
    if (msg.type === "response" && msg.request_seq !== undefined) {
      const p = this.pending.get(msg.request_seq);
      if (!p) return;
      this.pending.delete(msg.request_seq);
      clearTimeout(p.timer);
      p.resolve(msg);
      return;
    }
    if (msg.type !== "event") return;
    for (const l of this.listeners) l(msg);
    const i = this.waiters.findIndex((w) => w.event === msg.event);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(msg);
    }
  }
}

/**
 * The same promise, marked handled: a waiter nobody awaits any more (its request failed first)
 * must not end the process with an unhandled rejection when the adapter later exits. Whoever
 * awaits it still gets the rejection.
 */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
