/**
 * The launched process executes programs itself (issue 12: execve of the debugged process) and
 * uses process groups and sessions, against the native runs of C programs built in the three
 * build kinds: a program replaced by another (same pid, a descriptor kept and one closed by
 * O_CLOEXEC, an ignored signal kept, the new environment) after crossing many run slices, and by
 * a `#!` script run through the host's /bin/sh; a failed execve returns its error. Groups:
 * setpgid/getpgid/getpgrp/setsid/getsid and their errors, kill(-pgid), kill(0), waitpid(-pgid)
 * and waitpid(0). And the same through the `jitdbg run` command.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { native } from "../pipes/harness.js";
import { BUILD_KINDS, buildProcesses, emulate, expectLikeNative, FIXTURES } from "./harness.js";

describe("the launched process executes another program", () => {
  for (const kind of BUILD_KINDS) {
    describe(`gcc ${kind}`, () => {
      it("a program: the same pid, descriptors and ignored signals kept, the new environment", () => {
        const n = expectLikeNative(buildProcesses("self_exec", kind), ["program", buildProcesses("exec_target", kind)]);
        expect(n.stdout).toContain("missing program: No such file or directory\n");
        expect(n.stdout).toContain("exec_target: same pid: yes\nexec_target: kept fd open: yes, cloexec fd open: no\nexec_target: SIGUSR1 ignored: yes, GREETING=from the old program\n");
        expect(n.status).toBe(9);
      });

      it("a #! script through the host's /bin/sh", () => {
        const n = expectLikeNative(buildProcesses("self_exec", kind), ["script", join(FIXTURES, "script.sh")]);
        expect(n.stdout).toContain("script: $0 is a path: yes, $1 is [script arg], GREETING=from the old program\n");
        expect(n.status).toBe(6);
      });

      it("process groups and sessions: setpgid, setsid, their errors, kill(-pgid), kill(0), waitpid(-pgid)", () => {
        const n = expectLikeNative(buildProcesses("groups", kind));
        expect(n.stdout).toContain("setpgid(0, 0): ok, now leads its group yes\nsetsid as a group leader: Operation not permitted\n");
        expect(n.stdout).toContain("waitpid(-pgid) reaped the child: yes\ngroup child: killed by signal 15\n");
        expect(n.stdout).toContain("the parent got SIGUSR1: 1\nwaitpid(0) reaped the child: yes\nsignalled child: exited 42\n");
        expect(n.stdout).toContain("setpgid of a child that executed a program: Permission denied\n");
      });
    });
  }

  it("across build kinds: a static program executes a dynamic one (the emulated loader), a dynamic one a static-PIE one", () => {
    expectLikeNative(buildProcesses("self_exec", "static"), ["program", buildProcesses("exec_target", "dynamic")]);
    expectLikeNative(buildProcesses("self_exec", "dynamic"), ["program", buildProcesses("exec_target", "static-pie")]);
  });
});

describe("jitdbg run", () => {
  const BIN = join(repoRoot, "bin", "jitdbg.js");
  for (const kind of BUILD_KINDS) {
    it(`gcc ${kind}: the launched program executes another one and a script, as natively`, () => {
      const exe = buildProcesses("self_exec", kind);
      for (const args of [["program", buildProcesses("exec_target", kind)], ["script", join(FIXTURES, "script.sh")]]) {
        const n = native(exe, args);
        const r = spawnSync(process.execPath, [BIN, "run", "--allow", dirname(exe), "--allow", FIXTURES, exe, ...args], { env: {}, encoding: "latin1", timeout: 60_000 });
        expect({ stdout: r.stdout, stderr: r.stderr, status: r.status }).toEqual(n);
      }
    });
  }
});
