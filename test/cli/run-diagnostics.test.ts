/**
 * `jitdbg run` keeps its own diagnostics out of the program's streams: stdout, stderr and exit
 * status equal the native run's byte for byte; JITDBG_LOG and --verbose are where they go.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileFixture, compileSource, repoRoot, runNative, type NativeRun } from "../helpers/compile.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");
const workDir = join(repoRoot, ".cache", "run-diagnostics");
const SYSFS = "unsupported syscall sysfs (139) returned ENOSYS";
const USTAT = "unsupported syscall ustat (136) returned ENOSYS";

let staticExe: string;
let dynamicExe: string;
let segfault: string;

/** `node bin/jitdbg.js <args>` with JITDBG_LOG as given (never inherited from the test's environment). */
function jitdbg(args: string[], log?: string): NativeRun {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.JITDBG_LOG;
  if (log !== undefined) env.JITDBG_LOG = log;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "latin1" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? -1, signal: r.signal ?? null };
}

beforeAll(() => {
  staticExe = compileFixture("diagnostics/unsupported_syscall.c", { flags: ["-static", "-O1"] });
  dynamicExe = compileFixture("diagnostics/unsupported_syscall.c", { flags: ["-O1"] });
  segfault = compileFixture("programs/segfault.c", { flags: ["-static", "-O0", "-g"] });
  mkdirSync(workDir, { recursive: true });
});

describe("jitdbg run: diagnostics never reach the program's streams", () => {
  it.each([["static", () => staticExe], ["dynamic", () => dynamicExe]])("%s: stdout, stderr and status equal the native run's", (_kind, exe) => {
    const native = runNative(exe());
    expect(native.status).toBe(3);
    expect(native.stderr).toBe("stderr: one\nstderr: two\n");
    const run = jitdbg(["run", exe()]);
    expect(run.stdout).toBe(native.stdout);
    expect(run.stderr).toBe(native.stderr);
    expect(run.status).toBe(native.status);
  });

  it("JITDBG_LOG=file appends the diagnostics, naming the syscall, once each", () => {
    const log = join(workDir, `log-${process.pid}.txt`);
    writeFileSync(log, "earlier line\n");
    try {
      const native = runNative(staticExe);
      const run = jitdbg(["run", staticExe], log);
      expect(run.stdout).toBe(native.stdout);
      expect(run.stderr).toBe(native.stderr);
      expect(run.status).toBe(native.status);
      const lines = readFileSync(log, "utf8").split("\n").filter((l) => l !== "");
      expect(lines[0]).toBe("earlier line");
      expect(lines.slice(1).map((l) => l.replace(/^\S+ jitdbg\[\d+\] /, ""))).toEqual([`${staticExe}: warning: ${SYSFS}`, `${staticExe}: warning: ${USTAT}`]);
      expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z jitdbg\[\d+\] /);
    } finally {
      rmSync(log, { force: true });
    }
  });

  it("a JITDBG_LOG that cannot be opened is an error before the program runs", () => {
    const run = jitdbg(["run", staticExe], workDir); // a directory
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`jitdbg: JITDBG_LOG=${workDir}: cannot open the log for appending (EISDIR); point it at a writable file or unset it\n`);
  });

  it("--verbose writes them to jitdbg's stderr, prefixed, around the program's own", () => {
    const native = runNative(staticExe);
    const run = jitdbg(["run", "--verbose", staticExe]);
    expect(run.stdout).toBe(native.stdout);
    expect(run.status).toBe(native.status);
    expect(run.stderr).toBe(`jitdbg: warning: ${SYSFS}\njitdbg: warning: ${USTAT}\n${native.stderr}`);
  });

  it("a fault's line stays on stderr, naming the faulting instruction", () => {
    const native = runNative(segfault);
    expect(native.signal).toBe("SIGSEGV");
    const run = jitdbg(["run", segfault]);
    expect(run.stdout).toBe(native.stdout);
    expect(run.stderr).toMatch(/^jitdbg: program terminated by SIGSEGV: .+\n$/);
    expect(run.status).toBe(139);
  });

  it("a signal the program was sent ends it as natively, without a word; --verbose says which", () => {
    const exe = compileSource("#include <signal.h>\n#include <stdio.h>\nint main(void) { puts(\"before\"); fflush(stdout); raise(SIGTERM); return 0; }\n", { flags: ["-static", "-O1"] }, "sigterm-self");
    const native = runNative(exe);
    expect(native.signal).toBe("SIGTERM");
    const run = jitdbg(["run", exe]);
    expect(run.stdout).toBe(native.stdout);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(143);
    expect(jitdbg(["run", "--verbose", exe]).stderr).toMatch(/^jitdbg: warning: program terminated by SIGTERM: .+\n$/);
  });

  it("run --help documents --verbose and JITDBG_LOG", () => {
    const run = jitdbg(["run", "--help"]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("--verbose");
    expect(run.stdout).toContain("JITDBG_LOG=FILE");
    expect(run.stdout).toContain("diagnostics are dropped");
  });
});
