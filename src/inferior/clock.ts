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
/** clock_nanosleep's and timer_settime's flag: the time given is absolute. */
export const TIMER_ABSTIME = 1;

/** Clocks that count from boot (monotonic family); the rest count from the epoch. */
const MONOTONIC_CLOCKS = new Set([1, 4, 7]); // MONOTONIC, MONOTONIC_RAW, BOOTTIME

export interface TimedWait {
  /** When it times out on the scheduler's clock (EmulatedClock.now). */
  deadline: bigint;
  /** The CLOCK_MONOTONIC reading it lasts until. */
  reading: bigint;
}

export class EmulatedClock {
  /** The scheduler's clock, in nanoseconds since the process started. */
  now = 0n;
  /** Nanoseconds of idle waits jumped over: added to every host reading. */
  private skipped = 0n;

  /**
   * The epoch's time on the host's monotonic clock: realtime readings are monotonic ones moved by
   * it, so the two advance together (Date.now's milliseconds plus hrtime's nanoseconds modulo a
   * millisecond, as before, jumped back by up to a millisecond whenever the two ticked apart).
   */
  private readonly epoch = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  /** A clock's reading in nanoseconds (clock_gettime's clock ids). */
  reading(clock: number): bigint {
    const host = process.hrtime.bigint() + (MONOTONIC_CLOCKS.has(clock) ? 0n : this.epoch);
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

  /**
   * A timed wait of `ns` from now: its scheduler deadline, and the CLOCK_MONOTONIC reading it
   * lasts until. The two clocks drift apart (a tight loop runs more blocks per host second than
   * NS_PER_BLOCK assumes), so a wait that times out calls `reach` with the reading: a sleeper
   * never sees less time pass than it asked for.
   */
  timedWait(ns: bigint): TimedWait {
    const d = ns > 0n ? ns : 0n;
    return { deadline: this.now + d, reading: this.reading(CLOCK_MONOTONIC) + d };
  }

  /** A timed wait until the absolute time `at` on `clock`. */
  timedWaitUntil(clock: number, at: bigint): TimedWait {
    return this.timedWait(at - this.reading(clock));
  }

  /** A timed wait ended at its deadline: readings move up to its end if they have not got there (never back). */
  reach(reading: bigint): void {
    const r = this.reading(CLOCK_MONOTONIC);
    if (r < reading) this.skipped += reading - r;
  }

  /** The scheduler deadline of the absolute time `at` on `clock`. */
  at(clock: number, at: bigint): bigint {
    return this.after(at - this.reading(clock));
  }
}
