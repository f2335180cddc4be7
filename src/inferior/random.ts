/**
 * The inferior's source of randomness: placement of images, mmap regions and JIT sections, AT_RANDOM
 * and getrandom. Seeded (reproducible runs) or from the host's crypto source.
 */
import { hostRandomBytes } from "../host-random.js";

export interface RngState {
  readonly s0: bigint;
  readonly s1: bigint;
}

export class Rng {
  private s0: bigint;
  private s1: bigint;

  /** A fixed seed makes every draw reproducible; without one the seed comes from the host. */
  constructor(seed?: bigint | number) {
    const s = seed === undefined ? hostRandomBytes(8).readBigUInt64LE() : BigInt(seed);
    this.s0 = splitmix(s);
    this.s1 = splitmix(this.s0 ^ 0x9e3779b97f4a7c15n);
  }

  /** The generator's state, to put back with restore (an undone expression call draws nothing). */
  save(): RngState {
    return { s0: this.s0, s1: this.s1 };
  }

  restore(state: RngState): void {
    this.s0 = state.s0;
    this.s1 = state.s1;
  }

  /** xorshift128+: a uniformly distributed 64-bit value. */
  next64(): bigint {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.s1 + y);
  }

  /** Uniform in [0, bound). */
  below(bound: bigint): bigint {
    if (bound <= 0n) return 0n;
    return this.next64() % bound;
  }

  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i += 8) {
      let v = this.next64();
      for (let j = i; j < Math.min(i + 8, buf.length); j++) {
        buf[j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return buf;
  }
}

function splitmix(x: bigint): bigint {
  let z = BigInt.asUintN(64, x + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}
