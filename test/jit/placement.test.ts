/**
 * The memory manager and the relocation paths that depend on placement: protection groups on whole
 * pages, seeded random placement, code-model windows, stubs for far calls, GOT relaxation.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../../src/emu/cpu.js";
import { ElfFile } from "../../src/elf/reader.js";
import { PAGE } from "../../src/inferior/address-space.js";
import type { JitSession } from "../../src/jit/session.js";
import { compileFixture } from "../helpers/compile.js";
import { corpusObjects, loadAll, openSession } from "./corpus-helpers.js";

function obj(name: string, flags: string[]): Uint8Array {
  return readFileSync(compileFixture(`jit/${name}`, { object: true, flags }));
}

const HIGH = { low: 0x7f00_0000_0000n, high: 0x7ff0_0000_0000n };

describe("placement and memory", () => {
  let s: JitSession | undefined;
  afterEach(() => {
    s?.close();
    s = undefined;
  });

  it("groups sections by protection on whole pages: code R-X, rodata R--, data RW-", () => {
    s = openSession({ seed: 21 });
    loadAll(s, corpusObjects("gcc", ["-O2", "-fno-pic"]));
    s.linker.finalize(undefined, { runInitializers: true });
    for (const m of s.linker.modules()) {
      const region = s.memory.region(m.key)!;
      const parts = s.space.list().filter((r) => r.start >= region.start && r.end <= region.end);
      expect(parts.every((p) => p.start % PAGE === 0n && p.end % PAGE === 0n)).toBe(true);
      const prots = parts.map((p) => p.prot);
      // In address order: code, then read-only data, then writable data (each present or not).
      const order = [PROT_READ | PROT_EXEC, PROT_READ, PROT_READ | PROT_WRITE];
      expect(prots.map((p) => order.indexOf(p))).toEqual([...prots.map((p) => order.indexOf(p))].sort());
      for (const sec of m.sections.values()) {
        if (sec.group === "tls" || sec.size === 0) continue;
        const want = sec.group === "code" ? PROT_READ | PROT_EXEC : sec.group === "rodata" ? PROT_READ : PROT_READ | PROT_WRITE;
        expect(s.space.regionAt(sec.address)!.prot, `${m.name} ${sec.name}`).toBe(want);
      }
    }
  });

  it("with reuse (the console's modules), a released module's arena slot serves the next one: zeroed data, the new code running, nothing mapped", () => {
    s = openSession({ seed: 4, reuseReleasedMemory: true });
    const a = s.linker.addObject(obj("reuse_a.c", ["-O2", "-fno-pic"]), "a.o");
    s.linker.finalize();
    expect([s.call("bump"), s.call("bump")]).toEqual([5n, 10n]); // a's code translated, its .bss 10
    const text = a.section(".text")!.address;
    const mapsBefore = s.space.list().length;
    s.linker.removeModule(a);
    expect(s.space.regionAt(text)?.name).toBe("jit:(console arena code)"); // one page of the console's arena
    const b = s.linker.addObject(obj("reuse_b.c", ["-O2", "-fno-pic"]), "b.o");
    expect(b.section(".text")!.address).toBe(text);
    s.linker.finalize();
    expect([s.call("bump"), s.call("bump")]).toEqual([7n, 14n]);
    expect(s.space.list().length).toBe(mapsBefore);
    expect(s.space.regionAt(text)).toMatchObject({ name: "jit:(console arena code)", prot: PROT_READ | PROT_EXEC });
  });

  it("places small-model modules below 2 GiB at random; a seed reproduces the layout", () => {
    const layout = (seed: number): bigint[] => {
      const t = openSession({ seed });
      loadAll(t, corpusObjects("clang", ["-O2", "-mcmodel=medium"]));
      const out = t.linker.modules().map((m) => m.section(".text")!.address);
      t.close();
      return out;
    };
    const a = layout(1);
    expect(layout(1)).toEqual(a);
    expect(layout(2)).not.toEqual(a);
    for (const x of [...a, ...layout(3)]) expect(x).toBeLessThan(0x8000_0000n);
  });

  it("places large-model modules anywhere (here above 4 GiB), and they run", () => {
    s = openSession({ seed: 5 });
    loadAll(s, corpusObjects("gcc", ["-O2", "-fPIC", "-mcmodel=large"]));
    const far = s.linker.modules().filter((m) => m.placement === "anywhere");
    expect(far.length).toBeGreaterThan(0);
    for (const m of far) expect(m.section(".text")!.address).toBeGreaterThan(0x1_0000_0000n);
  });

  it("calls out of ±2 GiB go through a stub; GOT loads stay un-relaxed when out of range", () => {
    s = openSession({ seed: 8 });
    s.linker.addObject(obj("lib_v1.c", ["-O2", "-fPIC"]), "lib.o"); // low
    const user = s.linker.addObject(obj("user.c", ["-O2", "-fPIC"]), "user.o", { placement: HIGH });
    s.linker.finalize();
    expect(user.stubSection).toBeDefined();
    const stub = user.stubSection!;
    expect([...s.cpu.read(stub.address, 2)]).toEqual([0xff, 0x25]); // jmp *[rip+0]
    expect(s.call("use")).toBe(1110n);
    // With both low, the mov through the GOT becomes a lea (GOTPCRELX relaxation).
    s.close();
    s = openSession({ seed: 8 });
    s.linker.addObject(obj("lib_v1.c", ["-O2", "-fPIC"]), "lib.o");
    const near = s.linker.addObject(obj("user.c", ["-O2", "-fPIC"]), "user.o");
    s.linker.finalize();
    const elf = ElfFile.parse(obj("user.c", ["-O2", "-fPIC"]));
    const rela = elf.sections.find((x) => x.name === ".rela.text")!;
    const gotx = elf.relocations(rela).find((r) => r.type === 42 && elf.symbols()[r.symbolIndex]!.name === "lib_data")!;
    const at = near.section(".text")!.address + gotx.offset;
    expect(s.cpu.read(at - 2n, 1)[0]).toBe(0x8d); // lea
    expect(s.call("use")).toBe(1110n);
  });

  it("runs .fini_array on request", () => {
    s = openSession({ seed: 1 });
    const m = s.linker.addObject(obj("dtor.c", ["-O2"]), "dtor.o");
    s.linker.finalize();
    expect(s.call("touch")).toBe(0n);
    s.linker.runFinalizers(m);
    expect(s.call("touch")).toBe(1n);
  });
});
