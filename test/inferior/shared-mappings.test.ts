/**
 * Memory shared between processes (MAP_SHARED across fork, shm_open, sem_open): every process
 * of the family maps the same host memory, so a store of one is a load of the others, and
 * process-shared futexes (pshared mutexes, semaphores, condition variables) wake across them.
 * Each program is compared with its native run, in three build kinds; the workloads are long
 * enough to cross many scheduling turns between the processes.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { requireCompiler } from "../threads/harness.js";

const KINDS: [string, string[]][] = [
  ["static", ["-O1", "-static"]],
  ["static-pie", ["-O1", "-static-pie", "-fPIE"]],
  ["dynamic", ["-O1"]],
];
const PROGRAMS = ["shared_anon.c", "shared_family.c", "shared_named.c"];

describe("MAP_SHARED across processes", () => {
  for (const name of PROGRAMS) {
    for (const [kind, flags] of KINDS) {
      it(`${name}, gcc ${kind}: output, status and no diagnostics as natively`, () => {
        requireCompiler("gcc");
        const program = compileFixture(`shared/${name}`, { cc: "gcc", flags: [...flags, "-pthread"] });
        const native = spawnSync(program, [], { encoding: "latin1" });
        expect(native.status).toBe(0);
        const e = runEmulated(program);
        // shared_named.c shrinks its file under the mapping (touching nothing past the end).
        expect(e.warnings).toEqual(name === "shared_named.c" ? [expect.stringMatching(/^a file shrank under a shared mapping of it/)] : []);
        expect(e.stderr).toBe(native.stderr);
        expect(e.stdout).toBe(native.stdout);
        expect(e.status).toBe(native.status);
      }, 120_000);
    }
  }
});

describe("a file that shrinks under a shared mapping", () => {
  it("leaves zeros past its end instead of crashing jitdbg (natively SIGBUS), and says so", () => {
    requireCompiler("gcc");
    const program = compileFixture("shared/shared_shrunk.c", { cc: "gcc", flags: ["-O1", "-static"] });
    const native = spawnSync(program, [], { encoding: "latin1" });
    expect(native.signal).toBe("SIGBUS");
    expect(native.stdout).toBe("first page still there: 0\n");
    const e = runEmulated(program);
    expect(e.stdout).toBe("first page still there: 0\nsecond page: 0\n");
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([expect.stringMatching(/^a file shrank under a shared mapping of it: the mapping's pages past the file's new end read zeros, where Linux would raise SIGBUS/)]);
  });
});
