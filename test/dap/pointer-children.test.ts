/**
 * Expanding pointers in Variables over DAP: a pointer to a struct or union shows the pointee's
 * members as its own children (LLDB, CodeLLDB, cpptools), named `p->x` for watches, data
 * breakpoints and setVariable; a pointer to a scalar or to a pointer shows one child `*p`; a
 * null pointer is not expandable.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { launchAndStop, startClient, topFrame } from "../helpers/dap.js";
import { lineOf } from "../debugger/markers.js";

const FIXTURE = "dap/pointers.c";
const SRC = join(fixturesDir, FIXTURE);

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("pointer children in Variables", () => {
  const exe = compileFixture(FIXTURE, { flags: ["-g", "-O0", "-static"] });

  async function locals(c: DebugClient): Promise<{ frameId: number; byName: Map<string, DebugProtocol.Variable> }> {
    await launchAndStop(c, { program: exe }, () => c.setBreakpointsRequest({ source: { path: SRC }, breakpoints: [{ line: lineOf(FIXTURE, "@look") }] }));
    const frameId = (await topFrame(c)).id;
    const scope = (await c.scopesRequest({ frameId })).body.scopes.find((s) => s.name === "Locals")!;
    const vars = (await c.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
    return { frameId, byName: new Map(vars.map((v) => [v.name, v])) };
  }

  const expand = async (c: DebugClient, v: DebugProtocol.Variable) => (await c.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
  const shape = (vs: DebugProtocol.Variable[]) => vs.map((v) => [v.name, v.value, v.evaluateName]);

  it("shows the members of a struct or union pointee directly, a scalar's pointee as *p, and no children for null", async () => {
    dc = await startClient();
    const c = dc;
    const { frameId, byName } = await locals(c);
    const p = byName.get("p")!;
    const members = await expand(c, p);
    expect(shape(members)).toEqual([
      ["x", "3", "p->x"],
      ["y", "4", "p->y"],
      ["in", expect.any(String), "p->in"],
    ]);
    expect(shape(await expand(c, members[2]!))).toEqual([["depth", "5", "p->in.depth"]]);
    expect(shape(await expand(c, byName.get("u")!)).map(([n, , e]) => [n, e])).toEqual([
      ["i", "u->i"],
      ["b", "u->b"],
    ]);
    expect(shape(await expand(c, byName.get("ip")!))).toEqual([["*ip", "42", "*ip"]]);
    const star = await expand(c, byName.get("pp")!);
    expect(star.map((v) => [v.name, v.evaluateName])).toEqual([["*pp", "*pp"]]);
    expect(shape(await expand(c, star[0]!)).slice(0, 2)).toEqual([
      ["x", "3", "(*pp)->x"],
      ["y", "4", "(*pp)->y"],
    ]);
    expect(byName.get("none")!.variablesReference).toBe(0);
    // Every evaluateName reaches the value shown.
    for (const v of members.slice(0, 2)) expect((await c.evaluateRequest({ expression: v.evaluateName!, frameId, context: "watch" })).body.result).toBe(v.value);
  });

  it("a pointer to no memory expands to its members or pointee with error values, not a failed request", async () => {
    dc = await startClient();
    const c = dc;
    const { byName } = await locals(c);
    const bad = byName.get("bad")!;
    expect(bad.value).toMatch(/^0x10\b/);
    const members = await expand(c, bad);
    expect(members.map((v) => v.name)).toEqual(["x", "y", "in"]);
    expect(members.map((m) => m.value)).toEqual(["<<unreadable memory at 0x10>>", "<<unreadable memory at 0x14>>", "{depth = <<unreadable memory at 0x18>>}"]);
    const star = await expand(c, byName.get("ibad")!);
    expect(star.map((v) => v.name)).toEqual(["*ibad"]);
    expect(star[0]!.value).toMatch(/^<<unreadable memory at 0x10>>$/);
  });

  it("a member shown under a pointer can be set and watched by its name", async () => {
    dc = await startClient();
    const c = dc;
    const { frameId, byName } = await locals(c);
    const p = byName.get("p")!;
    const set = await c.setVariableRequest({ variablesReference: p.variablesReference, name: "y", value: "40" });
    expect(set.body.value).toBe("40");
    expect((await c.evaluateRequest({ expression: "s.y", frameId, context: "watch" })).body.result).toBe("40");
    const info = await c.dataBreakpointInfoRequest({ variablesReference: p.variablesReference, name: "x", frameId });
    expect(info.body.description).toMatch(/^p->x \(4 bytes at 0x[0-9a-f]+\)$/);
  });
});
