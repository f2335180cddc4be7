/**
 * A failed expression undoes what it did to files: appended bytes, files made, renamed, removed
 * and overwritten, a directory made, the working directory changed. Checked with
 * test/fixtures/eval/undo_files.c working in a directory changed in place (allowWrite: the host's
 * files are compared too) and in the scratch layer; the program then runs to its end and prints
 * as natively. A successful expression keeps its changes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, hasCompiler } from "../helpers/compile.js";

const made: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "jitdbg-undo-files-"));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

let dbg: Debugger | undefined;
afterEach(() => {
  dbg?.close();
  dbg = undefined;
});

const BREAK_LINE = readFileSync(join(fixturesDir, "eval", "undo_files.c"), "utf8").split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n), "latin1")]));
}

describe.skipIf(!hasCompiler("gcc"))("a failed expression undoes its changes to files", () => {
  const exe = compileFixture("eval/undo_files.c", { flags: ["-static", "-O0", "-g"] });
  const nativeDir = fresh();
  const native = spawnSync(exe, [nativeDir], { encoding: "latin1" });

  async function atBreak(dir: string, inPlace: boolean): Promise<{ out: string[] }> {
    const out: string[] = [];
    dbg = Debugger.launch({ program: exe, args: [dir], cwd: dir, allowedPaths: [dirname(exe), dir], writablePaths: inPlace ? [dir] : undefined }, { output: (c, t) => void (c === "stdout" && out.push(t)) });
    dbg.setSourceBreakpoints("undo_files.c", [{ line: BREAK_LINE }]);
    const r = await dbg.start();
    expect(r.reason).toBe("breakpoint");
    return { out };
  }

  it.each([
    ["in place (allowWrite)", true],
    ["in the scratch layer", false],
  ])("%s: the program's files and working directory are as before, and it ends as natively", async (_label, inPlace) => {
    expect(native.status).toBe(0);
    const dir = fresh();
    const s = await atBreak(dir, inPlace);
    const before = files(dir);
    let code: string | undefined;
    try {
      dbg!.expressions.evaluate("change_files_then_crash()", 0);
    } catch (e) {
      code = (e as { code?: string }).code;
    }
    expect(code).toBe("EVAL_SIGNAL");
    expect(files(dir)).toEqual(before);
    const end = await dbg!.continue();
    expect(end.reason).toBe("exited");
    expect(s.out.join("")).toBe(native.stdout);
    if (inPlace) expect(files(dir)).toEqual(files(nativeDir));
  });

  it("a successful call keeps them", async () => {
    const dir = fresh();
    const s = await atBreak(dir, true);
    dbg!.expressions.evaluate('((int (*)(const char *))unlink)("del.txt")', 0);
    await dbg!.continue();
    expect(Object.keys(files(dir)).sort()).toEqual(["keep.txt", "keep2.txt", "log.txt"]);
    expect(s.out.join("")).not.toContain("del.txt");
  });
});
