/**
 * DAP round trips, jitdbg's adapter side by side with lldb-vscode (Debian's lldb) on the same static
 * program, the same stops and the same requests, each adapter started as a client starts it (spawned,
 * spoken to on stdin/stdout by one client); the sessions of the two alternate, so both see the same
 * machine load. The adapter runs as VS Code runs it, the esbuild bundle dist/adapter/main.cjs (made
 * here first); launch-to-stop is also shown for the unbundled dist/adapter/main.js.
 *
 * - launch → first stop at geometry.c:4 (width(), three calls deep), from the spawn;
 * - stackTrace + scopes + variables (every scope but registers) at that stop, the first time (the
 *   session's first stack: call frame information and symbols are read then), then repeated;
 * - the same once at each new stop, right after a step (nothing of the stop is known yet);
 * - `next` and `stepIn` from area()'s first line (`int w = width(s);`, met 5 times a run), and
 *   `stepOut` from width()'s first line back into area() (met 5 times too): request sent →
 *   `stopped` event received, then `continue` to the next time.
 *
 * Like with like: both answer the same requests at the same stops (a frame's arguments are in
 * Locals on both sides, as lldb-vscode lists them). The bundle is made here first, so the first
 * session compiles it; the others start from the V8 code cache that session left (adapter/boot.ts),
 * as every session but an installation's first does.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DapClient, type DapMessage } from "../src/cli/dap-client.js";
import { compileFixture, fixturesDir, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const RUNS = 7;
const ROUND_TRIPS = 20;
/** geometry.c: inside width(), three calls deep; area()'s first line, with a call. */
const DEEP_LINE = 4;
const STEP_LINE = 14;
/** Times main() and total_area() call area() (the stops at STEP_LINE in one run). */
const STEP_HITS = 5;
const LLDB_VSCODE = ["/usr/bin/lldb-vscode-14", "/usr/lib/llvm-14/bin/lldb-vscode", "/usr/bin/lldb-vscode"].find((p) => existsSync(p));

interface Adapter {
  command: string;
  args: string[];
}

