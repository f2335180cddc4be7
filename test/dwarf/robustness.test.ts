import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { formatError } from "../../src/errors.js";
import { compileFixture, fixturesDir } from "../helpers/compile.js";
import { build, lineOf, open, openBytes, symbol, VARIANTS } from "./helpers.js";

const multiFlags = (flags: string[]): string => compileFixture("dwarf/multi_a.c", { flags, extraSources: ["dwarf/multi_b.c", "dwarf/multi_c.c"] });

/** Offset of .debug_info in the file. */
function infoOffset(path: string): number {
  return sectionOffset(path, ".debug_info");
}

/** Offset of a section in the file, as readelf lists it. */
function sectionOffset(path: string, name: string): number {
  const out = execFileSync("readelf", ["-W", "-S", path], { encoding: "utf8" });
  const row = out.split("\n").find((l) => l.includes(` ${name} `))!;
  // [Nr] Name Type Address Off Size ...: the offset is the field after the address.
  const fields = row.replace(/^.*\]\s*/, "").trim().split(/\s+/);
  return parseInt(fields[3]!, 16);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("a damaged unit does not take the others down", () => {
  const path = multiFlags(["-g", "-O0", "-static"]);

  it("has the three units in order", () => {
    const { dwarf } = open(path);
    expect(dwarf.units.map((u) => u.name)).toEqual([expect.stringMatching(/multi_a\.c$/), expect.stringMatching(/multi_b\.c$/), expect.stringMatching(/multi_c\.c$/)]);
  });

  it("bad abbreviation code inside unit A: A's DIEs are an error, B and C still answer", () => {
    const { dwarf, bytes, elf } = open(path);
    const unitA = dwarf.units[0]!;
    const second = unitA.tree().children[0]!;
    const unused = Math.max(...unitA.abbrevs().keys()) + 1;
    expect(unused).toBeLessThan(128);
    const copy = new Uint8Array(bytes);
    copy[infoOffset(path) + second.offset] = unused;
    const broken = openBytes(copy, `${path} (patched)`).dwarf;

    expect(broken.findFunction("main")).toBeUndefined();
    const b = broken.functionAt(symbol(elf, "b_value"))!;
    expect(b.function.name).toBe("b_value");
    expect(broken.localsAt(symbol(elf, "b_value") + 8n).map((v) => v.name)).toEqual(["v", "p", "sum"]);
    expect(broken.findGlobalVariable("c_global")?.type.name).toBe("long int");
    expect(broken.findType("struct bpoint")?.byteSize).toBe(8);

    const errors = broken.errors();
    expect(errors.length).toBe(1);
    expect(errors[0]!.unitOffset).toBe(unitA.offset);
    expect(errors[0]!.error.code).toBe("DWARF_BAD_ABBREV_CODE");
    expect(errors[0]!.error.message).toMatch(new RegExp(`DIE at 0x${second.offset.toString(16)} uses abbreviation code ${unused}`));
    // The place is in `where` (file, section, offset of the DIE) and the message starts with it.
    const file = `${path} (patched)`;
    expect(errors[0]!.error.where).toEqual({ file, section: ".debug_info", offset: second.offset });
    expect(formatError(errors[0]!.error)).toMatch(new RegExp(`^${escape(file)}: section \\.debug_info\\+0x${second.offset.toString(16)}: DIE at 0x${second.offset.toString(16)} uses abbreviation code ${unused}, which the abbreviation table of the unit at 0x${unitA.offset.toString(16)} `));
    expect(errors[0]!.error.text).not.toContain(file);
    // Its line table does not depend on its DIE tree beyond the unit DIE: lines still resolve.
    const main = symbol(elf, "main");
    expect(broken.lineForAddress(main)?.line).toBe(lineOf(join(fixturesDir, "dwarf", "multi_a.c"), "int main(void)"));
  });

  it("unsupported version in unit B: B is recorded, A and C still answer", () => {
    const { dwarf, bytes, elf } = open(path);
    const unitB = dwarf.units[1]!;
    const copy = new Uint8Array(bytes);
    const at = infoOffset(path) + unitB.offset + 4; // version follows the 32-bit length
    copy[at] = 9;
    copy[at + 1] = 0;
    const broken = openBytes(copy, `${path} (patched)`).dwarf;
    expect(broken.units.length).toBe(2);
    expect(broken.errors().map((e) => [e.unitOffset, e.error.code])).toEqual([[unitB.offset, "DWARF_UNSUPPORTED_VERSION"]]);
    expect(broken.errors()[0]!.error.message).toMatch(/DWARF version 9; jitdbg reads versions 2 to 5/);
    // The offset is the version field's, 4 bytes into the unit.
    expect(broken.errors()[0]!.error.where).toEqual({ file: `${path} (patched)`, section: ".debug_info", offset: unitB.offset + 4 });
    expect(formatError(broken.errors()[0]!.error)).toBe(`${path} (patched): section .debug_info+0x${(unitB.offset + 4).toString(16)}: unit at 0x${unitB.offset.toString(16)} has DWARF version 9; jitdbg reads versions 2 to 5`);
    expect(broken.findFunction("main")).toBeDefined();
    expect(broken.functionAt(symbol(elf, "c_value"))?.function.name).toBe("c_value");
    expect(broken.functionAt(symbol(elf, "b_value"))).toBeUndefined();
  });

  it("a unit length running past the section: that unit is recorded, earlier ones work", () => {
    const { dwarf, bytes, elf } = open(path);
    const unitC = dwarf.units[2]!;
    const copy = new Uint8Array(bytes);
    new DataView(copy.buffer).setUint32(infoOffset(path) + unitC.offset, 0x7fff_0000, true);
    const broken = openBytes(copy, `${path} (patched)`).dwarf;
    expect(broken.units.length).toBe(2);
    const errs = broken.errors();
    expect(errs.map((e) => e.error.code)).toEqual(["DWARF_BAD_UNIT_LENGTH"]);
    expect(errs[0]!.error.message).toMatch(/past the end of the section/);
    expect(errs[0]!.error.where).toEqual({ file: `${path} (patched)`, section: ".debug_info", offset: unitC.offset });
    expect(errs[0]!.error.message).toMatch(new RegExp(`^${escape(path)} \\(patched\\): section \\.debug_info\\+0x${unitC.offset.toString(16)}: unit at 0x${unitC.offset.toString(16)} has length 0x7fff0000`));
  });

  it("a damaged line program: the error is at its place in .debug_line, other units' lines still resolve", () => {
    const { dwarf, bytes, elf } = open(path);
    const unitA = dwarf.units[0]!;
    const lineOff = unitA.lineProgramOffset!;
    const copy = new Uint8Array(bytes);
    const at = sectionOffset(path, ".debug_line") + lineOff + 4; // the version follows the 32-bit length
    copy[at] = 1;
    copy[at + 1] = 0;
    const file = `${path} (patched)`;
    const broken = openBytes(copy, file).dwarf;
    expect(broken.lineForAddress(symbol(elf, "main"))).toBeUndefined();
    expect(broken.lineForAddress(symbol(elf, "c_value"))?.file).toMatch(/multi_c\.c$/);
    const errs = broken.errors().filter((e) => e.unitOffset === unitA.offset);
    expect(errs.map((e) => e.error.code)).toEqual(["DWARF_UNSUPPORTED_VERSION"]);
    expect(errs[0]!.error.where).toEqual({ file, section: ".debug_line", offset: lineOff + 4 });
    expect(formatError(errs[0]!.error)).toBe(`${file}: section .debug_line+0x${(lineOff + 4).toString(16)}: line table version 1 (in the line program at 0x${lineOff.toString(16)}); jitdbg reads versions 2 to 5`);
    expect(broken.functionAt(symbol(elf, "b_value"))?.function.name).toBe("b_value");
  });
});

