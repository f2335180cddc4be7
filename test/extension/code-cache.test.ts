/**
 * The stand-alone adapter's V8 code cache (adapter/boot.ts): the first session after a build
 * writes it, a later session that ran code it did not hold (an evaluation) writes it again, bigger,
 * and a session that ran nothing new leaves it alone. A copy of the two bundles in a directory of
 * its own (inside the repository, so their packages resolve) keeps the repository's cache out of it.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DapClient } from "../../src/cli/dap-client.js";
import { compileFixture, fixturesDir, repoRoot } from "../helpers/compile.js";
import { runBundleScript } from "./load-extension.js";

let dir: string;
let program: string;
const source = join(fixturesDir, "debugger", "geometry.c");
/** area()'s first line. */
const line = readFileSync(source, "utf8").split("\n").findIndex((l) => l.includes("int w = width(s);")) + 1;

beforeAll(() => {
  runBundleScript();
  dir = mkdtempSync(join(repoRoot, "dist", "code-cache-test-"));
  for (const f of ["main.cjs", "adapter.cjs"]) copyFileSync(join(repoRoot, "dist", "adapter", f), join(dir, f));
  program = compileFixture("debugger/main.c", { flags: ["-static", "-O0", "-g"], extraSources: ["debugger/geometry.c"] });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One session to a breakpoint, evaluating `expression` there when given; resolves once the adapter has exited. */
async function session(expression?: string): Promise<void> {
  const dap = new DapClient(process.execPath, [join(dir, "main.cjs")]);
  await dap.request("initialize", { adapterID: "test", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
  const initialized = dap.waitFor("initialized");
  await dap.request("launch", { program, args: [], stopOnEntry: false, timeTravel: false });
  await initialized;
  await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line }] });
  const stopped = dap.waitFor("stopped");
  await dap.request("configurationDone");
  await stopped;
  if (expression) {
    const threads = await dap.request("threads");
    const thread = (threads.body!.threads as { id: number }[])[0]!.id;
    const st = await dap.request("stackTrace", { threadId: thread, levels: 1 });
    const frameId = (st.body!.stackFrames as { id: number }[])[0]!.id;
    const r = await dap.request("evaluate", { expression, frameId, context: "repl" });
    expect(r.body!.result).toMatch(/^\d+$/);
  }
  await dap.request("disconnect", { terminateDebuggee: true });
  dap.close();
  await dap.exited();
}

function cache(): { name: string; size: number; mtimeMs: number } | undefined {
  const names = readdirSync(dir).filter((f) => f.endsWith(".v8cache"));
  expect(names.length).toBeLessThanOrEqual(1);
  if (names.length === 0) return undefined;
  const s = statSync(join(dir, names[0]!));
  return { name: names[0]!, size: s.size, mtimeMs: s.mtimeMs };
}

describe("the adapter's code cache", () => {
  it("is written by the first session, grows when a later one evaluates, and is left alone by one that runs nothing new", async () => {
    expect(cache()).toBeUndefined();
    await session();
    const first = cache()!;
    expect(first.size).toBeGreaterThan(0);
    await session("s->corners[1].x * 3 + 1");
    const grown = cache()!;
    // The expression compiler, the linker and the evaluator's code are in it now.
    expect(grown.size).toBeGreaterThan(first.size + 16 * 1024);
    await session();
    expect(cache()).toEqual(grown);
  }, 120_000);
});
