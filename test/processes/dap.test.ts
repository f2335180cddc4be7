/**
 * Debugging a program that forks, over DAP against the real adapter process: the debugger stays
 * on the process it launched (gdb's follow-fork-mode parent, detach-on-fork), so a breakpoint in
 * the parent after the fork stops there (one in the child's code never does), a step over the
 * wait runs the child meanwhile and stops on the next line with the parent's values; the child's output reaches the
 * client as the program's own; the session ends with the parent's exit status, as natively.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";

const SOURCE = join(fixturesDir, "processes", "dap_fork.c");
const lineOf = (marker: string): number => readFileSync(SOURCE, "utf8").split("\n").findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("a program that forks, over DAP", () => {
  const exe = compileFixture("processes/dap_fork.c", { flags: ["-g", "-O0"] });
  const native = runNative(exe);

  it("a breakpoint after the fork stops in the parent (not in the child's code); stepping over the wait runs the child; its output appears; the session ends with the parent's status", async () => {
    expect(native.stdout).toBe("hello from the child\nparent: the child exited with 7\n");
    expect(native.status).toBe(10);
    const line = lineOf("AFTER_WAIT");
    dc = await startClient();
    const c = dc;
    const out: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "stdout") out.push(e.body.output);
    });
    const stopped = await launchAndStop(c, { program: exe, args: [] }, () =>
      // A breakpoint in the child's code too: the child is not debugged (detach-on-fork), so only the parent's stops.
      c.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: lineOf("IN_CHILD") }, { line: lineOf("WAIT") }] }),
    );
    expect(stopped.body.reason).toBe("breakpoint");
    expect((await topFrame(c)).line).toBe(lineOf("WAIT"));
    // Stepping over the wait runs the child to its end meanwhile.
    const stepped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.nextRequest({ threadId: stopped.body.threadId ?? 0 });
    expect((await stepped).body.reason).toBe("step");
    const frame = await topFrame(c);
    expect(frame.name).toBe("main");
    expect(frame.line).toBe(line);
    expect(out.join("")).toBe("hello from the child\n");
    // The parent's status variable holds what waitpid wrote into the parent's memory.
    const r = await c.evaluateRequest({ expression: "(status >> 8) & 0xff", frameId: frame.id, context: "repl" });
    expect(r.body.result).toBe("7");
    const pid = await c.evaluateRequest({ expression: "c > 0", frameId: frame.id, context: "repl" });
    expect(pid.body.result).toBe("1");
    // Both waiters before the run: the adapter sends exited and terminated back to back.
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: stopped.body.threadId ?? 0 });
    expect((await exited).body.exitCode).toBe(native.status);
    await terminated;
    expect(out.join("")).toBe(native.stdout);
  });
});
