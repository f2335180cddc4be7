/**
 * A deadlock (test/fixtures/threads/deadlock.c: two mutexes taken in opposite order, a barrier to
 * force it) ends the run with a report instead of hanging: `jitdbg run` exits 124, as `timeout`
 * reports the native run that hangs, and its last stderr lines name every thread, what it waits on
 * (the other mutex, for the lockers) and where.
 */
import { spawnSync } from "node:child_process";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEADLOCK_STATUS } from "../../src/inferior/process.js";
import { repoRoot } from "../helpers/compile.js";
import { BUILD_KINDS, buildThreads, emulate } from "./harness.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");

interface Report {
  first: string;
  second: string;
  /** name → what the report says it waits on and where */
  threads: Map<string, { tid: number; futex: string; at: string }>;
}

/** The mutex addresses the program printed and the report's thread lines. */
function parse(stdout: string, description: string): Report {
  const m = /^first=(0x[0-9a-f]+) second=(0x[0-9a-f]+)\n$/.exec(stdout);
  if (!m) throw new Error(`deadlock.c printed: ${stdout}`);
  const threads = new Map<string, { tid: number; futex: string; at: string }>();
  for (const line of description.split("\n").slice(1)) {
    const t = /^thread (\d+) \(([^)]*)\) waits on futex (0x[0-9a-f]+) at (.+)$/.exec(line);
    if (!t) throw new Error(`not a thread line: ${line}`);
    threads.set(t[2]!, { tid: Number(t[1]), futex: t[3]!, at: t[4]! });
  }
  return { first: m[1]!, second: m[2]!, threads };
}

/** The main thread is named after the program (Linux's comm: the file name's first 15 bytes). */
function expectReport(r: Report, exe: string): void {
  const main = basename(exe).slice(0, 15);
  expect([...r.threads.keys()].sort()).toEqual([main, "left-locker", "right-locker"]);
  expect(new Set([...r.threads.values()].map((t) => t.tid)).size).toBe(3);
  // Each locker holds one mutex and waits on the other one.
  expect(r.threads.get("left-locker")!.futex).toBe(r.second);
  expect(r.threads.get("right-locker")!.futex).toBe(r.first);
  expect(r.threads.get("left-locker")!.at).toMatch(/lll_lock_wait|pthread_mutex_lock/);
  // The main thread waits in pthread_join, on neither mutex.
  expect([r.first, r.second]).not.toContain(r.threads.get(main)!.futex);
}

describe("a deadlock is reported, not hung on", () => {
  it("natively the program hangs: `timeout` ends it with status 124", () => {
    const exe = buildThreads("deadlock", { kind: "dynamic", cc: "gcc" });
    const r = spawnSync("timeout", ["0.5", exe], { encoding: "latin1" });
    expect(r.status).toBe(124);
    expect(r.stdout).toMatch(/^first=0x[0-9a-f]+ second=0x[0-9a-f]+\n$/);
  });

  for (const kind of BUILD_KINDS) {
    it(`jitdbg run, gcc ${kind}: status ${DEADLOCK_STATUS} and a report naming every thread and its wait`, () => {
      const exe = buildThreads("deadlock", { kind, cc: "gcc" });
      const r = spawnSync(process.execPath, [BIN, "run", exe], { encoding: "latin1", timeout: 60_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(DEADLOCK_STATUS);
      const m = /jitdbg: (deadlock: [^]*)\n$/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expectReport(parse(r.stdout, m![1]!), exe);
    });
  }

  it("in-process, under chaos scheduling: the same report", () => {
    const exe = buildThreads("deadlock", { kind: "static", cc: "gcc" });
    const r = emulate(exe, { scheduler: { chaos: true }, seed: 99n });
    expect(r.signal).toBe("deadlock");
    expect(r.status).toBe(DEADLOCK_STATUS);
    expectReport(parse(r.stdout, r.description!), exe);
  });
});
