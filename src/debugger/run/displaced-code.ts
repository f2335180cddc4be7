/**
 * Instructions moved out of a breakpoint site to make room for a 5-byte jump to its trampoline,
 * and their copies re-encoded to run at another address, as a linker relocates code: a
 * rip-relative operand keeps its target, a relative jump or branch keeps its destination (in its
 * 32-bit form), and a call pushes the site's own return address before jumping, so the callee
 * returns into the program's code, not into the copy (its frames unwind as without the breakpoint).
 *
 * A site is refused (the caller falls back to a hook) where moving it could change what the
 * program does: code that jumps into the bytes the jump takes, a function with indirect jumps
 * (switch tables could target them) unless one instruction is moved, a thread stopped inside them,
 * instructions that cannot be re-encoded (loop, jrcxz, rip-relative with an ambiguous field).
 */
import type { DecodedInstruction } from "../inspect/disassembly.js";

/** The jump the site gets: jmp rel32. */
export const SITE_JUMP = 5;

export interface DisplacedCode {
  /** The site's first byte; the instructions moved are [site, site + length). */
  site: bigint;
  length: number;
  /** The program's bytes there (put back when the breakpoint goes). */
  original: Uint8Array;
  /**
   * A moved instruction leaves the straight line (a jump, call or return) or enters the kernel:
   * the program then goes on from the trampoline somewhere else than the end of the moved bytes.
   */
  transfersControl: boolean;
  /** The instructions' copy, to run at `at`, then jump back to site + length. */
  encode(at: bigint): Uint8Array;
}

/** `transient`: the reason may be gone later (a thread inside the bytes moves on). */
export type Displacement = { kind: "ok"; code: DisplacedCode } | { kind: "refused"; reason: string; transient?: boolean };

