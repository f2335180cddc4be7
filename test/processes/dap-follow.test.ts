/**
 * The debugger follows a process into the program it executes and, with followFork "child", into
 * the children it forks — over DAP against the real adapter process. execve of the launched
 * process (gdb's follow-exec-mode same): a breakpoint in the old program stops there, a step over
 * the execve stops at the new program's entry, a breakpoint set in the new program's source (not
 * bound before) binds and stops in it with its stack and variables; the modules and loaded
 * sources change. followFork "child": a breakpoint in the child's code stops in the child (its
 * thread, its fork result), one in the parent's code never does, the parent's output still
 * appears and the session ends with the launched program's status; a child that executes a
 * program is followed into it. Every output equals the native run's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID } from "../../src/inferior/process.js";

const source = (name: string): string => join(fixturesDir, "processes", name);
const lineOf = (file: string, marker: string): number => readFileSync(source(file), "utf8").split("\n").findIndex((l) => l.includes(`/* ${marker} */`)) + 1;
const build = (name: string): string => compileFixture(`processes/${name}`, { flags: ["-g", "-O0"] });
/** Short slices: every run crosses many slice ends. */
const SLICE = 20_000;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

function collect(c: DebugClient): { stdout: string[]; console: string[]; modules: DebugProtocol.ModuleEvent[]; sources: DebugProtocol.LoadedSourceEvent[]; breakpoints: DebugProtocol.BreakpointEvent[] } {
  const r = { stdout: [] as string[], console: [] as string[], modules: [] as DebugProtocol.ModuleEvent[], sources: [] as DebugProtocol.LoadedSourceEvent[], breakpoints: [] as DebugProtocol.BreakpointEvent[] };
  c.on("output", (e: DebugProtocol.OutputEvent) => (e.body.category === "stdout" ? r.stdout : r.console).push(e.body.output));
  c.on("module", (e: DebugProtocol.ModuleEvent) => r.modules.push(e));
  c.on("loadedSource", (e: DebugProtocol.LoadedSourceEvent) => r.sources.push(e));
  c.on("breakpoint", (e: DebugProtocol.BreakpointEvent) => r.breakpoints.push(e));
  return r;
}

async function frames(c: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await c.stackTraceRequest({ threadId })).body.stackFrames;
}

/** Continues and resolves with the exit code, once exited and terminated have both come. */
async function continueToExit(c: DebugClient, threadId: number): Promise<number | undefined> {
  const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
  const terminated = c.waitForEvent("terminated");
  await c.continueRequest({ threadId });
  const code = (await exited).body.exitCode;
  await terminated;
  return code;
}

async function nextStop(c: DebugClient, run: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
  await run();
  return stopped;
}

describe("execve of the debugged process, over DAP", () => {
  const exe = build("self_exec.c");
  const target = build("exec_target.c");
  const args = ["program", target];
  const native = runNative(exe, args);

  it("stops in the old program, steps over the execve to the new program's entry, then stops at a breakpoint in the new program's source", async () => {
    expect(native.status).toBe(9);
    dc = await startClient();
    const c = dc;
    const seen = collect(c);
    const inWork = lineOf("exec_target.c", "IN_WORK");
    let pending: DebugProtocol.Breakpoint | undefined;
    let pendingFn: DebugProtocol.Breakpoint | undefined;
    // Its output is compared with a native run into a pipe: the program's streams are pipes too ("tty": false).
    const first = await launchAndStop(c, { program: exe, args, sliceBlocks: SLICE, tty: false }, async () => {
      await c.setBreakpointsRequest({ source: { path: source("self_exec.c") }, breakpoints: [{ line: lineOf("self_exec.c", "EXECVE") }] });
      pending = (await c.setBreakpointsRequest({ source: { path: source("exec_target.c") }, breakpoints: [{ line: inWork }] })).body.breakpoints[0];
      pendingFn = (await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: "work" }] })).body.breakpoints[0];
    });
    // Not part of the launched program: pending until the process executes the program they are in.
    expect(pending?.verified).toBe(false);
    expect(pendingFn?.verified).toBe(false);
    expect(first.body.reason).toBe("breakpoint");
    expect((await frames(c, PROCESS_ID))[0]!.line).toBe(lineOf("self_exec.c", "EXECVE"));

    const entry = await nextStop(c, () => c.nextRequest({ threadId: PROCESS_ID }));
    expect(entry.body.reason).toBe("entry");
    expect(entry.body.description).toContain(`executed ${target}`);
    expect(seen.console.join("")).toContain(`process ${PROCESS_ID} is executing new program: ${target}\n`);
    // The new program's modules replace the old one's; its source is loaded, the old one's is not.
    expect(seen.modules.some((m) => m.body.reason === "removed" && m.body.module.path === exe)).toBe(true);
    expect(seen.modules.some((m) => m.body.reason === "new" && m.body.module.path === target)).toBe(true);
    expect(seen.sources.some((s) => s.body.reason === "new" && s.body.source.path === source("exec_target.c"))).toBe(true);
    expect(seen.sources.some((s) => s.body.reason === "removed" && s.body.source.path === source("self_exec.c"))).toBe(true);
    const loaded = ((await c.customRequest("loadedSources", {})) as DebugProtocol.LoadedSourcesResponse).body.sources.map((s) => s.path);
    expect(loaded).toContain(source("exec_target.c"));
    expect(loaded).not.toContain(source("self_exec.c"));
    // The pending breakpoints bound in the new program, with the same ids.
    for (const bp of [pending, pendingFn]) expect(seen.breakpoints.find((b) => b.body.breakpoint.id === bp?.id)?.body.breakpoint.verified).toBe(true);

    const hit = await nextStop(c, () => c.continueRequest({ threadId: PROCESS_ID }));
    expect(hit.body.reason).toBe("breakpoint");
    expect([...(hit.body.hitBreakpointIds ?? [])].sort()).toEqual([pending!.id!, pendingFn!.id!].sort());
    // The new program's loader was followed: its libc is a module again, after the execve.
    const execAt = seen.modules.findIndex((m) => m.body.reason === "new" && m.body.module.path === target);
    expect(seen.modules.slice(execAt).some((m) => m.body.reason === "new" && /libc\.so/.test(m.body.module.path ?? ""))).toBe(true);
    const stack = await frames(c, PROCESS_ID);
    expect(stack[0]).toMatchObject({ name: "work", line: inWork, source: { path: source("exec_target.c") } });
    expect(stack[1]!.name).toBe("main");
    const rounds = await c.evaluateRequest({ expression: "rounds", frameId: stack[0]!.id, context: "watch" });
    expect(rounds.body.result).toBe("3000000");
    const scopes = (await c.scopesRequest({ frameId: stack[1]!.id })).body.scopes;
    const locals = (await c.variablesRequest({ variablesReference: scopes.find((s) => s.name === "Locals")!.variablesReference })).body.variables;
    expect(locals.map((v) => v.name)).toContain("sa");
    // What the old program wrote (and flushed before execve); the new one's is still in its stdio buffer (a pipe).
    expect(seen.stdout.join("")).toBe(native.stdout.slice(0, native.stdout.indexOf("exec_target:")));

    expect(await continueToExit(c, PROCESS_ID)).toBe(native.status);
    expect(seen.stdout.join("")).toBe(native.stdout);
  });
});

describe('followFork "child", over DAP', () => {
  const exe = build("follow_child.c");
  const native = runNative(exe);

  it("a breakpoint in the child's code stops in the child, one in the parent's never; the parent runs on to its end", async () => {
    expect(native.status).toBe(10);
    dc = await startClient();
    const c = dc;
    const seen = collect(c);
    const first = await launchAndStop(c, { program: exe, args: [], followFork: "child", sliceBlocks: SLICE }, () =>
      c.setBreakpointsRequest({ source: { path: source("follow_child.c") }, breakpoints: [{ line: lineOf("follow_child.c", "CHILD_WORK") }, { line: lineOf("follow_child.c", "PARENT_AFTER_WAIT") }] }),
    );
    expect(first.body.reason).toBe("breakpoint");
    const child = first.body.threadId!;
    expect(child).not.toBe(PROCESS_ID);
    expect((await c.threadsRequest()).body.threads.map((t) => t.id)).toEqual([child]);
    const stack = await frames(c, child);
    expect(stack[0]).toMatchObject({ name: "child_work", line: lineOf("follow_child.c", "CHILD_WORK") });
    // fork returned 0 here: this is the child's memory.
    expect((await c.evaluateRequest({ expression: "c", frameId: stack[1]!.id, context: "watch" })).body.result).toBe("0");
    expect(seen.console.join("")).toContain(`following the child process ${child}`);
    expect(seen.stdout.join("")).toBe("parent: before the fork\n");

    expect(await continueToExit(c, child)).toBe(native.status);
    expect(seen.stdout.join("")).toBe(native.stdout);
    expect(seen.console.join("")).toContain(`the followed process ${child} exited with status 7; the launched process ${PROCESS_ID} runs on to its end`);
  });

  it("a child that executes a program is followed into it: a breakpoint in that program stops", async () => {
    const target = build("exec_target.c");
    const n = runNative(exe, [target]);
    dc = await startClient();
    const c = dc;
    const seen = collect(c);
    const hit = await launchAndStop(c, { program: exe, args: [target], followFork: "child", sliceBlocks: SLICE }, () =>
      c.setBreakpointsRequest({ source: { path: source("exec_target.c") }, breakpoints: [{ line: lineOf("exec_target.c", "IN_WORK") }] }),
    );
    expect(hit.body.reason).toBe("breakpoint");
    const stack = await frames(c, hit.body.threadId!);
    expect(stack[0]).toMatchObject({ name: "work", source: { path: source("exec_target.c") } });
    expect(seen.console.join("")).toContain(`is executing new program: ${target}`);
    expect(await continueToExit(c, hit.body.threadId!)).toBe(n.status);
    expect(seen.stdout.join("")).toBe(n.stdout);
  });

  it("a followFork that is neither parent nor child is refused with what to write instead", async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const e = await errorOf(dc.launchRequest({ program: exe, followFork: "sideways" } as DebugProtocol.LaunchRequestArguments));
    expect(e.message).toBe(`launch: 'followFork' must be "parent" (stay with the process that forks) or "child" (follow each child it forks), not "sideways"`);
  });
});
