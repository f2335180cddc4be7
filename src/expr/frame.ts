/**
 * rbp-relative storage of one compiled function: the saved entry arguments, locals and parameters
 * (allocated by the checker) and temporaries for struct results (allocated by the code generator).
 */
/** Bytes the entry function's frame keeps for its two incoming pointers (arg block, result). */
export const ENTRY_RESERVED = 16;

export class FrameLayout {
  /** Bytes below rbp in use; the prologue reserves this, rounded up to 16. */
  size: number;

  constructor(reserved = 0) {
    this.size = reserved;
  }

  /** Returns the (negative) rbp offset of a new object. */
  alloc(size: number, align: number): number {
    const a = Math.max(1, Math.min(align, 16));
    this.size = Math.ceil((this.size + Math.max(size, 1)) / a) * a;
    return -this.size;
  }

  get aligned(): number {
    return Math.ceil(this.size / 16) * 16;
  }
}
