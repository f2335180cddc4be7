/**
 * Unicorn's CPUID leaf 1 leaves out FPU (EDX bit 0) and MMX (EDX bit 23) although the emulator
 * runs x87 and MMX code. glibc's dynamic loader derives the CPU's x86-64 ISA level from those bits
 * and refuses every library marked "x86 ISA needed: x86-64-baseline" (Debian's libc.so.6) with
 * "CPU ISA level is lower than required". So, for the loader's code only, each `cpuid`
 * instruction is watched by a code hook: at the cpuid the hook notes the leaf, at the instruction
 * after it adds the two bits to EDX when the leaf was 1.
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

/** Sites closer than this share one hook (they sit in the loader's few CPU-feature functions). */
const CLUSTER_GAP = 0x1000n;

/** Groups sorted sites into ranges [first, last + 2] of nearby sites. */
export function cpuidRanges(sites: readonly bigint[]): { begin: bigint; end: bigint }[] {
  const out: { begin: bigint; end: bigint }[] = [];
  for (const s of [...sites].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const last = out[out.length - 1];
    if (last && s - last.end <= CLUSTER_GAP) last.end = s + 2n;
    else out.push({ begin: s, end: s + 2n });
  }
  return out;
}

/**
 * Installs the fix-up on the image's cpuid instructions: one code hook per cluster of sites (every
 * instruction run inside its range calls it, so ranges stay within the CPU-feature code). Install
 * it before the first run: added later, a ranged hook flushes every translation. Returns a handle
 * that removes them all.
 */
export function fixCpuidFeatures(cpu: Cpu, image: LoadedImage): HookHandle {
  const sites = new Set(cpuidSites(image));
  let pending: bigint | undefined; // address of the leaf-1 cpuid that just ran
  const hooks = cpuidRanges([...sites]).map((r) =>
    cpu.hookCode(r.begin, r.end, (address) => {
      if (pending !== undefined && address === pending + 2n) {
        cpu.setReg("rdx", cpu.reg("rdx") | LEAF1_EDX_FIXES);
        pending = undefined;
      } else if (sites.has(address)) {
        pending = (cpu.reg("rax") & 0xffff_ffffn) === 1n ? address : undefined;
      } else pending = undefined;
    }),
  );
  return { remove: () => hooks.forEach((h) => h.remove()) };
}
