/**
 * One thread reading a pipe only it could write waits for ever natively (`timeout` ends it: 124);
 * `jitdbg run` reports the deadlock instead of hanging — status 124, and the thread's stack from
 * the read to main.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEADLOCK_STATUS } from "../../src/inferior/process.js";
import { repoRoot } from "../helpers/compile.js";
import { BUILD_KINDS, buildPipes } from "./harness.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");

describe("a read of a pipe nobody else can write is a deadlock", () => {
  it("natively the program hangs: `timeout` ends it with status 124", () => {
    const r = spawnSync("timeout", ["0.5", buildPipes("selfread", "dynamic")], { encoding: "latin1" });
    expect(r.status).toBe(124);
    expect(r.stdout).toBe("reading an empty pipe\n");
  });

  for (const kind of BUILD_KINDS) {
    it(`jitdbg run, gcc ${kind}: status ${DEADLOCK_STATUS} and the reader's stack`, () => {
      const r = spawnSync(process.execPath, [BIN, "run", buildPipes("selfread", kind)], { encoding: "latin1", timeout: 60_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(DEADLOCK_STATUS);
      expect(r.stdout).toBe("reading an empty pipe\n");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe("jitdbg: deadlock: every thread waits and none can wake another:");
      expect(lines[1]).toMatch(/^thread \d+ "selfread[^"]*" waits on /);
      const frames = lines.slice(2).map((l) => /^ {2}#\d+ {2}(\S+)/.exec(l)?.[1]);
      expect(frames[0]).toMatch(/read/);
      expect(frames).toContain("main");
    });
  }
});