export interface SiteContext {
  /** The function's instructions, from its start (decoded). */
  functionCode: readonly DecodedInstruction[];
  /** pcs of the threads (and return addresses of their frames) now. */
  threadPcs: readonly bigint[];
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;
const directTarget = (i: DecodedInstruction): bigint | undefined => (/^0x[0-9a-f]+$/.test(i.opStr) ? BigInt(i.opStr) : undefined);
const isJcc = (m: string): boolean => /^j(?!mp)[a-z]+$/.test(m) && m !== "jrcxz" && m !== "jecxz" && m !== "jcxz";
const withoutPrefix = (m: string): string => m.replace(/^(notrack|bnd)\s+/, "");
const TRANSFERS_CONTROL = /^(j[a-z]*|call[a-z]*|ret[a-z]*|loop[a-z]*|syscall|sysenter|int[0-9a-z]*|iret[a-z]*|hlt|ud[0-9a-z]*)$/;

/** Plans moving the instructions at `site` (the function's code must contain it). */
export function displace(site: bigint, ctx: SiteContext): Displacement {
  const start = ctx.functionCode.findIndex((i) => i.address === site);
  if (start < 0) return { kind: "refused", reason: `${hex(site)} is not the start of an instruction of its function's code` };
  const moved: DecodedInstruction[] = [];
  let length = 0;
  for (let k = start; length < SITE_JUMP; k++) {
    const i = ctx.functionCode[k];
    if (!i) return { kind: "refused", reason: `the function ends ${length} bytes after the breakpoint, too few for the ${SITE_JUMP}-byte jump to its condition` };
    moved.push(i);
    length += i.bytes.length;
    const m = withoutPrefix(i.mnemonic);
    if ((m === "jmp" || m === "ret" || m === "call") && length < SITE_JUMP) {
      return { kind: "refused", reason: `the ${m} at ${hex(i.address)} leaves the ${length} bytes before it too few for the jump to the condition` };
    }
  }
  const end = site + BigInt(length);
  const inside = (a: bigint): boolean => a > site && a < end;
  for (const i of ctx.functionCode) {
    const t = directTarget(i);
    if (t !== undefined && /^(j|call|loop)/.test(withoutPrefix(i.mnemonic)) && inside(t)) {
      return { kind: "refused", reason: `the ${i.mnemonic} at ${hex(i.address)} jumps to ${hex(t)}, inside the ${length} bytes the jump to the condition takes` };
    }
  }
  if (moved.length > 1 && ctx.functionCode.some((i) => /^(notrack\s+)?jmp$/.test(i.mnemonic) && directTarget(i) === undefined)) {
    return { kind: "refused", reason: "the function jumps through a table (a switch, say), which may lead into the bytes the jump to the condition takes" };
  }
  const busy = ctx.threadPcs.find(inside);
  if (busy !== undefined) return { kind: "refused", reason: `a thread is at ${hex(busy)}, inside the bytes the jump to the condition takes`, transient: true };
  const pieces: ((at: bigint) => Uint8Array)[] = [];
  let offset = 0;
  for (const [n, i] of moved.entries()) {
    const piece = relocatable(i, n === moved.length - 1);
    if (typeof piece === "string") return { kind: "refused", reason: piece };
    const before = offset;
    pieces.push((at) => piece(at + BigInt(before)));
    offset += piece(i.address).length; // the same length wherever it goes
  }
  const original = new Uint8Array(length);
  let o = 0;
  for (const i of moved) {
    original.set(i.bytes, o);
    o += i.bytes.length;
  }
  return {
    kind: "ok",
    code: {
      site,
      length,
      original,
      transfersControl: moved.some((i) => TRANSFERS_CONTROL.test(withoutPrefix(i.mnemonic))),
      encode(at) {
        const parts = pieces.map((p) => p(at));
        const body = concat(parts);
        return concat([body, jmpRel32(at + BigInt(body.length), end)]);
      },
    },
  };
}

/** How one moved instruction is written at a new address, or why it cannot be. */
function relocatable(i: DecodedInstruction, last: boolean): ((at: bigint) => Uint8Array) | string {
  const m = withoutPrefix(i.mnemonic);
  const next = i.address + BigInt(i.bytes.length);
  const target = directTarget(i);
  if (m === "loop" || m === "loope" || m === "loopne" || m === "jrcxz" || m === "jecxz") return `the ${m} at ${hex(i.address)} has no 32-bit form to move it with`;
  if (m === "call") {
    if (!last) return `the call at ${hex(i.address)} is followed by more moved instructions: its callee would return inside the jump`;
    // Push the program's own return address, then go where the call goes.
    if (target !== undefined) return (at) => concat([pushAddress(next), jmpRel32(at + BigInt(pushAddress(next).length), target)]);
    if (/\b[re]?sp\b|\bspl\b/.test(i.opStr)) return `the call at ${hex(i.address)} takes its target from the stack pointer`;
    const jmp = indirectCallAsJump(i);
    if (!jmp) return `the call at ${hex(i.address)} could not be re-encoded`;
    return (at) => {
      const push = pushAddress(next);
      return concat([push, ripFixed({ ...i, bytes: jmp }, next, at + BigInt(push.length))]);
    };
  }
  if (target !== undefined && (m === "jmp" || isJcc(m))) {
    return (at) => (m === "jmp" ? jmpRel32(at, target) : jccRel32(i, at, target));
  }
  if (/\brip\b/.test(i.opStr)) {
    const disp = ripDisplacementOffset(i);
    if (disp === undefined) return `the rip-relative operand of the ${i.mnemonic} at ${hex(i.address)} could not be located in its encoding`;
    return (at) => ripFixed(i, next, at);
  }
  return (_at) => i.bytes.slice();
}

/** The instruction with its rip-relative displacement adjusted so its operand stays where it was (the copy starts at `at`). */
function ripFixed(i: DecodedInstruction, originalNext: bigint, at: bigint): Uint8Array {
  const bytes = i.bytes.slice();
  const off = ripDisplacementOffset(i);
  if (off === undefined) return bytes;
  const dv = new DataView(bytes.buffer);
  const disp = BigInt(dv.getInt32(off, true));
  const operand = originalNext + disp;
  const moved = operand - (at + BigInt(bytes.length));
  if (moved < -(1n << 31n) || moved >= 1n << 31n) throw new RangeError(`rip-relative operand ${hex(operand)} is out of reach of ${hex(at)}`);
  dv.setInt32(off, Number(moved), true);
  return bytes;
}

/**
 * Where the 32-bit displacement of a rip-relative operand sits: capstone prints it as
 * `[rip + 0x...]`; its little-endian bytes must occur exactly once in the encoding.
 */
function ripDisplacementOffset(i: DecodedInstruction): number | undefined {
  const m = /rip\s*([+-])\s*(0x[0-9a-f]+|\d+)/.exec(i.opStr);
  const disp = m ? (m[1] === "-" ? -BigInt(m[2]!) : BigInt(m[2]!)) : /\[rip\]/.test(i.opStr) ? 0n : undefined;
  if (disp === undefined) return undefined;
  const want = new Uint8Array(4);
  new DataView(want.buffer).setInt32(0, Number(disp), true);
  let found: number | undefined;
  for (let k = 1; k + 4 <= i.bytes.length; k++) {
    if (want.every((b, j) => i.bytes[k + j] === b)) {
      if (found !== undefined) return undefined;
      found = k;
    }
  }
  return found;
}

/** `call r/m64` (ff /2) as `jmp r/m64` (ff /4), same operand. */
function indirectCallAsJump(i: DecodedInstruction): Uint8Array | undefined {
  const b = i.bytes.slice();
  let k = 0;
  while (k < b.length && [0x3e, 0x2e, 0x26, 0x36, 0x64, 0x65, 0x66, 0x67, 0xf2, 0xf3].includes(b[k]!)) k++;
  if (k < b.length && b[k]! >= 0x40 && b[k]! <= 0x4f) k++;
  if (b[k] !== 0xff || k + 1 >= b.length || ((b[k + 1]! >> 3) & 7) !== 2) return undefined;
  b[k + 1] = (b[k + 1]! & ~0x38) | (4 << 3);
  return b;
}

/** lea rsp, [rsp-8]; mov dword [rsp], lo; mov dword [rsp+4], hi — a push of a 64-bit constant that leaves the flags alone. */
function pushAddress(a: bigint): Uint8Array {
  const lo = Number(a & 0xffff_ffffn);
  const hi = Number((a >> 32n) & 0xffff_ffffn);
  const out = new Uint8Array(5 + 7 + 8);
  out.set([0x48, 0x8d, 0x64, 0x24, 0xf8], 0);
  out.set([0xc7, 0x04, 0x24], 5);
  new DataView(out.buffer).setUint32(8, lo, true);
  out.set([0xc7, 0x44, 0x24, 0x04], 12);
  new DataView(out.buffer).setUint32(16, hi, true);
  return out;
}

export function jmpRel32(at: bigint, target: bigint): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = 0xe9;
  new DataView(b.buffer).setInt32(1, rel32(target - (at + 5n), at), true);
  return b;
}

/** jcc rel32 (0f 80+cc) with the condition code of the original short or near form. */
function jccRel32(i: DecodedInstruction, at: bigint, target: bigint): Uint8Array {
  let k = 0;
  while ([0x2e, 0x3e, 0xf2].includes(i.bytes[k]!)) k++; // branch hints, bnd
  const op = i.bytes[k] === 0x0f ? i.bytes[k + 1]! - 0x80 : i.bytes[k]! - 0x70;
  const b = new Uint8Array(6);
  b[0] = 0x0f;
  b[1] = 0x80 + (op & 0xf);
  new DataView(b.buffer).setInt32(2, rel32(target - (at + 6n), at), true);
  return b;
}

function rel32(d: bigint, at: bigint): number {
  if (d < -(1n << 31n) || d >= 1n << 31n) throw new RangeError(`a jump from ${hex(at)} does not reach ${hex(at + d)}`);
  return Number(d);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
