/**
 * A section's relocations as parallel typed arrays rather than one object each: a 3,000-function
 * object has ~12,000 of them, and objects cost allocation, GC pauses and memory when they are kept
 * after finalization. The retention policy compacts the arrays, so `bytes` is what is really held.
 */
const EXTERNAL = 1;
const HAS_ORIGINAL = 2;

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U16 = new Uint16Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);

export class RelocationTable {
  length = 0;
  /** Offset of the patched field in the section. */
  offsets: Uint32Array;
  /** R_X86_64_* type. */
  types: Uint8Array;
  /** Symbol index in the module. */
  symbols: Uint32Array;
  /** Addends as doubles (exact for compilers' addends); bigAddends holds the rest by index. */
  addends: Float64Array;
  flags: Uint8Array;
  /** The two instruction bytes before a relaxable GOT field, as the compiler wrote them. */
  originals: Uint16Array;
  bigAddends: Map<number, bigint> | undefined;

  constructor(capacity = 0) {
    // Most sections have no relocations: they share empty arrays (never written: push resizes first).
    this.offsets = capacity === 0 ? EMPTY_U32 : new Uint32Array(capacity);
    this.types = capacity === 0 ? EMPTY_U8 : new Uint8Array(capacity);
    this.symbols = capacity === 0 ? EMPTY_U32 : new Uint32Array(capacity);
    this.addends = capacity === 0 ? EMPTY_F64 : new Float64Array(capacity);
    this.flags = capacity === 0 ? EMPTY_U8 : new Uint8Array(capacity);
    this.originals = capacity === 0 ? EMPTY_U16 : new Uint16Array(capacity);
  }

  push(offset: number, type: number, symbol: number, addend: number, external: boolean): number {
    if (this.length === this.offsets.length) this.resize(Math.max(16, this.length * 2));
    const i = this.length++;
    this.offsets[i] = offset;
    this.types[i] = type;
    this.symbols[i] = symbol;
    this.addends[i] = addend;
    this.flags[i] = external ? EXTERNAL : 0;
    return i;
  }

  isExternal(i: number): boolean {
    return (this.flags[i]! & EXTERNAL) !== 0;
  }

  original(i: number): number | undefined {
    return this.flags[i]! & HAS_ORIGINAL ? this.originals[i]! : undefined;
  }

  setOriginal(i: number, bytes: number): void {
    this.originals[i] = bytes;
    this.flags[i]! |= HAS_ORIGINAL;
  }

  setBigAddend(i: number, value: bigint): void {
    (this.bigAddends ??= new Map()).set(i, value);
  }

  bigAddend(i: number): bigint | undefined {
    return this.bigAddends?.get(i);
  }

  /** Keeps the entries for which `keep` is true, compacting storage to exactly what is kept. */
  retain(keep: (i: number) => boolean): void {
    if (this.length === 0) {
      if (this.offsets.length > 0) this.resize(0);
      return;
    }
    let n = 0;
    const big = this.bigAddends;
    this.bigAddends = undefined;
    for (let i = 0; i < this.length; i++) {
      if (!keep(i)) continue;
      this.offsets[n] = this.offsets[i]!;
      this.types[n] = this.types[i]!;
      this.symbols[n] = this.symbols[i]!;
      this.addends[n] = this.addends[i]!;
      this.flags[n] = this.flags[i]!;
      this.originals[n] = this.originals[i]!;
      const b = big?.get(i);
      if (b !== undefined) this.setBigAddend(n, b);
      n++;
    }
    this.length = n;
    this.resize(n);
  }

  /** Bytes held by the arrays (plus 16 per oversized addend). */
  get bytes(): number {
    const c = this.offsets.length;
    return c * (4 + 1 + 4 + 8 + 1 + 2) + (this.bigAddends?.size ?? 0) * 16;
  }

  private resize(capacity: number): void {
    if (capacity === this.offsets.length) return;
    if (capacity === 0) {
      this.offsets = EMPTY_U32;
      this.types = EMPTY_U8;
      this.symbols = EMPTY_U32;
      this.addends = EMPTY_F64;
      this.flags = EMPTY_U8;
      this.originals = EMPTY_U16;
      return;
    }
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, Math.min(this.length, capacity)));
      return b;
    };
    this.offsets = grow(this.offsets, (n) => new Uint32Array(n));
    this.types = grow(this.types, (n) => new Uint8Array(n));
    this.symbols = grow(this.symbols, (n) => new Uint32Array(n));
    this.addends = grow(this.addends, (n) => new Float64Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.originals = grow(this.originals, (n) => new Uint16Array(n));
  }
}
