/**
 * A minimal Debug Adapter Protocol client: spawns an adapter, frames messages with
 * Content-Length headers, matches responses to requests and hands events to listeners.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { JitdbgError } from "../errors.js";

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

export class DapClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, { resolve: (m: DapMessage) => void; reject: (e: Error) => void }>();
  private readonly waiters: { event: string; resolve: (m: DapMessage) => void }[] = [];
  private readonly listeners: ((m: DapMessage) => void)[] = [];

  constructor(command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (d: Buffer) => this.receive(d));
    this.child.stderr.on("data", () => {});
  }

  onEvent(fn: (m: DapMessage) => void): void {
    this.listeners.push(fn);
  }

  request(command: string, args: object = {}): Promise<DapMessage> {
    const seq = this.seq++;
    const json = JSON.stringify({ seq, type: "request", command, arguments: args });
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return new Promise((resolve, reject) => {
      this.pending.set(seq, {
        resolve: (m) => (m.success ? resolve(m) : reject(new JitdbgError("DAP_ERROR", `${command}: ${m.message ?? "failed"}`))),
        reject,
      });
    });
  }

  waitFor(event: string): Promise<DapMessage> {
    return new Promise((resolve) => this.waiters.push({ event, resolve }));
  }

  close(): void {
    this.child.kill();
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString());
      if (!m) throw new JitdbgError("DAP_FRAMING", "adapter sent a message without Content-Length");
      const len = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + len) return;
      const msg = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + len).toString()) as DapMessage;
      this.buffer = this.buffer.subarray(headerEnd + 4 + len);
      this.dispatch(msg);
    }
  }

  private dispatch(msg: DapMessage): void {
    if (msg.type === "response" && msg.request_seq !== undefined) {
      this.pending.get(msg.request_seq)?.resolve(msg);
      this.pending.delete(msg.request_seq);
      return;
    }
    if (msg.type !== "event") return;
    for (const l of this.listeners) l(msg);
    const i = this.waiters.findIndex((w) => w.event === msg.event);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg);
  }
}
