/**
 * The finalization contract LLDB needed from MCJIT: look-ups never finalize or write the inferior,
 * sections move until finalize, finalized modules are re-linked only through replaceModule, and
 * removing a module gives its memory back.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu } from "../../src/emu/cpu.js";
import { ElfFile } from "../../src/elf/reader.js";
import { JitdbgError } from "../../src/errors.js";
import type { LinkerEvent } from "../../src/jit/linker.js";
import { LOW_WINDOW } from "../../src/jit/memory-manager.js";
import type { JitSession } from "../../src/jit/session.js";
import { compileFixture } from "../helpers/compile.js";
import { corpusObjects, loadAll, nativeResult, openSession, runCorpus } from "./corpus-helpers.js";

const PIC = ["-O2", "-fPIC"];

function obj(name: string, flags: string[] = ["-O2", "-fno-pic"], cc = "gcc"): Uint8Array {
  return readFileSync(compileFixture(`jit/${name}`, { cc, object: true, flags }));
}

/** Proxies a Cpu, logging every write (and protection change) into `log`. */
function spy(log: string[]): (cpu: Cpu) => Cpu {
  return (cpu) =>
    new Proxy(cpu, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        if (prop === "write") return (a: bigint, d: Uint8Array) => (log.push(`write 0x${a.toString(16)}`), target.write(a, d));
        return (v as (...args: unknown[]) => unknown).bind(target);
      },
    });
}

function expectCode(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(JitdbgError);
  expect((err as JitdbgError).code).toBe(code);
  for (const p of parts) expect((err as JitdbgError).message).toMatch(p);
}

