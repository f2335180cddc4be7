/** The debugger's register views: DWARF numbering ↔ emulator names, and the registers scope. */
import type { RegName } from "../../emu/registers.js";

/** DWARF x86-64 numbers of the general registers (psABI figure 3.36) and our names for them. */
export const DWARF_GPRS: ReadonlyMap<number, RegName> = new Map<number, RegName>([
  [0, "rax"], [1, "rdx"], [2, "rcx"], [3, "rbx"], [4, "rsi"], [5, "rdi"], [6, "rbp"], [7, "rsp"],
  [8, "r8"], [9, "r9"], [10, "r10"], [11, "r11"], [12, "r12"], [13, "r13"], [14, "r14"], [15, "r15"], [16, "rip"],
]);

/** Our register names to their DWARF numbers. */
export const DWARF_NUMBERS: ReadonlyMap<string, number> = new Map<string, number>([...DWARF_GPRS].map(([n, r]) => [r, n]));

export const CALLEE_SAVED_REGS: readonly number[] = [3, 6, 12, 13, 14, 15];

export const DWARF_XMM_BASE = 17;
/** st(0)…st(7), relative to the x87 stack top as the emulator's st0…st7 are (psABI figure 3.36). */
export const DWARF_ST_BASE = 33;

/** EFLAGS bits shown by name. */
export const EFLAGS_BITS: readonly [number, string][] = [
  [0, "CF"], [2, "PF"], [4, "AF"], [6, "ZF"], [7, "SF"], [8, "TF"], [9, "IF"], [10, "DF"], [11, "OF"],
];

export function describeEflags(v: bigint): string {
  const set = EFLAGS_BITS.filter(([bit]) => (v >> BigInt(bit)) & 1n).map(([, n]) => n);
  return `0x${v.toString(16)} [${set.join(" ")}]`;
}
