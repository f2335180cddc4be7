/**
 * Every row of the linker's relocation table (src/jit/relocations/x86_64.ts), proven by linking an
 * object that carries it and running code whose result depends on the relocated field: the
 * objects are assembled from test/fixtures/jit/reloc/*.s at test time, `readelf -rW` confirms each
 * carries the types a check claims for it, and every expected value is computed here, from the
 * linker's non-finalizing look-up (getSymbolLoadAddress, asked before finalize), the sizes the
 * sources declare, the module's GOT and TLS layout, and the thread pointer. Every named type
 * without a row is proven unsupported with an object carrying it: the linker's clear
 * JIT_RELOC_UNSUPPORTED error, never a silent mis-link.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { R_X86_64_NAMES } from "../../src/elf/constants.js";
import { ElfFile } from "../../src/elf/reader.js";
import { JitdbgError } from "../../src/errors.js";
import type { JitModule } from "../../src/jit/module.js";
import { relocKind, relocTypeName } from "../../src/jit/relocations/x86_64.js";
import { JitSession } from "../../src/jit/session.js";
import { assemble, readelfRelocations } from "./reloc-objects.js";

const T = Object.fromEntries(Object.entries(R_X86_64_NAMES).map(([n, name]) => [name.slice("R_X86_64_".length), Number(n)])) as Record<string, number>;

/** Every object linked below (the unsupported-type objects aside), as [source, as flags]. */
const OBJECTS: Record<string, [string, string[]]> = {
  data: ["data.s", []],
  got: ["got.s", []],
  got_targets: ["got_targets.s", []],
  gotpcrel: ["gotpcrel.s", ["-mrelax-relocations=no"]],
  large: ["large.s", []],
  tls: ["tls.s", []],
};
type ObjectName = keyof typeof OBJECTS;
const path = (o: ObjectName): string => assemble(...OBJECTS[o]!);
const bytes = (o: ObjectName): Uint8Array => readFileSync(path(o));

/** Above 4 GiB: only 64-bit fields reach there from low memory. */
const HIGH = { low: 0x7f00_0000_0000n, high: 0x7ff0_0000_0000n };
/** `.size target, 40` in data.s. */
const TARGET_SIZE = 40n;

/** Table rows some check below has proven, with what proved them. */
const proven = new Map<number, string[]>();

/** Asserts that `object` carries `type` (readelf says so) and that the run gave `expected`. */
function proves(object: ObjectName, type: number, what: string, actual: bigint | number, expected: bigint | number): void {
  const listed = readelfRelocations(path(object)).some((r) => r.type === type);
  expect(listed, `${OBJECTS[object]![0]} carries ${relocTypeName(type)}`).toBe(true);
  expect(actual, `${relocTypeName(type)}: ${what}`).toBe(expected);
  const list = proven.get(type) ?? [];
  list.push(`${OBJECTS[object]![0]}: ${what}`);
  proven.set(type, list);
}

const open: JitSession[] = [];
afterEach(() => open.splice(0).forEach((x) => x.close()));

function session(seed: number): JitSession {
  const s = JitSession.create({ seed });
  open.push(s);
  return s;
}

function address(s: JitSession, name: string): bigint {
  const a = s.linker.getSymbolLoadAddress(name);
  if (a === undefined) throw new Error(`no symbol ${name}`);
  return a;
}

const u64 = (s: JitSession, at: bigint): bigint => Buffer.from(s.cpu.read(at, 8)).readBigUInt64LE(0);
const i64 = (s: JitSession, at: bigint): bigint => Buffer.from(s.cpu.read(at, 8)).readBigInt64LE(0);
const u32 = (s: JitSession, at: bigint): bigint => BigInt(Buffer.from(s.cpu.read(at, 4)).readUInt32LE(0));
const i32 = (s: JitSession, at: bigint): bigint => BigInt(Buffer.from(s.cpu.read(at, 4)).readInt32LE(0));
/** Load address of the first `type` field at or after function `fn`'s start, from readelf's offsets. */
function field(s: JitSession, object: ObjectName, type: number, fn: string): bigint {
  const sym = ElfFile.parse(bytes(object)).symbols().find((x) => x.name === fn)!;
  const r = readelfRelocations(path(object)).find((x) => x.section === ".text" && x.type === type && BigInt(x.offset) >= sym.value)!;
  return address(s, fn) + BigInt(r.offset) - sym.value;
}
const code = (s: JitSession, at: bigint, n: number): number[] => [...s.cpu.read(at, n)];
const gotOf = (m: JitModule): bigint => m.gotSection!.address;
const low32 = (x: bigint): bigint => x & 0xffff_ffffn;

