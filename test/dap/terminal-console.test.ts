/**
 * "console": "integratedTerminal" over DAP: the adapter asks the client (runInTerminal) to run its
 * relay; here the test is the client and runs the relay on a real pseudo-terminal (util-linux
 * `script`), types at it, and reads what the terminal shows. A client without runInTerminal gets a
 * clear error at once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, runNative } from "../helpers/compile.js";
import { errorOf, startClient } from "../helpers/dap.js";
import { answerReverseRequests } from "../helpers/reverse-requests.js";

let dc: DebugClient | undefined;
let terminal: ChildProcess | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
  terminal?.kill();
  terminal = undefined;
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A pseudo-terminal of 100 columns and 30 rows running the command runInTerminal names; `screen()` is all it showed. */
function runOnPty(args: DebugProtocol.RunInTerminalRequestArguments): { child: ChildProcess; screen: () => string; type: (s: string) => void } {
  let shown = "";
  const env = { ...process.env, ...args.env } as NodeJS.ProcessEnv;
  const child = spawn("script", ["-qfec", `stty cols 100 rows 30; exec ${args.args.map(quote).join(" ")}`, "/dev/null"], { cwd: args.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (shown += d.toString("latin1")));
  return { child, screen: () => shown, type: (s) => child.stdin!.write(s) };
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('"console": "integratedTerminal"', () => {
  const exe = compileFixture("dap/ask_name.c", { flags: ["-g", "-O0"] });

  /** Launches with the console on a terminal that the test, as the client, runs on a pty; the run starts. */
  async function launchOnPty(c: DebugClient): Promise<{ pty: ReturnType<typeof runOnPty>; requests: DebugProtocol.Request[]; exited: Promise<DebugProtocol.ExitedEvent> }> {
    let pty: ReturnType<typeof runOnPty> | undefined;
    const requests = answerReverseRequests(c, async (r) => {
      if (r.command !== "runInTerminal") throw new Error(`unexpected ${r.command}`);
      pty = runOnPty(r.arguments as DebugProtocol.RunInTerminalRequestArguments);
      terminal = pty.child;
      return { processId: pty.child.pid };
    });
    await c.initializeRequest({ adapterID: "jitdbg", supportsRunInTerminalRequest: true });
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program: exe, console: "integratedTerminal" } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.configurationDoneRequest();
    return { pty: pty!, requests, exited };
  }

  it("runs the program on the client's terminal: scanf reads what is typed, raw mode reads a key, the window size is the terminal's", async () => {
    dc = await startClient();
    const { pty: p, requests, exited } = await launchOnPty(dc);
    expect(requests.map((r) => [r.command, (r.arguments as DebugProtocol.RunInTerminalRequestArguments).kind])).toEqual([["runInTerminal", "integrated"]]);
    await until("the prompt", () => p.screen().includes("name? "));
    p.type("Ada 36\n");
    await until("the key prompt", () => p.screen().includes("key? "));
    p.type("k"); // no Enter: the program put the terminal in raw mode
    expect((await exited).body.exitCode).toBe(0);
    await until("the last line", () => p.screen().includes("key k"));
    const screen = p.screen().replace(/\r\n/g, "\n");
    expect(screen).toContain("terminal 1: 100x30\n");
    // Cooked mode: the terminal echoed the line typed; raw mode without echo: not the key.
    expect(screen).toContain("name? Ada 36\nhello Ada, next year 37\nkey? key k\n");
  });

  it("^C typed at the terminal interrupts the program with SIGINT, as the tty driver sends it", async () => {
    dc = await startClient();
    const { pty: p, exited } = await launchOnPty(dc);
    await until("the prompt", () => p.screen().includes("name? "));
    p.type("\x03");
    expect((await exited).body.exitCode).toBe(128 + 2);
  });

  it("a client whose runInTerminal fails gets a launch error saying so, and a launch in the Debug Console then works", async () => {
    dc = await startClient();
    const c = dc;
    answerReverseRequests(c, async () => {
      throw new Error("no terminal here");
    });
    await c.initializeRequest({ adapterID: "jitdbg", supportsRunInTerminalRequest: true });
    const e = await errorOf(c.launchRequest({ program: exe, console: "externalTerminal" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toBe('launch: the client could not start the external terminal (no terminal here); use "console": "debugConsole"');
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program: exe, stdin: "Ada 36\nk" } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.configurationDoneRequest();
    // As natively from a pipe: scanf's buffer took the "k" too, so the raw read finds the end (status 2).
    const native = runNative(exe, [], {}, "Ada 36\nk");
    expect(native.status).toBe(2);
    expect((await exited).body.exitCode).toBe(native.status);
  });

  it("a client that does not run terminals gets an error saying so, not a hang", async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: "jitdbg", supportsRunInTerminalRequest: false });
    const e = await errorOf(dc.launchRequest({ program: exe, console: "integratedTerminal" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toMatch(/"console": "integratedTerminal" needs a client that runs terminals .*use "console": "debugConsole"/);
  });

  it("an unknown console is refused, listing the ones there are", async () => {
    dc = await startClient();
    await dc.initializeRequest();
    const e = await errorOf(dc.launchRequest({ program: exe, console: "xterm" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toContain(`'console' must be one of "debugConsole", "integratedTerminal", "externalTerminal", not "xterm"`);
  });
});
