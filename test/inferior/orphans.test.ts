/**
 * Children that outlive the launched process run on to their ends under `jitdbg run` (runToEnd),
 * as they do after a native parent exits, and their output is not lost; children that would wait
 * for ever are ended rather than hanging the run. Built by gcc at test time, in three build kinds.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { BUILD_KINDS, type BuildKind, requireCompiler } from "../threads/harness.js";

const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };

describe.each(BUILD_KINDS)("orphans (gcc %s)", (kind) => {
  const exe = () => {
    requireCompiler("gcc");
    return compileFixture("orphans/orphans.c", { cc: "gcc", flags: ["-O1", "-Wall", ...KIND_FLAGS[kind]] });
  };

  it("children and a grandchild print after the parent has exited, as natively, and the status is the parent's", () => {
    const program = exe();
    const native = spawnSync(program, [], { encoding: "latin1", env: {}, timeout: 60_000 });
    expect(native.status).toBe(3);
    const e = runEmulated(program, { argv0: program });
    expect(e.stdout.split("\n").sort()).toEqual(native.stdout.split("\n").sort()); // the children race each other natively
    expect(e.stdout.split("\n")[0]).toBe("parent leaves");
    expect(e.status).toBe(3);
    expect(e.warnings).toEqual([]);
  });

  it("a child that waits for ever does not keep the run going", () => {
    const program = exe();
    const e = runEmulated(program, { argv0: program, args: ["forever"] });
    expect(e.status).toBe(3);
    expect(e.stdout).toContain("grandchild: parent gone yes\n");
  });
});