describe("finalization semantics", () => {
  let s: JitSession | undefined;
  afterEach(() => {
    s?.close();
    s = undefined;
  });

  it("look-ups neither finalize nor write the inferior; pages stay writable until finalize", () => {
    const log: string[] = [];
    const objects = corpusObjects("gcc", PIC);
    s = openSession({ seed: 7, wrapCpu: spy(log), observer: (e: LinkerEvent) => log.push(`call ${e.call}`) });
    log.length = 0; // session set-up (TLS, runtime) is not the linker's doing
    loadAll(s, objects);
    const local = s.linker.getSymbolAddress("test_main")!;
    const load = s.linker.getSymbolLoadAddress("test_main")!;
    // The local buffer holds the object's bytes for the function (before relocation).
    const elf = ElfFile.parse(readFileSync(objects[0]!));
    const sym = elf.symbols().find((x) => x.name === "test_main")!;
    const text = elf.sectionData(elf.sections[sym.shndx]!);
    expect([...local.buffer.subarray(local.offset, local.offset + 16)]).toEqual([...text.subarray(Number(sym.value), Number(sym.value) + 16)]);
    // Nothing written yet: the inferior's bytes there are still zero, and the pages are RW-.
    expect(log.filter((l) => l.startsWith("write"))).toEqual([]);
    expect([...s.cpu.read(load, 16)]).toEqual(new Array(16).fill(0));
    expect(s.space.regionAt(load)!.prot).toBe(PROT_READ | PROT_WRITE);
    expect(s.linker.modules().every((m) => m.state === "loaded")).toBe(true);

    s.linker.finalize(undefined, { runInitializers: true });
    const firstWrite = log.findIndex((l) => l.startsWith("write"));
    const calls = log.filter((l) => l.startsWith("call"));
    expect(calls.slice(0, 8)).toEqual([...objects.map(() => "call addObject"), "call getSymbolAddress", "call getSymbolLoadAddress"]);
    expect(log.indexOf("call finalize")).toBeLessThan(firstWrite);
    expect(s.space.regionAt(load)!.prot).toBe(PROT_READ | PROT_EXEC);
    expect(runCorpus(s)).toBe(nativeResult("gcc", PIC));
  });

  it("mapSectionAddress after a look-up and before finalize moves the code, which runs there", () => {
    s = openSession({ seed: 11 });
    loadAll(s, corpusObjects("clang", ["-O0", "-fno-pic"]));
    const main = s.linker.modules()[0]!;
    const before = s.linker.getSymbolLoadAddress("test_main")!;
    s.linker.getSymbolAddress("test_main");
    const text = main.section(".text")!;
    const offset = before - text.address;
    const target = s.space.findFree(BigInt(text.size), { within: LOW_WINDOW, randomize: true })!;
    s.linker.mapSectionAddress(main, ".text", target);
    const after = s.linker.getSymbolLoadAddress("test_main")!;
    expect(after).toBe(target + offset);
    expect(after).not.toBe(before);
    s.linker.finalize(undefined, { runInitializers: true });
    expect(s.space.regionAt(after)!.prot).toBe(PROT_READ | PROT_EXEC);
    expect([...s.cpu.read(before, 8)]).toEqual(new Array(8).fill(0)); // the old place was never written
    expect(runCorpus(s)).toBe(nativeResult("clang", ["-O0", "-fno-pic"]));
    // Removing every module (users first) also unmaps the moved section's own mapping.
    for (let left = s.linker.modules(); left.length > 0; left = s.linker.modules()) {
      const free = left.find((m) => {
        try {
          s!.linker.removeModule(m);
          return true;
        } catch {
          return false;
        }
      });
      expect(free).toBeDefined();
    }
    expect(s.space.regionAt(after)).toBeUndefined();
    expect(s.space.list().filter((r) => r.kind === "jit")).toEqual([]);
  });

  it("refuses to re-apply relocations to a finalized module any way but replaceModule", () => {
    s = openSession({ seed: 3 });
    const lib = s.linker.addObject(obj("lib_v1.c"), "lib.o");
    s.linker.finalize();
    expectCode(() => s!.linker.relocate(lib), "JIT_FINALIZED", /lib\.o/, /replaceModule/);
    expectCode(() => s!.linker.finalize(lib), "JIT_FINALIZED", /replaceModule/);
    expectCode(() => s!.linker.mapSectionAddress(lib, ".text", 0x10000000n), "JIT_FINALIZED", /replaceModule/);
  });

  for (const flags of [["-O2", "-fno-pic"], PIC, ["-O1", "-mcmodel=large"]]) {
    it(`replaceModule makes callers in other modules run the new code (${flags.join(" ")})`, () => {
      s = openSession({ seed: 5 });
      const lib = s.linker.addObject(obj("lib_v1.c", flags), "lib.o");
      const user = s.linker.addObject(obj("user.c", flags), "user.o");
      s.linker.finalize();
      expect(s.call("use")).toBe(1110n); // translated and cached by the emulator now
      const oldText = lib.section(".text")!.address;
      const fresh = s.linker.replaceModule(lib, obj("lib_v2.c", flags));
      expect(fresh.state).toBe("finalized");
      expect(lib.state).toBe("removed");
      expect(s.space.regionAt(oldText)).toBeUndefined();
      expect(user.state).toBe("finalized");
      expect(s.space.regionAt(user.section(".text")!.address)!.prot).toBe(PROT_READ | PROT_EXEC);
      expect(s.call("use")).toBe(2220n);
      expect(s.call("lib_value")).toBe(2n);
      expect(s.linker.ehFrames.list().map((e) => e.key).sort()).toEqual([fresh.key, user.key].sort());
      // A version that drops a name a caller uses is refused, and nothing changes.
      expectCode(() => s!.linker.replaceModule(fresh, obj("rt_lib.c", flags)), "JIT_REPLACEMENT_INCOMPLETE", /"lib_value"/, /"user\.o"/);
      expect(fresh.state).toBe("finalized");
      expect(s.call("use")).toBe(2220n);
    });
  }

  it("removeModule refuses while another module uses it, naming it, and frees the memory", () => {
    s = openSession({ seed: 9 });
    const lib = s.linker.addObject(obj("lib_v1.c"), "lib.o");
    const user = s.linker.addObject(obj("user.c"), "user.o");
    s.linker.finalize();
    expectCode(() => s!.linker.removeModule(lib), "JIT_MODULE_IN_USE", /"user\.o"/, /lib_value/);
    const region = s.memory.region(lib.key)!;
    s.linker.removeModule(user);
    s.linker.removeModule(lib);
    expect(s.space.regionAt(region.start)).toBeUndefined();
    expect(s.space.freeRanges(region.start, region.end)).toEqual([{ start: region.start, end: region.end }]);
    expect(s.space.list().some((r) => r.name.startsWith("jit:"))).toBe(false);
    expect(s.linker.getSymbolLoadAddress("lib_value")).toBeUndefined();
    expect(s.linker.ehFrames.list()).toEqual([]);
  });

  it("keeps relocations by policy and reports what they hold", () => {
    const counts: Record<string, number> = {};
    for (const retention of ["all", "external", "none"] as const) {
      const t = openSession({ seed: 1, retention });
      loadAll(t, corpusObjects("gcc", PIC));
      const before = t.linker.retainedRelocations();
      t.linker.finalize(undefined, { runInitializers: true });
      const after = t.linker.retainedRelocations();
      expect(after.elfBytes).toBe(after.count * 24);
      if (retention === "all") expect(after.count).toBe(before.count);
      counts[retention] = after.count;
      t.close();
    }
    expect(counts.all!).toBeGreaterThan(counts.external!);
    expect(counts.external!).toBeGreaterThan(0);
    expect(counts.none).toBe(0);

    s = openSession({ seed: 2, retention: "none" });
    const lib = s.linker.addObject(obj("lib_v1.c"), "lib.o");
    s.linker.addObject(obj("user.c"), "user.o");
    s.linker.finalize();
    expectCode(() => s!.linker.replaceModule(lib, obj("lib_v2.c")), "JIT_RELOCATIONS_DROPPED", /user\.o/, /retention/);
  });

  it("registers each module's relocated .eh_frame for the unwinder", () => {
    s = openSession({ seed: 4 });
    loadAll(s, corpusObjects("gcc", ["-O2", "-mcmodel=medium"]));
    s.linker.finalize(undefined, { runInitializers: true });
    const pc = s.linker.getSymbolLoadAddress("classify")!;
    const e = s.linker.ehFrames.lookup(pc)!;
    expect(e.module).toMatch(/^ops-gcc/);
    expect(e.bytes.length).toBe(e.size);
    expect([...s.cpu.read(e.address, e.size)]).toEqual([...e.bytes]);
    // The first FDE's pc_begin (PC-relative, at CIE length + 4 + 8) points into the module's code.
    const dv = new DataView(e.bytes.buffer);
    const cieLen = dv.getUint32(0, true);
    const fde = 4 + cieLen;
    const pcBegin = e.address + BigInt(fde + 8) + BigInt(dv.getInt32(fde + 8, true));
    expect(e.code.some((r) => pcBegin >= r.start && pcBegin < r.end)).toBe(true);
  });
});
