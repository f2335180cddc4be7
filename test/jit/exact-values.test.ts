/**
 * The relocation values no double holds exactly — a host's absolute symbol above 2^53 and an
 * addend of 2^56 — are computed in BigInt on the one apply path, to the bit; a 32-bit field
 * against that symbol is an overflow error there too. The same from bytes that are not aligned
 * for 32-bit words (the symbol and relocation tables are then read from copies).
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { JitdbgError } from "../../src/errors.js";
import { JitSession } from "../../src/jit/session.js";
import { compileFixture } from "../helpers/compile.js";

const BIG_ABS = 0x8000_0000_0000_1234n;

const open: JitSession[] = [];
afterEach(() => open.splice(0).forEach((x) => x.close()));

function session(): JitSession {
  const host = compileFixture("jit/exact_host.c", { flags: ["-O2", "-static"] });
  const s = JitSession.create({ seed: 5, host: { path: host, mode: "bare" } });
  open.push(s);
  return s;
}

function obj(name: string): Uint8Array {
  return readFileSync(compileFixture(`jit/${name}`, { object: true, flags: ["-O2", "-fno-pic"] }));
}

describe("values beyond 2^53", () => {
  it("an absolute host symbol and a 2^56 addend link exactly", () => {
    const s = session();
    s.linker.addObject(obj("exact_values.c"), "exact_values.o");
    s.linker.finalize();
    expect(s.call("get_abs")).toBe(BIG_ABS + 5n);
    expect(s.call("movabs_abs")).toBe(BIG_ABS + 7n);
    expect(s.call("get_far")).toBe(s.call("arr_address") + (1n << 56n));
  });

  it("links the same from an object whose bytes are not 4-byte aligned in memory (tables read as copies, not views)", () => {
    const bytes = obj("exact_values.c");
    for (const shift of [1, 2, 3]) {
      const s = session();
      const unaligned = new Uint8Array(new ArrayBuffer(bytes.length + shift), shift, bytes.length);
      unaligned.set(bytes);
      s.linker.addObject(unaligned, "exact_values.o");
      s.linker.finalize();
      expect(s.call("get_abs")).toBe(BIG_ABS + 5n);
      expect(s.call("movabs_abs")).toBe(BIG_ABS + 7n);
      expect(s.call("get_far")).toBe(s.call("arr_address") + (1n << 56n));
    }
  });

  it("a 32-bit field against the absolute symbol overflows with its value", () => {
    const s = session();
    s.linker.addObject(obj("exact_overflow.c"), "exact_overflow.o");
    let error: unknown;
    try {
      s.linker.finalize();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JitdbgError);
    expect((error as JitdbgError).code).toBe("JIT_RELOC_OVERFLOW");
    expect((error as JitdbgError).message).toMatch(/section \.text\+0x1: R_X86_64_32 against "big_abs" .*value 0x8000000000001234 does not fit/);
  });
});
