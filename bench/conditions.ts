/**
 * A conditional breakpoint in a hot loop whose condition is never true (issue 19), over DAP:
 * jitdbg's adapter bundle (the condition compiled into the program's path) side by side with
 * lldb-vscode (it stops at every hit and evaluates the condition), on the same static program,
 * breakpoint line and condition; and jitdbg against the same loop run without the breakpoint.
 *
 * Like with like: each figure is a whole run over DAP, configurationDone → terminated, and the
 * cost of the hits is what a run of N iterations takes beyond the same session with 1 iteration
 * (launch, start-up, exit and the first hit taken out on both sides: jitdbg compiles the
 * condition into the program at its first hit, a one-time cost shown on its own line).
 * lldb-vscode takes a millisecond or more a hit, so it runs fewer iterations (LLDB_HITS) than
 * jitdbg (HITS); both are shown per hit, and jitdbg also at LLDB_HITS, the same work as
 * lldb-vscode's run.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DapClient } from "../src/cli/dap-client.js";
import { compileFixture, fixturesDir, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

/** Runs per figure: jitdbg's take a fraction of a second, lldb-vscode's tens of seconds. */
const RUNS = 5;
const LLDB_RUNS = 3;
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

/** Median ms of whole runs of 0, 1 and `n` iterations. */
async function runs(a: Adapter, program: string, source: string, line: number, n: number, withBreakpoint: boolean, count = RUNS): Promise<{ zero: number; one: number; n: number }> {
  const t: [number[], number[], number[]] = [[], [], []];
  for (let k = 0; k < count; k++) for (const [i, iters] of [0, 1, n].entries()) t[i]!.push(await run(a, program, source, line, iters, withBreakpoint));
  return { zero: median(t[0]), one: median(t[1]), n: median(t[2]) };
}

export async function benchConditions(): Promise<string> {
  const program = compileFixture("conditions/hot_loop.c", { flags: ["-static", "-O0", "-g"] });
  const source = join(fixturesDir, "conditions", "hot_loop.c");
  const line = Number(execFileSync("grep", ["-n", "@hot", source], { encoding: "utf8" }).split(":")[0]);
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], { stdio: "ignore" });
  const ours: Adapter = { command: process.execPath, args: [join(repoRoot, "dist", "adapter", "main.cjs")] };
  const withBp = await runs(ours, program, source, line, HITS, true);
  const without = await runs(ours, program, source, line, HITS, false);
  // The iterations after the first: the steady cost of a hit, the one-time compilation taken out.
  const ourHits = Math.max(0.001, withBp.n - withBp.one);
  const ourLoop = Math.max(0.001, without.n - without.one);
  const ns = (ms: number, n: number) => `${((ms * 1e6) / n).toFixed(0)} ns/hit`;
  const lines = [`conditions: \`${CONDITION}\` at hot_loop.c:${line} (never true), gcc -O0 -g -static, over DAP, whole runs configurationDone → terminated, medians of ${RUNS} (lldb-vscode: ${LLDB_RUNS})`];
  lines.push(`  jitdbg, the first hit (the condition compiled into the program): ${fmt(withBp.one - withBp.zero)} ms beyond a 0-iteration run (without the breakpoint: ${fmt(without.one - without.zero)} ms)`);
  lines.push(`  jitdbg, ${(HITS - 1).toLocaleString("en")} more false hits     ${fmt(ourHits).padStart(8)} ms (${ns(ourHits, HITS - 1)})`);
  lines.push(`  jitdbg, the same iterations, no breakpoint ${fmt(ourLoop).padStart(8)} ms   ratio with/without ${(ourHits / ourLoop).toFixed(2)}x (goal <= 2x); whole runs beyond 0 iterations, the compilation included: ${((withBp.n - withBp.zero) / (without.n - without.zero)).toFixed(2)}x`);
  if (!LLDB_VSCODE) {
    lines.push("  lldb-vscode not installed (apt-get install lldb): no ratio");
    return lines.join("\n");
  }
  const lldb: Adapter = { command: LLDB_VSCODE, args: [] };
  const theirs = await runs(lldb, program, source, line, LLDB_HITS, true, LLDB_RUNS);
  const small = await runs(ours, program, source, line, LLDB_HITS, true);
  // The same work on both sides: a whole run of LLDB_HITS hits beyond a 0-iteration one, every first-hit cost included.
  const ourSmall = Math.max(0.001, small.n - small.zero);
  const theirSmall = theirs.n - theirs.zero;
  lines.push(`  ${LLDB_HITS.toLocaleString("en")} false hits, beyond a 0-iteration run: jitdbg ${fmt(ourSmall)} ms, lldb-vscode ${fmt(theirSmall)} ms   lldb-vscode/jitdbg ${(theirSmall / ourSmall).toFixed(0)}x (goal >= 100x)`);
  const theirPerHit = (theirs.n - theirs.one) / (LLDB_HITS - 1);
  lines.push(`  per hit after the first: jitdbg ${ns(ourHits, HITS - 1)} (${(HITS - 1).toLocaleString("en")} hits), lldb-vscode ${ns(theirPerHit, 1)} (${(LLDB_HITS - 1).toLocaleString("en")}): ${(theirPerHit / (ourHits / (HITS - 1))).toFixed(0)}x`);
  return lines.join("\n");
}
