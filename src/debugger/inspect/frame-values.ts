/**
 * Turns DWARF variables into Values for one frame: evaluates location expressions (and location
 * lists) with the frame's registers, its frame base and CFA, and the thread's TLS block.
 */
import type { Cpu } from "../../emu/cpu.js";
import { frameBaseAt, locateVariable, type FrameContext, type FunctionScope, type Location, type Variable } from "../../dwarf/index.js";
import { isDwarfError } from "../../dwarf/errors.js";
import type { Frame } from "./stack.js";
import { DWARF_GPRS, DWARF_ST_BASE, DWARF_XMM_BASE } from "./registers.js";
import { sizeOf, type Value } from "../../values/value.js";
import type { RegName } from "../../emu/registers.js";

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
    if (!this.cpu.tryRead(address, b)) return undefined;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
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
      case "register":
        return this.registerValue(type, loc.reg, size);
      case "value":
        return { type, location: { kind: "bytes", bytes: bigintBytes(loc.value, size) } };
      case "implicit":
        return { type, location: { kind: "bytes", bytes: loc.bytes } };
      case "unavailable":
        return { type, location: { kind: "error", message: loc.reason.startsWith("optimized out") ? loc.reason : `unavailable: ${loc.reason}` } };
      case "pieces": {
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const p of loc.pieces) {
          const n = Math.ceil(p.bitSize / 8);
          const part = this.fromLocation(type, p.location);
          let b: Uint8Array | undefined;
          if (part.location.kind === "error") return part;
          if (part.location.kind === "bytes") b = part.location.bytes.subarray(0, n);
          else {
            const buf = new Uint8Array(n);
            b = this.cpu.tryRead(part.location.address, buf) ? buf : undefined;
          }
          if (!b) return { type, location: { kind: "error", message: "a piece of the value is unreadable" } };
          bytes.set(b.subarray(0, Math.max(0, Math.min(n, size - at))), at);
          at += n;
        }
        return { type, location: { kind: "bytes", bytes } };
      }
    }
  }

  private registerValue(type: Value["type"], reg: number, size: number): Value {
    const f = this.frame;
    if (reg >= DWARF_XMM_BASE && reg < DWARF_XMM_BASE + 16) {
      if (f.index !== 0) return { type, location: { kind: "error", message: "vector register not saved across calls" } };
      const name = `xmm${reg - DWARF_XMM_BASE}` as RegName;
      const bytes = this.cpu.regBytes(name);
      return { type, location: { kind: "bytes", bytes: bytes.subarray(0, size), store: (b) => this.cpu.setRegBytes(name, padTo(b, 16, bytes)) } };
    }
    if (reg >= DWARF_ST_BASE && reg < DWARF_ST_BASE + 8) {
      // x87 st(i), a long double the optimizer keeps on the FPU stack: 10 bytes, read and written in place.
      if (f.index !== 0) return { type, location: { kind: "error", message: "x87 register not saved across calls" } };
      const name = `st${reg - DWARF_ST_BASE}` as RegName;
      const bytes = new Uint8Array(Math.max(size, 10));
      bytes.set(this.cpu.regBytes(name).subarray(0, 10));
      return { type, location: { kind: "bytes", bytes: bytes.subarray(0, size), store: (b) => this.cpu.setRegBytes(name, b.subarray(0, 10)) } };
    }
    const value = f.registers.get(reg);
    if (value === undefined) return { type, location: { kind: "error", message: "optimized out (register not saved)" } };
    const name = DWARF_GPRS.get(reg);
    const store = f.index === 0 && name ? (b: Uint8Array) => this.cpu.setReg(name, mergeLow(value, b)) : undefined;
    return { type, location: { kind: "bytes", bytes: bigintBytes(value, Math.max(size, 8)).subarray(0, size), store } };
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

function mergeLow(old: bigint, low: Uint8Array): bigint {
  let v = old;
  for (let i = 0; i < low.length && i < 8; i++) v = (v & ~(0xffn << BigInt(i * 8))) | (BigInt(low[i]!) << BigInt(i * 8));
  return v;
}

function padTo(b: Uint8Array, n: number, old: Uint8Array): Uint8Array {
  const out = new Uint8Array(n);
  out.set(old.subarray(0, n));
  out.set(b.subarray(0, n));
  return out;
}
