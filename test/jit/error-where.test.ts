/**
 * Errors carry where they happened as fields (JitdbgError.where): the JIT linker's relocation
 * errors name the object, section, offset and symbol; ELF and DWARF errors the file, section and
 * offset; expression errors the column. Where the place is only in `where`, the message begins with
 * it as src/errors.ts describeWhere writes it ("abs32.o: section .text+0x1a: ...").
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseAbbrevTable } from "../../src/dwarf/abbrev.js";
import { ElfFile } from "../../src/elf/reader.js";
import { describeWhere, formatError, JitdbgError } from "../../src/errors.js";
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
    const at = /^abs32\.o: section (\.text)\+0x([0-9a-f]+): R_X86_64_32S? against "([^"]+)"/.exec(e.message)!;
    expect(e.where).toEqual({ file: "abs32.o", section: at[1], offset: parseInt(at[2]!, 16), symbol: at[3] });
    expect(e.message).toBe(`${describeWhere(e.where)}${e.text}`);
    expect(e.text).not.toContain(".text");
  });

  it("an unsupported relocation type", () => {
    s = openSession({ seed: 1 });
    const e = caught(() => s!.linker.addObject(obj("tlsdesc.c", ["-O2", "-fPIC", "-mtls-dialect=gnu2"]), "tlsdesc.o"));
    expect(e.code).toBe("JIT_RELOC_UNSUPPORTED");
    const at = /^tlsdesc\.o: section (\.text)\+0x([0-9a-f]+): unsupported relocation/.exec(e.message)!;
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
    expect(e.text).toBe("not an ELF file (no \\x7fELF magic)");
    expect(e.where).toEqual({ file: "/tmp/not-elf" });
  });

  it("a DWARF error names its section and offset", () => {
    const e = caught(() => parseAbbrevTable(new Uint8Array(4), 0x10));
    expect(e.code).toBe("DWARF_BAD_ABBREV_OFFSET");
    expect(e.message).toMatch(/^section \.debug_abbrev\+0x10: abbreviation table offset 0x10 is outside the section/);
    expect(e.message).toBe(`${describeWhere(e.where)}${e.text}`);
    expect(e.where).toEqual({ section: ".debug_abbrev", offset: 0x10 });
  });

  it("an expression error has its column", () => {
    const scope = { lookup: () => undefined, type: () => undefined, tag: () => undefined } as unknown as Parameters<typeof checkExpression>[1];
    const e = caught(() => checkExpression("1 +", scope));
    expect(e.code).toBe("EXPR_SYNTAX");
    expect(e.where?.column).toBeGreaterThan(0);
  });
});

describe("the one formatter of places", () => {
  it("describeWhere writes file, then section+offset (or a bare offset), each ending in ': '", () => {
    expect(describeWhere({ file: "prog.o", section: ".text", offset: 0x1a, symbol: "f" })).toBe("prog.o: section .text+0x1a: ");
    expect(describeWhere({ file: "prog.o", section: ".rela.text" })).toBe("prog.o: section .rela.text: ");
    expect(describeWhere({ section: ".debug_info", offset: 0x40n })).toBe("section .debug_info+0x40: ");
    expect(describeWhere({ file: "a.out", offset: 16 })).toBe("a.out: offset 0x10: ");
    expect(describeWhere({ file: "a.out" })).toBe("a.out: ");
    // The symbol and the column are for programs: the text names the symbol, the adapter draws the column.
    expect(describeWhere({ symbol: "f", column: 3 })).toBe("");
    expect(describeWhere(undefined)).toBe("");
  });

  it("a place-first error's message is its place and its text; a message-first error's is as given", () => {
    const placed = new JitdbgError("JIT_RELOC_OVERFLOW", { file: "prog.o", section: ".text", offset: 0x1a }, "R_X86_64_32 against \"x\": value 0x100000000 does not fit");
    expect(placed.message).toBe('prog.o: section .text+0x1a: R_X86_64_32 against "x": value 0x100000000 does not fit');
    expect(placed.text).toBe('R_X86_64_32 against "x": value 0x100000000 does not fit');
    expect(formatError(placed)).toBe(placed.message);
    const given = new JitdbgError("LOAD_NOT_FOUND", "/bin/nope: no such file", { file: "/bin/nope" });
    expect(given.message).toBe("/bin/nope: no such file");
    expect(given.where).toEqual({ file: "/bin/nope" });
    expect(formatError(given)).toBe("/bin/nope: no such file");
  });

  it("anything else is an internal error", () => {
    expect(formatError(new TypeError("x is undefined"))).toBe("internal error in jitdbg: x is undefined");
    expect(formatError("thrown string")).toBe("internal error in jitdbg: thrown string");
  });
});
