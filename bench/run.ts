/** `npm run bench`: every benchmark, each side by side with its reference, printed as ratios. */
import { benchEmulator } from "./emulator.js";

const BENCHES: { name: string; run: () => Promise<string> }[] = [
  { name: "emulator", run: benchEmulator },
  { name: "link", run: async () => (await import("./link.js")).benchLink() },
  { name: "dynamic", run: async () => (await import("./dynamic.js")).benchDynamic() },
  { name: "dap", run: async () => (await import("./dap.js")).benchDap() },
  { name: "eval", run: async () => (await import("./eval.js")).benchEval() },
  { name: "debugger", run: async () => (await import("./debugger.js")).benchDebugger() },
  { name: "debug-run", run: async () => (await import("./debug-run.js")).benchDebugRun() },
  { name: "threads", run: async () => (await import("./threads.js")).benchThreads() },
  { name: "conditions", run: async () => (await import("./conditions.js")).benchConditions() },
  { name: "time-travel", run: async () => (await import("./time-travel.js")).benchTimeTravel() },
];

const only = process.argv.slice(2);
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.name)) continue;
  try {
    console.log(await b.run());
  } catch (e) {
    console.log(`${b.name}: failed: ${(e as Error).message}`);
    process.exitCode = 1;
  }
  console.log();
}
