/** DWARF register numbers on x86-64 (System V psABI, figure 3.36). */

export const X86_64_DWARF_REGISTERS: readonly string[] = [
  "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
  "rip",
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
  "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
  "mm0", "mm1", "mm2", "mm3", "mm4", "mm5", "mm6", "mm7",
  "rflags", "es", "cs", "ss", "ds", "fs", "gs", "", "",
  "fs.base", "gs.base",
];

export const DWARF_REG = {
  rax: 0, rdx: 1, rcx: 2, rbx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
  /** The return-address column; holds rip. */
  rip: 16,
  xmm0: 17,
} as const;

/** Registers a callee must preserve (SysV): their value in the caller is the same unless CFI says otherwise. */
export const CALLEE_SAVED: readonly number[] = [DWARF_REG.rbx, DWARF_REG.rbp, DWARF_REG.r12, DWARF_REG.r13, DWARF_REG.r14, DWARF_REG.r15];

export function dwarfRegisterName(n: number): string {
  return X86_64_DWARF_REGISTERS[n] || `r${n}`;
}
