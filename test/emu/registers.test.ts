import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { GPR_NAMES } from "../../src/emu/registers.js";
import { PROT_ALL } from "../../src/emu/cpu.js";
import { unicornCandidates } from "../../src/emu/locate.js";

describe("register table", () => {
  it("each general register id reaches the register the instruction set names", () => {
    // mov rax, imm; mov rbx, rax; ... checks that our ids for rax/rbx/r15/rip/fs_base are the engine's
    const cpu = createUnicornCpu();
    cpu.map(0x1000n, 0x1000n, PROT_ALL);
    // mov r15, 0x1122334455667788 ; mov rbx, r15 ; wrfsbase is not in Unicorn's default CPU, so set fs_base directly
    cpu.write(0x1000n, Uint8Array.from([0x49, 0xbf, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x4c, 0x89, 0xfb]));
    cpu.run(0x1000n, { until: 0x100dn });
    expect(cpu.reg("r15")).toBe(0x1122334455667788n);
    expect(cpu.reg("rbx")).toBe(0x1122334455667788n);
    expect(cpu.reg("rip")).toBe(0x100dn);
    for (const name of GPR_NAMES) expect(typeof cpu.reg(name)).toBe("bigint");
    cpu.setRegBytes("xmm3", Uint8Array.from({ length: 16 }, (_, i) => i));
    expect([...cpu.regBytes("xmm3")]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    cpu.close();
  });

  it("looks for the library through the override first, then the project copy, then the system", () => {
    process.env.JITDBG_UNICORN_LIB = "/custom/libunicorn.so.2";
    const c = unicornCandidates();
    delete process.env.JITDBG_UNICORN_LIB;
    expect(c[0]).toBe("/custom/libunicorn.so.2");
    expect(c[1]).toMatch(/vendor\/unicorn\/usr\/lib\/x86_64-linux-gnu\/libunicorn\.so\.2$/);
    expect(c).toContain("/usr/lib/x86_64-linux-gnu/libunicorn.so.2");
  });
});
