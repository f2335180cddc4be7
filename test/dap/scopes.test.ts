/**
 * Scopes as VS Code shows them (issue 15). VS Code opens only the first scope that is not
 * expensive, so Locals comes first and lists the function's parameters too (as LLDB, CodeLLDB and
 * cpptools do): a function's arguments and locals show at once, at main(void)'s first stop as in
 * a function with parameters. Each scope has a presentationHint; a const variable is readOnly; a
 * parameter a block's local shadows is listed as `v @ file:line` and can be set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const SRC = join(fixturesDir, "dap-requests", "params.c");
const text = readFileSync(SRC, "utf8").split("\n");
const lineOf = (marker: string) => text.findIndex((l) => l.includes(`/* ${marker} */`)) + 1;
const FUNCTION_LINE = text.findIndex((l) => l.includes("static int scale(")) + 1;

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

const exe = compileFixture("dap-requests/params.c", { flags: ["-static", "-g", "-O0"] });

async function scopes(c: DebugClient): Promise<DebugProtocol.Scope[]> {
  return (await c.scopesRequest({ frameId: (await topFrame(c)).id })).body.scopes;
}

async function locals(c: DebugClient): Promise<DebugProtocol.Variable[]> {
  const ref = (await scopes(c)).find((s) => s.name === "Locals")!.variablesReference;
  return (await c.variablesRequest({ variablesReference: ref })).body.variables;
}

describe("scopes over DAP", () => {
  it("Locals first and not expensive, each scope with its presentationHint; main(void) has no Arguments scope", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("MAIN") }] }));
    const s = await scopes(c);
    expect(s.map((x) => [x.name, x.presentationHint, x.expensive])).toEqual([
      ["Locals", "locals", false],
      ["Globals", "globals", true],
      ["Thread-local", "threadLocals", false],
      ["Registers", "registers", true],
    ]);
    expect((await locals(c)).map((v) => v.name)).toEqual(["r"]);
    const tls = (await c.variablesRequest({ variablesReference: s[2]!.variablesReference })).body.variables;
    expect(tls.find((v) => v.name === "tls_count")?.value).toBe("5");
  });

  it("a function's parameters are in Locals, first; a const one is readOnly; a shadowed one is named by its declaration and can be set", async () => {
    dc = await startClient();
    const c = dc;
    await launchAndStop(c, { program: exe }, () =>
      c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf("OUT") }, { line: lineOf("SHADOWED") }] }),
    );
    expect((await scopes(c)).map((x) => x.name)).toEqual(["Locals", "Globals", "Thread-local", "Registers"]);
    const atOut = await locals(c);
    expect(atOut.slice(0, 2).map((v) => [v.name, v.value, v.type])).toEqual([
      ["v", "6", "int"],
      ["factor", "7", "const int"],
    ]);
    expect(atOut.map((v) => v.name)).toEqual(["v", "factor", "out"]);
    expect(atOut.map((v) => v.presentationHint?.attributes ?? [])).toEqual([[], ["readOnly"], []]);

    const stopped = c.waitForEvent("stopped");
    await c.continueRequest({ threadId: MAIN_THREAD });
    await stopped;
    const shadowed = `v @ params.c:${FUNCTION_LINE}`;
    const atShadow = await locals(c);
    expect(atShadow.map((v) => [v.name, v.value])).toEqual([
      ["factor", "7"],
      ["v", "43"],
      ["out", "42"],
      [shadowed, "6"],
    ]);
    const frameId = (await topFrame(c)).id;
    const param = atShadow.find((v) => v.name === shadowed)!;
    expect((await c.evaluateRequest({ expression: param.evaluateName!, frameId, context: "watch" })).body.result).toBe("6");
    const ref = (await scopes(c)).find((s) => s.name === "Locals")!.variablesReference;
    await c.setVariableRequest({ variablesReference: ref, name: shadowed, value: "9" });
    expect((await locals(c)).find((v) => v.name === shadowed)?.value).toBe("9");
    expect((await locals(c)).find((v) => v.name === "v")?.value).toBe("43");
  });
});
