import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { ADAPTER, errorOf, launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const MAIN = join(fixturesDir, "debugger", "main.c");
const GEOMETRY = join(fixturesDir, "debugger", "geometry.c");
let program: string;
let segfault: string;
let spin: string;
let dc: DebugClient | undefined;

beforeAll(() => {
  if (!existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run \`npm run build\` first (npm test does)`);
  program = compileFixture("debugger/main.c", { flags: ["-static", "-O0", "-g"], extraSources: ["debugger/geometry.c"] });
  segfault = compileFixture("programs/segfault.c", { flags: ["-static", "-O0", "-g"] });
  spin = compileFixture("dap/spin_until_told.c", { flags: ["-static", "-O0", "-g"] });
});

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

async function atLine(line: number, file = MAIN, extra: Record<string, unknown> = {}): Promise<DebugClient> {
  dc = await startClient();
  const c = dc;
  await launchAndStop(c, { program, reproducible: true, ...extra }, () => c.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line }] }));
  return c;
}

async function variablesOf(c: DebugClient, frameId: number, scopeName: string): Promise<DebugProtocol.Variable[]> {
  const scopes = await c.scopesRequest({ frameId });
  const scope = scopes.body.scopes.find((s) => s.name === scopeName);
  if (!scope) throw new Error(`no scope ${scopeName}`);
  return (await c.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
}

describe("DAP session over the real adapter process", () => {
  it("initialize advertises what the adapter does", async () => {
    dc = await startClient();
    const r = await dc.initializeRequest({ adapterID: "jitdbg" });
    const caps = r.body!;
    for (const cap of [
      "supportsConfigurationDoneRequest", "supportsFunctionBreakpoints", "supportsConditionalBreakpoints", "supportsHitConditionalBreakpoints", "supportsLogPoints",
      "supportsEvaluateForHovers", "supportsSetVariable", "supportsSetExpression", "supportsGotoTargetsRequest", "supportsCompletionsRequest", "supportsModulesRequest",
      "supportsRestartRequest", "supportsExceptionInfoRequest", "supportsValueFormattingOptions", "supportsTerminateRequest", "supportsDataBreakpoints",
      "supportsReadMemoryRequest", "supportsWriteMemoryRequest", "supportsDisassembleRequest", "supportsCancelRequest", "supportsInstructionBreakpoints", "supportsLoadedSourcesRequest",
    ] as const) {
      expect(caps[cap], cap).toBe(true);
    }
    expect(caps.exceptionBreakpointFilters?.map((f) => f.filter)).toEqual(["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT", "signals"]);
    expect(caps.exceptionBreakpointFilters?.filter((f) => f.default).map((f) => f.filter)).toEqual(["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT"]);
  });

  it("launch → breakpoint → stack → scopes/variables → step → evaluate → continue → exit code", async () => {
    dc = await startClient();
    const c = dc;
    const output: string[] = [];
    const categories: (string | undefined)[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      output.push(e.body.output);
      categories.push(e.body.category);
    });
    let bpResponse: DebugProtocol.SetBreakpointsResponse | undefined;
    const stopped = await launchAndStop(c, { program, args: ["one"], reproducible: true }, async () => {
      bpResponse = await c.setBreakpointsRequest({ source: { path: GEOMETRY }, breakpoints: [{ line: 4 }, { line: 400 }] });
    });
    expect(bpResponse!.body.breakpoints[0]).toMatchObject({ verified: true, line: 4 });
    expect(bpResponse!.body.breakpoints[1]!.verified).toBe(false);
    expect(bpResponse!.body.breakpoints[1]!.message).toMatch(/no code at or after line 400/);
    expect(stopped.body.reason).toBe("breakpoint");
    expect(stopped.body.hitBreakpointIds).toEqual([bpResponse!.body.breakpoints[0]!.id]);

    const threads = await c.threadsRequest();
    expect(threads.body.threads).toHaveLength(1);
    const st = await c.stackTraceRequest({ threadId: MAIN_THREAD });
    expect(st.body.stackFrames.slice(0, 3).map((f) => `${f.name}:${f.line}`)).toEqual(["width:4", "area:14", "main:41"]);
    expect(st.body.totalFrames).toBeGreaterThanOrEqual(4);
    const paged = await c.stackTraceRequest({ threadId: MAIN_THREAD, startFrame: 1, levels: 1 });
    expect(paged.body.stackFrames.map((f) => f.name)).toEqual(["area"]);

    const frameId = st.body.stackFrames[0]!.id;
    // Locals lists the parameters first (no Arguments scope: VS Code would open only that one).
    expect((await c.scopesRequest({ frameId })).body.scopes.map((s) => s.name)).toEqual(["Locals", "Globals", "Registers"]);
    const args = (await variablesOf(c, frameId, "Locals")).filter((v) => v.name === "s");
    expect(args.map((v) => v.name)).toEqual(["s"]);
    expect(args[0]!.type).toBe("const struct shape *");
    // A pointer to a struct shows the pointee's members as its children (no `*s` level).
    const target = (await c.variablesRequest({ variablesReference: args[0]!.variablesReference })).body.variables;
    expect(Object.fromEntries(target.map((v) => [v.name, v.value]))).toMatchObject({ name: '"square"', color: "GREEN", flags: "5", visible: "1", scale: "1.25" });
    expect(target.find((v) => v.name === "name")?.evaluateName).toBe("s->name");

    const mainFrame = st.body.stackFrames[2]!.id;
    const locals = await variablesOf(c, mainFrame, "Locals");
    expect(locals.find((v) => v.name === "local")?.value).toBe("20");
    const globals = await variablesOf(c, mainFrame, "Globals");
    expect(globals.find((v) => v.name === "global_counter")?.value).toBe("3");
    const squares = globals.find((v) => v.name === "squares")!;
    expect(squares.indexedVariables).toBe(4);
    const rows = (await c.variablesRequest({ variablesReference: squares.variablesReference, filter: "indexed", start: 2, count: 2 })).body.variables;
    expect(rows.map((r) => `${r.name}=${r.value}`)).toEqual(["[2]={0, 2, 4}", "[3]={0, 3, 6}"]);
    const tls = await variablesOf(c, mainFrame, "Thread-local");
    expect(tls.find((v) => v.name === "tls_counter")?.value).toBe("7");
    const regs = await variablesOf(c, frameId, "Registers");
    expect(regs.map((r) => r.name)).toEqual(expect.arrayContaining(["rax", "rip", "eflags", "fs_base", "xmm0"]));

    const next = c.waitForEvent("stopped");
    await c.nextRequest({ threadId: MAIN_THREAD });
    expect((await next).body.reason).toBe("step");
    expect((await topFrame(c)).line).toBe(5);

    const ev = await c.evaluateRequest({ expression: "s->corners[1].x * 10 + w", frameId: (await topFrame(c)).id, context: "repl" });
    expect(ev.body.result).toBe("44");
    const hexed = await c.evaluateRequest({ expression: "s->corners[1].x,x", frameId: (await topFrame(c)).id, context: "watch" });
    expect(hexed.body.result).toBe("0x4");

    const stepOut = c.waitForEvent("stopped");
    await c.stepOutRequest({ threadId: MAIN_THREAD });
    expect((await stepOut).body.reason).toBe("step");
    expect((await topFrame(c)).name).toBe("area");

    await c.setBreakpointsRequest({ source: { path: GEOMETRY }, breakpoints: [] });
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    const terminated = c.waitForEvent("terminated");
    await c.continueRequest({ threadId: MAIN_THREAD });
    expect((await exited).body.exitCode).toBe(0);
    await terminated;
    const stdout = output.filter((_, i) => categories[i] === "stdout").join("");
    expect(stdout).toBe(runNative(program, ["one"]).stdout);
  });

  it("function, instruction, conditional and logpoint breakpoints; stepIn", async () => {
    dc = await startClient();
    const c = dc;
    const logs: string[] = [];
    c.on("output", (e: DebugProtocol.OutputEvent) => logs.push(e.body.output));
    let fn: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    const stopped = await launchAndStop(c, { program, reproducible: true }, async () => {
      fn = await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: "report", condition: "value == 16 && s->color == BLUE" }, { name: "no_such_function" }] });
      await c.setBreakpointsRequest({ source: { path: MAIN }, breakpoints: [{ line: 43, logMessage: "round {round} counter={global_counter}" }] });
    });
    expect(fn!.body.breakpoints[0]!.verified).toBe(true);
    expect(fn!.body.breakpoints[1]).toMatchObject({ verified: false, message: "no function named 'no_such_function' in the program or its loaded libraries" });
    expect(stopped.body.reason).toBe("function breakpoint");
    const frame = await topFrame(c);
    expect(frame.name).toBe("report");
    const ev = await c.evaluateRequest({ expression: "value", frameId: frame.id, context: "hover" });
    expect(ev.body.result).toBe("16");
    expect((await c.evaluateRequest({ expression: "s->name", frameId: frame.id, context: "hover" })).body.result).toBe('"bar"');
    expect(logs.join("")).toContain("round 0 counter=3");

    // Instruction breakpoint at factorial's entry, from its address.
    const dis = await c.evaluateRequest({ expression: "&squares", frameId: frame.id, context: "repl" });
    expect(dis.body.result).toMatch(/^0x[0-9a-f]+ <squares>$/);
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    const st = await c.stackTraceRequest({ threadId: MAIN_THREAD });
    const ip = st.body.stackFrames[0]!.instructionPointerReference!;
    const ib = await c.customRequest("setInstructionBreakpoints", { breakpoints: [{ instructionReference: ip, offset: 0 }] });
    expect((ib.body as DebugProtocol.SetInstructionBreakpointsResponse["body"]).breakpoints[0]!.verified).toBe(true);
    const stepIn = c.waitForEvent("stopped");
    await c.stepInRequest({ threadId: MAIN_THREAD });
    await stepIn;
    expect((await topFrame(c)).name).toBe("report");
  });

  it("signals stop with exceptionInfo; continuing ends the program with 128+signal", async () => {
    dc = await startClient();
    const c = dc;
    const stopped = await launchAndStop(c, { program: segfault }, () => c.setExceptionBreakpointsRequest({ filters: ["SIGSEGV"] }));
    expect(stopped.body.reason).toBe("exception");
    expect(stopped.body.text).toBe("SIGSEGV");
    const info = await c.exceptionInfoRequest({ threadId: MAIN_THREAD });
    expect(info.body.exceptionId).toBe("SIGSEGV");
    expect(info.body.description).toMatch(/invalid write of unmapped address 0x10 at main\+0x/);
    expect((await topFrame(c)).line).toBe(8);
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.continueRequest({ threadId: MAIN_THREAD });
    expect((await exited).body.exitCode).toBe(139);
  });

  it("pause interrupts a running loop; setExpression ends it", async () => {
    dc = await startClient();
    const c = dc;
    await c.initializeRequest({ adapterID: "jitdbg" });
    await c.launchRequest({ program: spin, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    const entry = c.waitForEvent("stopped");
    await c.configurationDoneRequest();
    expect((await entry).body.reason).toBe("entry");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await new Promise((r) => setTimeout(r, 300));
    const paused = c.waitForEvent("stopped");
    await c.pauseRequest({ threadId: MAIN_THREAD });
    expect((await paused).body.reason).toBe("pause");
    const frame = await topFrame(c);
    expect(frame.name).toBe("main");
    const spins = await c.evaluateRequest({ expression: "spins", frameId: frame.id, context: "watch" });
    expect(BigInt(spins.body.result)).toBeGreaterThan(0n);
    const set = await c.customRequest("setExpression", { expression: "keep_going", value: "0", frameId: frame.id });
    expect((set.body as { value: string }).value).toBe("0");
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.continueRequest({ threadId: MAIN_THREAD });
    expect((await exited).body.exitCode).toBe(3);
  });

  it("data breakpoints report the write", async () => {
    const c = await atLine(40);
    const frame = await topFrame(c);
    const info = await c.dataBreakpointInfoRequest({ name: "global_counter", frameId: frame.id });
    expect(info.body.dataId).toMatch(/^0x[0-9a-f]+:4:global_counter$/);
    expect(info.body.accessTypes).toEqual(["write"]);
    await c.setBreakpointsRequest({ source: { path: MAIN }, breakpoints: [] });
    const set = await c.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
    expect(set.body.breakpoints[0]!.verified).toBe(true);
    const stop = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.continueRequest({ threadId: MAIN_THREAD });
    const ev = await stop;
    expect(ev.body.reason).toBe("data breakpoint");
    expect(ev.body.description).toMatch(/global_counter changed from 3 to 3|changed from 3 to/);
    const bad = await c.dataBreakpointInfoRequest({ name: "shapes", frameId: (await topFrame(c)).id });
    expect(bad.body.dataId).toBeNull();
  });

  it("setVariable, readMemory, writeMemory, disassemble, completions, modules, loadedSources", async () => {
    const c = await atLine(24);
    let frame = await topFrame(c);
    const locals = await variablesOf(c, frame.id, "Locals");
    const scopes = await c.scopesRequest({ frameId: frame.id });
    const localsRef = scopes.body.scopes.find((s) => s.name === "Locals")!.variablesReference;
    expect(locals.map((v) => v.name)).toContain("local");
    const set = await c.setVariableRequest({ variablesReference: localsRef, name: "local", value: "77" });
    expect(set.body.value).toBe("77");
    const regsRef = scopes.body.scopes.find((s) => s.name === "Registers")!.variablesReference;
    const setReg = await c.setVariableRequest({ variablesReference: regsRef, name: "rax", value: "0x1234" });
    expect(setReg.body.value).toBe("0x1234");

    frame = await topFrame(c);
    const addr = (await c.evaluateRequest({ expression: "&global_counter", frameId: frame.id, context: "repl" })).body.memoryReference!;
    const mem = await c.customRequest("readMemory", { memoryReference: addr, count: 4 });
    expect(Buffer.from((mem.body as { data: string }).data, "base64").readInt32LE(0)).toBe(3);
    const memEvent = c.waitForEvent("memory");
    await c.customRequest("writeMemory", { memoryReference: addr, data: Buffer.from([42, 0, 0, 0]).toString("base64") });
    await memEvent;
    expect((await c.evaluateRequest({ expression: "global_counter", frameId: (await topFrame(c)).id, context: "watch" })).body.result).toBe("42");
    const unreadable = await c.customRequest("readMemory", { memoryReference: "0x10", count: 16 });
    expect((unreadable.body as { unreadableBytes: number }).unreadableBytes).toBe(16);

    const dis = await c.disassembleRequest({ memoryReference: frame.instructionPointerReference!, instructionOffset: -2, instructionCount: 6, resolveSymbols: true });
    expect(dis.body!.instructions).toHaveLength(6);
    expect(dis.body!.instructions[2]!.address).toBe(frame.instructionPointerReference);
    expect(dis.body!.instructions[2]!.symbol).toMatch(/^main\+0x/);
    expect(dis.body!.instructions.some((i) => i.line === 24)).toBe(true);

    const comp = await c.completionsRequest({ text: "glob", column: 5, frameId: frame.id });
    expect(comp.body.targets.map((t) => t.label)).toContain("global_counter");
    const members = await c.completionsRequest({ text: "shapes[0].co", column: 13, frameId: frame.id });
    expect(members.body.targets.map((t) => t.label).sort()).toEqual(["color", "corners"]);

    await c.evaluateRequest({ expression: "int triple(int x) { return 3 * x; }", frameId: frame.id, context: "repl" });
    expect((await c.evaluateRequest({ expression: "triple(global_counter)", frameId: frame.id, context: "repl" })).body.result).toBe("126");
    const mods = await c.customRequest("modules", {});
    const modules = (mods.body as DebugProtocol.ModulesResponse["body"]).modules;
    expect(modules[0]!.path).toBe(program);
    expect(modules[0]!.symbolStatus).toMatch(/DWARF/);
    // The console function is a JIT-linked module of its own, placed in the program's address space.
    const jit = modules.filter((m) => String(m.id).startsWith("jit:"));
    expect(jit.length).toBeGreaterThanOrEqual(1);
    expect(jit.some((m) => m.symbolStatus === "JIT-linked object (finalized)" && /^0x[0-9a-f]+-0x[0-9a-f]+$/.test(m.addressRange!))).toBe(true);
    const srcs = await c.customRequest("loadedSources", {});
    expect((srcs.body as DebugProtocol.LoadedSourcesResponse["body"]).sources.map((s) => s.name).sort()).toEqual(expect.arrayContaining(["geometry.c", "main.c", "shapes.h"]));
  });

  it("a new watch text each time, past the expression cache's limit: each answered right; the adapter unloads after answering", async () => {
    const c = await atLine(25);
    const frame = await topFrame(c);
    for (let i = 0; i < 70; i++) {
      expect((await c.evaluateRequest({ expression: `global_counter * 2 + ${i}`, frameId: frame.id, context: "watch" })).body.result).toBe(String(2 * 3 + i));
    }
    // The cache holds 64 linked texts; after each answer the adapter unloads down to 63, so the next new text links at once.
    const mods = await c.customRequest("modules", {});
    const exprs = (mods.body as DebugProtocol.ModulesResponse["body"]).modules.filter((m) => /^expr_\d+$/.test(m.name));
    expect(exprs).toHaveLength(63);
  });

  it("gotoTargets/goto, restart, terminate", async () => {
    const c = await atLine(25);
    const targets = await c.gotoTargetsRequest({ source: { path: MAIN }, line: 27 });
    expect(targets.body.targets[0]!.line).toBe(27);
    const stop = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.gotoRequest({ threadId: MAIN_THREAD, targetId: targets.body.targets[0]!.id });
    expect((await stop).body.reason).toBe("goto");
    expect((await topFrame(c)).line).toBe(27);
    const again = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
    await c.restartRequest({});
    expect((await again).body.reason).toBe("breakpoint");
    expect((await topFrame(c)).line).toBe(25);
    const term = c.waitForEvent("terminated");
    await c.terminateRequest({});
    await term;
  });

  it("bad requests get error responses and the session goes on", async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: "jitdbg" });
    const noProgram = await errorOf(dc.launchRequest({ program: "/nonexistent/prog" } as DebugProtocol.LaunchRequestArguments));
    expect(noProgram.message).toBe("/nonexistent/prog: no such file");
    const missing = await errorOf(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments));
    expect(missing.message).toMatch(/'program' is required/);
    await dc.stop();

    const c = await atLine(24);
    const badFrame = await errorOf(c.scopesRequest({ frameId: 987654 }));
    expect(badFrame.message).toMatch(/frame 987654 does not exist/);
    const badRef = await errorOf(c.variablesRequest({ variablesReference: 424242 }));
    expect(badRef.message).toMatch(/variables reference 424242 is not valid/);
    const frame = await topFrame(c);
    const syntax = await errorOf(c.evaluateRequest({ expression: "local +* )", frameId: frame.id, context: "repl" }));
    expect(syntax.message).toMatch(/error: .*column/);
    const unknown = await errorOf(c.evaluateRequest({ expression: "lcoal", frameId: frame.id, context: "repl" }));
    expect(unknown.message).toMatch(/unknown identifier 'lcoal'.*did you mean 'local'\?/);
    const badMem = await errorOf(c.customRequest("readMemory", { memoryReference: "not-an-address", count: 4 }));
    expect(badMem.message).toMatch(/not a memory reference/);
    const badThread = await errorOf(c.stackTraceRequest({ threadId: 99 }));
    expect(badThread.message).toMatch(/no thread 99/);
    // Still alive: a normal request works.
    expect((await topFrame(c)).line).toBe(24);
    const cancel = await c.customRequest("cancel", { requestId: 1 });
    expect(cancel.success).toBe(true);
    const disc = await c.disconnectRequest({});
    expect(disc.success).toBe(true);
  });
});
