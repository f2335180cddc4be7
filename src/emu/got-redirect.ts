/**
 * Redirecting one of libunicorn's internal calls: a function it calls through its own GOT (the
 * translator's back end, its optimizer) gets a few bytes of machine code in its place, which
 * decide from slots of their own whether to go on to the real function. Used by tlb-fast-path.ts
 * and optimizer-switch.ts; with any other libunicorn (no such slot) nothing is changed.
 */
import { closeSync, openSync, readSync } from "node:fs";
import koffi from "koffi";
import { executableCode, libraryBase, mprotectRange, unicornSymbol } from "./native-page.js";

/**
 * The in-memory addresses of libunicorn's GOT, from its section headers: a function's slot is the
 * one that holds its address (full RELRO binds every slot at load time). Read piece by piece,
 * not through ElfFile: the library is 19 MB and only its headers are needed, once per process.
 */
export function gotRange(path: string): { start: bigint; size: number } | undefined {
  if (!gotRanges.has(path)) gotRanges.set(path, readGotRange(path));
  return gotRanges.get(path);
}

/** gotRange's answers (both redirections ask for the same library's). */
const gotRanges = new Map<string, { start: bigint; size: number } | undefined>();

function readGotRange(path: string): { start: bigint; size: number } | undefined {
  const fd = openSync(path, "r");
  try {
    const read = (offset: number, length: number): DataView => {
      const b = Buffer.alloc(length);
      if (readSync(fd, b, 0, length, offset) !== length) throw new Error("short read");
      return new DataView(b.buffer, b.byteOffset, length);
    };
    const eh = read(0, 64);
    if (eh.getUint32(0) !== 0x7f454c46 || eh.getUint8(4) !== 2) return undefined;
    const shoff = Number(eh.getBigUint64(0x28, true));
    const shentsize = eh.getUint16(0x3a, true);
    const shnum = eh.getUint16(0x3c, true);
    const shstrndx = eh.getUint16(0x3e, true);
    const sh = read(shoff, shnum * shentsize);
    const at = (i: number) => i * shentsize;
    const names = read(Number(sh.getBigUint64(at(shstrndx) + 0x18, true)), Number(sh.getBigUint64(at(shstrndx) + 0x20, true)));
    const nameOf = (i: number): string => {
      let s = "";
      for (let p = sh.getUint32(at(i), true); p < names.byteLength && names.getUint8(p) !== 0; p++) s += String.fromCharCode(names.getUint8(p));
      return s;
    };
    for (let i = 0; i < shnum; i++) {
      if (nameOf(i) !== ".got") continue;
      return { start: sh.getBigUint64(at(i) + 0x10, true), size: Number(sh.getBigUint64(at(i) + 0x20, true)) };
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The stub that takes the calls' place, and where it keeps its slots. */
export interface GotStub {
  /** Machine code with a movabs of the slots' address at `slotsImm` (8 bytes, filled in here). */
  code: readonly number[];
  slotsImm: number;
  /** u64 slots the stub reads (and its owner sets); the real function's address goes in `realSlot`. */
  slotCount: number;
  realSlot: number;
  /** For the executable page's error messages. */
  name: string;
}

/**
 * Points every GOT slot of libunicorn that holds `symbol`'s address at a copy of `stub`; returns
 * the stub's slots (the real address in `realSlot`), or undefined when the library has no such
 * slot or its pages cannot be made writable for the change.
 */
export function redirectGotSlots(unicornPath: string, symbol: string, stub: GotStub): BigUint64Array | undefined {
  const real = unicornSymbol(unicornPath, symbol);
  const base = libraryBase(unicornPath);
  const got = gotRange(unicornPath);
  if (real === undefined || base === undefined || got === undefined) return undefined;
  const start = base + got.start;
  // The slots as 32-bit halves (little-endian), compared with the address's halves as numbers:
  // read as BigInts, the ~20,000 slots made a megabyte of garbage at every start.
  const count = Math.floor(got.size / 8);
  const halves = koffi.decode(start, koffi.array("uint32_t", count * 2)) as Uint32Array;
  const lo = Number(real & 0xffffffffn);
  const hi = Number(real >> 32n);
  const hits: bigint[] = [];
  for (let i = 0; i < count; i++) if (halves[2 * i] === lo && halves[2 * i + 1] === hi) hits.push(start + BigInt(i * 8));
  if (hits.length === 0) return undefined;
  const slotsMem = koffi.alloc("uint64_t", stub.slotCount);
  const slots = new BigUint64Array(koffi.view(slotsMem, stub.slotCount * 8));
  slots.fill(0n);
  slots[stub.realSlot] = real;
  const code = Uint8Array.from(stub.code);
  new DataView(code.buffer).setBigUint64(stub.slotsImm, koffi.address(slotsMem), true);
  const address = executableCode(code, stub.name);
  for (const slot of hits) {
    if (!mprotectRange(slot, 8, true)) return undefined;
    koffi.encode(slot, "uint64_t", address);
    mprotectRange(slot, 8, false);
  }
  return slots;
}
