/**
 * DAP round trips, jitdbg's adapter side by side with lldb-vscode (Debian's lldb) on the same static
 * program and breakpoint: launch-to-first-stop, and stackTrace+scopes+variables at the stop. The
 * adapter runs as VS Code runs it, the esbuild bundle dist/adapter/main.cjs (made here first), and
 * launch-to-stop is also shown for the unbundled dist/adapter/main.js (one module file each).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DapClient, type DapMessage } from "../src/cli/dap-client.js";
import { compileFixture, fixturesDir, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const RUNS = 5;
const ROUND_TRIPS = 20;
const LLDB_VSCODE = ["/usr/bin/lldb-vscode-14", "/usr/lib/llvm-14/bin/lldb-vscode", "/usr/bin/lldb-vscode"].find((p) => existsSync(p));

interface Timing {
  launchToStop: number;
  roundTrip: number[];
}

async function session(command: string, args: string[], program: string, source: string, line: number): Promise<Timing> {
  const dap = new DapClient(command, args);
  try {
    const t0 = process.hrtime.bigint();
    await dap.request("initialize", { adapterID: "bench", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
    const initialized = dap.waitFor("initialized");
    await dap.request("launch", { program, args: [], stopOnEntry: false });
    await initialized;
    await dap.request("setBreakpoints", { source: { path: source }, breakpoints: [{ line }] });
    const stopped = dap.waitFor("stopped");
    await dap.request("configurationDone");
    await stopped;
    const launchToStop = Number(process.hrtime.bigint() - t0) / 1e6;
    const roundTrip: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const t = process.hrtime.bigint();
      const st = await dap.request("stackTrace", { threadId: await threadId(dap), startFrame: 0, levels: 20 });
      const frame = (st.body!.stackFrames as { id: number }[])[0]!;
      const scopes = await dap.request("scopes", { frameId: frame.id });
      for (const s of scopes.body!.scopes as { variablesReference: number; name: string }[]) {
        if (/regist/i.test(s.name)) continue;
        await dap.request("variables", { variablesReference: s.variablesReference });
      }
      roundTrip.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    await dap.request("disconnect", { terminateDebuggee: true }).catch(() => undefined);
    return { launchToStop, roundTrip };
  } finally {
    dap.close();
  }
}

async function threadId(dap: DapClient): Promise<number> {
  const r: DapMessage = await dap.request("threads");
  return (r.body!.threads as { id: number }[])[0]!.id;
}

export async function benchDap(): Promise<string> {
  const program = compileFixture("debugger/main.c", { flags: ["-static", "-O0", "-g"], extraSources: ["debugger/geometry.c"] });
  const source = join(fixturesDir, "debugger", "geometry.c");
  const line = 4; // inside width(), three calls deep
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], { stdio: "ignore" });
  const adapter = join(repoRoot, "dist", "adapter", "main.cjs");
  const unbundled = join(repoRoot, "dist", "adapter", "main.js");
  const ours: Timing[] = [];
  const modules: Timing[] = [];
  const theirs: Timing[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await session(process.execPath, [adapter], program, source, line));
    modules.push(await session(process.execPath, [unbundled], program, source, line));
    if (LLDB_VSCODE) theirs.push(await session(LLDB_VSCODE, [], program, source, line));
  }
  const launch = median(ours.map((t) => t.launchToStop));
  const unbundledLaunch = median(modules.map((t) => t.launchToStop));
  const trip = median(ours.flatMap((t) => t.roundTrip.slice(1)));
  const lines = [`dap: launch-to-first-stop and stackTrace+scopes+variables at geometry.c:${line} (gcc -O0 -g -static), ${RUNS} sessions`];
  if (!LLDB_VSCODE) {
    lines.push(`  jitdbg       launch→stop ${fmt(launch)} ms, round trip ${fmt(trip)} ms`, "  lldb-vscode  not installed (apt-get install lldb) — no ratio");
    return lines.join("\n");
  }
  const lLaunch = median(theirs.map((t) => t.launchToStop));
  const lTrip = median(theirs.flatMap((t) => t.roundTrip.slice(1)));
  lines.push(
    `  launch→stop   jitdbg ${fmt(launch)} ms   lldb-vscode ${fmt(lLaunch)} ms   ratio ${(launch / lLaunch).toFixed(2)}x`,
    `  round trip    jitdbg ${fmt(trip)} ms   lldb-vscode ${fmt(lTrip)} ms   ratio ${(trip / lTrip).toFixed(2)}x`,
    `  launch→stop, unbundled adapter (dist/adapter/main.js): ${fmt(unbundledLaunch)} ms   ratio ${(unbundledLaunch / lLaunch).toFixed(2)}x`,
  );
  return lines.join("\n");
}