describe("absolute, PC-relative, call and size relocations (data.s)", () => {
  it("each field holds what its formula gives for the addresses the linker reported", () => {
    const s = session(11);
    s.linker.addObject(bytes("data"), "data.o");
    const target = address(s, "target");
    const words = address(s, "words");
    const callee = address(s, "callee");
    const callPlt = address(s, "call_plt32");
    s.linker.finalize();

    proves("data", T.PC32!, "lea target+8(%rip)", s.call("get_pc32"), target + 8n);
    proves("data", T.PC32!, ".long target-. at words+32", i32(s, words + 32n), target - (words + 32n));
    proves("data", T["32"]!, "movl $target+16", s.call("get_abs32"), target + 16n);
    proves("data", T["32"]!, ".long target-2 at words+28", u32(s, words + 28n), target - 2n);
    proves("data", T["32S"]!, "movq $target+24 (sign-extended)", s.call("get_abs32s"), target + 24n);
    proves("data", T["64"]!, ".quad target+32", u64(s, words), target + 32n);
    proves("data", T.PC64!, ".quad target+5-P at words+8", i64(s, words + 8n), target + 5n - (words + 8n));
    proves("data", T.PLT32!, "call callee@PLT returns callee()+1", s.call("call_plt32"), 0x1235n);
    // In range, the call goes straight to callee, not through a stub.
    proves("data", T.PLT32!, "the call's displacement", i32(s, field(s, "data", T.PLT32!, "call_plt32")), callee - (callPlt + 5n));
    proves("data", T.SIZE32!, "movl $target@SIZE+3", s.call("get_size32"), TARGET_SIZE + 3n);
    proves("data", T.SIZE32!, ".long target@SIZE", u32(s, words + 24n), TARGET_SIZE);
    proves("data", T.SIZE64!, "movabs $target@SIZE-5", s.call("get_size64"), TARGET_SIZE - 5n);
    proves("data", T.SIZE64!, ".quad target@SIZE+7", u64(s, words + 16n), TARGET_SIZE + 7n);
    proves("data", T.NONE!, "the word under R_X86_64_NONE is left as assembled", u64(s, words + 40n), 0x1122334455667788n);
  });
});

