/**
 * Errors say what, where and how to fix: overflow instead of truncation, every unresolved name at
 * once, unsupported relocations and IFUNCs by name and place. COMDAT groups load one copy.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { JitSession } from "../../src/jit/session.js";
import { compileFixture, hasCompiler, runNative } from "../helpers/compile.js";
import { caught, fixtureObject, openSession } from "./corpus-helpers.js";

const obj = fixtureObject;

const ABOVE_4G = { low: 0x1_0000_0000n, high: 0x10_0000_0000n };

describe("linker errors", () => {
  let s: JitSession | undefined;
  afterEach(() => {
    s?.close();
    s = undefined;
  });

  for (const cc of ["gcc", "clang"].filter(hasCompiler)) {
    it(`small-model code forced above 4 GiB fails with an overflow error; default placement links it (${cc})`, () => {
      s = openSession({ seed: 1 });
      const m = s.linker.addObject(obj("abs32.c", ["-O2", "-fno-pic"], cc), "abs32.o", { placement: ABOVE_4G });
      expect(m.section(".text")!.address).toBeGreaterThanOrEqual(ABOVE_4G.low);
      const e = caught(() => s!.linker.finalize());
      expect(e.code).toBe("JIT_RELOC_OVERFLOW");
      expect(e.message).toMatch(/R_X86_64_32S? against "(table|\.data)"/);
      expect(e.message).toMatch(/^abs32\.o: section \.text\+0x[0-9a-f]+: /);
      expect(e.message).toMatch(/value 0x[1-9a-f][0-9a-f]{8} does not fit/);
      expect(e.message).toMatch(/below 2 GiB/);
      expect(e.message).toMatch(/-fPIC or -mcmodel=large/);
      // Nothing was written or protected: the module is still loaded, not finalized.
      expect(m.state).toBe("loaded");
      s.close();

      s = openSession({ seed: 1 });
      s.linker.addObject(obj("abs32.c", ["-O2", "-fno-pic"], cc), "abs32.o");
      s.linker.finalize();
      expect(s.call("read_second")).toBe(2n);
      expect(s.call("second")).toBeLessThan(0x8000_0000n);
    });
  }

  it("the same object built with -fPIC links above 4 GiB", () => {
    s = openSession({ seed: 1 });
    s.linker.addObject(obj("abs32.c", ["-O2", "-fPIC"]), "abs32.o", { placement: ABOVE_4G });
    s.linker.finalize();
    expect(s.call("read_second")).toBe(2n);
    expect(s.call("second")).toBeGreaterThanOrEqual(ABOVE_4G.low);
  });

  it("reports every unresolved name at once with the modules that need it", () => {
    s = openSession({ seed: 1 });
    s.linker.addObject(obj("missing_a.c", ["-O2", "-fno-pic"]), "a.o");
    s.linker.addObject(obj("missing_b.c", ["-O2", "-fno-pic"]), "b.o");
    const e = caught(() => s!.linker.finalize());
    expect(e.code).toBe("JIT_UNRESOLVED");
    expect(e.message).toContain(`"not_defined_anywhere" (needed by "a.o", "b.o")`);
    expect(e.message).toContain(`"also_missing_too" (needed by "a.o")`);
    expect(e.message).toContain(`"nowhere_data" (needed by "b.o")`);
  });

  it("names an unsupported relocation type, its section and offset", () => {
    s = openSession({ seed: 1 });
    const e = caught(() => s!.linker.addObject(obj("tlsdesc.c", ["-O2", "-fPIC", "-mtls-dialect=gnu2"]), "tlsdesc.o"));
    expect(e.code).toBe("JIT_RELOC_UNSUPPORTED");
    expect(e.message).toMatch(/section \.text\+0x[0-9a-f]+: unsupported relocation R_X86_64_GOTPC32_TLSDESC/);
    expect(e.message).toContain("far_tls");
    expect(s.space.list().some((r) => r.kind === "jit")).toBe(false); // nothing reserved
  });

  it("refuses STT_GNU_IFUNC definitions by name", () => {
    s = openSession({ seed: 1 });
    const e = caught(() => s!.linker.addObject(obj("ifunc.c", ["-O2"]), "ifunc.o"));
    expect(e.code).toBe("JIT_IFUNC");
    expect(e.message).toMatch(/section \.text\+0x[0-9a-f]+: symbol "picked" is an STT_GNU_IFUNC/);
  });

  it("refuses a duplicate strong definition, naming both modules", () => {
    s = openSession({ seed: 1 });
    s.linker.addObject(obj("lib_v1.c", ["-O2"]), "one.o");
    const e = caught(() => s!.linker.addObject(obj("lib_v2.c", ["-O2"]), "two.o"));
    expect(e.code).toBe("JIT_DUPLICATE_SYMBOL");
    expect(e.message).toMatch(/"lib_(data|value)" is defined in both "one\.o" and "two\.o"/);
  });

  it("keeps one copy of a COMDAT group across modules (g++ inline function with a static local)", () => {
    const flags = ["-O0", "-fno-pic"];
    const native = compileFixture("jit/comdat_a.c", { cc: "g++", flags: [...flags, "-no-pie"], extraSources: ["jit/comdat_b.c", "jit/comdat_main.c"] });
    const expected = runNative(native).stdout;
    s = openSession({ seed: 1 });
    const a = s.linker.addObject(readFileSync(compileFixture("jit/comdat_a.c", { cc: "g++", object: true, flags })), "a.o");
    const b = s.linker.addObject(readFileSync(compileFixture("jit/comdat_b.c", { cc: "g++", object: true, flags })), "b.o");
    expect(a.comdats.length).toBeGreaterThan(0);
    expect(b.comdats).toEqual([]);
    s.linker.finalize();
    const got = [s.call("a_call"), s.call("b_call"), s.call("a_call")].map(String).join(" ");
    expect(got).toBe(expected.trim());
  });
});
