/**
 * Which program `jitdbg run NAME` runs: a bare name is found along PATH as the shell finds it (and
 * gets argv[0] as typed, as the shell passes it), a file of that name in the working directory
 * first (as gdb takes it); a `#!` script runs as the kernel runs it; a name found nowhere is a
 * one-line error.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSource, repoRoot } from "../helpers/compile.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");
const workDir = join(repoRoot, ".cache", "program-path");
const binDir = join(workDir, "bin");
const elsewhere = join(workDir, "elsewhere");
const SOURCE = `#include <stdio.h>
int main(int argc, char **argv) { printf("argv[0]=%s argc=%d\\n", argv[0], argc); for (int i = 1; i < argc; i++) printf(" [%s]\\n", argv[i]); return 0; }`;

beforeAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(binDir, { recursive: true });
  mkdirSync(elsewhere, { recursive: true });
  const exe = compileSource(SOURCE, { flags: ["-O1"] }, "program-path");
  copyFileSync(exe, join(binDir, "say-argv0"));
  chmodSync(join(binDir, "say-argv0"), 0o755);
  writeFileSync(join(binDir, "not-executable"), "");
  // Scripts: the shell's, one with an argument on its #! line naming our program, and one whose
  // interpreter is itself a script (Linux runs up to four deep).
  script("shell-script", "#!/bin/sh -e\necho \"shell: $0 [$*]\"\nexec say-argv0 from-script \"$@\"\n");
  script("via-program", `#!${join(binDir, "say-argv0")} one two\nnot read\n`);
  script("via-script", `#!${join(binDir, "via-program")}\n`);
  script("no-interpreter", "#!\n");
});

function script(name: string, text: string): void {
  writeFileSync(join(binDir, name), text);
  chmodSync(join(binDir, name), 0o755);
}

function run(command: string[], cwd: string): { stdout: string; stderr: string; status: number | null } {
  const env = { ...process.env, PATH: `/nonexistent-dir:${binDir}:/usr/bin:/bin` };
  delete env.JITDBG_LOG;
  const r = spawnSync(command[0]!, command.slice(1), { cwd, env, encoding: "latin1" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe("jitdbg run NAME", () => {
  it("a bare name is the program along PATH, with argv[0] as typed, as the shell runs it", () => {
    const native = run(["sh", "-c", "say-argv0 a b"], elsewhere);
    expect(native.stdout).toBe("argv[0]=say-argv0 argc=3\n [a]\n [b]\n");
    expect(run([process.execPath, BIN, "run", "say-argv0", "a", "b"], elsewhere)).toEqual(native);
  });

  it("a file of that name in the working directory comes first; a path is a path", () => {
    expect(run([process.execPath, BIN, "run", "say-argv0"], binDir).stdout).toBe("argv[0]=say-argv0 argc=1\n");
    expect(run([process.execPath, BIN, "run", join(binDir, "say-argv0")], elsewhere).stdout).toBe(`argv[0]=${join(binDir, "say-argv0")} argc=1\n`);
  });

  it("a #! script runs as the kernel runs it: its interpreter with the #! line's argument, the script's path and the arguments", () => {
    for (const command of ["shell-script a 'b c'", "via-program x", "via-script y", `${join(binDir, "via-program")} z`]) {
      const native = run(["sh", "-c", command], elsewhere);
      expect(native.status, native.stderr).toBe(0);
      const args = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
      expect(run([process.execPath, BIN, "run", ...args], elsewhere), command).toEqual(native);
    }
  });

  it("a #! line that names no interpreter is a one-line error", () => {
    const r = run([process.execPath, BIN, "run", "no-interpreter"], elsewhere);
    expect(r.stderr).toBe(`jitdbg: ${join(binDir, "no-interpreter")}: a #! script whose first line names no interpreter\n`);
    expect(r.status).toBe(1);
  });

  it("a name found nowhere (or only as a file that cannot be run) is a one-line error", () => {
    for (const name of ["no-such-program-anywhere", "not-executable"]) {
      const r = run([process.execPath, BIN, "run", name], elsewhere);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`jitdbg: ${name}: no such file in the working directory, nor a program of that name along PATH\n`);
      expect(r.status).toBe(1);
    }
  });
});