describe("GOT loads and calls, small model (got.s, gotpcrel.s)", () => {
  it("in range: GOTPCRELX and REX_GOTPCRELX mov/call/jmp are relaxed to direct forms, other uses go through the GOT", () => {
    const s = session(12);
    s.linker.addObject(bytes("got_targets"), "got_targets.o");
    const m = s.linker.addObject(bytes("got"), "got.o");
    const plain = s.linker.addObject(bytes("gotpcrel"), "gotpcrel.o");
    const gvar = address(s, "gvar");
    const at = (n: string): bigint => address(s, n);
    s.linker.finalize();

    proves("got", T.REX_GOTPCRELX!, "movq gvar@GOTPCREL(%rip), %rax", s.call("load_rex"), gvar);
    expect(code(s, at("load_rex"), 3), "relaxed to lea").toEqual([0x48, 0x8d, 0x05]);
    proves("got", T.GOTPCRELX!, "movl gvar@GOTPCREL(%rip), %eax", s.call("load_norex"), low32(gvar));
    expect(code(s, at("load_norex"), 2), "relaxed to lea").toEqual([0x8d, 0x05]);
    proves("got", T.GOTPCRELX!, "call *gfunc@GOTPCREL(%rip)", s.call("call_x"), 0x77n);
    expect(code(s, at("call_x"), 2), "relaxed to addr32 call").toEqual([0x67, 0xe8]);
    proves("got", T.GOTPCRELX!, "jmp *gfunc@GOTPCREL(%rip)", s.call("jmp_x"), 0x77n);
    expect(code(s, at("jmp_x"), 2), "relaxed to nop; jmp").toEqual([0x90, 0xe9]);
    proves("got", T.REX_GOTPCRELX!, "addq gvar@GOTPCREL(%rip), %rax (not relaxable)", s.call("add_x"), gvar + 3n);
    expect(code(s, at("add_x") + 5n, 3), "add keeps its GOT operand").toEqual([0x48, 0x03, 0x05]);

    const got = gotOf(m);
    proves("got", T.GOTPC32!, "lea _GLOBAL_OFFSET_TABLE_+16(%rip)", s.call("got_base"), got + 16n);
    proves("got", T.GOT32!, "mov gvar@GOT(%rcx) with rcx = GOT", s.call("got32_load"), gvar);
    // The GOT32 field is the entry's offset from the GOT base; the entry holds gvar.
    proves("got", T.GOT32!, "GOT + field is gvar's entry", u64(s, got + i32(s, field(s, "got", T.GOT32!, "got32_load"))), gvar);

    proves("got", T.SIZE32!, "movl $gvar@SIZE+1, gvar defined in got_targets.s (.size gvar, 8)", s.call("gvar_size"), 9n);

    proves("gotpcrel", T.GOTPCREL!, "movq gvar@GOTPCREL(%rip) (never relaxed)", s.call("load_plain"), gvar);
    expect(code(s, at("load_plain"), 3), "GOTPCREL keeps its mov").toEqual([0x48, 0x8b, 0x05]);
    const f = field(s, "gotpcrel", T.GOTPCREL!, "load_plain");
    const entry = f + 4n + i32(s, f);
    expect(entry >= gotOf(plain) && entry < gotOf(plain) + BigInt(plain.gotSection!.size), "the field points into gotpcrel.o's GOT").toBe(true);
    proves("gotpcrel", T.GOTPCREL!, "the entry it points at holds gvar", u64(s, entry), gvar);
  });

  it("out of range (got.o above 4 GiB, its targets low): nothing is relaxed, every load goes through the GOT", () => {
    const s = session(13);
    s.linker.addObject(bytes("got_targets"), "got_targets.o");
    const m = s.linker.addObject(bytes("got"), "got.o", { placement: HIGH });
    const gvar = address(s, "gvar");
    const at = (n: string): bigint => address(s, n);
    s.linker.finalize();
    expect(at("load_rex")).toBeGreaterThan(0x1_0000_0000n);

    proves("got", T.REX_GOTPCRELX!, "movq gvar@GOTPCREL(%rip), far", s.call("load_rex"), gvar);
    expect(code(s, at("load_rex"), 3)).toEqual([0x48, 0x8b, 0x05]);
    proves("got", T.GOTPCRELX!, "movl gvar@GOTPCREL(%rip), far", s.call("load_norex"), low32(gvar));
    expect(code(s, at("load_norex"), 2)).toEqual([0x8b, 0x05]);
    proves("got", T.GOTPCRELX!, "call *gfunc@GOTPCREL(%rip), far", s.call("call_x"), 0x77n);
    expect(code(s, at("call_x"), 2)).toEqual([0xff, 0x15]);
    proves("got", T.GOTPCRELX!, "jmp *gfunc@GOTPCREL(%rip), far", s.call("jmp_x"), 0x77n);
    expect(code(s, at("jmp_x"), 2)).toEqual([0xff, 0x25]);
    proves("got", T.GOT32!, "mov gvar@GOT(%rcx), far", s.call("got32_load"), gvar);
    proves("got", T.GOTPC32!, "lea _GLOBAL_OFFSET_TABLE_+16(%rip), far", s.call("got_base"), gotOf(m) + 16n);
  });
});

