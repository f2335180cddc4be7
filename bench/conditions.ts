/**
 * A conditional breakpoint in a hot loop whose condition is never true (issue 19), over DAP:
 * jitdbg's adapter bundle (the condition compiled into the program's path) side by side with
 * lldb-vscode (it stops at every hit and evaluates the condition), on the same static program,
 * breakpoint line and condition; and jitdbg against the same loop run without the breakpoint.
 *
 * Like with like: each figure is a whole run over DAP, configurationDone → terminated, and the
 * cost of the hits is what a run of N iterations takes beyond the same session with 0 iterations
 * (launch, start-up and exit subtracted on both sides). lldb-vscode takes tens of microseconds a
 * hit, so it runs fewer iterations (LLDB_HITS) than jitdbg (HITS); both are shown per hit, and
 * jitdbg also at LLDB_HITS, the same work as lldb-vscode's run.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DapClient } from "../src/cli/dap-client.js";
import { compileFixture, fixturesDir, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const RUNS = 3;
const HITS = 1_000_000;
const LLDB_HITS = 20_000;
const CONDITION = "i == -1";
const LLDB_VSCODE = ["/usr/bin/lldb-vscode-14", "/usr/lib/llvm-14/bin/lldb-vscode", "/usr/bin/lldb-vscode"].find((p) => existsSync(p));

interface Adapter {
  command: string;
  args: string[];
}

/** ms from configurationDone to the end of a run of `n` iterations, with the conditional breakpoint or none. */
async function run(a: Adapter, program: string, source: string, line: number, n: number, withBreakpoint: boolean): Promise<number> {
  const dap = new DapClient(a.command, a.args);
  try {
    await dap.request("initialize", { adapterID: "bench", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
    const initialized = dap.waitFor("initialized");
    await dap.request("launch", { program, args: [String(n)], stopOnEntry: false });
    await initialized;
    if (withBreakpoint) await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line, condition: CONDITION }] });
    const ended = Promise.race([dap.waitFor("terminated"), dap.waitFor("exited")]);
    const t = process.hrtime.bigint();
    await dap.request("configurationDone");
    await ended;
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    await dap.request("disconnect", { terminateDebuggee: true }).catch(() => undefined);
    dap.close();
  }
}

/** Median ms of `n` iterations beyond 0 (the run's own costs taken out). */
async function hitsCost(a: Adapter, program: string, source: string, line: number, n: number, withBreakpoint: boolean): Promise<number> {
  const full: number[] = [];
  const none: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    none.push(await run(a, program, source, line, 0, withBreakpoint));
    full.push(await run(a, program, source, line, n, withBreakpoint));
  }
  return Math.max(0.001, median(full) - median(none));
}

export async function benchConditions(): Promise<string> {
  const program = compileFixture("conditions/hot_loop.c", { flags: ["-static", "-O0", "-g"] });
  const source = join(fixturesDir, "conditions", "hot_loop.c");
  const line = Number(execFileSync("grep", ["-n", "@hot", source], { encoding: "utf8" }).split(":")[0]);
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], { stdio: "ignore" });
  const ours: Adapter = { command: process.execPath, args: [join(repoRoot, "dist", "adapter", "main.cjs")] };
  const ourHits = await hitsCost(ours, program, source, line, HITS, true);
  const ourLoop = await hitsCost(ours, program, source, line, HITS, false);
  const ourSmall = await hitsCost(ours, program, source, line, LLDB_HITS, true);
  const perHit = (ms: number, n: number) => `${((ms * 1e6) / n).toFixed(0)} ns/hit`;
  const lines = [`conditions: \`${CONDITION}\` at hot_loop.c:${line} (never true), gcc -O0 -g -static, over DAP, ${RUNS} runs each; ms beyond a 0-iteration run, medians`];
  lines.push(`  jitdbg, ${HITS.toLocaleString("en")} false hits         ${fmt(ourHits).padStart(8)} ms (${perHit(ourHits, HITS)})`);
  lines.push(`  jitdbg, the same loop, no breakpoint   ${fmt(ourLoop).padStart(8)} ms   ratio with/without ${(ourHits / ourLoop).toFixed(2)}x (goal <= 2x)`);
  if (!LLDB_VSCODE) {
    lines.push("  lldb-vscode not installed (apt-get install lldb): no ratio");
    return lines.join("\n");
  }
  const lldb: Adapter = { command: LLDB_VSCODE, args: [] };
  const theirs = await hitsCost(lldb, program, source, line, LLDB_HITS, true);
  lines.push(`  ${LLDB_HITS.toLocaleString("en")} false hits: jitdbg ${fmt(ourSmall)} ms (${perHit(ourSmall, LLDB_HITS)}), lldb-vscode ${fmt(theirs)} ms (${perHit(theirs, LLDB_HITS)})   lldb-vscode/jitdbg ${(theirs / ourSmall).toFixed(0)}x (goal >= 100x)`);
  lines.push(`  per hit: jitdbg at ${HITS.toLocaleString("en")} hits vs lldb-vscode at ${LLDB_HITS.toLocaleString("en")}: ${((theirs / LLDB_HITS) / (ourHits / HITS)).toFixed(0)}x`);
  return lines.join("\n");
}
