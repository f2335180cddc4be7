/**
 * Processes (issue 12, part 1) against the native runs of C programs built in the three build
 * kinds: fork + wait exit statuses (exit, return through exit(), a signal of its own, SIGKILL from
 * the parent, WNOHANG, waitid, ECHILD, SIGCHLD to a handler and ignored); fork + execve of another test program (arguments,
 * environment, descriptors kept and closed by O_CLOEXEC), of a `#!` script through the host's
 * /bin/sh, and execve's errors; system() and popen() with the host's /bin/sh (dynamic, through
 * the emulated loader); posix_spawn and posix_spawnp (glibc's clone(CLONE_VM|CLONE_VFORK), and the
 * error a missing program reports through the memory the child shares); a fork bomb of 20
 * children reaped in order; the parent's output interleaved with its children's; a pipe between two
 * children, and shell pipelines through system(). And the same
 * shell programs through the `jitdbg run` command.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { native } from "../pipes/harness.js";
import { DEADLOCK_STATUS } from "../../src/inferior/process.js";
import { BUILD_KINDS, buildProcesses, emulate, expectLikeNative, FIXTURES } from "./harness.js";

describe("processes run as natively", () => {
  for (const kind of BUILD_KINDS) {
    describe(`gcc ${kind}`, () => {
      it("fork and wait: exit statuses, signals, WNOHANG, waitid, ECHILD, SIGCHLD caught and ignored", () => {
        const n = expectLikeNative(buildProcesses("fork_wait", kind));
        expect(n.stdout).toContain("with a handler: waitpid returned the pid, SIGCHLD caught 1\nwith SIGCHLD ignored: waitpid ECHILD (reaped at once)\n");
        expect(n.stdout).toContain("raise(SIGTERM): child reaped killed by signal 15\nkill(SIGKILL): child reaped killed by signal 9\n");
      });

      it("fork and execve: a program, a #! script, and the errors", () => {
        const args = [buildProcesses("execd", kind), join(FIXTURES, "script.sh"), join(FIXTURES, "exec.c"), join(FIXTURES, "notelf.txt")];
        const n = expectLikeNative(buildProcesses("exec", kind), args);
        expect(n.stdout).toContain("execd: kept fd open: yes, cloexec fd open: no\n");
        expect(n.stdout).toContain("script: 6\n");
        expect(n.stdout).toContain("exec.c: Permission denied\nnot executable: 127\n");
        expect(n.stdout).toContain("notelf.txt: Exec format error\nnot a program: 127\n");
      });

      it('system("echo hi") with the host\'s /bin/sh', () => {
        const n = expectLikeNative(buildProcesses("shell", kind), ["system"]);
        expect(n.stdout.startsWith("hi\nsystem: exited 1 with 0\n")).toBe(true);
      });

      it('popen("echo hi; echo there", "r") and popen("cat", "w")', () => {
        const n = expectLikeNative(buildProcesses("shell", kind), ["popen"]);
        expect(n.stdout).toContain("line 1: hi\nline 2: there\npclose: exited 1 with 0\n");
      });

      it("posix_spawn and posix_spawnp", () => {
        const n = expectLikeNative(buildProcesses("shell", kind), ["spawn", buildProcesses("execd", kind)]);
        expect(n.stdout).toContain("spawned program exited with 5\n");
        expect(n.stdout).toContain("missing program: No such file or directory\n");
      });

      it("a pipe between two children; shell pipelines and command substitution through system()", () => {
        const n = expectLikeNative(buildProcesses("pipeline", kind));
        expect(n.stdout).toContain("reader: 100000 bytes, then EOF\nwriter 0, reader 0\nA\nB\nC\nstatus 0\n3\ncaptured [inner]\n");
      });

      it("20 children computing checksums, reaped in order; output interleaved after each wait", () => {
        const n = expectLikeNative(buildProcesses("bomb", kind));
        expect(n.stdout).toContain("20 of 20 children reaped in order with the right checksum byte\n");
      });
    });
  }
});

describe("under chaos scheduling (seeded), processes still run as natively", () => {
  for (const seed of [3n, 29n]) {
    it(`seed ${seed}: fork and wait, the fork bomb, popen`, () => {
      const more = { scheduler: { chaos: true }, seed };
      expectLikeNative(buildProcesses("fork_wait", "static"), [], [], more);
      expectLikeNative(buildProcesses("bomb", "static"), [], [], more);
      expectLikeNative(buildProcesses("shell", "dynamic"), ["popen"], [], more);
    });
  }
});

describe("jitdbg run", () => {
  const BIN = join(repoRoot, "bin", "jitdbg.js");
  for (const kind of BUILD_KINDS) {
    it(`gcc ${kind}: system(), popen() and posix_spawn through the command, as natively`, () => {
      const exe = buildProcesses("shell", kind);
      for (const args of [["system"], ["popen"], ["spawn", buildProcesses("execd", kind)]]) {
        const n = native(exe, args);
        const r = spawnSync(process.execPath, [BIN, "run", exe, ...args], { env: {}, encoding: "latin1", timeout: 60_000 });
        expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual(n);
      }
    });
  }
});

describe("a family that waits for ever is a deadlock", () => {
  it("natively the program hangs (`timeout` ends it: 124); jitdbg run reports each process's wait and exits 124", () => {
    const exe = buildProcesses("stuck", "dynamic");
    const n = spawnSync("timeout", ["0.5", exe], { encoding: "latin1" });
    expect(n.status).toBe(DEADLOCK_STATUS);
    const r = spawnSync(process.execPath, [join(repoRoot, "bin", "jitdbg.js"), "run", exe], { encoding: "latin1", timeout: 60_000 });
    expect(r.status).toBe(DEADLOCK_STATUS);
    expect(r.stdout).toBe(n.stdout);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe("jitdbg: deadlock: every thread waits and none can wake another:");
    expect(lines[1]).toMatch(/^thread \d+ "stuck[^"]*" waits on a child process:$/);
    const e = emulate(exe);
    expect(e.description?.split("\n").slice(1)).toEqual([expect.stringMatching(/^thread \d+ \(stuck.*\) waits for a child process at /), expect.stringMatching(/^process \d+: thread \d+ \(stuck.*\) waits for read of pipe .* at /)]);
  });
});
