import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { fixturesDir } from "../helpers/compile.js";
import { evaluateLocation, evaluateValue, locateVariable, DWARF_REG, InlinedScope, type Location, type Scope } from "../../src/dwarf/index.js";
import { build, lineOf, open, symbol, VARIANTS, type Variant } from "./helpers.js";

const SRC = join(fixturesDir, "dwarf", "program.c");

const isOptimized = (v: Variant): boolean => v.flags.includes("-O2");
/** Each optimisation level's tests exist only for its own builds (no test is skipped by construction). */
const OPTIMIZED = VARIANTS.filter(isOptimized);
const UNOPTIMIZED = VARIANTS.filter((v) => !isOptimized(v));

const models = new Map<Variant, ReturnType<typeof open>>();
/** program.c built and opened once per variant, shared by the describe blocks below. */
function model(v: Variant): ReturnType<typeof open> {
  let m = models.get(v);
  if (!m) {
    // In objects every section starts at 0; give each a distinct address (its file offset) so that
    // functions in .text and .text.startup do not overlap.
    m = open(build("program.c", v), v.object ? { sectionAddress: (sec) => BigInt(sec.offset) } : {});
    models.set(v, m);
  }
  return m;
}

describe.each(VARIANTS)("program model ($label)", (v) => {
  const { elf, dwarf } = model(v);
  const optimized = isOptimized(v);

  it("finds functions by name and by pc, with parameters", () => {
    const compute = dwarf.findFunction("compute")!;
    expect(compute).toBeDefined();
    if (!v.object) expect(compute.entryPc).toBe(symbol(elf, "compute"));
    expect(compute.declaration.line).toBe(lineOf(SRC, "int compute(int n)"));
    expect(compute.declaration.file?.endsWith("/program.c")).toBe(true);
    expect(compute.isExternal).toBe(true);
    expect(compute.returnType.name).toBe("int");
    expect(compute.parameters.map((p) => [p.name, p.type.name])).toEqual([["n", "int"]]);
    const main = dwarf.findFunction("main")!;
    expect(main.parameters.map((p) => [p.name, p.type.name])).toEqual([["argc", "int"], ["argv", "char **"]]);
    const at = dwarf.functionAt(compute.entryPc + 1n)!;
    expect(at.function.name).toBe("compute");
    if (!v.object) expect(dwarf.functionAt(symbol(elf, "main"))!.function.name).toBe("main");
    expect(compute.frameBase.kind).not.toBe("none");
  });

  it("knows globals, file statics, static locals and TLS variables", () => {
    const tls = dwarf.findGlobalVariable("tls_counter")!;
    expect(tls.isTls).toBe(true);
    expect(tls.kind).toBe("global");
    const fstatic = dwarf.findGlobalVariable("file_static");
    if (fstatic) {
      expect(fstatic.kind).toBe("static-global");
      expect(fstatic.isExternal).toBe(false);
    } else {
      expect(optimized).toBe(true); // gcc may fold a never-written static into its uses
    }
    const matrix = dwarf.findGlobalVariable("matrix")!;
    expect(matrix.isTls).toBe(false);
    if (!v.object) expect(matrix.staticAddress).toBe(symbol(elf, "matrix"));
    const calls = dwarf.findFunction("compute")!.staticLocals.find((x) => x.name === "calls")!;
    expect(calls).toBeDefined();
    expect(calls.kind).toBe("static-local");
    if (!v.object) expect(calls.staticAddress).toBe(symbol(elf, elf.symbols().find((s) => s.name.startsWith("calls.") || s.name === "compute.calls")!.name));
    expect(dwarf.findGlobalVariable("nosuch")).toBeUndefined();
  });

  it("shows the locals of nested blocks that contain the pc", () => {
    const line = lineOf(SRC, "int inner = total * 2;");
    const addr = dwarf.addressesForLine("program.c", line)!.addresses[0]!;
    const names = dwarf.localsAt(addr).map((x) => x.name);
    if (!optimized) {
      // Innermost scope first; inside one scope the producer's DIE order (gcc and clang differ).
      expect(names.slice(0, 3)).toEqual(["inner", "sq", "i"]);
      expect(names.slice(3).sort()).toEqual(["calls", "n", "total"]);
      const outside = dwarf.localsAt(dwarf.addressesForLine("program.c", lineOf(SRC, "return total + calls;"))!.addresses[0]!);
      expect(outside.map((x) => x.name).sort()).toEqual(["calls", "n", "total"]);
    } else {
      expect(names).toContain("n");
      expect(names).toContain("total");
    }
    const at = dwarf.functionAt(addr)!;
    expect(at.function.name).toBe("compute");
    expect(at.scopes[at.scopes.length - 1]).toBe(at.function);
  });
});

