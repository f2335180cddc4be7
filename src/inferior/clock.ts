/**
 * Time as the program sees it. Readings (clock_gettime, gettimeofday, time) follow the host's
 * clocks plus the time skipped while every thread slept: an idle wait is not waited out, the
 * clock jumps over it, so `sleep(1)` returns at once and the program still sees a second pass.
 * Scheduling decisions (which timed wait has expired) use `now`, a count that advances with the
 * blocks the program executes and the skips: it depends on nothing outside the program, so the
 * same run wakes its sleepers at the same points every time.
 */

/** Scheduler nanoseconds one translation-block entry counts for: about the emulator's own pace. */
export const NS_PER_BLOCK = 10n;

export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

/** Clocks that count from boot (monotonic family); the rest count from the epoch. */
const MONOTONIC_CLOCKS = new Set([1, 4, 7]); // MONOTONIC, MONOTONIC_RAW, BOOTTIME

export class EmulatedClock {
  /** The scheduler's clock, in nanoseconds since the process started. */
  now = 0n;
  /** Nanoseconds of idle waits jumped over: added to every host reading. */
  private skipped = 0n;

  /** A clock's reading in nanoseconds (clock_gettime's clock ids). */
  reading(clock: number): bigint {
    const host = MONOTONIC_CLOCKS.has(clock) ? process.hrtime.bigint() : BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    return host + this.skipped;
  }

  /** The program ran `blocks` block entries. */
  advance(blocks: number): void {
    this.now += BigInt(blocks) * NS_PER_BLOCK;
  }

  /** Every thread waits: move straight to `deadline`, the readings with it. */
  skipTo(deadline: bigint): void {
    if (deadline <= this.now) return;
    this.skipped += deadline - this.now;
    this.now = deadline;
  }

  /** A scheduler deadline `ns` from now. */
  after(ns: bigint): bigint {
    return this.now + (ns > 0n ? ns : 0n);
  }

  /** The scheduler deadline of the absolute time `at` on `clock`. */
  at(clock: number, at: bigint): bigint {
    return this.after(at - this.reading(clock));
  }
}
