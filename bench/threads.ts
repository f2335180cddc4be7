/**
 * Threads: a 4-thread compute program (test/fixtures/threads/compute4.c, gcc -O2 -static), median
 * wall time of several runs natively (threads on both cores, and on one as the emulator has), through `jitdbg run` (one emulated
 * CPU, the scheduler switching turns; Node start-up included), in-process (Process.runToEnd), and
 * under qemu-x86_64 from Debian's qemu-user (which runs threads on host threads), when installed.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { emulatedStdout } from "./emulator.js";
import { fmt, median, timeMs } from "./stats.js";
import { QEMU, installed } from "./tools.js";

const RUNS = 5;

export async function benchThreads(): Promise<string> {
  const exe = compileFixture("threads/compute4.c", { flags: ["-static", "-O2", "-pthread"] });
  const cli = join(repoRoot, "bin", "jitdbg.js");
  const qemu = installed(QEMU);
  const taskset = installed("taskset"); // util-linux: the native run on one core, as the emulator has
  const expected = execFileSync(exe, { encoding: "utf8" });
  const check = (what: string, out: string) => {
    if (out !== expected) throw new Error(`${what} printed ${JSON.stringify(out)}, natively ${JSON.stringify(expected)}`);
  };
  const native: number[] = [];
  const oneCore: number[] = [];
  const command: number[] = [];
  const inProcess: number[] = [];
  const underQemu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    native.push(timeMs(() => check("native", execFileSync(exe, { encoding: "utf8" }))));
    if (taskset) oneCore.push(timeMs(() => check("native on one core", execFileSync("taskset", ["-c", "0", exe], { encoding: "utf8" }))));
    command.push(timeMs(() => check("jitdbg run", execFileSync("node", [cli, "run", exe], { encoding: "utf8" }))));
    inProcess.push(timeMs(() => check("in-process", emulatedStdout(exe))));
    if (qemu) underQemu.push(timeMs(() => check(QEMU, execFileSync(QEMU, [exe], { encoding: "utf8" }))));
  }
  const n = median(native);
  const c = median(command);
  const p = median(inProcess);
  const lines = [
    `threads: compute4.c, 4 threads (gcc -O2 -static), median of ${RUNS} runs: ${expected.trim()}`,
    `  native (both cores)    ${fmt(n)} ms`,
    ...(taskset ? [`  native on one core     ${fmt(median(oneCore))} ms (taskset -c 0)`] : []),
    `  jitdbg run (command)   ${fmt(c)} ms   ratio ${(c / n).toFixed(1)}x native`,
    `  jitdbg in-process      ${fmt(p)} ms   ratio ${(p / n).toFixed(1)}x native`,
  ];
  if (qemu) {
    const q = median(underQemu);
    lines.push(`  ${QEMU} (command)   ${fmt(q)} ms   ratio ${(q / n).toFixed(1)}x native; jitdbg run ${(c / q).toFixed(2)}x ${QEMU}`);
  } else lines.push(`  ${QEMU} not installed (Debian package qemu-user): no comparison`);
  return lines.join("\n");
}