describe("64-bit GOT forms, large model (large.s)", () => {
  it("placed above 4 GiB, each form reaches the GOT, its entries and its data", () => {
    const s = session(14);
    const m = s.linker.addObject(bytes("large"), "large.o", { placement: HIGH });
    const lvar = address(s, "lvar");
    const gpword = address(s, "gpword");
    s.linker.finalize();
    const got = gotOf(m);
    expect(got).toBeGreaterThan(0x1_0000_0000n);

    proves("large", T.GOTPC64!, "movabs $_GLOBAL_OFFSET_TABLE_-1b", s.call("l_gotpc64"), got);
    proves("large", T.GOT64!, "movabs $lvar@GOT, then (GOT, field)", s.call("l_got64"), lvar);
    proves("large", T.GOTOFF64!, "movabs $lvar@GOTOFF+8, plus GOT", s.call("l_gotoff64"), lvar + 8n);
    proves("large", T.GOTPLT64!, "call *(GOT + lfunc@GOTPLT)", s.call("l_gotplt64"), 0x551n);
    proves("large", T.PLTOFF64!, "call GOT + lfunc@PLTOFF", s.call("l_pltoff64"), 0x552n);
    proves("large", T.PLTOFF64!, "the field is lfunc - GOT", i64(s, field(s, "large", T.PLTOFF64!, "l_pltoff64")), address(s, "lfunc") - got);
    proves("large", T.GOTPCREL64!, ".quad lvar@GOTPCREL, then (P, field)", s.call("l_gotpcrel64"), lvar);
    proves("large", T.GOTPCREL64!, "P + field is lvar's entry", u64(s, gpword + i64(s, gpword)), lvar);
  });
});

describe("TLS access models (tls.s)", () => {
  it("every model reaches the variables where the module's TLS block puts them", () => {
    const s = session(15);
    const m = s.linker.addObject(bytes("tls"), "tls.o");
    const loadA = address(s, "tv_a");
    s.linker.finalize();

    // The layout, from the TLS runtime and the object's own symbol table: block offset from the
    // thread pointer + section offset in the block + symbol value in the section.
    const tp = s.tls.threadPointer;
    expect(s.cpu.reg("fs_base")).toBe(tp);
    const block = m.tls!;
    const elf = ElfFile.parse(bytes("tls"));
    const dtpoff = (name: string): bigint => {
      const sym = elf.symbols().find((x) => x.name === name)!;
      const sec = m.sections.get(sym.shndx)!;
      expect(sec.group).toBe("tls");
      return BigInt(sec.tlsOffset) + sym.value;
    };
    const tpoff = (name: string): bigint => block.tpOffset + dtpoff(name);
    const addr = (name: string): bigint => tp + tpoff(name);
    expect(loadA, "getSymbolLoadAddress agrees with the layout").toBe(addr("tv_a"));
    expect(u64(s, addr("tv_a"))).toBe(0x1111n);
    expect(u64(s, addr("tv_b"))).toBe(0x2222n);
    const words = address(s, "tlswords");

    proves("tls", T.TLSGD!, "tv_b@tlsgd + __tls_get_addr", s.call("t_gd"), addr("tv_b"));
    // The GOT entries the PC-relative TLS fields point at hold what the psABI says, from the layout.
    const entry = (type: number, fn: string): bigint => {
      const f = field(s, "tls", type, fn);
      return f + 4n + i32(s, f);
    };
    proves("tls", T.TLSGD!, "its GOT pair's module id", u64(s, entry(T.TLSGD!, "t_gd")), BigInt(block.moduleId));
    proves("tls", T.TLSGD!, "its GOT pair's offset", u64(s, entry(T.TLSGD!, "t_gd") + 8n), dtpoff("tv_b"));
    proves("tls", T.TLSLD!, "its GOT pair's module id", u64(s, entry(T.TLSLD!, "t_ld")), BigInt(block.moduleId));
    proves("tls", T.TLSLD!, "its GOT pair's offset", u64(s, entry(T.TLSLD!, "t_ld") + 8n), 0n);
    proves("tls", T.GOTTPOFF!, "its GOT entry", i64(s, entry(T.GOTTPOFF!, "t_ie")), tpoff("tv_a"));
    proves("tls", T.TLSLD!, "tv_c@tlsld + __tls_get_addr + tv_c@dtpoff+8", s.call("t_ld"), addr("tv_c") + 8n);
    proves("tls", T.DTPOFF32!, "leaq tv_c@dtpoff+8(%rax)", i32(s, field(s, "tls", T.DTPOFF32!, "t_ld")), dtpoff("tv_c") + 8n);
    proves("tls", T.GOTTPOFF!, "tv_a@gottpoff + %fs:0", s.call("t_ie"), addr("tv_a"));
    proves("tls", T.TPOFF32!, "leaq tv_b@tpoff(%fs:0)", s.call("t_le"), addr("tv_b"));
    proves("tls", T.TPOFF32!, "movq %fs:tv_a@tpoff", s.call("t_le_load"), 0x1111n);
    proves("tls", T.TPOFF64!, ".quad tv_c@tpoff", i64(s, words), tpoff("tv_c"));
    proves("tls", T.TPOFF64!, ".quad tv_a@tpoff+4", i64(s, words + 16n), tpoff("tv_a") + 4n);
    proves("tls", T.TPOFF64!, "the word + %fs:0", s.call("t_tpoff64"), addr("tv_c"));
    proves("tls", T.DTPOFF64!, ".quad tv_b@dtpoff", i64(s, words + 8n), dtpoff("tv_b"));
    proves("tls", T.DTPOFF64!, "block (TLSLD) + the word", s.call("t_dtpoff64"), addr("tv_b"));
  });
});

