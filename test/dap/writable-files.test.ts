/**
 * The launch attributes for files the program writes (allowWrite, scratch), over DAP against the
 * real adapter process: the program stops at a breakpoint mid-way, continues to its end, and its
 * files are where the attributes say; bad values answer an error and the adapter keeps going.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileFixture, repoRoot } from "../helpers/compile.js";
import { errorOf, launchAndStop, startClient } from "../helpers/dap.js";

const SOURCE = join(repoRoot, "test", "fixtures", "files", "tree.c");
const made: string[] = [];
const fresh = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `jitdbg-dap-${label}-`));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** The line of tree.c holding `text`. */
function lineOf(text: string): number {
  const i = readFileSync(SOURCE, "latin1").split("\n").findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`tree.c has no line with ${text}`);
  return i + 1;
}

describe("launch allowWrite and scratch over DAP", () => {
  let dc: DebugClient;
  beforeEach(async () => {
    dc = await startClient();
  });
  afterEach(async () => {
    await dc.stop();
  });

  async function runThrough(launch: Record<string, unknown>): Promise<string> {
    const output: string[] = [];
    dc.on("output", (e) => {
      if (e.body.category === "stdout") output.push(e.body.output);
    });
    const line = lineOf("rename(\"f1.txt\"");
    const stopped = await launchAndStop(dc, launch, () => dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line }] }));
    expect(stopped.body.reason).toBe("breakpoint");
    const exited = dc.waitForEvent("exited");
    const terminated = dc.waitForEvent("terminated");
    await dc.continueRequest({ threadId: stopped.body.threadId! });
    expect((await exited).body.exitCode).toBe(0);
    await terminated;
    return output.join("");
  }

  it("allowWrite: the program's files land in the directory, as a native run makes them", async () => {
    const exe = compileFixture("files/tree.c", { cc: "gcc", flags: ["-O0", "-g", "-static"] });
    const dir = fresh("inplace");
    const out = await runThrough({ program: exe, cwd: dir, args: ["work"], allowedPaths: [dirname(exe)], allowWrite: [dir] });
    expect(out).toContain("rw: Hello WO end 8\n");
    expect(readdirSync(join(dir, "work")).sort()).toEqual(["f0.txt", "f3.txt", "f4.txt", "f5.txt", "f6.txt", "link", "renamed.txt", "rw.bin"]);
  });

  it("without allowWrite the files go to the scratch layer, kept where 'scratch' says; the working directory is unchanged", async () => {
    const exe = compileFixture("files/tree.c", { cc: "gcc", flags: ["-O0", "-g", "-static"] });
    const dir = fresh("cwd");
    writeFileSync(join(dir, "keep.txt"), "unchanged");
    const keep = fresh("kept");
    const out = await runThrough({ program: exe, cwd: dir, args: ["work"], allowedPaths: [dirname(exe), dir], scratch: keep });
    expect(out).toContain("total ");
    expect(readdirSync(dir)).toEqual(["keep.txt"]);
    expect(readFileSync(join(keep, dir, "work", "rw.bin"), "latin1")).toBe("Hello WO");
  });

  it("a missing allowWrite directory or a bad scratch value is an error naming it; the adapter goes on", async () => {
    const exe = compileFixture("files/tree.c", { cc: "gcc", flags: ["-O0", "-g", "-static"] });
    await dc.initializeRequest();
    const missing = join(fresh("x"), "nope");
    const e1 = await errorOf(dc.launchRequest({ program: exe, allowWrite: [missing] } as never));
    expect(e1.message).toContain(`'allowWrite' names ${missing}, which is not an existing directory`);
    const e2 = await errorOf(dc.launchRequest({ program: exe, scratch: 3 } as never));
    expect(e2.message).toContain("'scratch' must be the path of a directory");
    const threads = await dc.threadsRequest();
    expect(threads.success).toBe(true);
  });
});
