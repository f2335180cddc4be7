/**
 * The `jitdbg` commands' options, read by node:util parseArgs: the same options and the same
 * messages for bad arguments as the hand-written parsers they replaced.
 */
import { describe, expect, it, vi } from "vitest";
import { demoCommand } from "../../src/cli/demo.js";
import { parseRtdyldArgs } from "../../src/cli/rtdyld.js";
import { parseRunArgs } from "../../src/cli/run.js";

const RUN_HELP = "(see `jitdbg run --help`)";
const RTDYLD_USAGE = "usage: jitdbg rtdyld [--entry NAME] [--show-times] [--host ELF] [--seed N] obj.o... [--args ARG...]";

describe("jitdbg run options", () => {
  it("stops at the program: what follows is the program's argv, dashes and all", () => {
    expect(parseRunArgs(["--reproducible", "--allow", "/a", "--allow=/b", "--allow-write", "/w", "--scratch=/s", "--verbose", "prog", "-x", "--verbose", "--", "y"])).toEqual({
      help: false,
      program: "prog",
      args: ["-x", "--verbose", "--", "y"],
      reproducible: true,
      verbose: true,
      allowed: ["/a", "/b"],
      writable: ["/w"],
      scratch: "/s",
      chaos: false,
    });
    expect(parseRunArgs(["prog"])).toEqual({ help: false, program: "prog", args: [], reproducible: false, verbose: false, chaos: false, allowed: [], writable: [] });
    expect(parseRunArgs(["--", "-prog", "--help"])).toMatchObject({ program: "-prog", args: ["--help"], help: false });
    expect(parseRunArgs(["--allow", "-dir", "prog"])).toMatchObject({ program: "prog", allowed: ["-dir"] });
  });

  it("--help and -h answer at once, whatever follows", () => {
    expect(parseRunArgs(["--help"]).help).toBe(true);
    expect(parseRunArgs(["--verbose", "-h", "--bogus"]).help).toBe(true);
  });

  it.each([
    [["--bogus", "prog"], `unknown option --bogus for run ${RUN_HELP}`],
    [["--bogus=3", "prog"], `unknown option --bogus=3 for run ${RUN_HELP}`],
    [["-x", "prog"], `unknown option -x for run ${RUN_HELP}`],
    [["-hv", "prog"], `unknown option -hv for run ${RUN_HELP}`],
    [["--verbose=yes", "prog"], `unknown option --verbose=yes for run ${RUN_HELP}`],
    [["-", "prog"], `unknown option - for run ${RUN_HELP}`],
    [["--allow-write"], "--allow-write needs a path"],
    [["--allow-write=", "prog"], "--allow-write needs a directory"],
    [["--scratch"], "--scratch needs a path"],
    [["--allow"], "--allow needs a path"],
    [["--allow", "", "prog"], "--allow needs a path"],
    [[], "run needs a program: jitdbg run <program> [args...]"],
    [["--verbose", "--"], "run needs a program: jitdbg run <program> [args...]"],
  ])("%j: %s", (argv, message) => {
    expect(() => parseRunArgs(argv)).toThrow(expect.objectContaining({ code: "CLI_USAGE", message }));
  });
});

describe("jitdbg demo options", () => {
  it("--help prints its usage without running anything", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((d: string | Uint8Array) => (out.push(String(d)), true));
    try {
      expect(await demoCommand(["--help"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out.join("")).toMatch(/^usage: jitdbg demo\n/);
  });

  it("takes no other argument", async () => {
    await expect(demoCommand(["--fast"])).rejects.toMatchObject({ code: "CLI_USAGE", message: "unknown option --fast for demo (see `jitdbg demo --help`)" });
    await expect(demoCommand(["again"])).rejects.toMatchObject({ code: "CLI_USAGE", message: "demo takes no arguments, got again (see `jitdbg demo --help`)" });
  });
});

describe("jitdbg rtdyld options", () => {
  it("objects anywhere among the options, llvm-rtdyld's -execute ignored, everything after --args passed on", () => {
    expect(parseRtdyldArgs(["a.o", "--entry", "go", "-execute", "b.o", "--host=h", "--seed", "7", "--show-times", "--execute", "--args", "x", "--entry", "-execute"])).toEqual({
      entry: "go",
      showTimes: true,
      host: "h",
      seed: 7n,
      objects: ["a.o", "b.o"],
      args: ["x", "--entry", "-execute"],
    });
    expect(parseRtdyldArgs(["a.o"])).toEqual({ entry: "main", showTimes: false, host: undefined, seed: undefined, objects: ["a.o"], args: [] });
    expect(parseRtdyldArgs(["--entry=", "--seed=0x10", "a.o"])).toMatchObject({ entry: "", seed: 16n });
    expect(parseRtdyldArgs(["--entry", "--args", "a.o"])).toMatchObject({ entry: "--args", objects: ["a.o"], args: [] });
  });

  it.each([
    [["--bogus", "a.o"], `unknown option --bogus\n${RTDYLD_USAGE}`],
    [["--show-times=1", "a.o"], `unknown option --show-times=1\n${RTDYLD_USAGE}`],
    [["-e", "a.o"], `unknown option -e\n${RTDYLD_USAGE}`],
    [["--", "a.o"], `unknown option --\n${RTDYLD_USAGE}`],
    [["a.o", "--entry"], `--entry needs a value\n${RTDYLD_USAGE}`],
    [["a.o", "--seed", "many"], `--seed needs an integer, not "many"\n${RTDYLD_USAGE}`],
    [["--show-times"], `no object files given\n${RTDYLD_USAGE}`],
    [["--args", "a.o"], `no object files given\n${RTDYLD_USAGE}`],
  ])("%j: %s", (argv, message) => {
    expect(() => parseRtdyldArgs(argv)).toThrow(expect.objectContaining({ code: "CLI_USAGE", message }));
  });
});
