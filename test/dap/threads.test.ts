/**
 * Threads and signals over DAP, against the real adapter process: a breakpoint in a thread names
 * that thread and stops them all; the threads list and every thread's stack match gdb's `info
 * threads` / `thread apply all bt` on the native run; stepping one thread; per-thread evaluation;
 * a deadlock stops with each thread's wait; signals stop, pass or are discarded as configured.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const STACKS_C = join(fixturesDir, "dap-threads", "stacks.c");
const SIGNALS_C = join(fixturesDir, "dap-threads", "signals.c");
const lineOf = (file: string, marker: string): number => readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

/** The frames of `file` in a stack, as "function:line" (library frames differ in what debug info each tool finds). */
function ownFrames(frames: DebugProtocol.StackFrame[], file: string): string[] {
  return frames.filter((f) => f.source?.path && basename(f.source.path) === file).map((f) => `${f.name}:${f.line}`);
}

/** gdb's view at the first hit of `line`: every thread in creation order with its frames in `file`. */
function gdbThreads(exe: string, file: string, line: number): { name: string; frames: string[] }[] {
  const out = execFileSync("gdb", ["-q", "-batch", "-nx", "-ex", `break ${file}:${line}`, "-ex", "run", "-ex", "info threads", "-ex", "thread apply all bt", exe], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const threads = new Map<number, { name: string; frames: string[] }>();
  let current: { name: string; frames: string[] } | undefined;
  for (const l of out.split("\n")) {
    const head = /^Thread (\d+) \(.*"([^"]*)"\):$/.exec(l);
    if (head) {
      current = { name: head[2]!, frames: [] };
      threads.set(Number(head[1]), current);
      continue;
    }
    const frame = /^#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+):(\d+)$/.exec(l);
    if (frame && current && basename(frame[2]!) === file) current.frames.push(`${frame[1]}:${frame[3]}`);
  }
  return [...threads.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
}

/** The next stopped or exited event, whichever comes (no waiter left behind to time out). */
function stopOrExit(c: DebugClient): Promise<DebugProtocol.StoppedEvent | DebugProtocol.ExitedEvent> {
  return new Promise((resolve) => {
    const done = (e: DebugProtocol.StoppedEvent | DebugProtocol.ExitedEvent) => {
      c.removeListener("stopped", done);
      c.removeListener("exited", done);
      resolve(e);
    };
    c.on("stopped", done);
    c.on("exited", done);
  });
}

async function untilExit(c: DebugClient, go: () => Promise<unknown>): Promise<number> {
  const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
  await go();
  return (await exited).body.exitCode;
}

describe("threads over DAP", () => {
  const exe = compileFixture("dap-threads/stacks.c", { flags: ["-g", "-O0", "-pthread"] });
  const native = runNative(exe);

  it("a breakpoint in a thread names it and stops all; threads and every stack match gdb's; continuing ends as natively", async () => {
    const line = lineOf(STACKS_C, "BREAK");
    dc = await startClient();
    const c = dc;
    const started: number[] = [];
    c.on("thread", (e: DebugProtocol.ThreadEvent) => {
      if (e.body.reason === "started") started.push(e.body.threadId);
    });
    const stop = await launchAndStop(c, { program: exe, sliceBlocks: 5000 }, () => c.setBreakpointsRequest({ source: { path: STACKS_C }, breakpoints: [{ line }] }));
    expect(stop.body.reason).toBe("breakpoint");
    expect(stop.body.allThreadsStopped).toBe(true);
    const threads = (await c.threadsRequest()).body.threads;
    const gdb = gdbThreads(exe, "stacks.c", line);
    expect(threads.map((t) => t.name)).toEqual(gdb.map((t) => t.name));
    expect(threads[0]!.id).toBe(MAIN_THREAD);
    expect(started).toEqual(threads.slice(1).map((t) => t.id));
    // The last worker created is the one that reaches BREAK (gdb's "Thread 4 hit Breakpoint 1").
    expect(stop.body.threadId).toBe(threads[threads.length - 1]!.id);
    const ours: string[][] = [];
    for (const t of threads) ours.push(ownFrames((await c.stackTraceRequest({ threadId: t.id })).body.stackFrames, "stacks.c"));
    // Workers wait where the program parks them, natively too; main is in main (natively it may not
    // have reached pthread_join yet; here it has, as the scheduler ran it until it blocked).
    expect(ours.slice(1), JSON.stringify(gdb)).toEqual(gdb.slice(1).map((t) => t.frames));
    expect(gdb[0]!.frames.map((f) => f.split(":")[0])).toEqual(["main"]);
    expect(ours[0]).toEqual([`main:${lineOf(STACKS_C, "JOIN")}`]);

    // Each thread's own frame: its `id` argument, evaluated in that thread's frame.
    for (const [i, t] of threads.slice(1).entries()) {
      const frames = (await c.stackTraceRequest({ threadId: t.id })).body.stackFrames;
      const work = frames.find((f) => f.name === "work")!;
      const v = await c.evaluateRequest({ expression: "id", frameId: work.id, context: "watch" });
      expect(v.body.result, `thread ${t.id}`).toBe(String(i));
      const scopes = await c.scopesRequest({ frameId: work.id });
      const args = await c.variablesRequest({ variablesReference: scopes.body.scopes[0]!.variablesReference });
      expect(args.body.variables.find((x) => x.name === "arg")?.value).toBe(`0x${i}`);
      // Thread-locals are the thread's own: in the console and in the Thread-local scope.
      expect((await c.evaluateRequest({ expression: "mine", frameId: work.id, context: "watch" })).body.result).toBe(String(100 * i + 7));
      const tls = scopes.body.scopes.find((x) => x.name === "Thread-local")!;
      expect((await c.variablesRequest({ variablesReference: tls.variablesReference })).body.variables.find((x) => x.name === "mine")?.value).toBe(String(100 * i + 7));
    }

    // Stepping the stopped thread: it moves a line, the others stay where they wait.
    const stepped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.nextRequest({ threadId: stop.body.threadId! });
    const s = await stepped;
    expect(s.body.reason).toBe("step");
    expect(s.body.threadId).toBe(stop.body.threadId);
    const top = (await c.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[0]!;
    expect(top.line).toBe(line + 1);
    expect(ownFrames((await c.stackTraceRequest({ threadId: threads[1]!.id })).body.stackFrames, "stacks.c")).toEqual(gdb[1]!.frames);

    const exited: number[] = [];
    c.on("thread", (e: DebugProtocol.ThreadEvent) => {
      if (e.body.reason === "exited") exited.push(e.body.threadId);
    });
    const out: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "stdout") out.push(e.body.output);
    });
    expect(await untilExit(c, () => c.continueRequest({ threadId: MAIN_THREAD }))).toBe(native.status);
    expect(out.join("")).toBe(native.stdout);
    expect(exited.sort()).toEqual(threads.slice(1).map((t) => t.id).sort());
  });

  it("a breakpoint every worker passes stops once in each, naming the thread whose frame it is", async () => {
    dc = await startClient();
    const c = dc;
    const stop = await launchAndStop(c, { program: exe, sliceBlocks: 5000 }, () => c.setBreakpointsRequest({ source: { path: STACKS_C }, breakpoints: [{ line: lineOf(STACKS_C, "WORK") }] }));
    const seen = new Map<number, string>();
    let s = stop;
    for (;;) {
      expect(s.body.reason).toBe("breakpoint");
      const v = await c.evaluateRequest({ expression: "id", frameId: (await c.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[0]!.id, context: "watch" });
      seen.set(s.body.threadId!, v.body.result);
      if (seen.size === 3) break;
      const next = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await c.continueRequest({ threadId: s.body.threadId! });
      s = await next;
    }
    // Threads are created in order, so worker `id` is the (id+1)-th thread after main.
    expect([...seen.entries()].sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2].map((i) => [MAIN_THREAD + 1 + i, String(i)]));
    expect(await untilExit(c, () => c.continueRequest({ threadId: MAIN_THREAD }))).toBe(native.status);
  });

  it("a request naming a thread that does not exist is an error and the session goes on", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe, stopOnEntry: true }, async () => undefined);
    await expect(c.stackTraceRequest({ threadId: 999 })).rejects.toThrow(/no thread 999.*live threads: 4242/);
    await expect(c.nextRequest({ threadId: 999 })).rejects.toThrow(/no thread 999/);
    expect((await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames.length).toBeGreaterThan(0);
  });

  it("a deadlock stops with every thread's wait; each thread's stack shows where it waits", async () => {
    const dead = compileFixture("threads/deadlock.c", { flags: ["-g", "-O0", "-pthread"] });
    dc = await startClient();
    const c = dc;
    const entry = await launchAndStop(c, { program: dead }, async () => undefined);
    expect(entry.body.reason).toBe("exception");
    expect(entry.body.text).toBe("Deadlock");
    const info = await c.exceptionInfoRequest({ threadId: entry.body.threadId! });
    expect(info.body.exceptionId).toBe("deadlock");
    const threads = (await c.threadsRequest()).body.threads;
    expect(threads.length).toBeGreaterThanOrEqual(3);
    for (const t of threads) {
      expect(info.body.description).toContain(`thread ${t.id}`);
      const frames = (await c.stackTraceRequest({ threadId: t.id })).body.stackFrames;
      expect(frames.some((f) => f.source?.path?.endsWith("deadlock.c")), `thread ${t.id}`).toBe(true);
    }
  });
});

