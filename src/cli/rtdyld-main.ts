/**
 * Entry of the `jitdbg rtdyld` bundle (dist/cli/rtdyld.cjs), which bin/jitdbg.js loads for that
 * command alone: a fresh process links an object in tens of milliseconds, and loading and
 * initializing the whole command line (the runner, the demo's DAP client) before it was a cost of
 * its own. `argv` is the command line after `jitdbg`, "rtdyld" first.
 */
import { guarded } from "./guard.js";
import { rtdyldCommand } from "./rtdyld.js";

export function main(argv: string[]): Promise<number> {
  return guarded(() => rtdyldCommand(argv.slice(1)));
}
