import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { join } from "node:path";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { buildWithLibshape, DYNAMIC } from "../inferior/dynamic-build.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const LIBSHAPE_C = join(fixturesDir, "dynamic", "libshape.c");
let dc: DebugClient | undefined;

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

async function frames(c: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await c.stackTraceRequest({ threadId: MAIN_THREAD })).body.stackFrames;
}

describe("dynamically linked programs over DAP", () => {
  it("breakpoints in libc and in a shared library bind when they load; backtraces reach main; modules list every image", async () => {
    const { exe, lib } = buildWithLibshape("dynamic/uses_lib.c");
    dc = await startClient();
    const c = dc;
    const changed: DebugProtocol.BreakpointEvent[] = [];
    c.on("breakpoint", (e: DebugProtocol.BreakpointEvent) => changed.push(e));
    const moduleEvents: DebugProtocol.ModuleEvent[] = [];
    c.on("module", (e: DebugProtocol.ModuleEvent) => moduleEvents.push(e));
    let lineBp: DebugProtocol.SetBreakpointsResponse | undefined;
    let fnBp: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    const first = await launchAndStop(c, { program: exe, reproducible: true }, async () => {
      lineBp = await c.setBreakpointsRequest({ source: { path: LIBSHAPE_C }, breakpoints: [{ line: 10 }] });
      fnBp = await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: "puts" }] });
    });
    // Neither libshape nor libc is loaded when the breakpoints are set: both wait, saying why.
    expect(lineBp!.body.breakpoints[0]!.verified).toBe(false);
    expect(fnBp!.body.breakpoints[0]!.verified).toBe(false);
    expect(fnBp!.body.breakpoints[0]!.message).toMatch(/no function named 'puts'/);
    expect(changed.map((e) => e.body.breakpoint.verified)).toEqual([true, true]);

    // The library's constructor calls puts before main runs.
    expect(first.body.reason).toBe("function breakpoint");
    let st = await frames(c);
    expect(st[0]!.name).toMatch(/puts/);
    expect(st[1]!.name).toBe("shape_init");
    expect(st[1]!.source?.path).toBe(LIBSHAPE_C);

    const mods = (await c.customRequest("modules", {})).body as DebugProtocol.ModulesResponse["body"];
    const names = mods.modules.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining([exe.split("/").pop(), "ld-linux-x86-64.so.2", "libc.so.6", "libshape.so"]));
    for (const m of mods.modules) expect(m.addressRange).toMatch(/^0x[0-9a-f]+-0x[0-9a-f]+$/);
    expect(mods.modules.find((m) => m.name === "libshape.so")!.path).toBe(lib.path);
    expect(moduleEvents.map((e) => e.body.module.name)).toEqual(expect.arrayContaining(["libshape.so", "libc.so.6"]));

    // The line breakpoint inside the library: shape_sides("square") called from main.
    await c.setFunctionBreakpointsRequest({ breakpoints: [] });
    const stop = c.waitForEvent("stopped");
    await c.continueRequest({ threadId: MAIN_THREAD });
    expect((await stop).body.reason).toBe("breakpoint");
    st = await frames(c);
    expect(st.slice(0, 2).map((f) => `${f.name}:${f.line}`)).toEqual(["shape_sides:10", "main:20"]);
    expect(st[1]!.source?.name).toBe("uses_lib.c");

    // Expressions at that stop: a libc function (an IFUNC in libc), the library's own function.
    const frameId = st[0]!.id;
    expect((await c.evaluateRequest({ expression: "strlen(name)", frameId, context: "repl" })).body.result).toBe("6");
    expect((await c.evaluateRequest({ expression: "shape_sides(\"pentagon\")", frameId, context: "repl" })).body.result).toBe("5");
    const calls = (await c.evaluateRequest({ expression: "shape_calls", frameId, context: "watch" })).body.result;
    expect(calls).toMatch(/^\d+$/);
    // Hover (the side-effect-free interpreter) sees the library's global where the loader bound it,
    // from the library's frame and from main's.
    expect((await c.evaluateRequest({ expression: "shape_calls", frameId, context: "hover" })).body.result).toBe(calls);
    expect((await c.evaluateRequest({ expression: "shape_calls", frameId: st[1]!.id, context: "hover" })).body.result).toBe(calls);

    await c.setBreakpointsRequest({ source: { path: LIBSHAPE_C }, breakpoints: [] });
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    await c.continueRequest({ threadId: MAIN_THREAD });
    // main returns shape_calls: the console's shape_sides("pentagon") was a real call and counted.
    expect((await exited).body.exitCode).toBe(runNative(exe).status + 1);
  });

  it("errno after a failing call", async () => {
    const exe = compileFixture("dynamic/errno_strerror.c", { flags: DYNAMIC });
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: join(fixturesDir, "dynamic", "errno_strerror.c") }, breakpoints: [{ line: 9 }] }));
    const frame = await topFrame(c);
    expect((await c.evaluateRequest({ expression: "errno", frameId: frame.id, context: "repl" })).body.result).toBe("2");
    expect((await c.evaluateRequest({ expression: "f", frameId: frame.id, context: "watch" })).body.result).toBe("0x0");
  });
});