describe("signals over DAP", () => {
  const exe = compileFixture("dap-threads/signals.c", { flags: ["-g", "-O0"] });
  const native = runNative(exe);
  const raiseLine = lineOf(SIGNALS_C, "RAISE");

  async function session(launch: Record<string, unknown>, filters: string[], filterOptions?: DebugProtocol.ExceptionFilterOptions[]): Promise<{ c: DebugClient; stops: DebugProtocol.StoppedEvent[]; stdout: () => string; status: number }> {
    dc = await startClient();
    const c = dc;
    const out: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === "stdout") out.push(e.body.output);
    });
    const stops: DebugProtocol.StoppedEvent[] = [];
    await c.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program: exe, sliceBlocks: 5000, ...launch } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await c.setExceptionBreakpointsRequest({ filters, filterOptions });
    let e = stopOrExit(c);
    await c.configurationDoneRequest();
    let status = -1;
    for (;;) {
      const ev = await e;
      if (ev.event === "exited") {
        status = (ev as DebugProtocol.ExitedEvent).body.exitCode;
        break;
      }
      stops.push(ev as DebugProtocol.StoppedEvent);
      e = stopOrExit(c);
      await c.continueRequest({ threadId: MAIN_THREAD });
    }
    return { c, stops, stdout: () => out.join(""), status };
  }

  it("'Other signals' stops before each SIGUSR1 where raise() sent it; continuing passes it to the handler; output as native", async () => {
    const r = await session({}, ["SIGSEGV", "signals"]);
    expect(r.stops.map((s) => s.body.text)).toEqual(["SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGSEGV"]);
    expect(r.stops.every((s) => s.body.reason === "exception" && s.body.threadId === MAIN_THREAD)).toBe(true);
    expect(r.stops[0]!.body.description).toMatch(/SIGUSR1 raised by the program/);
    expect(r.stops[5]!.body.description).toMatch(/invalid write of unmapped address 0x40 at main/);
    expect(r.stdout()).toBe(native.stdout);
    expect(r.status).toBe(native.status);
  });

  it("the stop is at the raise: its caller's line is the RAISE line", async () => {
    dc = await startClient();
    const c = dc;
    const s = await launchAndStop(c, { program: exe }, () => c.setExceptionBreakpointsRequest({ filters: ["signals"] }));
    const frames = (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames;
    expect(s.body.text).toBe("SIGUSR1");
    expect(frames.find((f) => f.name === "main")?.line).toBe(raiseLine);
  });

  it("signals: { stop, pass: false } stops but never delivers (the handler never runs); { stop: false, pass: false } discards unseen", async () => {
    const stopNoPass = await session({ signals: { SIGUSR1: { stop: true, pass: false } } }, []);
    expect(stopNoPass.stops.map((s) => s.body.text)).toEqual(["SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1"]);
    expect(stopNoPass.stdout()).toBe(native.stdout.replace("handled=5", "handled=0"));
    await dc?.stop();
    const discard = await session({ signals: { SIGUSR1: { stop: false, pass: false } } }, []);
    expect(discard.stops).toHaveLength(0);
    expect(discard.stdout()).toBe(native.stdout.replace("handled=5", "handled=0"));
    expect(discard.status).toBe(native.status);
  });

  it("a SIGSEGV with a handler stops first (default filters) and the handler recovers on continue", async () => {
    const r = await session({}, ["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT"]);
    expect(r.stops.map((s) => s.body.text)).toEqual(["SIGSEGV"]);
    expect(r.stdout()).toBe(native.stdout);
    expect(r.status).toBe(0);
  });

  it("the 'Other signals' filter's condition limits it to the signals it names", async () => {
    const named = await session({}, [], [{ filterId: "signals", condition: "SIGUSR1" }]);
    expect(named.stops.map((s) => s.body.text)).toEqual(["SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1", "SIGUSR1"]);
    expect(named.stdout()).toBe(native.stdout);
    await dc?.stop();
    const other = await session({}, [], [{ filterId: "signals", condition: "SIGALRM, 12" }]);
    expect(other.stops).toHaveLength(0);
    expect(other.stdout()).toBe(native.stdout);
    await dc?.stop();
    dc = await startClient();
    await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await expect(dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "signals", condition: "SIGFOO" }] })).rejects.toThrow(/"SIGFOO" in the signals condition is not a signal/);
    await expect(dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: "SIGSEGV", condition: "x" }] })).rejects.toThrow(/takes no condition/);
  });

  it("a bad 'signals' launch argument is refused with what to write", async () => {
    dc = await startClient();
    const c = dc;
    await c.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await expect(c.launchRequest({ program: exe, signals: { SIGFOO: { stop: true } } } as DebugProtocol.LaunchRequestArguments)).rejects.toThrow(/SIGFOO.*not a signal/);
    await expect(c.launchRequest({ program: exe, signals: { SIGUSR1: { stop: "yes" } } } as DebugProtocol.LaunchRequestArguments)).rejects.toThrow(/signals.SIGUSR1' must be/);
  });
});
