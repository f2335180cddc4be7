/**
 * The adapter's own stdin/stdout transport (adapter/stdio-transport.ts) against raw bytes: requests
 * that arrive together in one write, one that arrives a few bytes at a time, a header with other
 * fields than Content-Length, and a message that is not JSON (the session reports it as an error
 * and ends, as the library's reader did) — every response in order, each a whole frame; and
 * requests replayed from a file on stdin (no pipe: read by Node's own stream).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ADAPTER } from "../helpers/dap.js";

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

const frame = (seq: number, command: string, args: object = {}) => {
  const json = JSON.stringify({ seq, type: "request", command, arguments: args });
  return `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
};

/** Spawns the adapter and collects the messages it sends, frame by frame. */
function adapter(): { messages: { seq: number; type: string; command?: string; request_seq?: number; success?: boolean; event?: string }[]; until: (n: number) => Promise<void> } {
  child = spawn(process.execPath, [ADAPTER], { stdio: ["pipe", "pipe", "pipe"] });
  const messages: ReturnType<typeof adapter>["messages"] = [];
  let buf = Buffer.alloc(0);
  const waiters: (() => void)[] = [];
  child.stdout.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) break;
      const len = Number(/Content-Length: (\d+)/.exec(buf.subarray(0, end).toString())![1]);
      if (buf.length < end + 4 + len) break;
      messages.push(JSON.parse(buf.subarray(end + 4, end + 4 + len).toString()));
      buf = buf.subarray(end + 4 + len);
    }
    for (const w of waiters.splice(0)) w();
  });
  const until = async (n: number) => {
    while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { messages, until };
}

describe("the adapter's stdio transport", () => {
  it("answers requests sent together, one sent byte by byte, and one with another header field, in order", async () => {
    const a = adapter();
    const init = frame(1, "initialize", { adapterID: "t", pathFormat: "path" });
    child!.stdin.write(init + frame(2, "threads") + frame(3, "threads"));
    await a.until(3);
    const slow = frame(4, "threads");
    for (let i = 0; i < slow.length; i += 7) {
      child!.stdin.write(slow.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    const json = JSON.stringify({ seq: 5, type: "request", command: "threads" });
    child!.stdin.write(`Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    await a.until(5);
    const responses = a.messages.filter((m) => m.type === "response");
    expect(responses.map((m) => [m.request_seq, m.command, m.success])).toEqual([
      [1, "initialize", true],
      [2, "threads", true],
      [3, "threads", true],
      [4, "threads", true],
      [5, "threads", true],
    ]);
    // Sequence numbers of everything the adapter sent go up one by one.
    expect(a.messages.map((m) => m.seq)).toEqual(a.messages.map((_, i) => i + 1));
  });

  it("a message that is not JSON ends the session, as an error of the session", async () => {
    adapter();
    const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
    child!.stdin.write("Content-Length: 5\r\n\r\n{oops");
    expect(await exited).toBe(0);
  });

  it("requests sent the moment the last is answered (taken while the adapter polls its input), and the input's end during a poll", async () => {
    const a = adapter();
    let seq = 1;
    child!.stdin.write(frame(seq, "initialize", { adapterID: "t", pathFormat: "path" }));
    const answered = () => a.messages.filter((m) => m.type === "response").length;
    const answers = async (n: number) => {
      while (answered() < n) await a.until(a.messages.length + 1);
    };
    // Each next request goes out as soon as the previous answer is in, as a client in a burst sends it.
    for (let n = 1; n <= 20; n++) {
      await answers(n);
      child!.stdin.write(frame(++seq, "threads"));
    }
    await answers(21);
    const responses = a.messages.filter((m) => m.type === "response");
    expect(responses.map((m) => m.request_seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(responses.every((m) => m.success)).toBe(true);
    // Half a request, then the end of the input right after an answer: the session ends as always.
    const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
    child!.stdin.write(frame(++seq, "threads").slice(0, 10));
    child!.stdin.end();
    expect(await exited).toBe(0);
  });

  it("reads requests from a file on stdin", () => {
    const file = join(mkdtempSync(join(tmpdir(), "jitdbg-stdin-")), "requests");
    writeFileSync(file, frame(1, "initialize", { adapterID: "t", pathFormat: "path" }) + frame(2, "threads"));
    const r = spawnSync(process.execPath, [ADAPTER], { stdio: [openSync(file, "r"), "pipe", "pipe"], timeout: 30_000 });
    const out = r.stdout.toString();
    expect(out.match(/"command":"[a-z]+"/g)).toEqual(['"command":"initialize"', '"command":"threads"']);
  });
});
