/**
 * What recording a program's history costs, and how fast going back is (issue 18). Like with
 * like: the same program run to its end by the same in-process Debugger, with timeTravel on and
 * off, fresh each run (median of RUNS); outputs checked equal to native. Then, for one recorded
 * run of about ten seconds (the program given more iterations) stopped at its end: the history's
 * memory per million translation blocks recorded (the emulator counts blocks, not instructions),
 * and the latency of a reverse continue to a breakpoint hit at the program's start, across the
 * whole history, against the time the program took to get there forward.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Debugger, type LaunchOptions } from "../src/debugger/debugger.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const RUNS = 5;

interface Workload {
  name: string;
  exe: string;
  /** A function the program calls once near its end, to stop at before it exits. */
  last: string;
  /** Arguments for a run of about ten seconds recorded (the reverse continue's history). */
  long: string[];
}

async function runToEnd(w: Workload, timeTravel: boolean): Promise<{ ms: number; stdout: string }> {
  let stdout = "";
  const t0 = process.hrtime.bigint();
  const dbg = Debugger.launch({ program: w.exe, timeTravel, historyMegabytes: 8192 }, { output: (c, t) => (c === "stdout" ? (stdout += t) : undefined) });
  try {
    await dbg.start();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout };
  } finally {
    dbg.close();
  }
}

async function reverse(w: Workload): Promise<string> {
  const opts: LaunchOptions = { program: w.exe, args: w.long, timeTravel: true, historyMegabytes: 8192 };
  const dbg = Debugger.launch(opts, { output: () => undefined });
  try {
    dbg.setFunctionBreakpoints([{ name: "main" }]);
    await dbg.start();
    dbg.setFunctionBreakpoints([{ name: w.last }]);
    const t0 = process.hrtime.bigint();
    await dbg.continue();
    const forward = Number(process.hrtime.bigint() - t0) / 1e6;
    const view = dbg.historyView()!;
    dbg.setFunctionBreakpoints([{ name: "main" }]);
    const t1 = process.hrtime.bigint();
    const r = await dbg.reverseContinue();
    const back = Number(process.hrtime.bigint() - t1) / 1e6;
    if (r.reason !== "function breakpoint") throw new Error(`reverse continue stopped for ${r.reason}, not at main`);
    if (view.truncated) throw new Error(`${w.name}: the history did not fit in its budget`);
    const perMillion = view.bytes / 1024 / 1024 / (Number(view.blocksRecorded) / 1e6);
    return `    ${(forward / 1000).toFixed(1)} s recorded (args ${w.long.join(" ")}): history ${fmt(view.bytes / 1024 / 1024)} MiB for ${(Number(view.blocksRecorded) / 1e6).toFixed(1)} M blocks, ${perMillion.toFixed(2)} MiB per million blocks; reverse continue from the end to main ${fmt(back)} ms against ${fmt(forward)} ms forward: ${(back / forward).toFixed(2)}x (goal <= 1x)`;
  } finally {
    dbg.close();
  }
}

export async function benchTimeTravel(): Promise<string> {
  const bench = (file: string) => compileFixture(join(repoRoot, "bench", "programs", file), { flags: ["-static", "-O2", "-g"] });
  const workloads: Workload[] = [
    { name: "memory-random (16 MiB)", exe: bench("memrandom.c"), last: "printf", long: ["350000000"] },
    { name: "syscall-heavy (pipe r/w)", exe: bench("syscalls.c"), last: "printf", long: ["3000000"] },
  ];
  const lines = [`time travel: in-process Debugger.start to the program's end, timeTravel on vs off, median of ${RUNS} (fresh sessions, outputs equal to native)`];
  for (const w of workloads) {
    const native = spawnSync(w.exe, [], { encoding: "utf8" }).stdout;
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const tt of [false, true]) {
        const r = await runToEnd(w, tt);
        if (r.stdout !== native) throw new Error(`${w.name}: the run with timeTravel ${tt} printed something else than the native run`);
        (tt ? on : off).push(r.ms);
      }
    }
    const [a, b] = [median(on), median(off)];
    lines.push(`  ${w.name.padEnd(26)} recording ${fmt(a)} ms, off ${fmt(b)} ms: overhead ${(a / b).toFixed(2)}x (goal <= 1.5x)`);
    lines.push(await reverse(w));
  }
  return lines.join("\n");
}
