/**
 * Unicorn 2.0.1 never clears the CPU's "exception being delivered" field (QEMU's
 * env->old_exception) when an interrupt hook takes an exception instead of the guest's IDT
 * (unicorn-engine/unicorn#1883): the next contributory fault then counts as a fault during
 * delivery — a second divide by zero raises a double fault (vector 8), a third a general
 * protection fault — so a program whose SIGFPE handler recovers sees SIGSEGV the second time.
 * QEMU resets the field to -1 once it has delivered an exception; this does the same from outside
 * the engine. The field has no register id, so its place in the saved-context blob is found once,
 * on a scratch engine, by faulting twice (-1 fresh, 0 after a divide error, 8 after the double
 * fault), and written through the context: save, poke -1, restore.
 */
import koffi from "koffi";

/** What this module needs of the Unicorn binding (unicorn.ts). */
export interface ContextAccess {
  /** A saved context of the engine, its blob's address and byte length. */
  save(): { address: bigint; size: number; restore(): void; free(): void };
}

/** uc_context's header before the saved CPU state: context_size, mode, arch. */
const CONTEXT_HEADER = 16n;

interface Libc {
  read: (dst: Uint8Array, src: bigint, n: number) => unknown;
  write: (dst: bigint, src: Uint8Array, n: number) => unknown;
}

let libc: Libc | undefined;

function memory(): Libc {
  if (!libc) {
    const lib = koffi.load("libc.so.6");
    // memcpy with the guest-side pointer as an integer: the blob is native memory Unicorn owns.
    libc = {
      read: lib.func("void *memcpy(_Out_ uint8_t *dst, uint64_t src, size_t n)") as Libc["read"],
      write: lib.func("void *memcpy(uint64_t dst, const uint8_t *src, size_t n)") as Libc["write"],
    };
  }
  return libc;
}

/** Writes a context's blob bytes (as contextBytes read them). */
export function setContextBytes(ctx: { address: bigint }, bytes: Uint8Array): void {
  memory().write(ctx.address + CONTEXT_HEADER, bytes, bytes.length);
}

/** The blob bytes of a context. */
export function contextBytes(ctx: { address: bigint; size: number }): Uint8Array {
  const out = new Uint8Array(ctx.size);
  memory().read(out, ctx.address + CONTEXT_HEADER, ctx.size);
  return out;
}

/** The int32 offset where `a` holds -1, `b` 0 and `c` 8: old_exception across the two faults. */
export function findOldException(a: Uint8Array, b: Uint8Array, c: Uint8Array): number | undefined {
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const vc = new DataView(c.buffer, c.byteOffset, c.byteLength);
  for (let i = 0; i + 4 <= Math.min(a.length, b.length, c.length); i += 4) {
    if (va.getInt32(i, true) === -1 && vb.getInt32(i, true) === 0 && vc.getInt32(i, true) === 8) return i;
  }
  return undefined;
}

/** Sets old_exception back to -1 (no exception being delivered). */
export function resetOldException(access: ContextAccess, offset: number): void {
  const ctx = access.save();
  try {
    memory().write(ctx.address + CONTEXT_HEADER + BigInt(offset), Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 4);
    ctx.restore();
  } finally {
    ctx.free();
  }
}
