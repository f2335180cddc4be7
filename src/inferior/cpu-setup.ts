/**
 * Control-register state Linux sets at boot and Unicorn leaves clear. Unicorn runs SSE code
 * without CR4.OSFXSR, but its FXSAVE/FXRSTOR then skip the XMM registers — and glibc's lazy-binding
 * trampoline (_dl_runtime_resolve_fxsave, chosen on CPUs without XSAVE, as Unicorn's model is)
 * saves and restores the argument registers with exactly those instructions, so the first call of
 * each function with floating-point arguments got garbage. The Cpu interface exposes no control
 * registers, so a three-instruction stub sets the bits the way the kernel does: in ring 0.
 *
 * The FPU starts as Linux starts a process (its init state): x87 control word 0x37f (64-bit
 * precision, round to nearest, exceptions masked) and MXCSR 0x1f80, where Unicorn leaves both 0 —
 * a control word whose precision field says 24 bits, which took effect as soon as anything wrote
 * the control word back (a signal handler's return), and which fnstcw/stmxcsr showed the program.
 *
 * The stub then runs CPUID leaf 1 once, so that the loader's fix-up (cpuid.ts) can answer that
 * leaf with the engine's own values (leaf 1 depends only on the CPU model and CR4, which user code
 * cannot change).
 */
import { PROT_EXEC, PROT_READ, type Cpu } from "../emu/cpu.js";
import { JitdbgError } from "../errors.js";
import type { AddressSpace } from "./address-space.js";

/** CR4.OSFXSR (bit 9) and CR4.OSXMMEXCPT (bit 10), as Linux sets them on every x86-64 CPU. */
const CR4_BITS = 0x600;

/** The x87 control word and MXCSR of the FPU's init state (exceptions masked, round to nearest, 64-bit precision). */
export const FPCW_INIT = 0x37fn;
export const MXCSR_INIT = 0x1f80n;

const STUB = Uint8Array.from([
  0x0f, 0x20, 0xe0, // mov rax, cr4
  0x48, 0x0d, CR4_BITS & 0xff, CR4_BITS >> 8, 0x00, 0x00, // or rax, 0x600
  0x0f, 0x22, 0xe0, // mov cr4, rax
  0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
  0x31, 0xc9, // xor ecx, ecx
  0x0f, 0xa2, // cpuid
]);

/** What CPUID leaf 1 returns on an engine (32-bit values). */
export interface CpuidLeaf {
  eax: bigint;
  ebx: bigint;
  ecx: bigint;
  edx: bigint;
}

const leaf1 = new WeakMap<Cpu, CpuidLeaf>();

/** CPUID leaf 1 as `cpu` answers it, read by enableOsFxsr. */
export function cpuidLeaf1(cpu: Cpu): CpuidLeaf {
  const l = leaf1.get(cpu);
  if (!l) throw new JitdbgError("EMU_SETUP", "emulator: CPUID leaf 1 was not read: set the engine up with enableOsFxsr first");
  return l;
}

export function enableOsFxsr(cpu: Cpu, space: AddressSpace): void {
  const region = space.allocate(0x1000n, { prot: PROT_READ | PROT_EXEC, kind: "runtime", name: "[cpu setup]", randomize: false });
  const saved = { rax: cpu.reg("rax"), rbx: cpu.reg("rbx"), rcx: cpu.reg("rcx"), rdx: cpu.reg("rdx"), rip: cpu.reg("rip"), eflags: cpu.reg("eflags") };
  try {
    space.poke(region.start, STUB);
    const end = region.start + BigInt(STUB.length);
    const cause = cpu.run(region.start, { until: end }); // no count: Unicorn would keep a counting hook, and dropping it later flushes all translations
    if (cause.kind !== "ok" || cpu.reg("rip") !== end) {
      throw new JitdbgError("EMU_SETUP", `emulator: could not set CR4.OSFXSR (${cause.kind}); floating-point arguments across lazily bound calls would be corrupted`);
    }
    leaf1.set(cpu, { eax: cpu.reg("rax") & 0xffff_ffffn, ebx: cpu.reg("rbx") & 0xffff_ffffn, ecx: cpu.reg("rcx") & 0xffff_ffffn, edx: cpu.reg("rdx") & 0xffff_ffffn });
    cpu.setReg("fpcw", FPCW_INIT);
    cpu.setReg("mxcsr", MXCSR_INIT);
  } finally {
    cpu.setReg("rax", saved.rax);
    cpu.setReg("rbx", saved.rbx);
    cpu.setReg("rcx", saved.rcx);
    cpu.setReg("rdx", saved.rdx);
    cpu.setReg("rip", saved.rip);
    cpu.setReg("eflags", saved.eflags);
    cpu.invalidateCode(region.start, region.end);
    space.unmap(region.start, region.end - region.start);
  }
}
