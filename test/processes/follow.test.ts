/**
 * Following over the Debugger facade, in-process: an instruction step over the execve syscall of
 * the debugged process lands on the new program's entry (the old program's code after the
 * syscall never runs; a data breakpoint on its memory is dropped, with a reason), a step over
 * fork() with followFork "child" ends in the child, and the process suite's programs (system,
 * popen, posix_spawn, pipes between children, a fork bomb, exec, groups) run under followFork
 * "child" — the followed child ends, the rest of the family runs on — as natively.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { PROCESS_ID } from "../../src/inferior/process.js";
import { native as nativeRun } from "../pipes/harness.js";
import { buildProcesses, FIXTURES } from "./harness.js";

const source = (name: string): string => join(fixturesDir, "processes", name);
const lineOf = (file: string, marker: string): number => readFileSync(source(file), "utf8").split("\n").findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

let dbg: Debugger | undefined;
afterEach(() => {
  dbg?.close();
  dbg = undefined;
});

describe("following, in-process", () => {
  it("an instruction step over execve's syscall lands on the new program's entry; a data breakpoint on the old memory is dropped", async () => {
    const exe = compileFixture("processes/self_exec.c", { flags: ["-g", "-O0", "-static"] });
    const target = compileFixture("processes/exec_target.c", { flags: ["-g", "-O0", "-static"] });
    const native = runNative(exe, ["program", target]);
    const s = launch(exe, { args: ["program", target], argv0: exe, env: [], sliceBlocks: 20_000 });
    dbg = s.dbg;
    const d = dbg;
    // The second call of execve is the one that succeeds.
    d.setFunctionBreakpoints([{ name: "execve", hitCondition: "== 2" }]);
    expect((await d.start()).reason).toBe("function breakpoint");
    const [watch] = d.setDataBreakpoints([{ address: d.process.cpu.reg("rsp"), size: 8, description: "the stack top" }]);
    expect(watch!.verified).toBe(true);
    const old = d.process;
    let steps = 0;
    while (d.process === old && steps++ < 200) expect((await d.stepInstruction()).reason).toBe("step");
    expect(d.process).not.toBe(old);
    expect(d.process.pid).toBe(PROCESS_ID);
    expect(d.process.pc).toBe(d.process.image.entry);
    expect(d.lastStop).toMatchObject({ reason: "step", pc: d.process.image.entry });
    expect(d.images.map((i) => i.path)).toEqual([target]);
    expect(watch!.verified).toBe(false);
    expect(watch!.message).toContain("before execve");
    expect(await d.continue()).toEqual({ reason: "exited", exitCode: native.status });
    expect(s.output.filter((t) => !t.startsWith("jitdbg:")).join("")).toBe(native.stdout);
  });

  it('with followFork "child", a step over fork() ends in the child, right after the fork', async () => {
    const exe = compileFixture("processes/follow_child.c", { flags: ["-g", "-O0"] });
    const native = runNative(exe);
    const s = launch(exe, { args: [], argv0: exe, env: [], followFork: "child" });
    dbg = s.dbg;
    const d = dbg;
    d.setSourceBreakpoints(source("follow_child.c"), [{ line: lineOf("follow_child.c", "FORK") }]);
    expect((await d.start()).reason).toBe("breakpoint");
    const r = await d.next();
    expect(r.reason).toBe("step");
    expect(r.reason !== "exited" && r.description).toMatch(/^Followed the fork into child process \d+: stopped at /);
    const child = d.process.pid;
    expect(child).not.toBe(PROCESS_ID);
    expect(d.threads().map((t) => t.id)).toEqual([child]);
    expect(d.stackTrace().some((f) => f.functionName === "main")).toBe(true);
    expect(await d.continue()).toEqual({ reason: "exited", exitCode: native.status });
    expect(s.output.filter((t) => !t.startsWith("jitdbg:")).join("")).toBe(native.stdout);
  });

  it('under followFork "child", the process suite\'s programs print and end as natively', async () => {
    const execd = buildProcesses("execd", "dynamic");
    const runs: [string, string[]][] = [
      ["shell", ["system"]],
      ["shell", ["popen"]],
      ["shell", ["spawn", execd]],
      ["pipeline", []],
      ["bomb", []],
      ["fork_wait", []],
      ["exec", [execd, join(FIXTURES, "script.sh"), join(FIXTURES, "exec.c"), join(FIXTURES, "notelf.txt")]],
      ["groups", []],
    ];
    for (const [name, args] of runs) {
      const exe = buildProcesses(name, "dynamic");
      const n = nativeRun(exe, args);
      const out = { stdout: "", stderr: "", console: "" };
      const d = Debugger.launch({ program: exe, args, argv0: exe, env: [], allowedPaths: [dirname(exe), FIXTURES], followFork: "child", sliceBlocks: 20_000 }, { output: (c, t) => (out[c === "stdout" || c === "stderr" ? c : "console"] += t) });
      dbg = d;
      const end = await d.continue();
      expect({ name, args, stdout: out.stdout, stderr: out.stderr, end }).toEqual({ name, args, stdout: n.stdout, stderr: n.stderr, end: { reason: "exited", exitCode: n.status } });
      expect(out.console).toMatch(/^jitdbg: the followed process \d+ (exited with status \d+|was terminated by SIG[A-Z]+); the launched process \d+ runs on to its end\n$/);
      d.close();
      dbg = undefined;
    }
  });
});
