/**
 * `jitdbg demo` (what `npm run demo` runs, the README's first command): the scripted session over
 * the real adapter goes from launch to the program's exit, status 0.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";

describe("jitdbg demo", () => {
  it("plays the whole session: a conditional breakpoint stop, evaluations, a step, the exit", () => {
    const r = spawnSync(process.execPath, [join(repoRoot, "bin", "jitdbg.js"), "demo"], { encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped: breakpoint — Breakpoint 1 at find \(inventory\.c:\d+\)/);
    expect(r.stdout).toMatch(/evaluate twice\(head->quantity\)/);
    expect(r.stdout).toMatch(/stopped: step/);
    expect(r.stdout).toMatch(/exited with status 0/);
    expect(r.stderr).not.toMatch(/jitdbg:/);
  });
});
