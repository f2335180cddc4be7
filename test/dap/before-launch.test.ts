/**
 * Requests before 'launch' (issue 15): `threads` lists no thread (there is no program yet), and
 * the requests that need a program say so, with the request to send first.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { errorOf, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("before launch", () => {
  it("threads is empty; stackTrace, evaluate, next and setBreakpoints say the program is not launched", async () => {
    dc = await startClient();
    const c = dc;
    await c.initializeRequest({ adapterID: "jitdbg" });
    expect((await c.threadsRequest()).body.threads).toEqual([]);
    for (const p of [
      c.stackTraceRequest({ threadId: MAIN_THREAD }),
      c.evaluateRequest({ expression: "1 + 1", context: "repl" }),
      c.nextRequest({ threadId: MAIN_THREAD }),
      c.setBreakpointsRequest({ source: { path: "/tmp/x.c" }, breakpoints: [{ line: 3 }] }),
    ]) {
      expect((await errorOf(p)).message).toMatch(/has not been launched yet \(send 'launch' first\)/);
    }
    expect((await c.threadsRequest()).body.threads).toEqual([]);
  });
});
