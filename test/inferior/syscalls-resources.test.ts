/**
 * What a process asks about itself, answered as Linux answers the program's native run:
 * umask (a forked child keeps it), CPU time from getrusage and times, supplementary groups,
 * getpriority, the sched_* queries and affinity, the host's uname, close_range, and resource
 * limits (the open-files one enforced by the descriptor table), user and group ids (every
 * setter, as root and after dropping root, inherited by a child), the nice value, scheduling
 * policy, affinity and I/O priority. resources.c, rlimits.c, fd_limit.c, credentials.c, nice.c and
 * sched_set.c (test/fixtures/syscalls), built static and dynamic, against their
 * native runs.
 */
import { describe, expect, it } from "vitest";
import { Process } from "../../src/inferior/process.js";
import { dispatchSyscall } from "../../src/inferior/syscalls/table.js";
import { compileFixture, runNative, type NativeRun } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const BUILDS: Record<string, string[]> = { static: ["-static", "-O1"], dynamic: ["-O1"] };
const UMASK = 95;
const SETUID = 105;
const GETUID = 102;
/** The emulated process starts as root; the native run must too for the ids to compare. */
const hostIsRoot = process.getuid?.() === 0;
const RLIMIT_CORE = 4;

/** The emulated run of `exe` prints and ends as `native` did, without a warning. */
function expectLikeNative(exe: string, native: NativeRun): void {
  const emu = runEmulated(exe, { argv0: exe });
  expect(emu.stdout).toBe(native.stdout);
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.status).toBe(native.status);
  expect(emu.warnings).toEqual([]);
}

describe("resource, credential and scheduling queries", () => {
  for (const [build, flags] of Object.entries(BUILDS)) {
    it(`umask, getrusage, times, getgroups, getpriority, sched_*, uname and close_range as natively (${build})`, () => {
      const exe = compileFixture("syscalls/resources.c", { flags });
      const native = runNative(exe);
      expect(native.stdout).toContain("child's umask: 022\n");
      expect(native.stdout).toContain("user time grew: yes");
      expectLikeNative(exe, native);
    });

    it(`resource limits are the host's, set ones are kept and inherited, errors as Linux's (${build})`, () => {
      const exe = compileFixture("syscalls/rlimits.c", { flags });
      const native = runNative(exe);
      expect(native.stdout).toContain("prlimit(self, NOFILE, 512/512): ok, old 256 512\nnofile: 512 512\n");
      expect(native.stdout).toContain("child's core: 0 0\n");
      expectLikeNative(exe, native);
    });

    it(`the open-files limit is the host's and the descriptor table's: EMFILE at it, lowered and raised, dup2 past it EBADF (${build})`, () => {
      const exe = compileFixture("syscalls/fd_limit.c", { flags });
      const native = runNative(exe);
      expect(native.stdout, "the host's hard limit lets the program go past 1024 descriptors").toContain("hard limit at least 2048: yes\n");
      expect(native.stdout).toContain("last fd is the limit - 1: yes\n");
      expect(native.stdout).toContain("dup2 onto 100: Bad file descriptor\n");
      expectLikeNative(exe, native);
    });
  }

  for (const [build, flags] of Object.entries(BUILDS)) {
    it.skipIf(!hostIsRoot)(`user and group ids: setuid, setreuid, setresuid, seteuid, setfsuid, their gid twins and setgroups as Linux allows them, a child's, /proc/self/status (${build})`, () => {
      const exe = compileFixture("syscalls/credentials.c", { flags });
      const native = runNative(exe);
      expect(native.stdout).toContain("setgroups now                Operation not permitted\n");
      expect(native.stdout).toContain("back to effective root       uid 1000 0 0");
      expect(native.stdout).toContain("child after setuid           uid 1000 1002 1002");
      expectLikeNative(exe, native);
    });
  }

  for (const [build, flags] of Object.entries(BUILDS)) {
    it.skipIf(!hostIsRoot)(`the nice value: nice, setpriority (clamped, errors), a child's, EACCES to lower it once unprivileged (${build})`, () => {
      const exe = compileFixture("syscalls/nice.c", { flags });
      const native = runNative(exe);
      expect(native.stdout).toContain("unprivileged: lower by 2           Permission denied");
      expect(native.stdout).toContain("child                              ok                       nice now +6");
      expectLikeNative(exe, native);
    });
  }

  for (const [build, flags] of Object.entries(BUILDS)) {
    it.skipIf(!hostIsRoot)(`scheduling set and read back: policies and priorities, reset-on-fork, affinity, I/O priority, refusals once unprivileged (${build})`, (ctx) => {
      const exe = compileFixture("syscalls/sched_set.c", { flags });
      const native = runNative(exe);
      // A host that refuses real-time policies even to root (a container without CAP_SYS_NICE) cannot be compared with.
      if (/SCHED_FIFO 10 +Operation not permitted/.test(native.stdout)) ctx.skip();
      expect(native.stdout).toContain("child (reset on fork)                ok                       policy 0 priority 0\n");
      expect(native.stdout).toContain("affinity now: 1 CPUs, CPU 0 in\n");
      expectLikeNative(exe, native);
    });
  }

  it("umask, resource limits and user ids are kernel state an undone call puts back", () => {
    const exe = compileFixture("programs/exit42.c", { flags: BUILDS.static! });
    const proc = Process.launch(exe, {});
    try {
      const k = proc.kernel;
      const before = k.umask;
      const saved = k.saveState();
      expect(dispatchSyscall(k, UMASK, [0o077n])).toBe(BigInt(before));
      expect(k.umask).toBe(0o077);
      k.rlimits.set(RLIMIT_CORE, [0n, 0n]);
      expect(dispatchSyscall(k, SETUID, [1234n])).toBe(0n);
      expect(dispatchSyscall(k, GETUID, [])).toBe(1234n);
      k.restoreState(saved);
      expect(dispatchSyscall(k, GETUID, [])).toBe(0n);
      expect(k.umask).toBe(before);
      expect(k.rlimits.has(RLIMIT_CORE)).toBe(false);
    } finally {
      proc.close();
    }
  });
});
