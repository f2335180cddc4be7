/**
 * Expression evaluation round trips at a breakpoint (test/fixtures/eval/probe.c, gcc -O0 -g
 * -static): in-process through the Debugger facade — the first evaluation of a text (compile, link,
 * finalize, call) and repeated evaluations of the same text (cached module: fill, call, restore) —
 * for a simple expression and one that calls functions(libc calls cast to their return type, as lldb requires without libc debug info); then the same over DAP `evaluate`
 * (context watch), jitdbg's adapter side by side with lldb-vscode when it is installed: the same
 * requests, back to back and paced as a person types, in sessions of the two adapters in turn.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DapClient, type DapMessage } from "../src/cli/dap-client.js";
import { repoRoot } from "../fixtures/build.js";
import { BUILDS, atBreak1, build, lineOf, srcName } from "../test/eval/fixture.js";
import { fmt, median } from "./stats.js";

const FIRST = 100;
const REPEAT = 300;
const DAP_REPEAT = 100;
/** New texts evaluated before the warm row: enough for V8 to optimize the pipeline's functions. */
const WARMUP_TEXTS = 2000;
const LLDB_VSCODE = ["/usr/bin/lldb-vscode-14", "/usr/lib/llvm-14/bin/lldb-vscode", "/usr/bin/lldb-vscode"].find((p) => existsSync(p));

const EXPRS = [
  { label: "simple", text: "counter * 3 + local", vary: (i: number) => `counter * 3 + local + ${i}` },
  { label: "calls", text: "add(counter, n) + (unsigned long)strlen(message)", vary: (i: number) => `add(counter, n) + (unsigned long)strlen(message) + ${i}` },
];

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]!;
}

function ms(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function inProcess(exe: string, src: string): Promise<string[]> {
  const s = await atBreak1(exe, src);
  const out: string[] = [];
  try {
    for (const e of EXPRS) {
      const first: number[] = [];
      for (let i = 0; i < FIRST; i++) {
        const t = process.hrtime.bigint();
        s.dbg.inspector.evaluate(e.vary(i), 0, { context: "watch" });
        first.push(ms(t));
      }
      const again: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const t = process.hrtime.bigint();
        s.dbg.inspector.evaluate(e.text, 0, { context: "watch" });
        again.push(ms(t));
      }
      const warm = again.slice(10);
      out.push(`  in-process ${e.label.padEnd(6)} first p50 ${fmt(median(first))} ms p90 ${fmt(pct(first, 0.9))} ms   repeated p50 ${(median(warm) * 1000).toFixed(0)} µs p90 ${(pct(warm, 0.9) * 1000).toFixed(0)} µs`);
    }
    // The same new-text path once V8 has optimized it (a long session's): shown beside the cold
    // figures above, to say how much of a new text's cost is JavaScript not yet optimized.
    for (const e of EXPRS) {
      for (let i = 0; i < WARMUP_TEXTS; i++) s.dbg.inspector.evaluate(e.vary(10_000 + i), 0, { context: "watch" });
      const warmNew: number[] = [];
      for (let i = 0; i < FIRST; i++) {
        const t = process.hrtime.bigint();
        s.dbg.inspector.evaluate(e.vary(20_000 + i), 0, { context: "watch" });
        warmNew.push(ms(t));
        s.dbg.tidy();
      }
      out.push(`  in-process ${e.label.padEnd(6)} new text after ${WARMUP_TEXTS} others (warm, V8-optimized): p50 ${(median(warmNew) * 1000).toFixed(0)} µs p90 ${(pct(warmNew, 0.9) * 1000).toFixed(0)} µs`);
    }
  } finally {
    s.dbg.close();
  }
  return out;
}

