/**
 * Start-up cost of dynamic linking in the emulator: launch-to-main time (Process.launch, then
 * run until main's address) of hello world built the plain way (PIE, ld-linux maps libc through
 * the emulated syscalls) against the same program built -static, median of several runs each,
 * reported as a ratio.
 */
import { Process } from "../src/inferior/process.js";
import { compileFixture } from "../fixtures/build.js";
import { fmt, median, timeMs } from "./stats.js";

const RUNS = 15;

function launchToMain(exe: string): number {
  return timeMs(() => {
    const p = Process.launch(exe, { env: [] });
    try {
      const main = p.symbols.addressOf("main");
      if (main === undefined) throw new Error(`${exe}: no main symbol`);
      const r = p.run({ until: main });
      if (r.kind !== "stopped" || p.pc !== main) throw new Error(`${exe}: did not reach main (${r.kind})`);
    } finally {
      p.close();
    }
  });
}

export async function benchDynamic(): Promise<string> {
  const dynamic = compileFixture("programs/hello.c", { flags: ["-O1", "-g"] });
  const statik = compileFixture("programs/hello.c", { flags: ["-static", "-O1", "-g"] });
  launchToMain(dynamic); // warm the file cache and the JIT of our own code
  launchToMain(statik);
  const d: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    d.push(launchToMain(dynamic));
    s.push(launchToMain(statik));
  }
  const dm = median(d);
  const sm = median(s);
  return [
    `dynamic: hello.c launch to main, median of ${RUNS} runs`,
    `  static  (gcc -static)     ${fmt(sm)} ms`,
    `  dynamic (gcc, PIE+libc)   ${fmt(dm)} ms   ratio ${(dm / sm).toFixed(2)}x static (goal ≤ 2x)`,
  ].join("\n");
}
