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

/**
 * `jitdbg run`'s report: the first line, then per thread `thread N "name" waits on futex 0x…:` and
 * its stack, one `  #k  function at file:line` per frame (gdb's thread apply all bt).
 */
function parseCli(stdout: string, stderr: string): Report & { stacks: Map<string, string[]> } {
  const m = /^first=(0x[0-9a-f]+) second=(0x[0-9a-f]+)\n$/.exec(stdout);
  if (!m) throw new Error(`deadlock.c printed: ${stdout}`);
  const lines = stderr.trimEnd().split("\n");
  if (lines[0] !== "jitdbg: deadlock: every thread waits and none can wake another:") throw new Error(`report: ${stderr}`);
  const threads = new Map<string, { tid: number; futex: string; at: string }>();
  const stacks = new Map<string, string[]>();
  let name = "";
  for (const line of lines.slice(1)) {
    const t = /^thread (\d+) "([^"]*)" waits on futex (0x[0-9a-f]+):$/.exec(line);
    const f = /^ {2}#\d+ {2}(.+)$/.exec(line);
    if (t) {
      name = t[2]!;
      threads.set(name, { tid: Number(t[1]), futex: t[3]!, at: "" });
      stacks.set(name, []);
    } else if (f && name) {
      stacks.get(name)!.push(f[1]!);
      if (threads.get(name)!.at === "") threads.get(name)!.at = f[1]!;
    } else throw new Error(`not a report line: ${line}`);
  }
  return { first: m[1]!, second: m[2]!, threads, stacks };
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
      const report = parseCli(r.stdout, r.stderr);
      expectReport(report, exe);
      // Each thread's stack reaches its own function (built without -g: named from the symbol table).
      expect(report.stacks.get("left-locker")!.some((f) => /^left in /.test(f)), report.stacks.get("left-locker")!.join("\n")).toBe(true);
      expect(report.stacks.get("right-locker")!.some((f) => /^right in /.test(f))).toBe(true);
      expect(report.stacks.get(basename(exe).slice(0, 15))!.some((f) => /^main in /.test(f))).toBe(true);
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