/** Launches `exe` in the adapter behind `dap`, stops at `line` of `source`, and gives the top frame's id. */
async function stopAtBreakpoint(dap: DapClient, exe: string, source: string, line: number): Promise<number> {
  await dap.request("initialize", { adapterID: "bench", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
  const initialized = dap.waitFor("initialized");
  await dap.request("launch", { program: exe, args: [], stopOnEntry: false });
  await initialized;
  await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line }] });
  const stopped = dap.waitFor("stopped");
  await dap.request("configurationDone");
  await stopped;
  const threads: DapMessage = await dap.request("threads");
  const threadId = (threads.body!.threads as { id: number }[])[0]!.id;
  const st = await dap.request("stackTrace", { threadId, startFrame: 0, levels: 1 });
  return (st.body!.stackFrames as { id: number }[])[0]!.id;
}

/** Sessions of each adapter, the two in turn (jitdbg, lldb-vscode, jitdbg, ...), their samples pooled. */
const SESSIONS = 3;
/** Paced requests: this many of each kind a session, one every PACE_MS, as a person types them. */
const PACED = 30;
const PACE_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One adapter's session, alone with the client, stopped at the breakpoint: the same requests sent
 * back to back (the next the moment the last is answered) and then paced, one every PACE_MS as a
 * person typing sends them (the adapter then answers from sleep, its caches cooled, as in real
 * use). Each adapter has the machine to itself: with both sessions open, requests in turn, each
 * changed the other's times (lldb-vscode's new text 1.3 ms instead of 1.8, jitdbg's 0.5 ms instead of
 * 0.45), so the sessions alternate instead (SESSIONS of each), which spreads what the host does
 * over a run's minute over both.
 */
async function overDap(command: string, args: string[], exe: string, source: string, line: number, times: Map<string, number[]>): Promise<void> {
  const dap = new DapClient(command, args);
  try {
    const frameId = await stopAtBreakpoint(dap, exe, source, line);
    const series = async (key: string, count: number, pace: number, request: (i: number) => [string, Record<string, unknown>]): Promise<void> => {
      if (!times.has(key)) times.set(key, []);
      for (let i = 0; i < count; i++) {
        if (pace > 0) await sleep(pace);
        const [name, body] = request(i);
        const t = process.hrtime.bigint();
        const r = await dap.request(name, name === "evaluate" ? { ...body, frameId } : body);
        const took = ms(t);
        if (!r.success) throw new Error(`${command}: ${name} ${JSON.stringify(body)}: ${r.message ?? "failed"}`);
        if (i >= 5 || pace > 0) times.get(key)!.push(took);
      }
    };
    // The transport's own share: a request with almost nothing to compute, the same way.
    await series("threads", DAP_REPEAT, 0, () => ["threads", {}]);
    // A new text each time (what a user typing in the console sends: nothing cached on either
    // side), then the same text again and again (jitdbg answers from its module cache).
    for (const e of EXPRS) {
      await series(`${e.label} new`, DAP_REPEAT, 0, (i) => ["evaluate", { expression: e.vary(1000 + i), context: "watch" }]);
      await series(`${e.label} repeated`, DAP_REPEAT, 0, () => ["evaluate", { expression: e.text, context: "watch" }]);
    }
    for (const e of EXPRS) {
      await series(`${e.label} new paced`, PACED, PACE_MS, (i) => ["evaluate", { expression: e.vary(5000 + i), context: "watch" }]);
      await series(`${e.label} repeated paced`, PACED, PACE_MS, () => ["evaluate", { expression: e.text, context: "watch" }]);
    }
    await dap.request("disconnect", { terminateDebuggee: true }).catch(() => undefined);
  } finally {
    dap.close();
  }
}

/** Fresh sessions: each launches the adapter, stops at the breakpoint and times its first evaluate (cold on both sides). */
const FRESH_SESSIONS = 5;

async function firstInFreshSession(command: string, args: string[], exe: string, source: string, line: number, expression: string): Promise<number> {
  const dap = new DapClient(command, args);
  try {
    const frameId = await stopAtBreakpoint(dap, exe, source, line);
    const t = process.hrtime.bigint();
    const r = await dap.request("evaluate", { expression, frameId, context: "watch" });
    const took = ms(t);
    if (!r.success) throw new Error(`${command}: evaluate ${expression}: ${r.message ?? "failed"}`);
    await dap.request("disconnect", { terminateDebuggee: true }).catch(() => undefined);
    return took;
  } finally {
    dap.close();
  }
}

