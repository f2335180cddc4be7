/**
 * x86-64 register names and Unicorn 2.0.1's register ids (from unicorn/x86.h's enum,
 * checked by test/emu/registers.test.ts against a live engine).
 */
export const X86_REG = {
  rax: 35, rbx: 37, rcx: 38, rdx: 40, rsi: 43, rdi: 39, rbp: 36, rsp: 44,
  r8: 106, r9: 107, r10: 108, r11: 109, r12: 110, r13: 111, r14: 112, r15: 113,
  rip: 41, eflags: 25,
  cs: 11, ds: 17, es: 28, fs: 32, gs: 33, ss: 49,
  fs_base: 250, gs_base: 251,
  mxcsr: 249, fpsw: 31, fpcw: 246, fptag: 247,
  xmm0: 122, xmm1: 123, xmm2: 124, xmm3: 125, xmm4: 126, xmm5: 127, xmm6: 128, xmm7: 129,
  xmm8: 130, xmm9: 131, xmm10: 132, xmm11: 133, xmm12: 134, xmm13: 135, xmm14: 136, xmm15: 137,
  st0: 114, st1: 115, st2: 116, st3: 117, st4: 118, st5: 119, st6: 120, st7: 121,
} as const;

export type RegName = keyof typeof X86_REG;

/** General-purpose registers in the order the debugger shows them. */
export const GPR_NAMES: readonly RegName[] = [
  "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags",
];

export const XMM_NAMES: readonly RegName[] = [
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
];

/** Width in bytes of a register's value (xmm 16, x87 80-bit as 10, the rest 8). */
export function registerWidth(name: RegName): number {
  if (name.startsWith("xmm")) return 16;
  if (name.startsWith("st")) return 10;
  return 8;
}
