/**
 * The debugger's changes to the program's code (a compiled breakpoint condition's jump at its
 * site). They are the debugger's, not the program's: a recorded history neither logs them nor
 * keeps them in its checkpoints (it reads code through `overlay`), and after it puts a page of the
 * past back it applies them again (`reapply`).
 */
import type { Cpu } from "../emu/cpu.js";

interface Patch {
  bytes: Uint8Array;
  /** The program's own bytes there. */
  original: Uint8Array;
}

export class CodePatches {
  private readonly patches = new Map<bigint, Patch>();

  constructor(
    private readonly cpu: Cpu,
    /** Runs a change of the debugger's own (a recording does not log it). */
    private readonly privately: (fn: () => void) => void,
  ) {}

  /** Writes `bytes` at `address` over the program's code (one patch per address; none may overlap). */
  apply(address: bigint, bytes: Uint8Array): void {
    if (this.patches.has(address)) this.revert(address);
    const original = this.cpu.read(address, bytes.length);
    this.patches.set(address, { bytes: bytes.slice(), original });
    this.privately(() => this.cpu.write(address, bytes));
  }

  /** Puts the program's bytes back at `address`. */
  revert(address: bigint): void {
    const p = this.patches.get(address);
    if (!p) return;
    this.patches.delete(address);
    this.privately(() => this.cpu.write(address, p.original));
  }

  /** `bytes`, read from `address`, with the program's own code where patches are. */
  overlay(address: bigint, bytes: Uint8Array): Uint8Array {
    if (this.patches.size === 0) return bytes;
    const end = address + BigInt(bytes.length);
    for (const [at, p] of this.patches) {
      const pEnd = at + BigInt(p.original.length);
      if (pEnd <= address || at >= end) continue;
      for (let a = at > address ? at : address; a < pEnd && a < end; a++) bytes[Number(a - address)] = p.original[Number(a - at)]!;
    }
    return bytes;
  }

  /** Writes every patch again (the bytes under them were put back to an earlier state). */
  reapply(): void {
    if (this.patches.size === 0) return;
    this.privately(() => {
      for (const [at, p] of this.patches) this.cpu.write(at, p.bytes);
    });
  }
}
