import { describe, expect, it } from "vitest";
import { CallFrameInfo, DwarfSections, dwarfRegisterName, type CfiRow, type RegisterRule } from "../../src/dwarf/index.js";
import { build, open, readelfFrames, symbol, type ReadelfFde, type Variant } from "./helpers.js";

/** Our row in readelf's frames-interp spelling. */
function cfaText(row: CfiRow): string {
  return row.cfa.kind === "expression" ? "exp" : `${dwarfRegisterName(row.cfa.reg)}${row.cfa.offset >= 0n ? "+" : ""}${row.cfa.offset}`;
}

function ruleText(rule: RegisterRule | undefined): string {
  if (!rule) return "u";
  switch (rule.kind) {
    case "undefined": return "u";
    case "same-value": return "s";
    case "offset": return `c${rule.offset >= 0n ? "+" : ""}${rule.offset}`;
    case "val-offset": return `v${rule.offset >= 0n ? "+" : ""}${rule.offset}`;
    case "register": return dwarfRegisterName(rule.reg);
    case "expression": return "exp";
    case "val-expression": return "vexp";
  }
}

const REG_BY_NAME = new Map<string, number>([["ra", 16], ...Array.from({ length: 17 }, (_, i) => [dwarfRegisterName(i), i] as [string, number])]);

function compareFde(cfi: CallFrameInfo, fde: ReadelfFde): number {
  let checked = 0;
  fde.rows.forEach((row, i) => {
    const next = fde.rows[i + 1]?.loc ?? fde.pcEnd;
    for (const pc of new Set([row.loc, next - 1n])) {
      const ours = cfi.rowAt(pc);
      expect(ours, `pc 0x${pc.toString(16)}`).toBeDefined();
      expect(cfaText(ours!), `CFA at 0x${pc.toString(16)}`).toBe(row.cfa);
      for (const [name, text] of row.regs) {
        const reg = REG_BY_NAME.get(name);
        if (reg === undefined) continue;
        expect(ruleText(ours!.registers.get(reg)), `${name} at 0x${pc.toString(16)}`).toBe(text);
      }
      checked++;
    }
  });
  return checked;
}

const STATIC: Variant = { label: "static", flags: ["-g", "-O0", "-static"] };
const STATIC_O2: Variant = { label: "static O2", flags: ["-g", "-O2", "-static"] };

