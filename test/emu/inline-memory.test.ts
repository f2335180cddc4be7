/**
 * Translated code loads and stores inline through the TLB (tlb-fast-path.ts), yet everything that
 * needed Unicorn's helper still happens: faults name their exact instruction with the registers of
 * the instructions before it, pages that lose a permission fault at once although their TLB entry
 * was filled while they had it, and hooks added after the code was translated see every access.
 */
import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_READ, PROT_WRITE, type Cpu } from "../../src/emu/cpu.js";

const CODE = 0x400000n;
const DATA = 0x600000n;
const PROT_EXEC = 4;
// loop: inc rbx; mov rax, [rdi]; mov [rdi + 8], rax; dec rcx; jnz loop  (one block)
const LOOP = Uint8Array.from([0x48, 0xff, 0xc3, 0x48, 0x8b, 0x07, 0x48, 0x89, 0x47, 0x08, 0x48, 0xff, 0xc9, 0x75, 0xf1]);
const LOAD_AT = CODE + 3n;
const STORE_AT = CODE + 6n;
const END = CODE + BigInt(LOOP.length);

function machine(): Cpu {
  const cpu = createUnicornCpu();
  cpu.map(CODE, 0x1000n, PROT_READ | PROT_EXEC); // not writable: the dirty-store shortcut is on
  cpu.write(CODE, LOOP);
  cpu.map(DATA, 0x1000n, PROT_READ | PROT_WRITE);
  cpu.write(DATA, Uint8Array.from([0x2a, 0, 0, 0, 0, 0, 0, 0]));
  cpu.setReg("rdi", DATA);
  cpu.setReg("rbx", 0n);
  return cpu;
}

/** Runs `iterations` of the loop from its start. */
function loop(cpu: Cpu, iterations: bigint) {
  cpu.setReg("rcx", iterations);
  return cpu.run(CODE, { until: END });
}

describe("inline loads and stores", () => {
  it("are on with the libunicorn npm install provides", () => {
    const cpu = createUnicornCpu();
    expect(cpu.inlineMemory).toBe(true);
    cpu.close();
  });

  it("run the loop as written", () => {
    const cpu = machine();
    expect(loop(cpu, 1000n)).toEqual({ kind: "ok" });
    expect(cpu.reg("rbx")).toBe(1000n);
    expect(cpu.read(DATA + 8n, 1)[0]).toBe(0x2a);
    cpu.close();
  });

  it("a page made unreadable after its TLB entry was filled faults at the load, with the registers before it", () => {
    const cpu = machine();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    cpu.protect(DATA, 0x1000n, PROT_READ); // the store after the load faults
    expect(loop(cpu, 100n)).toEqual({ kind: "fault", access: "write", reason: "protection", address: DATA + 8n });
    expect(cpu.reg("rip")).toBe(STORE_AT);
    cpu.protect(DATA, 0x1000n, 0); // read-only to nothing: no writability change, no flush of Unicorn's own
    cpu.setReg("rbx", 0n);
    expect(loop(cpu, 100n)).toEqual({ kind: "fault", access: "read", reason: "protection", address: DATA });
    expect(cpu.reg("rip")).toBe(LOAD_AT);
    expect(cpu.reg("rbx")).toBe(1n); // the inc before the load ran, the load did not
    cpu.close();
  });

  it("a page unmapped after use faults at the exact instruction", () => {
    const cpu = machine();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    cpu.unmap(DATA, 0x1000n);
    cpu.setReg("rbx", 0n);
    expect(loop(cpu, 100n)).toEqual({ kind: "fault", access: "read", reason: "unmapped", address: DATA });
    expect(cpu.reg("rip")).toBe(LOAD_AT);
    expect(cpu.reg("rbx")).toBe(1n);
    cpu.close();
  });

  it("a read hook added after the code ran inline sees every load, and the loop runs inline again once it is gone", () => {
    const cpu = machine();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    let reads = 0;
    const h = cpu.hookMemory(["read"], DATA, DATA + 7n, () => reads++);
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    expect(reads).toBe(100);
    h.remove();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    expect(reads).toBe(100);
    cpu.close();
  });

  it("a write hook added after the stores ran inline (their pages marked dirty) sees every store", () => {
    const cpu = machine();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    let writes = 0;
    const h = cpu.hookMemory(["write"], DATA + 8n, DATA + 15n, () => writes++);
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    expect(writes).toBe(100);
    h.remove();
    expect(loop(cpu, 100n)).toEqual({ kind: "ok" });
    expect(writes).toBe(100);
    cpu.close();
  });

  it("memory read and written by the debugger directly is the memory the code sees", () => {
    const cpu = machine();
    expect(loop(cpu, 10n)).toEqual({ kind: "ok" });
    cpu.write(DATA, Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0]));
    expect(loop(cpu, 10n)).toEqual({ kind: "ok" });
    expect([...cpu.read(DATA + 8n, 2)]).toEqual([7, 0]);
    const into = new Uint8Array(1);
    expect(cpu.tryRead(DATA + 8n, into)).toBe(true);
    expect(into[0]).toBe(7);
    expect(cpu.tryRead(DATA + 0x1000n, into)).toBe(false);
    cpu.close();
  });
});
