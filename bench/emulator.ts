/**
 * Emulator speed: a compute-bound static program run natively and in the emulator, several runs
 * each, median wall time and the ratio. Two emulated figures: in-process (Process.run, what the
 * debugger pays) and the whole `jitdbg run` command (what a user waits for, Node start included).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Process } from "../src/inferior/process.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { fmt, median, timeMs } from "./stats.js";

const RUNS = 5;

/** Runs `exe` to its end in-process (Process.runToEnd) and returns its stdout. */
export function emulatedStdout(exe: string): string {
  let out = "";
  const p = Process.launch(exe, { onStdout: (d) => (out += Buffer.from(d).toString()) });
  p.runToEnd();
  p.close();
  return out;
}

export async function benchEmulator(): Promise<string> {
  const exe = compileFixture("programs/compute.c", { flags: ["-static", "-O2"] });
  const cli = join(repoRoot, "bin", "jitdbg.js");
  const native: number[] = [];
  const inProcess: number[] = [];
  const command: number[] = [];
  let expected = "";
  for (let i = 0; i < RUNS; i++) {
    native.push(timeMs(() => (expected = execFileSync(exe, { encoding: "utf8" }))));
    inProcess.push(
      timeMs(() => {
        const out = emulatedStdout(exe);
        if (out !== expected) throw new Error(`emulated output differs: ${out}`);
      }),
    );
    command.push(timeMs(() => execFileSync("node", [cli, "run", exe], { encoding: "utf8" })));
  }
  const n = median(native);
  const p = median(inProcess);
  const c = median(command);
  return [
    `emulator: compute.c (gcc -O2 -static), median of ${RUNS} runs`,
    `  native                 ${fmt(n)} ms`,
    `  jitdbg in-process      ${fmt(p)} ms   ratio ${(p / n).toFixed(1)}x native`,
    `  jitdbg run (command)   ${fmt(c)} ms   ratio ${(c / n).toFixed(1)}x native`,
  ].join("\n");
}
