/**
 * The synchronised programs of sync.test.ts under chaos scheduling with a fixed seed: turns of 1
 * to 2,000 blocks and a random next thread, so locks, waits and wakes cross thousands of switches
 * at arbitrary instructions. Their output must still be the native one. Also clang's builds, in
 * the three kinds, under the default scheduler.
 */
import { describe, it } from "vitest";
import { CASES, label } from "./cases.js";
import { BUILD_KINDS, buildThreads, expectNativeEqual } from "./harness.js";

const CHAOS_SEED = 20261201n;
const CLANG_CASES = CASES.filter((c) => ["mutex_counter 4 10000", "prodcons 2 2 5000", "tls 4", "pool 4 1000", "barrier 4 500"].includes(label(c)));

describe("synchronised thread programs under chaos scheduling", () => {
  describe(`gcc static, seed ${CHAOS_SEED}`, () => {
    for (const c of CASES) {
      it(label(c), () => {
        expectNativeEqual(buildThreads(c.program, { kind: "static", cc: "gcc" }), { args: c.args, scheduler: { chaos: true }, seed: CHAOS_SEED });
      });
    }
  });

  describe("clang builds, default scheduler", () => {
    for (const kind of BUILD_KINDS) {
      for (const c of CLANG_CASES) {
        it(`${kind}: ${label(c)}`, () => {
          expectNativeEqual(buildThreads(c.program, { kind, cc: "clang" }), { args: c.args });
        });
      }
    }
  });
});
