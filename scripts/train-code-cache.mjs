/**
 * Fills the stand-alone adapter's V8 code cache for a bundle just built, with one short session
 * of the kind a user runs: the adapter (dist/adapter/main.cjs) writes the cache when a session
 * ends, holding the bytecode of every function that session ran (adapter/boot.ts). Without this,
 * the first session after a build compiled from source whatever the sessions before it had not
 * run: measured, the first ten console texts of a session whose cache held only a launch took
 * 1.1-1.5 ms each, 0.6-0.7 ms with the evaluator's functions in the cache.
 *
 * The session: the demo's example (gcc -static -g -O0), a conditional breakpoint, the stop's
 * stack, scopes and variables (a struct expanded), new console texts (arithmetic, a call, a
 * definition, a persistent variable) and one evaluated again, next, stepIn, stepOut, continue to
 * the exit. Without gcc there is nothing to debug: no cache is made, and sessions make it as
 * they run. A failure here leaves the build as it is (a warning; the tests cover the adapter).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const BREAK_LINE = 29; // inside find() of test/fixtures/demo/inventory.c (the demo's breakpoint)
/** Each request is answered in well under a second; a stuck adapter fails the session (and the build goes on) after this. */
const TIMEOUT_MS = 10_000;
/** How long the adapter may take to write the cache and exit after the session's disconnect. */
const EXIT_MS = 10_000;

export async function trainAdapterCodeCache(root) {
  const dir = mkdtempSync(join(tmpdir(), "jitdbg-train-"));
  try {
    const source = join(root, "test", "fixtures", "demo", "inventory.c");
    const exe = join(dir, "inventory");
    try {
      execFileSync("gcc", ["-static", "-g", "-O0", "-o", exe, source], { stdio: "ignore" });
    } catch {
      return; // no gcc (or it cannot build the example): nothing to run a session on
    }
    const { DapClient } = await import(pathToFileURL(join(root, "dist", "src", "cli", "dap-client.js")).href);
    const dap = new DapClient(process.execPath, [join(root, "dist", "adapter", "main.cjs")], { timeoutMs: TIMEOUT_MS });
    try {
      await session(dap, exe, source);
    } finally {
      dap.close();
    }
  } catch (e) {
    console.warn(`jitdbg build: the adapter's code cache was not made (${e.message}); sessions make it as they run`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function session(dap, exe, source) {
  await dap.request("initialize", { adapterID: "jitdbg", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
  const initialized = dap.waitFor("initialized");
  await dap.request("launch", { program: exe, args: ["kiwi", "plum"] });
  await initialized;
  await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line: BREAK_LINE, condition: "head->quantity > 5" }] });
  let stopped = dap.waitFor("stopped");
  await dap.request("configurationDone");
  const threadId = Number((await stopped).body.threadId);
  const frameId = await inspectStop(dap, threadId);
  const texts = ["head->quantity * head->price", "strcmp(head->name, name) == 0", "lookups + 1", "&head->next", "int twice(int x) { return 2 * x; }", "twice(head->quantity)", "$stock = twice(head->quantity) + 1", "$stock * 10", "head->name[0] == 'k' ? 1.5 : 2.5"];
  for (const [i, expression] of texts.entries()) await dap.request("evaluate", { expression, frameId, context: i % 2 ? "watch" : "repl" });
  for (let i = 0; i < 20; i++) await dap.request("evaluate", { expression: `head->quantity * 3 + ${i}`, frameId, context: "watch" });
  await dap.request("evaluate", { expression: "head->quantity * 3 + 0", frameId, context: "watch" });
  for (const step of ["stepOut", "next", "stepIn"]) {
    stopped = dap.waitFor("stopped");
    await dap.request(step, { threadId });
    await stopped;
    await inspectStop(dap, threadId);
  }
  const exited = dap.waitFor("exited");
  await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [] });
  await dap.request("continue", { threadId });
  await exited;
  await dap.request("disconnect").catch(() => undefined);
  // The cache is written as the adapter exits: wait for that rather than kill it in the middle.
  await Promise.race([dap.exited(), new Promise((resolve) => setTimeout(resolve, EXIT_MS).unref())]);
}

/** threads, stackTrace, scopes and each scope's variables (the first expandable one expanded), as VS Code asks at a stop; the top frame's id. */
async function inspectStop(dap, threadId) {
  await dap.request("threads");
  const frames = (await dap.request("stackTrace", { threadId, startFrame: 0, levels: 20 })).body.stackFrames;
  const scopes = (await dap.request("scopes", { frameId: frames[0].id })).body.scopes;
  for (const s of scopes) {
    const vars = (await dap.request("variables", { variablesReference: s.variablesReference })).body.variables;
    const expandable = vars.find((v) => v.variablesReference > 0);
    if (expandable) await dap.request("variables", { variablesReference: expandable.variablesReference });
  }
  return frames[0].id;
}
