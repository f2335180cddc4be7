/**
 * The DAP client of `jitdbg demo` and the benchmarks never waits forever on an adapter that dies or
 * hangs: the adapter's exit (code or signal), a failure to start it, broken framing and a time limit
 * reject every pending request and event waiter, quoting the adapter's last stderr lines. Driven by a
 * scripted adapter (answers initialize, never answers "hang", exits 7 on "crash") and by the real one.
 */
import { describe, expect, it } from "vitest";
import { DapClient } from "../../src/cli/dap-client.js";
import { compileSource } from "../helpers/compile.js";
import { ADAPTER } from "../helpers/dap.js";

const FAKE_ADAPTER = String.raw`
let buf = Buffer.alloc(0);
const send = (m) => { const j = JSON.stringify(m); process.stdout.write("Content-Length: " + Buffer.byteLength(j) + "\r\n\r\n" + j); };
process.stderr.write("fake adapter: started\n");
process.stdin.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const h = buf.indexOf("\r\n\r\n");
    if (h < 0) return;
    const len = Number(/Content-Length: (\d+)/.exec(buf.subarray(0, h).toString())[1]);
    if (buf.length < h + 4 + len) return;
    const req = JSON.parse(buf.subarray(h + 4, h + 4 + len).toString());
    buf = buf.subarray(h + 4 + len);
    process.stderr.write("fake adapter: got " + req.command + "\n");
    if (req.command === "initialize") {
      send({ seq: 1, type: "response", request_seq: req.seq, command: req.command, success: true, body: {} });
      send({ seq: 2, type: "event", event: "initialized" });
    } else if (req.command === "crash") {
      process.stderr.write("fatal: the adapter gave up\n");
      process.exit(7);
    } else if (req.command === "garbage") {
      process.stdout.write("Nonsense: 1\r\n\r\n");
    }
    // anything else is never answered
  }
});
`;

function fakeAdapter(opts: { timeoutMs?: number } = {}): DapClient {
  return new DapClient(process.execPath, ["-e", FAKE_ADAPTER], { name: "fake-adapter", ...opts });
}

/** Resolves once the adapter's stderr contains `text`. */
async function stderrShows(dap: DapClient, text: string): Promise<void> {
  for (let i = 0; i < 500 && !dap.stderr.includes(text); i++) await new Promise((r) => setTimeout(r, 10));
  expect(dap.stderr).toContain(text);
}

