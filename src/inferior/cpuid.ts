/**
 * Unicorn's CPUID leaf 1 leaves out FPU (EDX bit 0) and MMX (EDX bit 23) although the emulator
 * runs x87 and MMX code. glibc's dynamic loader derives the CPU's x86-64 ISA level from those bits
 * and refuses every library marked "x86 ISA needed: x86-64-baseline" (Debian's libc.so.6) with
 * "CPU ISA level is lower than required". So, for the loader's code only, a cpuid hook answers
 * leaf 1 itself: the engine's own leaf-1 values, read once before the program starts
 * (cpu-setup.ts), with the two bits added; every other leaf runs as the engine answers it.
 *
 * It used to be a code hook over the loader's CPU-feature functions, noting the leaf at each cpuid
 * and fixing EDX at the next instruction: every instruction run in that 8 KiB range (790 in a
 * hello world) called into JavaScript and was translated with a hook call of its own.
 */
import type { Cpu, HookHandle } from "../emu/cpu.js";
import * as C from "../elf/constants.js";
import type { LoadedImage } from "./loader.js";
import { cpuidLeaf1 } from "./cpu-setup.js";

const LEAF1_EDX_FIXES = (1n << 0n) | (1n << 23n); // FPU, MMX

/**
 * Installs the fix-up on the cpuid instructions of the image's executable segments; returns a
 * handle that removes it. The engine must have been set up by enableOsFxsr (which reads leaf 1).
 */
export function fixCpuidFeatures(cpu: Cpu, image: LoadedImage): HookHandle {
  const leaf1 = cpuidLeaf1(cpu);
  const hooks = image.file.segments
    .filter((p) => p.type === C.PT_LOAD && p.flags & C.PF_X && p.memsz > 0n)
    .map((p) =>
      cpu.hookCpuid(p.vaddr + image.bias, p.vaddr + image.bias + p.memsz - 1n, () => {
        if ((cpu.reg("rax") & 0xffff_ffffn) !== 1n) return false;
        cpu.setReg("rax", leaf1.eax);
        cpu.setReg("rbx", leaf1.ebx);
        cpu.setReg("rcx", leaf1.ecx);
        cpu.setReg("rdx", leaf1.edx | LEAF1_EDX_FIXES);
        return true;
      }),
    );
  return { remove: () => hooks.forEach((h) => h.remove()) };
}
