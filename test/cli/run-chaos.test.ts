/**
 * `jitdbg run --chaos [--seed N]`: a racy program interleaves the same way under one seed on every
 * run, differently under other seeds, and the same way on every run without --chaos; --verbose
 * names the seed a chaotic run drew so that it can be replayed.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, repoRoot } from "../helpers/compile.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");

function run(args: string[]): { stdout: string; stderr: string; status: number } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.JITDBG_LOG;
  const r = spawnSync(process.execPath, [BIN, "run", ...args], { env, encoding: "latin1" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

describe("jitdbg run --chaos", () => {
  const race = compileFixture("threads/race.c", { flags: ["-O1", "-pthread"] });

  it("replays a seed exactly, varies across seeds, and is deterministic without chaos", () => {
    const plain = [run([race]), run([race])];
    expect(plain[0]!.status).toBe(0);
    expect(plain[1]!.stdout).toBe(plain[0]!.stdout);
    const seeded = [1, 1, 2, 3].map((s) => run(["--chaos", "--seed", String(s), race]).stdout);
    expect(seeded[1]).toBe(seeded[0]);
    expect(new Set(seeded).size).toBeGreaterThan(1);
  });

  it("--verbose tells the seed a chaotic run drew, and that seed replays it", () => {
    const drawn = run(["--chaos", "--verbose", race]);
    const seed = /replay with --chaos --seed (\d+)/.exec(drawn.stderr)?.[1];
    expect(seed, drawn.stderr).toBeDefined();
    expect(run(["--chaos", "--seed", seed!, race]).stdout).toBe(drawn.stdout);
  });

  it("a seed that is not a number is a usage error", () => {
    const r = run(["--seed", "abc", race]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--seed abc: a seed is a non-negative integer/);
  });
});
