/**
 * Every way a run ends leaves the machine on an instruction boundary: a loop of memory
 * read-modify-writes, pushes and pops, cut into runs by block budgets or by stops requested from
 * memory hooks, ends in exactly the state of one uninterrupted run.
 */
import { describe, expect, it } from "vitest";
import { TLB_SLICE, createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_ALL, PROT_READ, PROT_WRITE, type Cpu } from "../../src/emu/cpu.js";

const CODE_AT = 0x400000n;
const BUF = 0x600000n;
const BUF_BYTES = 0x4000;
const STACK_TOP = 0x7ff000n;
// xorshift64 in rax; buf[rax & 0xfff] += eax; push/pop; ebx = rax + buf[..]; buf[0] = ebx; loop rcx times.
const LOOP = Uint8Array.from([
  0x48, 0x89, 0xc2, 0x48, 0xc1, 0xe2, 0x0d, 0x48, 0x31, 0xd0, // rdx = rax; rdx <<= 13; rax ^= rdx
  0x48, 0x89, 0xc2, 0x48, 0xc1, 0xea, 0x07, 0x48, 0x31, 0xd0, // rdx = rax; rdx >>= 7;  rax ^= rdx
  0x48, 0x89, 0xc2, 0x48, 0xc1, 0xe2, 0x11, 0x48, 0x31, 0xd0, // rdx = rax; rdx <<= 17; rax ^= rdx
  0x89, 0xc2, 0x81, 0xe2, 0xff, 0x0f, 0x00, 0x00, //             edx = eax & 0xfff
  0x01, 0x04, 0x97, //                                           38: add [rdi + rdx*4], eax
  0x50, 0x5b, //                                                 41: push rax; pop rbx
  0x03, 0x1c, 0x97, //                                           43: add ebx, [rdi + rdx*4]
  0x89, 0x1f, //                                                 46: mov [rdi], ebx
  0x48, 0xff, 0xc9, //                                           48: dec rcx
  0x75, 0xcb, //                                                 51: jnz 0
]);
const END = CODE_AT + BigInt(LOOP.length);
const ITERATIONS = 30_000n;

function machine(): Cpu {
  const cpu = createUnicornCpu();
  cpu.map(CODE_AT, 0x1000n, PROT_ALL);
  cpu.map(BUF, BigInt(BUF_BYTES), PROT_READ | PROT_WRITE);
  cpu.map(STACK_TOP - 0x10000n, 0x10000n, PROT_READ | PROT_WRITE);
  cpu.write(CODE_AT, LOOP);
  cpu.setReg("rax", 0x9e3779b97f4a7c15n);
  cpu.setReg("rcx", ITERATIONS);
  cpu.setReg("rdi", BUF);
  cpu.setReg("rsp", STACK_TOP);
  cpu.setReg("rip", CODE_AT);
  return cpu;
}

function state(cpu: Cpu): string {
  const regs = (["rax", "rbx", "rcx", "rdx", "rsp", "rip", "eflags"] as const).map((r) => cpu.reg(r).toString(16));
  const mem = cpu.read(BUF, BUF_BYTES);
  let h = 0xcbf29ce484222325n;
  for (const b of mem) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return `${regs.join(" ")} mem ${h.toString(16)}`;
}

function runToEnd(cpu: Cpu, blocks = 0): number {
  let runs = 0;
  while (cpu.reg("rip") !== END) {
    const r = cpu.run(cpu.reg("rip"), { until: END, blocks });
    expect(r.kind === "ok" || r.kind === "budget").toBe(true);
    runs++;
  }
  return runs;
}

