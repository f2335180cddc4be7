/**
 * Code written by the program itself runs as written. The engine lets most stores skip Unicorn's
 * check for translated code in the stored-to page (dirty-stores.ts); these are the two ways a
 * program writes code, and each must see the new code run, not a stale translation of the old.
 */
import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_ALL, PROT_READ, PROT_WRITE, type Cpu } from "../../src/emu/cpu.js";

// mov rax, [rdi]; mov [rdi], rsi: a read-modify-write, as a JIT patching code does. The load fills
// the page's TLB entry, so the store is the hook's chance to skip the code check.
const WRITER = 0x400000n;
const WRITER_CODE = Uint8Array.from([0x48, 0x8b, 0x07, 0x48, 0x89, 0x37]);
const PAGE = 0x500000n;
const PROT_EXEC = 4;

/** `mov eax, value` then filler: the 8 bytes the writer stores. */
const movEax = (value: number) => 0xb8n | (BigInt(value) << 8n) | (0x90_90_90n << 40n);

function machine(codeProt: number): Cpu {
  const cpu = createUnicornCpu();
  cpu.map(WRITER, 0x1000n, PROT_READ | PROT_EXEC);
  cpu.write(WRITER, WRITER_CODE);
  cpu.map(PAGE, 0x1000n, codeProt);
  return cpu;
}

/** The program stores `mov eax, value` at `at`, with its own store instructions. */
function store(cpu: Cpu, at: bigint, value: number): void {
  cpu.setReg("rdi", at);
  cpu.setReg("rsi", movEax(value));
  expect(cpu.run(WRITER, { until: WRITER + BigInt(WRITER_CODE.length) })).toEqual({ kind: "ok" });
}

/** Runs the `mov eax, imm32` at `at`; returns eax. */
function call(cpu: Cpu, at: bigint): bigint {
  expect(cpu.run(at, { until: at + 5n })).toEqual({ kind: "ok" });
  return cpu.reg("rax") & 0xffff_ffffn;
}

describe("self-modifying code", () => {
  it("in a writable and executable page: rewritten code runs rewritten", () => {
    const cpu = machine(PROT_ALL);
    for (let i = 1; i <= 3; i++) {
      store(cpu, PAGE + 0x100n, i);
      expect(call(cpu, PAGE + 0x100n)).toBe(BigInt(i));
    }
    cpu.close();
  });

  it("written while not executable (write, protect read+exec, run; again): the new code runs", () => {
    const cpu = machine(PROT_READ | PROT_WRITE);
    for (let i = 1; i <= 3; i++) {
      cpu.protect(PAGE, 0x1000n, PROT_READ | PROT_WRITE);
      store(cpu, PAGE + 0x200n, i);
      cpu.protect(PAGE, 0x1000n, PROT_READ | PROT_EXEC);
      expect(call(cpu, PAGE + 0x200n)).toBe(BigInt(i));
    }
    cpu.close();
  });

  it("a page made writable and executable after stores to it: rewritten code runs rewritten", () => {
    const cpu = machine(PROT_READ | PROT_WRITE);
    store(cpu, PAGE + 0x300n, 1);
    cpu.protect(PAGE, 0x1000n, PROT_ALL);
    expect(call(cpu, PAGE + 0x300n)).toBe(1n);
    store(cpu, PAGE + 0x300n, 2);
    expect(call(cpu, PAGE + 0x300n)).toBe(2n);
    cpu.close();
  });

  it("code made non-executable after it ran faults when jumped to again, as it does natively", () => {
    const cpu = machine(PROT_READ | PROT_WRITE);
    store(cpu, PAGE + 0x400n, 7);
    cpu.protect(PAGE, 0x1000n, PROT_READ | PROT_EXEC);
    expect(call(cpu, PAGE + 0x400n)).toBe(7n);
    cpu.protect(PAGE, 0x1000n, PROT_READ);
    expect(cpu.run(PAGE + 0x400n, { until: PAGE + 0x405n })).toEqual({ kind: "fault", access: "fetch", reason: "protection", address: PAGE + 0x400n });
    cpu.close();
  });
});
