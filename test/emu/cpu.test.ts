import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_ALL, PROT_READ } from "../../src/emu/cpu.js";

// mov rax, 5; add rax, rbx; syscall-free code; then: mov [rcx], rax
const CODE = Uint8Array.from([0x48, 0xc7, 0xc0, 0x05, 0x00, 0x00, 0x00, 0x48, 0x01, 0xd8, 0x48, 0x89, 0x01]);

describe("Unicorn binding", () => {
  it("runs code, reads registers and memory", () => {
    const cpu = createUnicornCpu();
    cpu.map(0x400000n, 0x1000n, PROT_ALL);
    cpu.map(0x600000n, 0x1000n, PROT_ALL);
    cpu.write(0x400000n, CODE);
    cpu.setReg("rbx", 37n);
    cpu.setReg("rcx", 0x600010n);
    const stop = cpu.run(0x400000n, { until: 0x400000n + BigInt(CODE.length) });
    expect(stop).toEqual({ kind: "ok" });
    expect(cpu.reg("rax")).toBe(42n);
    expect(new DataView(cpu.read(0x600010n, 8).buffer).getBigUint64(0, true)).toBe(42n);
    cpu.close();
  });

  it("reports a write to read-only memory with its address", () => {
    const cpu = createUnicornCpu();
    cpu.map(0x400000n, 0x1000n, PROT_ALL);
    cpu.map(0x600000n, 0x1000n, PROT_READ);
    cpu.write(0x400000n, CODE);
    cpu.setReg("rcx", 0x600020n);
    const stop = cpu.run(0x400000n, { until: 0x400000n + BigInt(CODE.length) });
    expect(stop).toEqual({ kind: "fault", access: "write", reason: "protection", address: 0x600020n });
    expect(cpu.reg("rip")).toBe(0x40000an);
    cpu.close();
  });

  it("calls code hooks in a range and saves/restores context", () => {
    const cpu = createUnicornCpu();
    cpu.map(0x400000n, 0x1000n, PROT_ALL);
    cpu.map(0x600000n, 0x1000n, PROT_ALL);
    cpu.write(0x400000n, CODE);
    const seen: bigint[] = [];
    const h = cpu.hookCode(0x400007n, 0x400007n, (a) => seen.push(a));
    cpu.setReg("rcx", 0x600000n);
    const ctx = cpu.saveContext();
    cpu.run(0x400000n, { until: 0x40000dn });
    expect(seen).toEqual([0x400007n]);
    cpu.restoreContext(ctx);
    expect(cpu.reg("rax")).toBe(0n);
    h.remove();
    ctx.free();
    cpu.close();
  });

  it("surfaces an exception thrown by a hook from run()", () => {
    const cpu = createUnicornCpu();
    cpu.map(0x400000n, 0x1000n, PROT_ALL);
    cpu.write(0x400000n, CODE);
    cpu.hookCode(0x400000n, 0x400000n, () => {
      throw new Error("boom");
    });
    expect(() => cpu.run(0x400000n, { until: 0x40000dn })).toThrow("boom");
    cpu.close();
  });

  it("a syscall hook reads the number and arguments as set, and its own writes back", () => {
    const cpu = createUnicornCpu();
    cpu.map(0x400000n, 0x1000n, PROT_ALL);
    // mov eax, 39; mov rdi, 5; mov r10, 7; syscall
    const code = [0xb8, 0x27, 0, 0, 0, 0x48, 0xc7, 0xc7, 5, 0, 0, 0, 0x49, 0xc7, 0xc2, 7, 0, 0, 0, 0x0f, 0x05];
    cpu.write(0x400000n, Uint8Array.from(code));
    const seen: bigint[] = [];
    cpu.hookSyscall(() => {
      seen.push(cpu.reg("rax"), cpu.reg("rdi"), cpu.reg("r10"));
      cpu.setReg("rax", 1234n);
      cpu.setReg("rdi", cpu.reg("rdi") + 1n);
      seen.push(cpu.reg("rax"), cpu.reg("rdi"));
    });
    expect(cpu.run(0x400000n, { until: 0x400000n + BigInt(code.length) })).toEqual({ kind: "ok" });
    expect(seen).toEqual([39n, 5n, 7n, 1234n, 6n]);
    expect(cpu.reg("rax")).toBe(1234n);
    cpu.close();
  });
});