describe("lazy parsing", () => {
  it("resolves file:line in a static multi-unit binary without building other units' DIE trees", () => {
    const path = multiFlags(["-g", "-O0", "-static"]);
    const { dwarf, elf } = open(path);
    expect(dwarf.stats.treesParsed).toBe(0);
    expect(dwarf.stats.rootsParsed).toBe(0);
    const line = lineOf(join(fixturesDir, "dwarf", "multi_b.c"), "int sum = p.x + p.y;");
    const res = dwarf.addressesForLine("multi_b.c", line)!;
    expect(res.addresses.length).toBe(1);
    expect(dwarf.units.length).toBe(3);
    expect(dwarf.stats.lineProgramsRun).toBe(1); // only the unit whose file table names multi_b.c
    expect(dwarf.stats.treesParsed).toBe(1); // that unit's, to keep one address per function
    const before = { ...dwarf.stats };
    expect(dwarf.lineForAddress(symbol(elf, "c_value"))?.file).toMatch(/multi_c\.c$/);
    expect(dwarf.stats.lineProgramsRun).toBe(before.lineProgramsRun + 1);
    expect(dwarf.stats.treesParsed).toBe(before.treesParsed);
  });

  it("a -O2 static program still finds its unit by pc through .debug_aranges or unit ranges", () => {
    const { dwarf, elf } = open(build("program.c", VARIANTS[2]!));
    expect(dwarf.unitForPc(symbol(elf, "main"))).toBe(dwarf.units[0]);
    expect(dwarf.unitForPc(symbol(elf, "printf"))).toBeUndefined(); // glibc is built without debug info
  });
});
