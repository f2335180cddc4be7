/**
 * The expression undo log and socket pairs, as undo.test.ts for pipes: an expression that sends,
 * receives, shuts down, closes, makes a pair, changes SO_SNDBUF, or wakes a thread waiting on a
 * socket, and then faults, is rolled back — the bytes queued, the shutdowns, the buffer size,
 * the descriptors and the waiting reader are as they were, so the program's whole output is the
 * native run's (test/fixtures/pipes/socket_undo.c). One that succeeds keeps its effect: the
 * output is then that of a twin build doing the same at the breakpoint.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { requireCompiler } from "../threads/harness.js";

const FLAGS = ["-static", "-O0", "-g", "-pthread"];
const SOURCE = readFileSync(join(fixturesDir, "pipes", "socket_undo.c"), "utf8").split("\n");
const BREAK = SOURCE.findIndex((l) => l.includes("/* BREAK */")) + 1;

let open: Debugger | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});

async function atBreak(exe: string): Promise<{ dbg: Debugger; stdout: string[] }> {
  const stdout: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => void (c === "stdout" && stdout.push(t)) });
  open = dbg;
  dbg.setSourceBreakpoints("socket_undo.c", [{ line: BREAK }]);
  const r = await dbg.start();
  if (r.reason !== "breakpoint") throw new Error(`expected to stop at BREAK, got ${r.reason}`);
  return { dbg, stdout };
}

async function toEnd(s: { dbg: Debugger; stdout: string[] }): Promise<{ stdout: string; status: number | undefined }> {
  const r = await s.dbg.continue();
  expect(r.reason).toBe("exited");
  return { stdout: s.stdout.join(""), status: r.reason === "exited" ? r.exitCode : undefined };
}

function failing(dbg: Debugger, expr: string): string {
  try {
    dbg.expressions.evaluate(expr, 0);
  } catch (e) {
    if ((e as { code?: string }).code === undefined) throw e;
    return (e as Error).message;
  }
  throw new Error(`expected ${expr} to fail`);
}

describe("an expression's socket effects are undone with it", () => {
  requireCompiler("gcc");
  const exe = compileFixture("pipes/socket_undo.c", { flags: FLAGS });
  const native = runNative(exe);

  it("the fixture runs under the debugger as natively", async () => {
    expect(native.stdout).toMatch(/^reader got 4: late\nsent 3, sv\[1\] held: abcdef, SO_SNDBUF \d+\n$/);
    expect(await toEnd(await atBreak(exe))).toEqual({ stdout: native.stdout, status: native.status });
  });

  const CASES = [
    "p_send(sv[0], \"XYZ\", 3), *np",
    "p_recv(sv[1], got, 2), *np",
    "p_shutdown(sv[0], 1), *np",
    "p_shutdown(sv[1], 0), *np",
    "p_close(sv[0]), *np", // sv[1] would read the end
    "p_socketpair(sv), p_send(sv[0], \"new\", 3), *np",
    "p_sndbuf(sv[0], 100000), *np",
    "p_send(late[1], \"early\", 5), *np", // wakes the waiting reader during the call
    "p_shutdown(late[1], 1), *np", // the waiting reader would read the end
  ];
  for (const expr of CASES) {
    it(`${expr}: rolled back`, async () => {
      const s = await atBreak(exe);
      expect(failing(s.dbg, expr)).toMatch(/SIGSEGV[\s\S]*files/);
      expect(s.dbg.expressions.evaluateView("got[0]", 0).value).toMatch(/^0 /);
      expect(await toEnd(s)).toEqual({ stdout: native.stdout, status: native.status });
    });
  }

  it("all of them one after another, then the program's own run", async () => {
    const s = await atBreak(exe);
    for (const expr of CASES) failing(s.dbg, expr);
    expect(await toEnd(s)).toEqual({ stdout: native.stdout, status: native.status });
  });

  const twins = ["p_send(sv[0], \"Q\", 1)", "p_recv(sv[1], got, 1)", "p_shutdown(late[1], 1)", "p_sndbuf(sv[0], 100000)"];
  for (const expr of twins) {
    it(`a successful ${expr} keeps its effect, as a twin doing it at BREAK`, async () => {
      const twin = runNative(compileFixture("pipes/socket_undo.c", { flags: [...FLAGS, `-DAT_BREAK=${expr}`] }));
      expect(twin.stdout).not.toBe(native.stdout);
      const s = await atBreak(exe);
      s.dbg.expressions.evaluate(expr, 0);
      expect(await toEnd(s)).toEqual({ stdout: twin.stdout, status: twin.status });
    });
  }
});
