/**
 * Synchronised multi-threaded C programs (test/fixtures/threads) give their native output byte
 * for byte in the emulator, built by gcc in the three build kinds and run under the default
 * round-robin scheduler: mutexes, condition variables, join/detach, thread-local storage (also a
 * shared library's), barriers, a thread pool, pthread_once, rwlocks, semaphores, and lifecycles
 * (waves of short-lived threads, a robust mutex whose owner exits holding it, main leaving by
 * pthread_exit), and features.c (priority-inheritance, recursive, error-checking and timed mutexes,
 * spin locks, C11 threads, atomics, thread-specific data, stack sizes, thread names). Each program
 * also checks itself (its native run must exit 0).
 * sync-chaos.test.ts runs them interleaved finely.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_QUANTUM_BLOCKS } from "../../src/inferior/scheduler.js";
import { CASES, label } from "./cases.js";
import { BUILD_KINDS, buildThreads, expectNativeEqual } from "./harness.js";

/** Long enough to take many turns: at least this many block entries (five default turns). */
const MIN_BLOCKS = BigInt(5 * DEFAULT_QUANTUM_BLOCKS);

describe("synchronised thread programs match their native runs", () => {
  for (const kind of BUILD_KINDS) {
    describe(`gcc ${kind}`, () => {
      for (const c of CASES) {
        it(label(c), () => {
          const emu = expectNativeEqual(buildThreads(c.program, { kind, cc: "gcc" }), { args: c.args });
          expect(emu.blocks).toBeGreaterThan(MIN_BLOCKS);
        });
      }
    });
  }
});
