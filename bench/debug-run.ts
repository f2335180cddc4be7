/**
 * What debugging costs a program that runs: the same memory-heavy checksum program run to its end
 * over DAP with no breakpoint (the adapter's sliced runs, every slice ending on an exact stop)
 * against `jitdbg run` (one uninterrupted emulation). Like with like: both are fresh processes
 * timed from spawn to the program's end, Node start-up included; and in-process, Debugger.start
 * against Process.runToEnd. The adapter is its bundle (dist/adapter/main.cjs, what VS Code starts)
 * and the command bin/jitdbg.js (which loads its own bundle). Outputs are checked equal to native.
 * Over DAP twice: as launched by default (the session records its history for time travel) and
 * with `"timeTravel": false`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { DapClient } from "../src/cli/dap-client.js";
import { Debugger } from "../src/debugger/debugger.js";
import { Process } from "../src/inferior/process.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const RUNS = 9;
const ARGS = ["24"];

async function overDap(adapter: string, program: string, launch: Record<string, unknown> = {}): Promise<{ ms: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const dap = new DapClient(process.execPath, [adapter]);
  let stdout = "";
  dap.onEvent((m) => {
    if (m.event === "output" && m.body?.category === "stdout") stdout += m.body.output as string;
  });
  try {
    await dap.request("initialize", { adapterID: "bench", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
    const initialized = dap.waitFor("initialized");
    await dap.request("launch", { program, args: ARGS, ...launch });
    await initialized;
    const terminated = dap.waitFor("terminated");
    await dap.request("configurationDone");
    await terminated;
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout };
  } finally {
    dap.close();
  }
}

function command(cli: string, program: string): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const stdout = spawnSync("node", [cli, "run", program, ...ARGS], { encoding: "utf8" }).stdout;
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout };
}

function inProcessRun(program: string): { ms: number; stdout: string } {
  let stdout = "";
  const t0 = process.hrtime.bigint();
  const p = Process.launch(program, { args: ARGS, onStdout: (d) => (stdout += Buffer.from(d).toString()) });
  p.runToEnd();
  p.close();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout };
}

async function inProcessDebugger(program: string): Promise<{ ms: number; stdout: string }> {
  let stdout = "";
  const t0 = process.hrtime.bigint();
  const dbg = Debugger.launch({ program, args: ARGS }, { output: (c, t) => (c === "stdout" ? (stdout += t) : undefined) });
  await dbg.start();
  dbg.process.close();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout };
}

export async function benchDebugRun(): Promise<string> {
  const program = compileFixture("fidelity/memrandom.c", { flags: ["-static", "-O2", "-g"] });
  const native = spawnSync(program, ARGS, { encoding: "utf8" }).stdout;
  // Both sides as users run them: the adapter's bundle (what VS Code starts) and the command's (bin/jitdbg.js).
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs")], { stdio: "ignore" });
  const adapter = join(repoRoot, "dist", "adapter", "main.cjs");
  const cli = join(repoRoot, "bin", "jitdbg.js");
  const t = { dap: [] as number[], cmd: [] as number[], dbg: [] as number[], proc: [] as number[], plain: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const runs = [await overDap(adapter, program), command(cli, program), await inProcessDebugger(program), inProcessRun(program), await overDap(adapter, program, { timeTravel: false })];
    runs.forEach((r, k) => {
      if (r.stdout !== native) throw new Error(`run ${k} printed something else than the native run`);
    });
    t.dap.push(runs[0]!.ms);
    t.cmd.push(runs[1]!.ms);
    t.dbg.push(runs[2]!.ms);
    t.proc.push(runs[3]!.ms);
    t.plain.push(runs[4]!.ms);
  }
  const [dap, cmd, dbg, proc, plain] = [median(t.dap), median(t.cmd), median(t.dbg), median(t.proc), median(t.plain)];
  return [
    `debug run: fidelity/memrandom.c ${ARGS.join(" ")} (gcc -O2 -static) to its end, no breakpoints, median of ${RUNS}; output equal to native`,
    `  over DAP (adapter process, recording: the default)  ${fmt(dap)} ms   jitdbg run (command) ${fmt(cmd)} ms   ratio ${(dap / cmd).toFixed(3)}x`,
    `  over DAP, timeTravel false   ${fmt(plain)} ms   jitdbg run (command) ${fmt(cmd)} ms   ratio ${(plain / cmd).toFixed(3)}x`,
    `  in-process Debugger.start    ${fmt(dbg)} ms   Process.runToEnd     ${fmt(proc)} ms   ratio ${(dbg / proc).toFixed(3)}x`,
  ].join("\n");
}
