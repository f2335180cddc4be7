import { afterEach, describe, expect, it } from "vitest";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu } from "../../src/emu/cpu.js";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { AddressSpace, HEAP_ROOM, PAGE } from "../../src/inferior/address-space.js";
import { Rng } from "../../src/inferior/random.js";

let cpu: Cpu;
afterEach(() => cpu?.close());

function space(randomize = false, seed = 1n): AddressSpace {
  cpu = createUnicornCpu();
  return new AddressSpace(cpu, new Rng(seed), randomize);
}

describe("address space", () => {
  it("maps, answers queries, and unmaps partially like munmap", () => {
    const s = space();
    s.map(0x10000n, 4n * PAGE, PROT_READ | PROT_WRITE, "mmap", "a");
    expect(s.regionAt(0x11000n)?.name).toBe("a");
    expect(s.isMapped(0x10000n, 4n * PAGE)).toBe(true);
    s.unmap(0x11000n, PAGE);
    expect(s.regionAt(0x11000n)).toBeUndefined();
    expect(s.list().map((r) => [r.start, r.end])).toEqual([[0x10000n, 0x11000n], [0x12000n, 0x14000n]]);
    expect(s.freeRanges(0x10000n, 0x15000n)).toEqual([{ start: 0x11000n, end: 0x12000n }, { start: 0x14000n, end: 0x15000n }]);
    expect(() => cpu.read(0x11000n, 1)).toThrow(/read 1 bytes at 0x11000/);
  });

  it("refuses overlapping maps with both names in the message", () => {
    const s = space();
    s.map(0x10000n, PAGE, PROT_READ, "image", "prog");
    expect(() => s.map(0x10000n, PAGE, PROT_READ, "mmap", "other")).toThrow(/overlaps prog/);
  });

  it("mprotect splits regions and is honoured by the emulated MMU", () => {
    const s = space();
    s.map(0x20000n, 3n * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, "mmap", "rw");
    expect(s.protect(0x21000n, PAGE, PROT_READ)).toBe(true);
    expect(s.list().map((r) => r.prot)).toEqual([7, PROT_READ, 7]);
    // mov [rcx], rax at 0x20000 writing into the now read-only page
    cpu.write(0x20000n, Uint8Array.from([0x48, 0x89, 0x01]));
    cpu.setReg("rcx", 0x21008n);
    expect(cpu.run(0x20000n, { until: 0x20003n })).toMatchObject({ kind: "fault", access: "write", reason: "protection", address: 0x21008n });
    expect(s.protect(0x30000n, PAGE, PROT_READ)).toBe(false); // unmapped: ENOMEM
  });

  it("allocates top-down when reproducible, inside a requested window and alignment", () => {
    const s = space(false);
    const a = s.allocate(0x3000n, { prot: PROT_READ, kind: "jit", name: "low", within: { low: 0x100000n, high: 0x80000000n }, align: 0x10000n });
    expect(a.start % 0x10000n).toBe(0n);
    expect(a.end <= 0x80000000n).toBe(true);
    const b = s.allocate(0x1000n, { prot: PROT_READ, kind: "jit", name: "low2", within: { low: 0x100000n, high: 0x80000000n } });
    expect(a.start).toBe(0x7fff0000n); // the highest aligned slot
    expect(b.start).toBe(0x7ffff000n); // the highest free page, above a's aligned slot
  });

  it("randomizes placement, reproducibly for a seed", () => {
    const picks = (seed: bigint) => {
      const s = space(true, seed);
      const r = [0, 1, 2].map(() => s.allocate(PAGE, { prot: PROT_READ, kind: "mmap", name: "x" }).start);
      cpu.close();
      return r;
    };
    expect(picks(7n)).toEqual(picks(7n));
    expect(picks(7n)).not.toEqual(picks(8n));
  });

  it("grows and shrinks the heap with brk", () => {
    const s = space();
    s.initBrk(0x400000n);
    const start = s.brkStart;
    expect(s.setBrk(0n)).toBe(start);
    expect(s.setBrk(start + 0x2100n)).toBe(start + 0x2100n);
    expect(s.isMapped(start, 0x3000n)).toBe(true);
    expect(s.setBrk(start + 0x10n)).toBe(start + 0x10n);
    expect(s.isMapped(start + 0x1000n, PAGE)).toBe(false);
  });

  it("the debugger's own regions never change where the program's mappings land", () => {
    const programMaps = (withDebugger: boolean): bigint[] => {
      const s = space(true, 77n);
      s.initBrk(0x4c8123n);
      const out: bigint[] = [];
      for (let i = 0; i < 20; i++) {
        if (withDebugger) {
          s.allocate(3n * PAGE, { prot: PROT_READ | PROT_WRITE, kind: "jit", name: `jit:${i}`, within: { low: 0x10000n, high: 0x8000_0000n }, randomize: true });
          s.allocate(PAGE, { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: `rt:${i}` });
        }
        out.push(s.allocate(5n * PAGE, { prot: PROT_READ | PROT_WRITE, kind: "mmap", name: `m${i}` }).start);
      }
      if (withDebugger) {
        // ...nor the room above the break the heap grows into.
        for (const r of s.list().filter((r) => r.kind === "jit" || r.kind === "runtime")) expect(r.end <= s.brkStart || r.start >= s.brkStart + HEAP_ROOM).toBe(true);
      }
      cpu.close();
      return out;
    };
    expect(programMaps(true)).toEqual(programMaps(false));
  });
});
