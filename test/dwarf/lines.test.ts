import { describe, expect, it } from "vitest";
import { basename, join } from "node:path";
import { fixturesDir } from "../helpers/compile.js";
import { build, lineOf, objdumpLines, open, VARIANTS } from "./helpers.js";

const SRC = join(fixturesDir, "dwarf", "program.c");

describe.each(VARIANTS)("line tables ($label)", (v) => {
  const path = build("program.c", v);

  it("decodes every row objdump --dwarf=decodedline shows", () => {
    const { dwarf } = open(path);
    let ours = dwarf.units.flatMap((u) => dwarf.lineTable(u)?.sequences.flat() ?? []);
    // objdump does not print rows at address 0 of relocatable objects (each section starts at 0 there).
    if (v.object) ours = ours.filter((r) => r.address !== 0n || r.endSequence);
    const theirs = objdumpLines(path);
    expect(theirs.length).toBeGreaterThan(10);
    const key = (file: string, line: number | undefined, addr: bigint, stmt: boolean): string =>
      `${basename(file)}:${line ?? "-"}@${addr.toString(16)}${stmt ? "s" : ""}`;
    const a = ours.map((r) => (r.endSequence ? key(r.file, undefined, r.address, false) : key(r.file, r.line, r.address, r.isStmt))).sort();
    const b = theirs.map((r) => key(r.file, r.line, r.address, r.line === undefined ? false : r.isStmt)).sort();
    expect(a).toEqual(b);
    expect(dwarf.errors()).toEqual([]);
  });

  it("maps addresses to file:line and back", () => {
    const { dwarf } = open(path);
    const line = lineOf(SRC, "int inner = total * 2;");
    const res = dwarf.addressesForLine("program.c", line);
    expect(res).toBeDefined();
    expect(res!.line).toBe(line);
    expect(res!.file.endsWith("/program.c")).toBe(true);
    expect(res!.addresses.length).toBeGreaterThan(0);
    for (const a of res!.addresses) {
      const row = dwarf.lineForAddress(a);
      expect(basename(row!.file)).toBe("program.c");
      // At -O2 several rows may share the address; the requested line is one of them.
      const unit = dwarf.unitForPc(a)!;
      const atAddress = dwarf.lineTable(unit)!.rowsIn(a, a + 1n).map((r) => r.line);
      expect(atAddress).toContain(line);
      if (!v.flags.includes("-O2")) expect(row!.line).toBe(line);
    }
  });

  it("moves a line without code to the next line that has some, like gdb", () => {
    const { dwarf } = open(path);
    const comment = lineOf(SRC, "/* DWARF fixture");
    const res = dwarf.addressesForLine(join(fixturesDir, "dwarf", "program.c"), comment);
    expect(res).toBeDefined();
    expect(res!.line).toBeGreaterThan(comment);
    expect(dwarf.addressesForLine("program.c", 100000)).toBeUndefined();
    expect(dwarf.addressesForLine("nosuchfile.c", 10)).toBeUndefined();
  });
});

describe("prologue end", () => {
  it("is the first row of the function's second line at -O0 (gdb's rule without prologue_end flags)", () => {
    const { dwarf } = open(build("program.c", VARIANTS[0]!));
    const fn = dwarf.findFunction("compute")!;
    const after = dwarf.prologueEnd(fn);
    expect(after).toBeGreaterThan(fn.lowPc);
    expect(after).toBeLessThan(fn.highPc);
    const row = dwarf.lineForAddress(after)!;
    expect(row.line).toBe(lineOf(SRC, "int total = 0;"));
  });
});
