/**
 * Writing a frame's register: the innermost frame's registers are the CPU's; a caller's register
 * is kept where the frames below it put it — the stack slot a callee saved it to (found through
 * their CFI when the stack was unwound), or the live register when no callee saved it. This is
 * what gdb writes for `up` + `set var l = 4` on a register-resident local.
 */
import type { Cpu } from "../../emu/cpu.js";
import { dwarfRegisterName } from "../../dwarf/registers.js";
import type { Frame } from "./stack.js";
import { DWARF_GPRS } from "./registers.js";

/** Writes `bytes` at byte `offset` of a stored value (the whole value from 0 when omitted). */
export type StoreBytes = (bytes: Uint8Array, offset?: number) => void;

/** A way to write the register's value in this frame, or why there is none. */
export function registerStore(cpu: Cpu, frame: Frame, reg: number): StoreBytes | string {
  const home = frame.homes.get(reg);
  const name = dwarfRegisterName(reg);
  if (!home) {
    return frame.registers.has(reg)
      ? `${name} of frame ${frame.index} is computed by the unwinder (it is the frame's canonical frame address or a rule's value), not kept in a register or a stack slot`
      : `${name} is not saved across calls, so frame ${frame.index}'s value of it is lost`;
  }
  if (home.kind === "memory") {
    return (bytes, offset = 0) => cpu.write(home.address + BigInt(offset), bytes.subarray(0, Math.max(0, 8 - offset)));
  }
  const live = DWARF_GPRS.get(home.reg);
  if (!live) return `${name} of frame ${frame.index} is held in ${dwarfRegisterName(home.reg)}, which the debugger cannot write`;
  return (bytes, offset = 0) => cpu.setReg(live, mergeBytes(cpu.reg(live), bytes, offset));
}

/** `old` with `bytes` put in at byte `offset` (little-endian; bytes past the eighth are dropped). */
export function mergeBytes(old: bigint, bytes: Uint8Array, offset: number): bigint {
  let v = BigInt.asUintN(64, old);
  for (let i = 0; i < bytes.length && offset + i < 8; i++) {
    const shift = BigInt((offset + i) * 8);
    v = (v & ~(0xffn << shift)) | (BigInt(bytes[i]!) << shift);
  }
  return v;
}