describe("exact stops", () => {
  const reference = (() => {
    const cpu = machine();
    runToEnd(cpu);
    const s = state(cpu);
    cpu.close();
    return s;
  })();

  it.each([1, 7, 1000])("runs cut every %i blocks end in the state of one run", (blocks) => {
    const cpu = machine();
    const runs = runToEnd(cpu, blocks);
    expect(runs).toBeGreaterThan(Number(ITERATIONS) / blocks / 2);
    expect(state(cpu)).toBe(reference);
    cpu.close();
  });

  it("a budget ends the run before the next block, with rip at its first instruction", () => {
    const cpu = machine();
    const before = cpu.blockCount;
    expect(cpu.run(CODE_AT, { until: END, blocks: 3 })).toEqual({ kind: "budget" });
    expect(cpu.blockCount - before).toBe(3n);
    expect(cpu.reg("rip")).toBe(CODE_AT); // the loop is one block
    expect(cpu.reg("rcx")).toBe(ITERATIONS - 3n);
    cpu.close();
  });

  it("stops requested from memory hooks (hundreds of them) end on block boundaries", () => {
    const cpu = machine();
    let writes = 0;
    cpu.hookMemory(["write"], BUF, BUF + BigInt(BUF_BYTES) - 1n, () => {
      if (++writes % 97 === 0) cpu.stop();
    });
    const runs = runToEnd(cpu);
    expect(runs).toBeGreaterThan(300);
    expect(state(cpu)).toBe(reference);
    cpu.close();
  });

  it("with precise stops on, a stop from a write hook lands right after the writing instruction", () => {
    const cpu = machine();
    cpu.setPreciseStops(true);
    const stops = new Set<bigint>();
    let writes = 0;
    cpu.hookMemory(["write"], BUF, BUF + BigInt(BUF_BYTES) - 1n, () => {
      if (++writes % 101 === 0) cpu.stop();
    });
    while (cpu.reg("rip") !== END) {
      expect(cpu.run(cpu.reg("rip"), { until: END }).kind).toBe("ok");
      if (cpu.reg("rip") !== END) stops.add(cpu.reg("rip") - CODE_AT);
    }
    // After `add [rdi+rdx*4], eax` (at 38) or `mov [rdi], ebx` (at 46): the next instruction.
    expect([...stops].sort()).toEqual([41n, 48n]);
    expect(state(cpu)).toBe(reference);
    cpu.close();
  });

  it("a memory hook added after the code was translated still fires", () => {
    const cpu = machine();
    cpu.run(CODE_AT, { until: END, blocks: 10 });
    let seen = 0;
    cpu.hookMemory(["write"], BUF, BUF + BigInt(BUF_BYTES) - 1n, () => seen++);
    cpu.run(cpu.reg("rip"), { until: END, blocks: 10 });
    expect(seen).toBe(20); // two watched writes an iteration, one block an iteration
    cpu.close();
  });
});

describe("code hooks", () => {
  it("a removed sole code hook in the middle of a block is never called again", () => {
    const cpu = createUnicornCpu();
    cpu.map(CODE_AT, 0x1000n, PROT_ALL);
    // loop: inc rax; inc rbx; inc rcx; jmp loop  (one block)
    cpu.write(CODE_AT, Uint8Array.from([0x48, 0xff, 0xc0, 0x48, 0xff, 0xc3, 0x48, 0xff, 0xc1, 0xeb, 0xf5]));
    let calls = 0;
    // The only code hook, in the middle of the block: Unicorn compiles a direct call of it there.
    const h = cpu.hookCode(CODE_AT + 3n, CODE_AT + 3n, () => calls++);
    expect(cpu.run(CODE_AT, { blocks: 5 })).toEqual({ kind: "budget" });
    expect(calls).toBe(5);
    h.remove();
    for (let i = 0; i < 3; i++) expect(cpu.run(cpu.reg("rip"), { blocks: 5 })).toEqual({ kind: "budget" });
    expect(calls).toBe(5);
    expect(cpu.reg("rax")).toBe(20n);
    cpu.close();
  });
});

describe("runs longer than a TLB slice (cut at block boundaries to let the soft-MMU TLB grow)", () => {
  // loop: dec rcx; jnz loop (one block an iteration); then mov [rcx], rax with rcx = 0: a write fault.
  const COUNTDOWN = Uint8Array.from([0x48, 0xff, 0xc9, 0x75, 0xfb, 0x48, 0x89, 0x01]);
  const FAULTING = CODE_AT + 5n;
  function countdown(iterations: bigint): Cpu {
    const cpu = createUnicornCpu();
    cpu.map(CODE_AT, 0x1000n, PROT_ALL);
    cpu.write(CODE_AT, COUNTDOWN);
    cpu.setReg("rcx", iterations);
    return cpu;
  }

  it("a budget over several slices ends after exactly that many blocks", () => {
    const cpu = countdown(BigInt(3 * TLB_SLICE));
    const blocks = 2 * TLB_SLICE + 77;
    expect(cpu.run(CODE_AT, { blocks })).toEqual({ kind: "budget" });
    expect(cpu.blockCount).toBe(BigInt(blocks));
    expect(cpu.reg("rcx")).toBe(BigInt(3 * TLB_SLICE - blocks));
    expect(cpu.reg("rip")).toBe(CODE_AT);
    cpu.close();
  });

  it("a fault after several slices names the faulting instruction and its address", () => {
    const cpu = countdown(BigInt(2 * TLB_SLICE + 5));
    expect(cpu.run(CODE_AT)).toEqual({ kind: "fault", access: "write", reason: "unmapped", address: 0n });
    expect(cpu.reg("rip")).toBe(FAULTING);
    expect(cpu.blockCount).toBe(BigInt(2 * TLB_SLICE + 5 + 1)); // the loop's entries and the faulting block's
    cpu.close();
  });
});
