/**
 * The fidelity programs (test/fixtures/fidelity): checksum loops that run long enough to cross
 * hundreds of run slices, each built static, static-pie and dynamic, with their native runs.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lineOf } from "../debugger/markers.js";
import { compileFixture } from "../helpers/compile.js";

export type BuildKind = "static" | "static-pie" | "dynamic";
export const BUILD_KINDS: readonly BuildKind[] = ["static", "static-pie", "dynamic"];
const KIND_FLAGS: Record<BuildKind, string[]> = { static: ["-static"], "static-pie": ["-static-pie"], dynamic: [] };

export interface FidelityProgram {
  name: string;
  args: string[];
  stdin?: Buffer;
  /** Built with -pthread (its threads run under the scheduler). */
  pthread?: boolean;
  /** A condition at the @hot line that is false `falseHits` times, then true. */
  condition: { text: string; falseHits: number };
}

// Fixed input bytes for the syscall program (a seeded generator would do as well; these are
// generated once per test run and fed to both the native and the emulated run).
const INPUT = Buffer.from(randomBytes(90_000).toString("base64"), "latin1");

export const PROGRAMS: readonly FidelityProgram[] = [
  { name: "memrandom", args: ["6"], condition: { text: "r == 0 && i == 100000", falseHits: 100_000 } },
  { name: "branchy", args: ["8"], condition: { text: "r == 3 && i == 10000", falseHits: 100_000 } },
  { name: "floats", args: ["6"], condition: { text: "r == 3 && i == 40 && j == 7", falseHits: 3 * 48 * 48 + 40 * 48 + 7 } },
  { name: "syscalls", args: [], stdin: INPUT, condition: { text: "total == 37 * 1000 && i == 5", falseHits: 1000 * 37 + 5 } },
  // Every thread's hits count: the first of the four to get there stops, after at most 4 × 5000 false ones.
  { name: "threads", args: ["40"], pthread: true, condition: { text: "r == 0 && i == 5000", falseHits: 4 * 5000 } },
];

export function source(p: FidelityProgram): string {
  return `fidelity/${p.name}.c`;
}

export function line(p: FidelityProgram, marker: string): number {
  return lineOf(source(p), marker);
}

export function build(p: FidelityProgram, kind: BuildKind): string {
  return compileFixture(source(p), { flags: ["-g", "-O1", ...(p.pthread ? ["-pthread"] : []), ...KIND_FLAGS[kind]] });
}

export interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

const nativeRuns = new Map<string, Outcome>();

/** The program's run on the host, with the environment the debugger gives it (none). */
export function nativeRun(exe: string, p: FidelityProgram): Outcome {
  let o = nativeRuns.get(exe);
  if (!o) {
    // Standard input from a file, not a pipe: a pipe may return short reads, the emulator's never does.
    const file = join(mkdtempSync(join(tmpdir(), "jitdbg-fidelity-")), "stdin");
    writeFileSync(file, p.stdin ?? Buffer.alloc(0));
    const fd = openSync(file, "r");
    try {
      const r = spawnSync(exe, p.args, { env: {}, stdio: [fd, "pipe", "pipe"], encoding: "latin1" });
      o = { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + 9 };
    } finally {
      closeSync(fd);
    }
    nativeRuns.set(exe, o);
  }
  return o;
}