export async function benchEval(): Promise<string> {
  const { exe, src } = build(BUILDS[0]!, [], ["counter"]);
  const lines = [`eval: evaluate at a breakpoint of probe.c (gcc -O0 -g -static); first = a new text each time (${FIRST}), repeated = the same text (${REPEAT})`];
  lines.push(...(await inProcess(exe, src)));
  const source = join(repoRoot, ".cache", "fixtures", srcName(exe, src));
  const line = lineOf(src, "/* BREAK1 */");
  // The adapter as VS Code runs it: the esbuild bundle.
  const adapter = join(repoRoot, "dist", "adapter", "main.cjs");
  if (!existsSync(adapter)) {
    lines.push("  over DAP: dist/adapter/main.cjs not built (npm run build) — skipped");
    return lines.join("\n");
  }
  const ours = new Map<string, number[]>();
  const theirs = LLDB_VSCODE ? new Map<string, number[]>() : undefined;
  for (let i = 0; i < SESSIONS; i++) {
    await overDap(process.execPath, [adapter], exe, source, line, ours);
    if (theirs) await overDap(LLDB_VSCODE!, [], exe, source, line, theirs);
  }
  const floorOf = (m: Map<string, number[]>) => `p50 ${fmt(median(m.get("threads")!))} ms p90 ${fmt(pct(m.get("threads")!, 0.9))} ms`;
  lines.push(`  over DAP   a \`threads\` request at the stop (the round trip's own cost)   jitdbg ${floorOf(ours)}${theirs ? `   lldb-vscode ${floorOf(theirs)}` : ""}`);
  for (const e of EXPRS) {
    for (const mode of ["new", "repeated", "new paced", "repeated paced"]) {
      const key = `${e.label} ${mode}`;
      const o = ours.get(key)!;
      const label = { new: "new text", repeated: "repeated (jitdbg: cached)", "new paced": `new text, every ${PACE_MS} ms`, "repeated paced": `repeated, every ${PACE_MS} ms` }[mode]!;
      const base = `  over DAP   ${e.label.padEnd(6)} ${label.padEnd(25)} jitdbg p50 ${fmt(median(o))} ms p90 ${fmt(pct(o, 0.9))} ms`;
      if (!theirs) {
        lines.push(`${base}   lldb-vscode not installed (apt-get install lldb) — no ratio`);
        continue;
      }
      const t = theirs.get(key)!;
      lines.push(`${base}   lldb-vscode p50 ${fmt(median(t))} ms p90 ${fmt(pct(t, 0.9))} ms   ratio p50 ${(median(o) / median(t)).toFixed(2)}x p90 ${(pct(o, 0.9) / pct(t, 0.9)).toFixed(2)}x`);
    }
  }
  for (const e of EXPRS) {
    // Fresh sessions of the two adapters in turn, as above.
    const ourFirsts: number[] = [];
    const theirFirsts: number[] = [];
    for (let i = 0; i < FRESH_SESSIONS; i++) {
      ourFirsts.push(await firstInFreshSession(process.execPath, [adapter], exe, source, line, e.text));
      if (LLDB_VSCODE) theirFirsts.push(await firstInFreshSession(LLDB_VSCODE, [], exe, source, line, e.text));
    }
    const o = median(ourFirsts);
    const base = `  over DAP   ${e.label.padEnd(6)} ${"first in a fresh session".padEnd(25)} jitdbg ${fmt(o)} ms (median of ${FRESH_SESSIONS} sessions)`;
    if (!LLDB_VSCODE) {
      lines.push(`${base}   lldb-vscode not installed — no ratio`);
      continue;
    }
    const t = median(theirFirsts);
    lines.push(`${base}   lldb-vscode ${fmt(t)} ms   ratio ${(o / t).toFixed(2)}x`);
  }
  return lines.join("\n");
}
