/**
 * Memory shared between processes (MAP_SHARED across fork) is not emulated yet: a fork copies it.
 * The run says so rather than computing a different result silently, and the comparison with the
 * native run is kept as a known failure that flips once sharing is emulated.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { requireCompiler } from "../threads/harness.js";

describe("MAP_SHARED across fork", () => {
  const exe = () => {
    requireCompiler("gcc");
    return compileFixture("shared/shared_anon.c", { cc: "gcc", flags: ["-O1", "-static"] });
  };

  it("a fork that copies a shared mapping says so in the diagnostics", () => {
    const e = runEmulated(exe());
    expect(e.warnings).toEqual([expect.stringMatching(/^the program forked with a MAP_SHARED mapping at 0x[0-9a-f]+: the child gets a copy of it, so what one process stores there the other does not see/)]);
  });

  // Known gap (issue 12/13 notes): each process is its own Unicorn engine and fork copies pages.
  it.fails("the child's store is seen by the parent, as natively", () => {
    const program = exe();
    const native = spawnSync(program, [], { encoding: "latin1" });
    expect(native.stdout).toBe("shared value after the child wrote: 42\n");
    expect(runEmulated(program).stdout).toBe(native.stdout);
  });
});
