/**
 * A deliberate data race (test/fixtures/threads/race.c: counter++ as a load and a store with work
 * between, tickets from an unsynchronised counter) replays exactly: the same seed gives the same
 * interleaving, so the same lost updates and ticket order, on every run; other seeds give other
 * interleavings. Natively its output changes from run to run, so there is no native oracle here.
 */
import { describe, expect, it } from "vitest";
import { buildThreads, emulate, type BuildKind } from "./harness.js";

const ARGS = ["4", "20000"];
const KINDS: readonly BuildKind[] = ["static", "dynamic"];

function lost(stdout: string): number {
  const m = /\((\d+) lost\)/.exec(stdout);
  if (!m) throw new Error(`race.c printed no lost count: ${stdout}`);
  return Number(m[1]);
}

describe("a data race under the emulator's scheduler", () => {
  for (const kind of KINDS) {
    describe(`gcc ${kind}`, () => {
      it("chaos with a fixed seed: three runs, one output, and the race shows (updates are lost)", () => {
        const exe = buildThreads("race", { kind, cc: "gcc" });
        const runs = [1, 2, 3].map(() => emulate(exe, { args: ARGS, scheduler: { chaos: true }, seed: 424242n }));
        for (const r of runs) {
          expect(r.status).toBe(0);
          expect(r.warnings).toEqual([]);
          expect(r.stdout).toBe(runs[0]!.stdout);
        }
        expect(lost(runs[0]!.stdout)).toBeGreaterThan(0);
      });

      it("chaos with other seeds interleaves differently", () => {
        const exe = buildThreads("race", { kind, cc: "gcc" });
        const outputs = new Set([1n, 2n, 3n].map((seed) => emulate(exe, { args: ARGS, scheduler: { chaos: true }, seed }).stdout));
        expect(outputs.size).toBeGreaterThan(1);
      });

      it("the default scheduler is deterministic too", () => {
        const exe = buildThreads("race", { kind, cc: "gcc" });
        const a = emulate(exe, { args: ARGS });
        const b = emulate(exe, { args: ARGS });
        expect(a.status).toBe(0);
        expect(b.stdout).toBe(a.stdout);
      });
    });
  }
});
