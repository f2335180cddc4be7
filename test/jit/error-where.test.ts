/**
 * Errors carry where they happened as fields (JitdbgError.where), not only in their message text:
 * the JIT linker's relocation errors name the object, section, offset and symbol; ELF and DWARF
 * errors the file, section and offset; expression errors the column. The messages are unchanged.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseAbbrevTable } from "../../src/dwarf/abbrev.js";
import { ElfFile } from "../../src/elf/reader.js";
import { checkExpression } from "../../src/expr/interpret.js";
import type { JitSession } from "../../src/jit/session.js";
import { hasCompiler } from "../helpers/compile.js";
import { caught, fixtureObject, openSession } from "./corpus-helpers.js";

const obj = fixtureObject;

describe.skipIf(!hasCompiler("gcc"))("relocation errors: object, section, offset, symbol", () => {
  let s: JitSession | undefined;
  afterEach(() => {
    s?.close();
    s = undefined;
  });

  it("an overflow", () => {
    s = openSession({ seed: 1 });
    s.linker.addObject(obj("abs32.c", ["-O2", "-fno-pic"]), "abs32.o", { placement: { low: 0x1_0000_0000n, high: 0x10_0000_0000n } });
    const e = caught(() => s!.linker.finalize());
    expect(e.code).toBe("JIT_RELOC_OVERFLOW");
    const at = /at (\.text)\+0x([0-9a-f]+)/.exec(e.message)!;
    const sym = /against "([^"]+)"/.exec(e.message)![1];
    expect(e.where).toEqual({ file: "abs32.o", section: at[1], offset: parseInt(at[2]!, 16), symbol: sym });
  });

  it("an unsupported relocation type", () => {
    s = openSession({ seed: 1 });
    const e = caught(() => s!.linker.addObject(obj("tlsdesc.c", ["-O2", "-fPIC", "-mtls-dialect=gnu2"]), "tlsdesc.o"));
    expect(e.code).toBe("JIT_RELOC_UNSUPPORTED");
    const at = /at (\.text)\+0x([0-9a-f]+)/.exec(e.message)!;
    expect(e.where).toMatchObject({ file: "tlsdesc.o", section: at[1], offset: parseInt(at[2]!, 16) });
    expect(e.where?.symbol).toBeDefined();
    expect(e.message).toContain(e.where!.symbol!);
  });

  it("an STT_GNU_IFUNC definition", () => {
    s = openSession({ seed: 1 });
    const e = caught(() => s!.linker.addObject(obj("ifunc.c", ["-O2"]), "ifunc.o"));
    expect(e.code).toBe("JIT_IFUNC");
    expect(e.where).toMatchObject({ file: "ifunc.o", section: ".text" });
    expect(e.message).toContain(`"${e.where!.symbol}"`);
  });
});

describe("ELF, DWARF and expression errors", () => {
  it("an ELF error names its file", () => {
    const e = caught(() => ElfFile.parse(new Uint8Array(8), "/tmp/not-elf"));
    expect(e.code).toBe("ELF_NOT_ELF");
    expect(e.message).toBe("/tmp/not-elf: not an ELF file (no \\x7fELF magic)");
    expect(e.where).toEqual({ file: "/tmp/not-elf" });
  });

  it("a DWARF error names its section and offset", () => {
    const e = caught(() => parseAbbrevTable(new Uint8Array(4), 0x10));
    expect(e.code).toBe("DWARF_BAD_ABBREV_OFFSET");
    expect(e.message).toMatch(/^\.debug_abbrev: abbreviation table offset 0x10 is outside the section/);
    expect(e.where).toEqual({ section: ".debug_abbrev", offset: 0x10 });
  });

  it("an expression error has its column", () => {
    const scope = { lookup: () => undefined, type: () => undefined, tag: () => undefined } as unknown as Parameters<typeof checkExpression>[1];
    const e = caught(() => checkExpression("1 +", scope));
    expect(e.code).toBe("EXPR_SYNTAX");
    expect(e.where?.column).toBeGreaterThan(0);
  });
});