describe("DapClient when the adapter dies or hangs", () => {
  it("a kill mid-request rejects the request and every waiter with the signal and the last stderr lines", async () => {
    const dap = fakeAdapter();
    try {
      await dap.request("initialize");
      const hang = dap.request("hang", { x: 1 });
      const stopped = dap.waitFor("stopped");
      await stderrShows(dap, "got hang");
      process.kill(dap.pid!, "SIGKILL");
      const tail = "; its last stderr lines:\n  fake adapter: started\n  fake adapter: got initialize\n  fake adapter: got hang";
      await expect(hang).rejects.toMatchObject({ code: "DAP_ADAPTER_EXITED", message: `the adapter fake-adapter was killed by SIGKILL while request "hang" (seq 2) was pending${tail}` });
      await expect(stopped).rejects.toMatchObject({ code: "DAP_ADAPTER_EXITED", message: expect.stringContaining(`was killed by SIGKILL while the "stopped" event was pending${tail}`) });
      // Later requests and waiters fail at once, saying why.
      await expect(dap.request("threads")).rejects.toThrow(/was killed by SIGKILL; request "threads" \(seq 3\) was not sent/);
      await expect(dap.waitFor("exited")).rejects.toThrow(/was killed by SIGKILL before the "exited" event/);
    } finally {
      dap.close();
    }
  });

  it("an exit names its code and quotes the adapter's last words", async () => {
    const dap = fakeAdapter();
    try {
      await dap.request("initialize");
      const pending = dap.request("hang");
      const terminated = dap.waitFor("terminated");
      await expect(dap.request("crash")).rejects.toThrow(/exited with code 7 while request "crash" \(seq 3\) was pending; its last stderr lines:\n(.*\n)*  fatal: the adapter gave up$/);
      await expect(pending).rejects.toThrow(/exited with code 7 while request "hang" \(seq 2\) was pending/);
      await expect(terminated).rejects.toThrow(/exited with code 7 while the "terminated" event was pending/);
      expect(dap.stderr).toBe("fake adapter: started\nfake adapter: got initialize\nfake adapter: got hang\nfake adapter: got crash\nfatal: the adapter gave up\n");
    } finally {
      dap.close();
    }
  });

  it("stderr lines quoted are the last ones, as many as asked", async () => {
    const dap = new DapClient(process.execPath, ["-e", FAKE_ADAPTER], { name: "fake-adapter", stderrLines: 1 });
    try {
      await expect(dap.request("crash")).rejects.toThrow(/exited with code 7 while request "crash" \(seq 1\) was pending; its last stderr lines:\n  fatal: the adapter gave up$/);
    } finally {
      dap.close();
    }
  });

  it("a per-request time limit rejects with DAP_TIMEOUT and leaves the connection usable", async () => {
    const dap = fakeAdapter({ timeoutMs: 60_000 });
    try {
      // 1 s: long enough for a fresh node to start and say so on a loaded machine (100 ms was not).
      await expect(dap.request("hang", {}, { timeoutMs: 1000 })).rejects.toMatchObject({ code: "DAP_TIMEOUT", message: expect.stringMatching(/did not answer request "hang" \(seq 1\) within 1000 ms; its last stderr lines:\n  fake adapter: started\n  fake adapter: got hang$/) });
      await expect(dap.waitFor("stopped", { timeoutMs: 50 })).rejects.toThrow(/did not answer the "stopped" event within 50 ms/);
      const initialized = dap.waitFor("initialized");
      expect((await dap.request("initialize")).success).toBe(true);
      expect((await initialized).event).toBe("initialized");
    } finally {
      dap.close();
    }
  });

  it("an adapter that cannot be started rejects what was asked of it", async () => {
    const dap = new DapClient("/nonexistent/jitdbg-adapter", []);
    await expect(dap.request("initialize")).rejects.toMatchObject({ code: "DAP_ADAPTER_SPAWN", message: "the adapter /nonexistent/jitdbg-adapter cannot be started: no such file while request \"initialize\" (seq 1) was pending; it wrote nothing on stderr" });
    dap.close();
  });

  it("broken framing ends the connection instead of throwing in a stream handler", async () => {
    const dap = fakeAdapter();
    try {
      const stopped = dap.waitFor("stopped");
      await expect(dap.request("garbage")).rejects.toMatchObject({ code: "DAP_FRAMING", message: expect.stringContaining("sent a message without Content-Length while request \"garbage\" (seq 1) was pending") });
      await expect(stopped).rejects.toMatchObject({ code: "DAP_FRAMING" });
    } finally {
      dap.close();
    }
  });

  it("close() rejects what is still pending with DAP_CLOSED", async () => {
    const dap = fakeAdapter();
    await dap.request("initialize");
    const hang = dap.request("hang");
    dap.close();
    await expect(hang).rejects.toMatchObject({ code: "DAP_CLOSED", message: expect.stringContaining("the client closed the connection to the adapter while request \"hang\" (seq 2) was pending") });
  });

  it("the real adapter killed while its program runs rejects the waiters", async () => {
    const spin = compileSource("int main(void) { for (volatile unsigned long i = 0;; i++) {} }\n", { flags: ["-static", "-O0", "-g"] }, "spin");
    const dap = new DapClient(process.execPath, [ADAPTER]);
    try {
      await dap.request("initialize", { adapterID: "jitdbg", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
      const initialized = dap.waitFor("initialized");
      await dap.request("launch", { program: spin });
      await initialized;
      const terminated = dap.waitFor("terminated");
      const exited = dap.waitFor("exited");
      await dap.request("configurationDone");
      const threads = dap.request("threads");
      process.kill(dap.pid!, "SIGKILL");
      await expect(terminated).rejects.toMatchObject({ code: "DAP_ADAPTER_EXITED", message: expect.stringMatching(/the adapter .*dist\/adapter\/main\.js was killed by SIGKILL while the "terminated" event was pending/) });
      await expect(exited).rejects.toThrow(/was killed by SIGKILL while the "exited" event was pending/);
      // The threads request raced the kill: answered, or rejected with the same reason.
      await threads.then(
        (r) => expect(r.success).toBe(true),
        (e: Error) => expect(e.message).toMatch(/was killed by SIGKILL while request "threads" \(seq 4\) was pending/),
      );
    } finally {
      dap.close();
    }
  });
});
