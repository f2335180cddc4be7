/**
 * Real programs from Debian's archive under `jitdbg run`: stdout, stderr and exit status byte for
 * byte as in the native run (and, for a case that writes, the files it left). The cases are in
 * cases.ts; README's "Real programs" counts them. A program that is not installed fails its
 * case with the package to install (README's test command installs them all). Needs `npm run
 * build` (the cases run bin/jitdbg.js).
 */
import { existsSync } from "node:fs";
import { beforeAll, describe, it, type ExpectStatic } from "vitest";
import { CASES, type Case } from "./cases.js";
import { prepareInputs } from "./inputs.js";
import { diagnose, runEmulated, runNatively } from "./run.js";

/** Cases run two at a time (this machine and CI have two cores; each run is one busy process). */
const PARALLEL = 2;
let running = 0;
const queue: (() => void)[] = [];

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((go) => queue.push(go));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

async function check(c: Case, expect: ExpectStatic): Promise<void> {
  if (!existsSync(c.argv[0]!)) throw new Error(`${c.argv[0]} is not installed: this case runs it (apt-get install -y ${c.pkg})`);
  const [native, emulated] = await inTurn(async () => [await runNatively(c), await runEmulated(c)] as const);
  const same = native.status === emulated.status && native.stdout.equals(emulated.stdout) && native.stderr.equals(emulated.stderr);
  if (same && native.files.join("\n") === emulated.files.join("\n")) return;
  // The details of a mismatch, and what jitdbg reported while running it.
  const text = (b: Buffer): string => b.toString("latin1");
  // A known failure (it.fails) skips the diagnosing rerun: its reason is in cases.ts.
  const why = c.fails ? c.fails : `${c.argv.join(" ")}\njitdbg's diagnostics:\n${(await inTurn(() => diagnose(c))) || "(none)"}`;
  expect(text(emulated.stderr), why).toBe(text(native.stderr));
  expect(emulated.status, why).toBe(native.status);
  expect(emulated.stdout.length, why).toBe(native.stdout.length);
  expect(emulated.stdout.equals(native.stdout), `${why}\nstdout differs from the native run's`).toBe(true);
  expect(emulated.files, why).toEqual(native.files);
}

describe.concurrent("real programs match their native runs", () => {
  beforeAll(() => void prepareInputs(), 120_000);

  for (const c of CASES) {
    // it.fails: the case is known not to match (its reason in cases.ts); it flips once fixed. A
    // missing program fails either way, so that a known failure cannot pass for want of it.
    (c.fails && existsSync(c.argv[0]!) ? it.fails : it)(c.name, ({ expect }) => check(c, expect), 600_000);
  }
});
