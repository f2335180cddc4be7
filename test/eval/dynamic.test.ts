/**
 * Compiled evaluation in a dynamically linked PIE (gcc -g -O0) and its -g shared library: libc's
 * indirect functions (strlen, memcmp, strcmp) called in the inferior's own libc, the library's
 * functions, globals and __thread variable, and errno, each equal to the program's printf twin of
 * the same C expression printed right after the breakpoint.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROT_READ, PROT_WRITE } from "../../src/emu/cpu.js";
import { fixturesDir, hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { buildDynprobe, dynprobeName } from "./dynamic-fixture.js";
import { lineOf, normalize, twinLines, twinValue, type Case } from "./fixture.js";
import { snapshot } from "./state.js";

const CASES: Case[] = [
  // errno first: the twins' own printf calls may change it afterwards.
  { expr: "errno", kind: "int" },
  { expr: "errno == 2 /* ENOENT: macros are not in -g DWARF */", kind: "int" },
  // libc indirect functions on the inferior's strings
  { expr: "strlen(name)", kind: "int" },
  { expr: "strlen(word) + strlen(lib_label)", kind: "int" },
  { expr: "memcmp(left, right, 6)", kind: "int" },
  { expr: "memcmp(left, right, 3)", kind: "int" },
  { expr: "strcmp(left, right)", kind: "int" },
  { expr: "strcmp(right, left) > 0", kind: "int" },
  { expr: "strcmp(word, \"abc\")", kind: "int" },
  // library functions (with DWARF prototypes)
  { expr: "lib_area(6, 7)", kind: "int" },
  { expr: "lib_scale(80.0)", kind: "double" },
  // library globals, with their DWARF types
  { expr: "lib_counter", kind: "int" },
  { expr: "lib_ratio * 8", kind: "double" },
  { expr: "lib_label", kind: "str" },
  { expr: "lib_origin.x * 100 + lib_origin.y", kind: "int" },
  { expr: "sizeof(lib_origin)", kind: "int" },
  // the library's __thread variable
  { expr: "lib_tls", kind: "int" },
  { expr: "lib_tls * 3 + lib_counter", kind: "int" },
  { expr: "*&lib_tls", kind: "int" },
  { expr: "main_tls * 1000 + lib_tls", kind: "int" },
  // the implementation each resolver picked is the one the program's own GOT holds
  { expr: "(unsigned long)&strlen", kind: "ptr" },
  { expr: "(unsigned long)&memcmp", kind: "ptr" },
  { expr: "(unsigned long)&strcmp", kind: "ptr" },
  // a libc function without debug info: the built-in prototype
  { expr: "atoi(\"123\") + abs(-4)", kind: "int" },
];

describe.skipIf(!hasCompiler("gcc"))("compiled evaluation in a dynamically linked PIE", () => {
  it("matches the program's printf twins (libc ifuncs, library function/globals/__thread, errno)", async () => {
    const { exe, src } = buildDynprobe(CASES);
    const { dbg, output } = launch(exe);
    try {
      dbg.setSourceBreakpoints(dynprobeName(src), [{ line: lineOf(src, "/* BREAK1 */") }]);
      const r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      const before = snapshot(dbg);
      const ours = CASES.map((c) => {
        try {
          return normalize(c.kind, dbg.inspector.evaluate(c.expr, 0, { context: "watch" }).value);
        } catch (e) {
          return `error: ${(e as Error).message}`;
        }
      });
      // Resolver calls and expression calls leave registers and program memory as they were.
      expect(snapshot(dbg)).toEqual(before);
      const end = await dbg.continue();
      expect(end.reason).toBe("exited");
      const twins = twinLines(output, "T");
      expect(CASES.map((c, i) => ({ expr: c.expr, value: ours[i] }))).toEqual(CASES.map((c, i) => ({ expr: c.expr, value: twinValue(c.kind, twins.get(i) ?? "<missing>") })));
    } finally {
      dbg.close();
    }
  });

  it("a library's __thread variable in the Thread-local scope and in expressions inside the library; a local named errno shadows errno", async () => {
    const { exe } = buildDynprobe([]);
    const { dbg, output } = launch(exe);
    try {
      const libSrc = readFileSync(join(fixturesDir, "eval", "dynlib.c"), "utf8");
      dbg.setSourceBreakpoints("dynlib.c", [{ line: lineOf(libSrc, "/* LIBBREAK */") }]);
      const r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      const scopes = dbg.inspector.scopes(0);
      const tls = scopes.find((s) => s.kind === "tls")!;
      const vars = dbg.inspector.variables(tls.variablesReference);
      expect(vars.find((v) => v.name === "lib_tls")?.value).toBe("5");
      expect(dbg.inspector.evaluate("lib_tls + by", 0, { context: "watch" }).value).toBe("7");
      expect(dbg.inspector.evaluate("lib_area(2, 3)", 0, { context: "watch" }).value).toBe("15");
      // Console assignments reach the block the library's own code uses.
      dbg.inspector.evaluate("lib_tls = 40", 0, { context: "repl" });
      expect(dbg.inspector.variables(dbg.inspector.scopes(0).find((s) => s.kind === "tls")!.variablesReference).find((v) => v.name === "lib_tls")?.value).toBe("40");
      expect(dbg.inspector.evaluate("errno + 1", 0, { context: "watch" }).value).toBe("21");
      // General-dynamic access: the JIT runtime's __tls_get_addr knows the library's module id
      // (the loader's, from link_map) and its block from the loader's DTV.
      const lib = dbg.process.images.list().find((i) => i.name === "libdynlib.so")!;
      const info = dbg.process.tlsOf(lib)!;
      const rt = dbg.expressions.jit();
      expect(rt.tlsModule(lib)).toBe(Number(info.moduleId));
      const arg = dbg.process.space.allocate(4096n, { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: "[test-tls-index]" });
      const index = new Uint8Array(16);
      new DataView(index.buffer).setBigUint64(0, info.moduleId, true);
      dbg.process.cpu.write(arg.start, index);
      const got = rt.caller.callFunction(rt.tls.tlsGetAddr, [arg.start], 100_000);
      expect(got.kind === "returned" ? got.rax : got.kind).toBe(info.block);
      expect(BigInt(dbg.inspector.evaluate("(unsigned long)&lib_tls", 0, { context: "watch" }).value)).toBe(info.block);
      dbg.setSourceBreakpoints("dynlib.c", []);
      const end = await dbg.continue();
      expect(end.reason).toBe("exited");
      expect(output.join("")).toBe("");
    } finally {
      dbg.close();
    }
  });
});