describe("call frame information", () => {
  it.each([STATIC, STATIC_O2])("matches readelf --debug-dump=frames-interp for .eh_frame ($label)", (v) => {
    const path = build("program.c", v);
    const { elf, dwarf } = open(path);
    const cfi = dwarf.cfi();
    expect(cfi.errors).toEqual([]);
    const frames = readelfFrames(path).filter((f) => f.section === ".eh_frame");
    expect(frames.length).toBeGreaterThan(100); // glibc's FDEs too
    expect(cfi.fdes.length).toBe(frames.length);
    // Our own functions, plus a sample of glibc's (hand-written assembly has unusual rules).
    const ours = ["main", "compute"].map((n) => symbol(elf, n));
    const picks = frames.filter((f, i) => ours.some((a) => a >= f.pcBegin && a < f.pcEnd) || i % 25 === 0);
    let checked = 0;
    for (const f of picks) checked += compareFde(cfi, f);
    expect(checked).toBeGreaterThan(20);
  });

  it("looks FDEs up from their record headers, reading only the FDE found: the same as a search of the whole section, intact or damaged", () => {
    const path = build("program.c", STATIC);
    const { elf } = open(path);
    const sections = DwarfSections.fromElf(elf);
    const eh = sections.get(".eh_frame")!;
    // The whole section's FDEs, searched as findFde always did (the greatest start at or below pc, a few overlaps back).
    const reference = (list: readonly { pcBegin: bigint; pcEnd: bigint; offset: number }[], pc: bigint) => {
      const i = list.findLastIndex((f) => f.pcBegin <= pc);
      for (let k = i; k >= 0 && k > i - 4; k--) if (pc >= list[k]!.pcBegin && pc < list[k]!.pcEnd) return list[k]!.offset;
      return undefined;
    };
    const damaged = eh.data.slice();
    // A record in the middle claims to run past the section's end: the whole read stops there, and so must the look-up.
    const whole = new CallFrameInfo(sections).fdes;
    const middle = whole[whole.length >> 1]!.offset;
    new DataView(damaged.buffer).setUint32(middle, damaged.length, true);
    for (const data of [eh.data, damaged]) {
      const secs = DwarfSections.fromMap(path, { ".eh_frame": data }, { ".eh_frame": eh.address });
      const list = new CallFrameInfo(secs).fdes;
      const cfi = new CallFrameInfo(secs);
      let checked = 0;
      for (const f of whole) {
        for (const pc of [f.pcBegin - 1n, f.pcBegin, (f.pcBegin + f.pcEnd) >> 1n, f.pcEnd - 1n, f.pcEnd]) {
          expect(cfi.findFde(pc)?.offset, `pc 0x${pc.toString(16)}`).toBe(reference(list, pc));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(500);
    }
  });

  it("reads .debug_frame (gcc -fno-asynchronous-unwind-tables) in an object, relocations applied", () => {
    const path = build("program.c", { label: "obj", flags: ["-g", "-O0", "-fno-asynchronous-unwind-tables"], object: true });
    const { elf } = open(path);
    expect(elf.sectionByName(".debug_frame")).toBeDefined();
    const cfi = new CallFrameInfo(DwarfSections.fromElf(elf));
    const frames = readelfFrames(path).filter((f) => f.section === ".debug_frame");
    expect(frames.length).toBeGreaterThan(0);
    expect(cfi.fdes.filter((f) => f.cie.section === ".debug_frame").length).toBe(frames.length);
    // In a .o every function starts at 0 of its section; check the FDE covering each readelf FDE's rows.
    for (const f of frames) {
      const fde = cfi.fdes.find((x) => x.pcBegin === f.pcBegin && x.pcEnd === f.pcEnd);
      expect(fde).toBeDefined();
      expect(compareFde(cfi, f)).toBeGreaterThan(0);
    }
  });

  it("unwinds one frame: caller's rip, rsp and rbp from a fake stack", () => {
    const { elf, dwarf } = open(build("program.c", STATIC));
    const cfi = dwarf.cfi();
    const compute = symbol(elf, "compute");
    // -O0 prologue: push %rbp; mov %rsp,%rbp. After the push (compute+1) the CFA is rsp+16, rbp at CFA-16.
    const rsp = 0x7ff0_0000n;
    const memory = new Map<bigint, bigint>([[rsp, 0x1111n], [rsp + 8n, 0x401234n]]);
    const regs = new Map<number, bigint>([[7, rsp], [6, 0x2222n], [16, compute + 1n], [3, 0x3333n]]);
    const r = cfi.unwind(compute + 1n, { readRegister: (n) => regs.get(n), readMemory: (a, s) => (s === 8 ? memory.get(a) : undefined) })!;
    expect(r).toBeDefined();
    expect(r.cfa).toBe(rsp + 16n);
    expect(r.returnAddress).toBe(0x401234n);
    expect(r.registers.get(16)).toBe(0x401234n);
    expect(r.registers.get(7)).toBe(rsp + 16n);
    expect(r.registers.get(6)).toBe(0x1111n);
    expect(r.registers.get(3)).toBe(0x3333n); // callee-saved and untouched: same value
    // Inside the body, the CFA is rbp+16.
    const body = cfi.unwind(compute + 8n, { readRegister: (n) => (n === 6 ? 0x5000n : regs.get(n)), readMemory: (a) => (a === 0x5000n ? 0xaaaan : a === 0x5008n ? 0xbbbbn : undefined) })!;
    expect(body.cfa).toBe(0x5010n);
    expect(body.returnAddress).toBe(0xbbbbn);
    expect(body.registers.get(6)).toBe(0xaaaan);
    expect(cfi.unwind(0x10n, { readRegister: () => 0n, readMemory: () => 0n })).toBeUndefined();
  });
  it("keeps each row with the addresses it covers: any pc inside gets that row, a pc past its end the next one, as readelf's table says", () => {
    const path = build("program.c", STATIC);
    const { elf, dwarf } = open(path);
    const main = symbol(elf, "main");
    const fde = readelfFrames(path).find((f) => f.section === ".eh_frame" && main >= f.pcBegin && main < f.pcEnd)!;
    expect(fde.rows.length).toBeGreaterThan(2);
    // Asked from the last pc of each row first, then each pc of it: one row object per readelf row.
    const cfi = dwarf.cfi();
    const seen = fde.rows.map((row, i) => {
      const end = fde.rows[i + 1]?.loc ?? fde.pcEnd;
      const last = cfi.rowAt(end - 1n)!;
      for (let pc = row.loc; pc < end; pc++) {
        expect(cfi.rowAt(pc), `pc 0x${pc.toString(16)}`).toBe(last);
        expect(cfaText(last)).toBe(row.cfa);
      }
      return last;
    });
    expect(new Set(seen).size).toBe(fde.rows.length);
  });
});
