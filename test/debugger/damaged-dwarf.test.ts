/**
 * A program whose DWARF is damaged in one unit (geometry.c's) stays debuggable in the others:
 * the damaged unit reports an error that says where, breakpoints in main.c still bind and stop,
 * and values there still read.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Dwarf } from "../../src/dwarf/index.js";
import { ElfFile } from "../../src/elf/reader.js";
import { compileFixture } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const SOURCES = ["debugger/main.c", "debugger/geometry.c"];

/** Copies the binary and lets `patch` change bytes of geometry.c's unit in .debug_info. */
function damaged(flags: string[], tag: string, patch: (bytes: Uint8Array, unit: { at: number; dieAt: number }) => void): string {
  const exe = compileFixture(SOURCES[0]!, { cc: "gcc", flags, extraSources: SOURCES.slice(1) });
  const out = `${exe}.damaged-${tag}`;
  copyFileSync(exe, out);
  const bytes = new Uint8Array(readFileSync(out));
  const elf = ElfFile.parse(bytes, out);
  const info = elf.sectionByName(".debug_info")!;
  const unit = Dwarf.fromElf(elf).units.find((u) => u.name?.endsWith("geometry.c"))!;
  expect(unit).toBeDefined();
  patch(bytes, { at: info.offset + unit.offset, dieAt: info.offset + unit.header.dieOffset });
  writeFileSync(out, bytes);
  return out;
}

const DAMAGES: { name: string; patch: (b: Uint8Array, u: { at: number; dieAt: number }) => void; error: RegExp }[] = [
  // An abbreviation code the unit's table does not define, on the unit's first DIE.
  { name: "unknown abbreviation code", patch: (b, u) => void (b[u.dieAt] = 0x7d), error: /abbrev/i },
  // A unit length running past the end of .debug_info.
  { name: "unit length past the section end", patch: (b, u) => new DataView(b.buffer).setUint32(u.at, 0x00fff000, true), error: /length/i },
];

describe("damaged DWARF in one unit", () => {
  for (const flags of [["-static", "-O0", "-g"], ["-static", "-O0", "-gdwarf-4"]]) {
    for (const d of DAMAGES) {
      it(`${d.name} (${flags.join(" ")})`, async () => {
        const exe = damaged(flags, `${d.name.replace(/\W+/g, "-")}-${flags[2]}`, d.patch);
        const { dbg } = launch(exe);
        try {
          const [inMain] = dbg.setSourceBreakpoints("main.c", [{ line: 42 }]);
          const [inGeometry] = dbg.setSourceBreakpoints("geometry.c", [{ line: 14 }]);
          expect(inMain!.verified).toBe(true);
          expect(inGeometry!.verified).toBe(false);
          const dwarf = dbg.images[0]!.dwarf!;
          const errors = dwarf.errors().map((e) => e.error.message);
          expect(errors.length).toBeGreaterThan(0);
          expect(errors.some((m) => d.error.test(m) && m.includes(".debug_info"))).toBe(true);
          // main.c's unit is untouched: stop there and read its values.
          const r = await dbg.start();
          expect(r.reason).toBe("breakpoint");
          const top = dbg.stackTrace()[0]!;
          expect(top.functionName).toBe("main");
          expect(top.source?.line).toBe(42);
          expect(dbg.inspector.evaluate("round", 0, { context: "hover" }).value).toBe("0");
          expect(dbg.inspector.evaluate("a", 0, { context: "hover" }).value).toBe("16");
          expect(dbg.inspector.evaluate("shapes[0].name", 0, { context: "hover" }).value).toBe('"square"');
          // The damaged unit's code has no source, but the frames below it still unwind (CFI is separate).
          expect((await dbg.continue()).reason).toBe("breakpoint");
        } finally {
          dbg.close();
        }
      });
    }
  }
});