interface Target {
  program: string;
  source: string;
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Starts a session and runs it to its first stop at `line`; resolves with the client, its thread and the time taken. */
async function startToStop(a: Adapter, target: Target, line: number): Promise<{ dap: DapClient; thread: number; launchToStop: number }> {
  const dap = new DapClient(a.command, a.args);
  const t0 = process.hrtime.bigint();
  await dap.request("initialize", { adapterID: "bench", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
  const initialized = dap.waitFor("initialized");
  await dap.request("launch", { program: target.program, args: [], stopOnEntry: false });
  await initialized;
  await dap.request("setBreakpoints", { source: { path: target.source }, breakpoints: [{ line }] });
  const stopped = dap.waitFor("stopped");
  await dap.request("configurationDone");
  await stopped;
  const launchToStop = ms(t0);
  return { dap, thread: await threadId(dap), launchToStop };
}

async function end(dap: DapClient): Promise<void> {
  await dap.request("disconnect", { terminateDebuggee: true }).catch(() => undefined);
  dap.close();
}

/** What a client asks at a stop: threads, the stack, the top frame's scopes, each scope's variables (registers left out). */
async function inspect(dap: DapClient): Promise<number> {
  const t = process.hrtime.bigint();
  const thread = await threadId(dap);
  const st = await dap.request("stackTrace", { threadId: thread, startFrame: 0, levels: 20 });
  const frame = (st.body!.stackFrames as { id: number }[])[0]!;
  const scopes = await dap.request("scopes", { frameId: frame.id });
  for (const s of scopes.body!.scopes as { variablesReference: number; name: string }[]) {
    if (/regist/i.test(s.name)) continue;
    await dap.request("variables", { variablesReference: s.variablesReference });
  }
  return ms(t);
}

async function threadId(dap: DapClient): Promise<number> {
  const r: DapMessage = await dap.request("threads");
  return (r.body!.threads as { id: number }[])[0]!.id;
}

interface StopTiming {
  launchToStop: number;
  /** The first round trip at the first stop. */
  first: number;
  /** At the first stop, after the first round trip. */
  repeated: number[];
}

async function atDeepStop(a: Adapter, target: Target): Promise<StopTiming> {
  const { dap, launchToStop } = await startToStop(a, target, DEEP_LINE);
  try {
    const repeated: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) repeated.push(await inspect(dap));
    return { launchToStop, first: repeated[0]!, repeated: repeated.slice(1) };
  } finally {
    await end(dap);
  }
}

interface StepTiming {
  step: number[];
  /** The round trip at each stop the steps made. */
  newStop: number[];
}

type StepCommand = "next" | "stepIn" | "stepOut";

/** Where each step starts: area()'s first line for next and stepIn, width()'s (called from it) for stepOut. */
const STEP_FROM: Record<StepCommand, number> = { next: STEP_LINE, stepIn: STEP_LINE, stepOut: DEEP_LINE };

async function steps(a: Adapter, target: Target, command: StepCommand): Promise<StepTiming> {
  const { dap, thread } = await startToStop(a, target, STEP_FROM[command]);
  const out: StepTiming = { step: [], newStop: [] };
  try {
    for (let hit = 0; hit < STEP_HITS; hit++) {
      const stopped = dap.waitFor("stopped");
      const t = process.hrtime.bigint();
      await dap.request(command, { threadId: thread });
      await stopped;
      out.step.push(ms(t));
      out.newStop.push(await inspect(dap));
      if (hit === STEP_HITS - 1) break;
      const again = dap.waitFor("stopped");
      await dap.request("continue", { threadId: thread });
      await again;
    }
    return out;
  } finally {
    await end(dap);
  }
}

interface Figures {
  launch: number[];
  first: number[];
  repeated: number[];
  newStop: number[];
  next: number[];
  stepIn: number[];
  stepOut: number[];
}

async function measure(a: Adapter, target: Target, into: Figures): Promise<void> {
  const stop = await atDeepStop(a, target);
  into.launch.push(stop.launchToStop);
  into.first.push(stop.first);
  into.repeated.push(...stop.repeated);
  for (const command of ["next", "stepIn", "stepOut"] as const) {
    const s = await steps(a, target, command);
    into[command].push(...s.step);
    into.newStop.push(...s.newStop);
  }
}

const empty = (): Figures => ({ launch: [], first: [], repeated: [], newStop: [], next: [], stepIn: [], stepOut: [] });

export async function benchDap(): Promise<string> {
  const program = compileFixture("debugger/main.c", { flags: ["-static", "-O0", "-g"], extraSources: ["debugger/geometry.c"] });
  const target = { program, source: join(fixturesDir, "debugger", "geometry.c") };
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], { stdio: "ignore" });
  const ours: Adapter = { command: process.execPath, args: [join(repoRoot, "dist", "adapter", "main.cjs")] };
  const unbundled: Adapter = { command: process.execPath, args: [join(repoRoot, "dist", "adapter", "main.js")] };
  const lldb: Adapter | undefined = LLDB_VSCODE ? { command: LLDB_VSCODE, args: [] } : undefined;
  const j = empty();
  const l = empty();
  const modules: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await measure(ours, target, j);
    modules.push((await atDeepStop(unbundled, target)).launchToStop);
    if (lldb) await measure(lldb, target, l);
  }
  const rows: [string, number[], number[]][] = [
    [`launch→stop (geometry.c:${DEEP_LINE}, 3 calls deep)`, j.launch, l.launch],
    ["stackTrace+scopes+variables there, the session's first", j.first, l.first],
    ["stackTrace+scopes+variables, repeated at that stop", j.repeated, l.repeated],
    ["stackTrace+scopes+variables at a new stop (after a step)", j.newStop, l.newStop],
    [`next from geometry.c:${STEP_LINE} (over a call)`, j.next, l.next],
    [`stepIn from geometry.c:${STEP_LINE} (into width)`, j.stepIn, l.stepIn],
    [`stepOut from geometry.c:${DEEP_LINE} (width, back into area)`, j.stepOut, l.stepOut],
  ];
  const lines = [`dap: jitdbg's adapter bundle vs ${lldb ? "lldb-vscode" : "(lldb-vscode not installed: apt-get install lldb)"}, gcc -O0 -g -static, ${RUNS} runs; medians (n = samples)`];
  for (const [name, ours_, theirs] of rows) {
    const a = median(ours_);
    const text = `  ${name.padEnd(58)} jitdbg ${fmt(a).padStart(6)} ms`;
    if (!lldb) lines.push(`${text} (n=${ours_.length})`);
    else {
      const b = median(theirs);
      lines.push(`${text}   lldb-vscode ${fmt(b).padStart(6)} ms   ratio ${(a / b).toFixed(2)}x (n=${ours_.length})`);
    }
  }
  const m = median(modules);
  lines.push(`  launch→stop, unbundled adapter (dist/adapter/main.js): ${fmt(m)} ms${lldb ? `   ratio ${(m / median(l.launch)).toFixed(2)}x` : ""}`);
  return lines.join("\n");
}
