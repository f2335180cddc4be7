/**
 * Turns DWARF variables into Values for one frame: evaluates location expressions (and location
 * lists) with the frame's registers, its frame base and CFA, and the thread's TLS block. A value
 * in registers or pieces comes with the way to write it (register-homes.ts), or why it has none.
 */
import type { Cpu } from "../../emu/cpu.js";
import { frameBaseAt, locateVariable, type FrameContext, type FunctionScope, type Location, type Piece, type SimpleLocation, type Variable } from "../../dwarf/index.js";
import { isDwarfError } from "../../dwarf/errors.js";
import type { Frame } from "./stack.js";
import { DWARF_GPRS, DWARF_ST_BASE, DWARF_XMM_BASE } from "./registers.js";
import { sizeOf, unsignedLE, type Value } from "../../values/value.js";
import type { RegName } from "../../emu/registers.js";
import { JitdbgError } from "../../errors.js";
import { registerStore, type StoreBytes } from "./register-homes.js";

export interface TlsResolver {
  /** Address of byte `offset` of the TLS block of the image that defines the variable. */
  (imagePath: string, offset: bigint): bigint | undefined;
}

export class FrameValues {
  constructor(
    private readonly cpu: Cpu,
    private readonly frame: Frame,
    private readonly tls: TlsResolver,
    /**
     * Where the dynamic linker bound an exported global (a library's variable may live in the
     * program's copy after a copy relocation); undefined for static programs.
     */
    private readonly boundGlobal?: (name: string) => bigint | undefined,
  ) {}

  private readMemory = (address: bigint, size: number): bigint | undefined => {
    const b = new Uint8Array(size);
    return this.cpu.tryRead(address, b) ? unsignedLE(b) : undefined;
  };

  private contextMade: FrameContext | undefined;
  /** The frame's function and its frame base, found once for all the variables read here (the state they come from is the caller's to keep). */
  private function: { fn: FunctionScope | undefined; base?: { value: bigint | undefined } } | undefined;

  private context(): FrameContext {
    const f = this.frame;
    const image = f.image;
    return (this.contextMade ??= {
      readRegister: (r) => f.registers.get(r),
      readMemory: this.readMemory,
      callFrameCfa: () => f.cfa,
      tlsAddress: (offset) => (image ? this.tls(image.path, offset) : undefined),
      // DW_OP_addr operands are link-time addresses: a PIE or library adds its load bias.
      addressBias: image?.bias ?? 0n,
      where: image?.path,
    });
  }

  private frameFunction(): { fn: FunctionScope | undefined; base?: { value: bigint | undefined } } {
    const f = this.frame;
    return (this.function ??= { fn: f.image?.functionAt(f.lookupPc)?.function });
  }

  private frameBase(fn: FunctionScope, pc: bigint): bigint | undefined {
    const memo = this.frameFunction();
    // An error is not kept: each variable that needs the frame base reports it.
    memo.base ??= { value: frameBaseAt(fn, pc, this.context()) };
    return memo.base.value;
  }

  /** The variable's value in this frame (an error value when it is optimized out or unreadable). */
  read(v: Variable): Value {
    if (v.kind === "global" && v.isExternal && !v.isTls && this.boundGlobal) {
      const bound = this.boundGlobal(v.name);
      if (bound !== undefined) return { type: v.type, location: { kind: "memory", address: bound } };
    }
    const f = this.frame;
    const bias = f.image?.bias ?? 0n;
    const fn = this.frameFunction().fn;
    const pc = f.lookupPc - bias;
    let loc: Location;
    try {
      // Location lists and frame bases are in link-time pcs.
      loc = locateVariable(v, pc, fn, this.context(), fn ? () => this.frameBase(fn, pc) : undefined);
    } catch (e) {
      // A location the DWARF reader cannot evaluate is this variable's value: an error the view shows.
      if (!isDwarfError(e)) throw e;
      return { type: v.type, location: { kind: "error", message: e.message } };
    }
    return this.fromLocation(v.type, loc);
  }

  private fromLocation(type: Value["type"], loc: Location): Value {
    const size = sizeOf(type);
    switch (loc.kind) {
      case "memory":
        return { type, location: { kind: "memory", address: loc.address } };
      case "unavailable":
        return { type, location: { kind: "error", message: loc.reason.startsWith("optimized out") ? loc.reason : `unavailable: ${loc.reason}` } };
      case "pieces":
        return this.composite(type, loc.pieces, size);
      default: {
        const part = this.part(loc, size);
        if (typeof part === "string") return { type, location: { kind: "error", message: part } };
        return { type, location: { kind: "bytes", bytes: part.bytes, ...(typeof part.store === "string" ? { readOnly: part.store } : { store: part.store }) } };
      }
    }
  }

