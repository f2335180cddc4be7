/**
 * A module's own GOT and call stubs. The GOT holds addresses (GOTPCREL, GOT64), TP offsets
 * (GOTTPOFF) and {module id, offset} pairs (TLSGD, TLSLD); it sits in the module's read-only data so
 * it is reachable with 32-bit PC-relative displacements. A stub is `jmp *[rip+0]; .quad target`, used
 * by PLT32 calls whose target is more than ±2 GiB away.
 */
import type { GotKind } from "./relocations/x86_64.js";

export interface GotEntry {
  kind: GotKind;
  /** Symbol index in the module (-1 for the shared TLSLD entry). */
  symbol: number;
  offset: number;
}

export class GotTable {
  readonly entries: GotEntry[] = [];
  /** One map per kind, keyed by symbol index (numeric keys: no string building per relocation). */
  private readonly byKind: Record<GotKind, Map<number, GotEntry>> = { address: new Map(), tpoff: new Map(), tlsgd: new Map(), tlsld: new Map() };
  /** Bytes used; GOT[0] is reserved like the psABI's, so the base is never an entry. */
  size = 8;

  add(kind: GotKind, symbol: number): GotEntry {
    const key = kind === "tlsld" ? -1 : symbol;
    let e = this.byKind[kind].get(key);
    if (!e) {
      e = { kind, symbol: kind === "tlsld" ? -1 : symbol, offset: this.size };
      this.size += kind === "tlsgd" || kind === "tlsld" ? 16 : 8;
      this.entries.push(e);
      this.byKind[kind].set(key, e);
    }
    return e;
  }

  get(kind: GotKind, symbol: number): GotEntry | undefined {
    return this.byKind[kind].get(kind === "tlsld" ? -1 : symbol);
  }
}

export const STUB_SIZE = 16;

export class StubTable {
  private readonly bySymbol = new Map<number, number>();
  size = 0;

  add(symbol: number): number {
    let off = this.bySymbol.get(symbol);
    if (off === undefined) {
      off = this.size;
      this.size += STUB_SIZE;
      this.bySymbol.set(symbol, off);
    }
    return off;
  }

  offsetOf(symbol: number): number | undefined {
    return this.bySymbol.get(symbol);
  }

  symbols(): [number, number][] {
    return [...this.bySymbol.entries()];
  }
}

/** Writes `jmp qword ptr [rip+0]; .quad target; int3; int3` at `at`. */
export function encodeStub(into: Uint8Array, at: number, target: bigint): void {
  into.set([0xff, 0x25, 0, 0, 0, 0], at);
  new DataView(into.buffer, into.byteOffset).setBigUint64(at + 6, BigInt.asUintN(64, target), true);
  into[at + 14] = 0xcc;
  into[at + 15] = 0xcc;
}
