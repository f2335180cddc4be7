import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_ALL, type Cpu } from "../../src/emu/cpu.js";

// Two cpuid instructions 16 bytes apart: mov eax, 1; cpuid; (nops to 0x10) mov eax, 1; cpuid; then a mov to mark the end.
const AT = 0x400000n;
const FIRST = Uint8Array.from([0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2]);
const SECOND = AT + 0x10n;
const END = SECOND + 7n;

function engine(): Cpu {
  const cpu = createUnicornCpu();
  cpu.map(AT, 0x1000n, PROT_ALL);
  const code = new Uint8Array(0x20).fill(0x90);
  code.set(FIRST, 0);
  code.set(FIRST, 0x10);
  cpu.write(AT, code);
  return cpu;
}

const regs = (cpu: Cpu) => ({ eax: cpu.reg("rax"), ebx: cpu.reg("rbx"), ecx: cpu.reg("rcx"), edx: cpu.reg("rdx") });

describe("cpuid hooks", () => {
  it("a hook that answers skips the instruction; one that declines lets it run; only cpuids in its range call it", () => {
    const plain = engine();
    plain.run(AT, { until: AT + 7n });
    const native = regs(plain);
    plain.close();
    expect(native.eax).not.toBe(1n); // leaf 1's version word, not the leaf number left in eax

    const cpu = engine();
    const seen: bigint[] = [];
    const h = cpu.hookCpuid(AT, AT + 8n, () => {
      seen.push(cpu.reg("rip"));
      cpu.setReg("rax", 0x11n);
      cpu.setReg("rbx", 0x22n);
      cpu.setReg("rcx", 0x33n);
      cpu.setReg("rdx", 0x44n);
      return true;
    });
    cpu.run(AT, { until: AT + 7n });
    expect(regs(cpu)).toEqual({ eax: 0x11n, ebx: 0x22n, ecx: 0x33n, edx: 0x44n });
    // The second cpuid is outside the hook's range: the engine answers.
    cpu.run(SECOND, { until: END });
    expect(regs(cpu)).toEqual(native);
    expect(seen).toEqual([AT + 5n]);
    h.remove();
    cpu.close();

    const declining = engine();
    let calls = 0;
    declining.hookCpuid(1n, 0n, () => (calls++, false));
    declining.run(AT, { until: AT + 7n });
    expect(regs(declining)).toEqual(native);
    expect(calls).toBe(1);
    declining.close();
  });
});
