/**
 * A failed expression undoes a fork it made: the child process is ended with the roll-back, so
 * it never prints and the program reaps only its own children, as in its native run
 * (test/fixtures/eval/undo_fork.c). A successful call keeps its child.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, hasCompiler } from "../helpers/compile.js";

const BREAK_LINE = readFileSync(join(fixturesDir, "eval", "undo_fork.c"), "utf8").split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

let dbg: Debugger | undefined;
afterEach(() => {
  dbg?.close();
  dbg = undefined;
});

describe.skipIf(!hasCompiler("gcc"))("a failed expression undoes the fork it made", () => {
  const exe = compileFixture("eval/undo_fork.c", { flags: ["-static", "-O0", "-g"] });

  async function atBreak(): Promise<string[]> {
    const out: string[] = [];
    dbg = Debugger.launch({ program: exe }, { output: (c, t) => void (c === "stdout" && out.push(t)) });
    dbg.setSourceBreakpoints("undo_fork.c", [{ line: BREAK_LINE }]);
    expect((await dbg.start()).reason).toBe("breakpoint");
    return out;
  }

  it("the child is gone with the roll-back: the run ends as natively", async () => {
    const native = spawnSync(exe, [], { encoding: "latin1" });
    expect(native.stdout).toBe("own child\nreaped 1, of them the expression's: 0 (no more children)\n");
    const out = await atBreak();
    let code: string | undefined;
    try {
      dbg!.expressions.evaluate("fork_then_crash()", 0);
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe("EVAL_SIGNAL");
    expect((await dbg!.continue()).reason).toBe("exited");
    expect(out.join("")).toBe(native.stdout);
  });

  it("a successful call keeps its child, which runs and which the program then reaps", async () => {
    const out = await atBreak();
    dbg!.expressions.evaluate("fork_and_return()", 0);
    expect((await dbg!.continue()).reason).toBe("exited");
    expect(out.join("").split("\n").sort()).toEqual(["", "own child", "reaped 2, of them the expression's: 1 (no more children)", "the expression's child ran"]);
  });
});
