/**
 * Emulator speed per workload class, side by side with Debian's qemu-user (`qemu-x86_64`, the same
 * TCG family as Unicorn) and the native run in the same session: compute (test/fixtures/programs/
 * compute.c), a memory-random kernel, a call-heavy interpreter-like loop, a syscall-heavy pipe
 * read/write loop (bench/programs/), and hello world to its exit built dynamic and -static.
 * jitdbg runs in-process (Process.runToEnd: what the debugger pays, no Node start-up); qemu and
 * native are whole commands, their exec included. Medians of several runs (the two hello builds
 * measured in turn within each run); every run's output must equal the native one. Then the
 * compute row once more through the `jitdbg run` command.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Process } from "../src/inferior/process.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { fmt, median, timeMs } from "./stats.js";
import { QEMU, installed } from "./tools.js";

const RUNS = 5;
/** Start-up rows take milliseconds: more runs, so their medians are not the JavaScript's first runs. */
const SHORT_RUNS = 15;

/** Runs `exe` to its end in-process (Process.runToEnd) and returns its stdout. */
export function emulatedStdout(exe: string): string {
  let out = "";
  const p = Process.launch(exe, { onStdout: (d) => (out += Buffer.from(d).toString()) });
  p.runToEnd();
  p.close();
  return out;
}

interface Workload {
  name: string;
  exe: string;
  runs?: number;
}

interface Row {
  name: string;
  native: number;
  qemu: number | undefined;
  jitdbg: number;
}

function programs(): Workload[] {
  const bench = (file: string, flags: string[] = ["-static", "-O2"]) => compileFixture(join(repoRoot, "bench", "programs", file), { flags });
  return [
    { name: "compute (sieve + matrix)", exe: compileFixture("programs/compute.c", { flags: ["-static", "-O2"] }) },
    { name: "memory-random (16 MiB)", exe: bench("memrandom.c") },
    { name: "call-heavy (dispatch loop)", exe: bench("calls.c") },
    { name: "syscall-heavy (pipe r/w)", exe: bench("syscalls.c") },
    { name: "hello, dynamic (PIE+libc)", exe: compileFixture("programs/hello.c", { flags: ["-O1"] }), runs: SHORT_RUNS },
    { name: "hello, -static", exe: compileFixture("programs/hello.c", { flags: ["-static", "-O1"] }), runs: SHORT_RUNS },
  ];
}

/**
 * Measures workloads in turn within each run (one workload alone, or the two hello builds
 * together, so that their ratio compares runs made at the same moments of a machine whose load varies).
 */
function measure(ws: Workload[], qemu: boolean): Row[] {
  const checks = ws.map((w) => {
    const expected = execFileSync(w.exe, { encoding: "utf8" });
    return (what: string, out: string) => {
      if (out !== expected) throw new Error(`${w.name}: ${what} printed ${JSON.stringify(out)}, natively ${JSON.stringify(expected)}`);
    };
  });
  for (const w of ws) emulatedStdout(w.exe); // warm the file cache and the JIT of our own code
  const native: number[][] = ws.map(() => []);
  const underQemu: number[][] = ws.map(() => []);
  const jitdbg: number[][] = ws.map(() => []);
  for (let i = 0; i < Math.max(...ws.map((w) => w.runs ?? RUNS)); i++) {
    ws.forEach((w, k) => {
      const check = checks[k]!;
      native[k]!.push(timeMs(() => check("native", execFileSync(w.exe, { encoding: "utf8" }))));
      if (qemu) underQemu[k]!.push(timeMs(() => check(QEMU, execFileSync(QEMU, [w.exe], { encoding: "utf8" }))));
      jitdbg[k]!.push(timeMs(() => check("jitdbg", emulatedStdout(w.exe))));
    });
  }
  return ws.map((w, k) => ({ name: w.name, native: median(native[k]!), qemu: qemu ? median(underQemu[k]!) : undefined, jitdbg: median(jitdbg[k]!) }));
}

export async function benchEmulator(): Promise<string> {
  const qemu = installed(QEMU);
  const all = programs();
  const hello = all.filter((w) => w.name.startsWith("hello"));
  const rows = [...all.filter((w) => !hello.includes(w)).flatMap((w) => measure([w], qemu)), ...measure(hello, qemu)];
  const col = (s: string, n: number) => s.padStart(n);
  const lines = [
    `emulator: median of ${RUNS} runs each (hello rows ${SHORT_RUNS}), ms (jitdbg in-process; ${QEMU} and native as commands)`,
    `  ${"workload".padEnd(28)}${col("native", 9)}${col(QEMU, 14)}${col("jitdbg", 9)}${col("/qemu", 8)}${col("/native", 9)}`,
  ];
  for (const r of rows) {
    const q = r.qemu === undefined ? "—" : fmt(r.qemu);
    const vsQemu = r.qemu === undefined ? "—" : `${(r.jitdbg / r.qemu).toFixed(2)}x`;
    lines.push(`  ${r.name.padEnd(28)}${col(fmt(r.native), 9)}${col(q, 14)}${col(fmt(r.jitdbg), 9)}${col(vsQemu, 8)}${col(`${(r.jitdbg / r.native).toFixed(1)}x`, 9)}`);
  }
  if (qemu) {
    const ratios = rows.map((r) => r.jitdbg / r.qemu!);
    const geomean = Math.exp(ratios.reduce((a, x) => a + Math.log(x), 0) / ratios.length);
    lines.push(`  geometric mean jitdbg/${QEMU}: ${geomean.toFixed(2)}x (goal ≤ 2.0, no row above 4.0)`);
  } else lines.push(`  ${QEMU} not installed (Debian package qemu-user): no comparison`);
  const dyn = rows.find((r) => r.name.startsWith("hello, dynamic"))!;
  const sta = rows.find((r) => r.name.startsWith("hello, -static"))!;
  lines.push(`  dynamic hello vs -static: jitdbg ${(dyn.jitdbg / sta.jitdbg).toFixed(2)}x${dyn.qemu && sta.qemu ? `, ${QEMU} ${(dyn.qemu / sta.qemu).toFixed(2)}x` : ""} (goal ≤ 2x)`);
  const compute = programs()[0]!.exe;
  const cli = join(repoRoot, "bin", "jitdbg.js");
  const command = median(Array.from({ length: RUNS }, () => timeMs(() => execFileSync("node", [cli, "run", compute], { encoding: "utf8" }))));
  lines.push(`  compute through the \`jitdbg run\` command (Node start-up included): ${fmt(command)} ms, ${(command / rows[0]!.native).toFixed(1)}x native`);
  return lines.join("\n");
}