/** Type numbers 0..255 with a row in the linker's table. */
const ROWS = Array.from({ length: 256 }, (_, t) => t).filter((t) => relocKind(t) !== undefined);
/** Types src/elf/constants.ts names that have no row. */
const UNSUPPORTED = Object.keys(R_X86_64_NAMES).map(Number).filter((t) => relocKind(t) === undefined);

describe("unsupported types (unsupported.s --defsym KIND=<type>)", () => {
  it.each(UNSUPPORTED.map((t) => [R_X86_64_NAMES[t]!, t] as const))("%s is refused when the object is added", (name, type) => {
    const obj = assemble("unsupported.s", ["--defsym", `KIND=${type}`]);
    const carried = readelfRelocations(obj).filter((r) => relocKind(r.type) === undefined);
    expect(carried.map((r) => r.name), `unsupported.s has a case for ${name}`).toEqual([name]);
    const s = session(16);
    let error: unknown;
    try {
      s.linker.addObject(readFileSync(obj), "unsupported.o");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JitdbgError);
    expect((error as JitdbgError).code).toBe("JIT_RELOC_UNSUPPORTED");
    const r = carried[0]!;
    expect((error as JitdbgError).message).toContain(`unsupported.o: section ${r.section}+0x${r.offset.toString(16)}: unsupported relocation ${name} against "${r.symbol}"`);
    expect(s.linker.modules()).toEqual([]);
  });

  it("a type number no constant names (43) is refused by number", () => {
    // The R_X86_64_COPY object with that relocation's type rewritten: no assembler here emits 43.
    const obj = new Uint8Array(readFileSync(assemble("unsupported.s", ["--defsym", `KIND=${T.COPY}`])));
    const elf = ElfFile.parse(obj);
    const rela = elf.sections.find((x) => x.name === ".rela.data.u")!;
    const dv = new DataView(obj.buffer, obj.byteOffset + rela.offset, rela.size);
    let patched = 0;
    for (let at = 0; at < rela.size; at += 24) {
      if (dv.getUint32(at + 8, true) === T.COPY) {
        dv.setUint32(at + 8, 43, true);
        patched++;
      }
    }
    expect(patched).toBe(1);
    expect(R_X86_64_NAMES[43]).toBeUndefined();
    const s = session(17);
    expect(() => s.linker.addObject(obj, "unnamed.o")).toThrow(/unnamed\.o: section \.data\.u\+0x0: unsupported relocation relocation type 43 against/);
  });
});

describe("the relocation table, from the objects", () => {
  it("every row is carried by some object above, and no object carries a type without a row", () => {
    const carried = new Set<number>();
    for (const o of Object.keys(OBJECTS) as ObjectName[]) {
      for (const r of readelfRelocations(path(o))) {
        expect(relocKind(r.type), `${OBJECTS[o]![0]} carries ${r.name}`).toBeDefined();
        carried.add(r.type);
      }
    }
    expect(ROWS.filter((t) => !carried.has(t)).map(relocTypeName), "rows no object carries").toEqual([]);
    expect(ROWS.length).toBeGreaterThan(0);
  });

  it("every row was proven by a run above", () => {
    expect(ROWS.filter((t) => !proven.has(t)).map(relocTypeName), "rows no check proved").toEqual([]);
  });

  it("every named type is a row or refused", () => {
    for (const t of Object.keys(R_X86_64_NAMES).map(Number)) expect(relocKind(t) !== undefined || UNSUPPORTED.includes(t)).toBe(true);
    expect(UNSUPPORTED.length).toBeGreaterThan(0);
  });
});
