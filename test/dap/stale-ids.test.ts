/**
 * Ids from an earlier stop: VS Code keeps asking about the frames and variables it showed before
 * the program moved on (a view refreshing, a watch, an inline value), and a request for a thread
 * that ended. Those are answered with an error whose message says what expired, but not shown to
 * the user (showUser false: no notification, as in VS Code's "frame 13 does not exist" toast at a
 * conditional breakpoint's stop); so are the views' requests while the program runs. The user's
 * own errors (a wrong expression in the console, a value that does not parse, a malformed
 * request) stay showUser.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = join(fixturesDir, "dap-requests", "calls.c");
const text = readFileSync(SRC, "utf8").split("\n");
const lineOf = (marker: string) => text.findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

/** The whole response, error or not (DebugClient's requests reject with the message only). */
function answer(c: DebugClient, command: string, args?: unknown): Promise<DebugProtocol.Response> {
  const raw = c as unknown as { doSend(command: string, args: unknown, done: (r: DebugProtocol.Response) => void): void };
  return new Promise((resolve) => raw.doSend(command, args, resolve));
}

/** The error of a failed request: its message and whether the client is to show it. */
async function failure(c: DebugClient, command: string, args?: unknown): Promise<{ message: string; showUser: boolean | undefined }> {
  const r = (await answer(c, command, args)) as DebugProtocol.ErrorResponse;
  expect(r.success, `${command} ${JSON.stringify(args)} was expected to fail`).toBe(false);
  return { message: r.message, showUser: r.body?.error?.showUser };
}

describe("expired ids and the views' requests while running: errors not shown to the user", () => {
  const exe = compileFixture("dap-requests/calls.c", { flags: ["-g", "-O0"] });

  it("a frame id, variables references and a thread from the previous stop; requests while it runs; the user's errors stay visible", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("CALLS") }] }));
    const oldFrame = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.id;
    const oldLocals = (await c.scopesRequest({ frameId: oldFrame })).body.scopes.find((s) => s.name === "Locals")!.variablesReference;
    expect((await c.variablesRequest({ variablesReference: oldLocals })).body.variables.map((v) => v.name)).toEqual(expect.arrayContaining(["a", "b"]));

    const stopped = c.waitForEvent("stopped");
    await c.nextRequest({ threadId: MAIN_THREAD });
    await stopped;
    const frame = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames[0]!.id;
    expect(frame).not.toBe(oldFrame);

    // What VS Code sends for the stop it showed before.
    for (const [command, args] of [
      ["scopes", { frameId: oldFrame }],
      ["evaluate", { expression: "a", frameId: oldFrame, context: "watch" }],
      ["evaluate", { expression: "a", frameId: oldFrame, context: "hover" }],
      ["evaluate", { expression: "a + 1", frameId: oldFrame, context: "repl" }],
      ["completions", { text: "a", column: 2, frameId: oldFrame }],
      ["setExpression", { expression: "a", value: "1", frameId: oldFrame }],
      ["restartFrame", { frameId: oldFrame }],
      ["stepInTargets", { frameId: oldFrame }],
    ] as const) {
      const e = await failure(c, command, args);
      expect(e.message, command).toMatch(new RegExp(`frame ${oldFrame} does not exist .*expire`));
      expect(e.showUser, `${command} with an expired frame id`).toBe(false);
    }
    for (const ref of [oldLocals, 9999]) {
      const e = await failure(c, "variables", { variablesReference: ref });
      expect(e.message).toMatch(new RegExp(`variables reference ${ref} is not valid`));
      expect(e.showUser).toBe(false);
    }
    // A thread that ended (here: one that never was).
    for (const [command, args] of [
      ["stackTrace", { threadId: 77 }],
      ["next", { threadId: 77 }],
    ] as const) {
      const e = await failure(c, command, args);
      expect(e.message).toMatch(/there is no thread 77/);
      expect(e.showUser, command).toBe(false);
    }

    // The user's own errors at this stop are shown.
    const wrong = await failure(c, "evaluate", { expression: "no_such_name + 1", frameId: frame, context: "repl" });
    expect(wrong.message).toMatch(/no_such_name/);
    expect(wrong.showUser).toBe(true);
    const locals = (await c.scopesRequest({ frameId: frame })).body.scopes.find((s) => s.name === "Locals")!.variablesReference;
    const unparsable = await failure(c, "setVariable", { variablesReference: locals, name: "a", value: "3 +" });
    expect(unparsable.showUser).toBe(true);
    const malformed = await failure(c, "evaluate", { expression: 42 });
    expect(malformed.message).toMatch(/^evaluate: 'expression' must be/);
    expect(malformed.showUser).toBe(true);
    // Watches and hovers that fail are never shown (issue 15), at a valid frame too.
    expect((await failure(c, "evaluate", { expression: "no_such_name", frameId: frame, context: "watch" })).showUser).toBe(false);
    expect((await failure(c, "evaluate", { expression: "for", frameId: frame, context: "hover" })).showUser).toBe(false);
    expect((await failure(c, "evaluate", { expression: "printf", frameId: frame, context: "hover" })).showUser).toBe(false);

    // While the program runs (the loop after CALLS), the views' requests for the stop before.
    const exited = c.waitForEvent("exited");
    await c.continueRequest({ threadId: MAIN_THREAD });
    const during = await Promise.all([
      failure(c, "stackTrace", { threadId: MAIN_THREAD }),
      failure(c, "scopes", { frameId: frame }),
      failure(c, "variables", { variablesReference: locals }),
    ]);
    for (const e of during) expect(e.showUser, e.message).toBe(false);
    await exited;
    const after = await failure(c, "stackTrace", { threadId: MAIN_THREAD });
    expect(after.showUser, after.message).toBe(false);
  });
});
