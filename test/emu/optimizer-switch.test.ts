import { describe, expect, it } from "vitest";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { PROT_ALL } from "../../src/emu/cpu.js";
import { locateUnicorn } from "../../src/emu/locate.js";
import { OptimizerSwitch } from "../../src/emu/optimizer-switch.js";

// A loop the optimizer has work in (constants folded into shifts, adds and a multiply, flags
// from each): rax = checksum over 1000 iterations, rbx, rcx, rdx its by-products.
//   xor eax,eax; mov ecx,1000; loop: mov edx,ecx; shl rdx,3; add rdx,7; imul rdx,rdx,0x9e37;
//   xor rax,rdx; rol rax,5; lea rbx,[rax+rcx*2+3]; sub rbx,rdx; adc rax,rbx; dec ecx; jnz loop
const CODE = Uint8Array.from([
  0x31, 0xc0, 0xb9, 0xe8, 0x03, 0x00, 0x00,
  0x89, 0xca, 0x48, 0xc1, 0xe2, 0x03, 0x48, 0x83, 0xc2, 0x07, 0x48, 0x69, 0xd2, 0x37, 0x9e, 0x00, 0x00,
  0x48, 0x31, 0xd0, 0x48, 0xc1, 0xc0, 0x05, 0x48, 0x8d, 0x5c, 0x48, 0x03, 0x48, 0x29, 0xd3, 0x48, 0x11, 0xd8,
  0xff, 0xc9, 0x75, 0xd9,
]);
const AT = 0x400000n;

function run(optimized: boolean): bigint[] {
  const cpu = createUnicornCpu();
  try {
    cpu.setOptimizedTranslation(optimized);
    cpu.map(AT, 0x1000n, PROT_ALL);
    cpu.write(AT, CODE);
    const stop = cpu.run(AT, { until: AT + BigInt(CODE.length) });
    expect(stop).toEqual({ kind: "ok" });
    return (["rax", "rbx", "rcx", "rdx", "eflags"] as const).map((r) => cpu.reg(r));
  } finally {
    cpu.close();
  }
}

describe("translation without the optimizer", () => {
  it("is available with the vendored libunicorn (its GOT slot for tcg_optimize is found)", () => {
    createUnicornCpu().close(); // loads the library
    expect(OptimizerSwitch.create(locateUnicorn())).toBeDefined();
  });

  it("computes what optimized translation computes", () => {
    const optimized = run(true);
    expect(optimized[0]).not.toBe(0n);
    expect(run(false)).toEqual(optimized);
  });
});