describe.each(OPTIMIZED)("program model, optimized ($label)", (v) => {
  const { dwarf } = model(v);

  it("reports the inlined call chain with the call site", () => {
    const compute = dwarf.findFunction("compute")!;
    const inlined = compute.chainAt(compute.lowPc); // warm up
    expect(inlined.length).toBeGreaterThan(0);
    const calls: { name: string; line?: number; low: bigint }[] = [];
    const walk = (s: Scope): void => {
      for (const c of s.children) {
        if (c instanceof InlinedScope) calls.push({ name: c.name, line: c.call.line, low: c.ranges[0]!.low });
        walk(c);
      }
    };
    walk(compute);
    const sq = calls.find((c) => c.name === "square")!;
    expect(sq).toBeDefined();
    expect(sq.line).toBe(lineOf(SRC, "int sq = square(i);"));
    const at = dwarf.functionAt(sq.low)!;
    expect(at.function.name).toBe("compute");
    expect(at.inlined.map((s) => s.name)).toContain("square");
    expect(at.inlined[at.inlined.length - 1]!.name).toBe("square");
    const locals = dwarf.localsAt(sq.low).map((x) => x.name);
    expect(locals).toContain("v"); // the inlined function's parameter, named through its abstract origin
  });

  it("selects location-list entries by pc for optimized parameters", () => {
    const compute = dwarf.findFunction("compute")!;
    const n = compute.parameters[0]!;
    expect(["list", "expr"]).toContain(n.location.kind);
    const atEntry = n.locationAt(compute.entryPc);
    expect(atEntry).toBeDefined();
    const loc = evaluateLocation(atEntry!, { readRegister: () => 42n });
    // On entry the first argument is in rdi.
    expect(loc).toEqual({ kind: "register", reg: DWARF_REG.rdi });
  });
});

describe.each(UNOPTIMIZED)("program model, -O0 ($label)", (v) => {
  const { elf, dwarf } = model(v);

  it("evaluates -O0 locations: fbreg against the frame base, addr for statics, TLS via callback", () => {
    const compute = dwarf.findFunction("compute")!;
    const n = compute.parameters[0]!;
    const fbExpr = compute.frameBase.kind === "expr" ? compute.frameBase.expr : undefined;
    expect(fbExpr).toBeDefined();
    // gcc: DW_OP_call_frame_cfa; clang: DW_OP_reg6 (the value of rbp).
    const fb = evaluateValue(fbExpr!, { callFrameCfa: () => 0x7000n, readRegister: (r) => (r === DWARF_REG.rbp ? 0x6ff0n : undefined) });
    expect(fb).toEqual({ kind: "value", value: v.cc === "clang" ? 0x6ff0n : 0x7000n });
    const loc = evaluateLocation(n.locationAt(compute.entryPc)!, { frameBase: () => 0x7000n });
    expect(loc.kind).toBe("memory");
    expect((loc as Extract<Location, { kind: "memory" }>).address < 0x7000n).toBe(true);

    const tls = dwarf.findGlobalVariable("tls_counter")!;
    const tlsLoc = evaluateLocation(tls.locationAt(undefined)!, { tlsAddress: (off) => 0x10000n + off });
    expect(tlsLoc.kind).toBe("memory");
    expect(evaluateLocation(tls.locationAt(undefined)!, {})).toMatchObject({ kind: "unavailable" });

    if (!v.object) {
      const m = dwarf.findGlobalVariable("matrix")!;
      expect(locateVariable(m, undefined, undefined, {})).toEqual({ kind: "memory", address: symbol(elf, "matrix") });
    }
  });
});

// Last, so that it sees what every test above made the shared model read.
describe.each(VARIANTS)("program model ($label), after the tests above", (v) => {
  it("records no unit errors on a healthy file", () => {
    const { dwarf } = model(v);
    dwarf.findType("struct nosuch");
    expect(dwarf.errors()).toEqual([]);
  });
});

describe("every location in optimized code decodes", () => {
  it.each(OPTIMIZED)("walks all variables and location-list entries ($label)", (v) => {
    const { dwarf } = open(build("program.c", v));
    let exprs = 0;
    for (const unit of dwarf.units) {
      const m = dwarf.model(unit)!;
      const scopes = [...m.functions];
      for (let i = 0; i < scopes.length; i++) {
        const s = scopes[i]!;
        scopes.push(...(s.children as typeof scopes));
        for (const variable of s.variables) {
          expect(variable.type.name.length).toBeGreaterThan(0);
          const loc = variable.location;
          const list = loc.kind === "list" ? loc.entries.map((e) => e.expr) : loc.kind === "expr" ? [loc.expr] : [];
          for (const expr of list) {
            exprs++;
            // Evaluates to a location or a clear "unavailable" (no registers given), never a DwarfError.
            const r = evaluateLocation(expr, { frameBase: () => 0x1000n, callFrameCfa: () => 0x1000n, addrx: (i) => unit.addrx(i) });
            expect(r.kind).toMatch(/memory|register|value|implicit|unavailable|pieces/);
          }
        }
      }
    }
    expect(exprs).toBeGreaterThan(5);
    expect(dwarf.errors()).toEqual([]);
  });
});

describe("locating variables in a frame", () => {
  it("finds an -O0 local through the function's frame base (DW_OP_call_frame_cfa)", () => {
    const { elf, dwarf } = open(build("program.c", VARIANTS[0]!));
    const compute = dwarf.findFunction("compute")!;
    const pc = dwarf.prologueEnd(compute);
    const total = compute.variables.find((x) => x.name === "total")!;
    const loc = locateVariable(total, pc, compute, { callFrameCfa: () => 0x8000n });
    expect(loc.kind).toBe("memory");
    const addr = (loc as { address: bigint }).address;
    expect(addr < 0x8000n && addr > 0x8000n - 0x100n).toBe(true);
    const calls = compute.staticLocals[0]!;
    expect(locateVariable(calls, pc, compute, {})).toEqual({ kind: "memory", address: symbol(elf, elf.symbols().find((s) => s.name.startsWith("calls.") || s.name === "compute.calls")!.name) });
    expect(locateVariable(total, pc, compute, {})).toMatchObject({ kind: "unavailable" }); // no CFA given
  });
});