  /**
   * A value kept in pieces (DW_OP_piece / DW_OP_bit_piece: a struct or array split across
   * registers, memory and constants at -O2), assembled bit by bit; a piece with no location is
   * missing (that member or element is `<optimized out>`, the rest reads as usual). A write goes
   * to the byte-aligned pieces whose bytes it changes, each through its own home; it is refused
   * whole, before anything is written, when a changed piece has none.
   */
  private composite(type: Value["type"], pieces: readonly Piece[], size: number): Value {
    const bytes = new Uint8Array(size);
    const missing: { start: number; end: number }[] = [];
    const spans: { start: number; end: number; store: StoreBytes | string }[] = [];
    let bit = 0;
    for (const p of pieces) {
      const start = bit;
      const end = bit + p.bitSize;
      bit = end;
      const part = p.location.kind === "unavailable" ? p.location.reason : this.part(p.location, Math.ceil((p.bitOffset + p.bitSize) / 8));
      if (typeof part === "string") {
        if (!part.startsWith("optimized out")) return { type, location: { kind: "error", message: `a piece of the value is unavailable: ${part}` } };
        missing.push({ start, end });
        spans.push({ start, end, store: "that part of it is optimized out here" });
        continue;
      }
      copyBits(part.bytes, p.bitOffset, bytes, start, Math.min(p.bitSize, size * 8 - start));
      const aligned = start % 8 === 0 && p.bitOffset === 0 && p.bitSize % 8 === 0;
      spans.push({ start, end, store: aligned ? part.store : "part of it is a bit piece (DW_OP_bit_piece), which the debugger does not write" });
    }
    const parts = spans.map((sp) => {
      const at = Math.floor(sp.start / 8);
      return { at, old: bytes.slice(at, Math.min(size, Math.ceil(sp.end / 8))), store: sp.store };
    });
    const store: StoreBytes = (b, offset = 0) => {
      const end = offset + b.length;
      const changed = parts.filter((p) => p.at < end && p.at + p.old.length > offset && p.old.some((x, i) => p.at + i >= offset && p.at + i < end && b[p.at + i - offset] !== x));
      const refused = changed.find((p) => typeof p.store === "string");
      if (refused) throw new JitdbgError("VALUE_READ_ONLY", `bytes ${refused.at}..${refused.at + refused.old.length - 1} of this value cannot be set: ${refused.store as string}`);
      for (const p of changed) {
        const from = Math.max(offset, p.at);
        const to = Math.min(end, p.at + p.old.length);
        (p.store as StoreBytes)(b.subarray(from - offset, to - offset), from - p.at);
      }
    };
    return { type, location: { kind: "bytes", bytes, store, ...(missing.length > 0 ? { missing } : {}) } };
  }

  /** `size` bytes of a simple location and how to write them (or why they cannot be), or why they cannot be read. */
  private part(loc: SimpleLocation, size: number): { bytes: Uint8Array; store: StoreBytes | string } | string {
    switch (loc.kind) {
      case "memory": {
        const bytes = new Uint8Array(size);
        if (!this.cpu.tryRead(loc.address, bytes)) return `memory at 0x${loc.address.toString(16)} cannot be read`;
        return { bytes, store: (b, offset = 0) => this.cpu.write(loc.address + BigInt(offset), b) };
      }
      case "register":
        return this.registerValue(loc.reg, size);
      case "value":
        return { bytes: bigintBytes(loc.value, size), store: "the compiler computes it from other values here (DW_OP_stack_value); it has no register or memory of its own to write" };
      case "implicit":
        return { bytes: loc.bytes, store: "it is a constant the compiler put into the code (an implicit value); it has no register or memory to write" };
      case "unavailable":
        return loc.reason;
    }
  }

  private registerValue(reg: number, size: number): { bytes: Uint8Array; store: StoreBytes | string } | string {
    const f = this.frame;
    if (reg >= DWARF_XMM_BASE && reg < DWARF_XMM_BASE + 16) {
      if (f.index !== 0) return "vector register not saved across calls";
      const name = `xmm${reg - DWARF_XMM_BASE}` as RegName;
      const bytes = this.cpu.regBytes(name);
      return { bytes: bytes.subarray(0, size), store: (b, offset = 0) => this.cpu.setRegBytes(name, spliced(this.cpu.regBytes(name), b, offset)) };
    }
    if (reg >= DWARF_ST_BASE && reg < DWARF_ST_BASE + 8) {
      // x87 st(i), a long double the optimizer keeps on the FPU stack: 10 bytes, read and written in place.
      if (f.index !== 0) return "x87 register not saved across calls";
      const name = `st${reg - DWARF_ST_BASE}` as RegName;
      const bytes = new Uint8Array(Math.max(size, 10));
      bytes.set(this.cpu.regBytes(name).subarray(0, 10));
      return { bytes: bytes.subarray(0, size), store: (b, offset = 0) => this.cpu.setRegBytes(name, spliced(bytes, b, offset).subarray(0, 10)) };
    }
    const value = f.registers.get(reg);
    if (value === undefined) return "optimized out (register not saved)";
    return { bytes: bigintBytes(value, Math.max(size, 8)).subarray(0, size), store: registerStore(this.cpu, f, reg) };
  }
}

function bigintBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(Math.max(size, 1) * 8, v);
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Copies `count` bits from bit `from` of `src` to bit `to` of `dst` (little-endian bit order, as DWARF pieces). */
function copyBits(src: Uint8Array, from: number, dst: Uint8Array, to: number, count: number): void {
  if (count <= 0) return;
  if (from % 8 === 0 && to % 8 === 0 && count % 8 === 0) {
    dst.set(src.subarray(from / 8, from / 8 + count / 8), to / 8);
    return;
  }
  for (let i = 0; i < count; i++) {
    const s = from + i;
    const d = to + i;
    if ((s >> 3) >= src.length) break;
    const v = (src[s >> 3]! >> (s & 7)) & 1;
    dst[d >> 3] = (dst[d >> 3]! & ~(1 << (d & 7))) | (v << (d & 7));
  }
}

/** A copy of `old` with `b` put in at byte `offset`. */
function spliced(old: Uint8Array, b: Uint8Array, offset: number): Uint8Array {
  const out = Uint8Array.from(old);
  out.set(b.subarray(0, Math.max(0, out.length - offset)), offset);
  return out;
}
