/**
 * Unicorn's CPUID leaf 1 leaves out FPU (EDX bit 0) and MMX (EDX bit 23) although the emulator
 * runs x87 and MMX code. glibc's dynamic loader derives the CPU's x86-64 ISA level from those bits
 * and refuses every library marked "x86 ISA needed: x86-64-baseline" (Debian's libc.so.6) with
 * "CPU ISA level is lower than required". So, for the loader's code only, each `cpuid`
 * instruction gets a code hook on it and on the instruction after it: the first notes the leaf,
 * the second adds the two bits to EDX after a leaf-1 CPUID has run.
 */
import type { Cpu, HookHandle } from "../emu/cpu.js";
import * as C from "../elf/constants.js";
import type { LoadedImage } from "./loader.js";

const CPUID = [0x0f, 0xa2];
const LEAF1_EDX_FIXES = (1n << 0n) | (1n << 23n); // FPU, MMX

/** Addresses of `cpuid` instructions in an image's executable segments (run-time addresses). */
export function cpuidSites(image: LoadedImage): bigint[] {
  const out: bigint[] = [];
  for (const p of image.file.segments) {
    if (p.type !== C.PT_LOAD || !(p.flags & C.PF_X)) continue;
    const d = image.file.segmentData(p);
    for (let i = d.indexOf(CPUID[0]!); i >= 0 && i + 1 < d.length; i = d.indexOf(CPUID[0]!, i + 1)) {
      if (d[i + 1] === CPUID[1]) out.push(p.vaddr + BigInt(i) + image.bias);
    }
  }
  return out;
}

/** Installs the fix-up on every cpuid of the image; returns the hooks (remove them on close). */
export function fixCpuidFeatures(cpu: Cpu, image: LoadedImage): HookHandle[] {
  let pending: bigint | undefined; // address of the leaf-1 cpuid that just ran
  return cpuidSites(image).map((site) =>
    cpu.hookCode(site, site + 2n, (address) => {
      if (address === site) {
        pending = (cpu.reg("rax") & 0xffff_ffffn) === 1n ? site : undefined;
      } else if (address === site + 2n && pending === site) {
        pending = undefined;
        cpu.setReg("rdx", cpu.reg("rdx") | LEAF1_EDX_FIXES);
      }
    }),
  );
}
