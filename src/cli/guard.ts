/** A command's exit code, its error (a JitdbgError or any other) printed as `jitdbg: message` and exit code 1. */
import { formatError } from "../errors.js";

export async function guarded(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    process.stderr.write(`jitdbg: ${formatError(e)}\n`);
    return 1;
  }
}
