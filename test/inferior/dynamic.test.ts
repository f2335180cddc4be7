import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, hasCompiler, runNative } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { buildWithLibshape, DYNAMIC } from "./dynamic-build.js";

// Dynamically linked PIE programs, as plain `gcc -g prog.c` builds them: the real ld-linux maps
// libc (and the test's own library) through the emulated syscalls, and every run must match the
// native run byte for byte.
const CASES: { fixture: string; args?: string[]; env?: string[]; stdin?: string }[] = [
  { fixture: "programs/hello.c" },
  { fixture: "programs/args_env.c", args: ["one", "two words", ""], env: ["GREETING=hi there", "LANG=C"] },
  { fixture: "programs/malloc_heavy.c" },
  { fixture: "programs/qsort_strings.c" },
  { fixture: "programs/recursion.c" },
  { fixture: "programs/printf_doubles.c" },
  { fixture: "programs/tls_counter.c" },
  { fixture: "programs/segfault.c" },
  { fixture: "programs/exit42.c" },
  { fixture: "programs/divzero.c" },
  { fixture: "programs/abort.c" },
  { fixture: "programs/illegal.c" },
  { fixture: "programs/stdin_echo.c", stdin: "first line\nsecond\nno newline at end" },
  { fixture: "programs/compute.c" },
  { fixture: "dynamic/errno_strerror.c" },
  { fixture: "dynamic/qsort_callback.c" },
  // The loader's CPU features, as libc reads them back: x87 and MMX come from the cpuid fix-up (cpuid.ts).
  { fixture: "dynamic/cpu_features.c" },
];

const SIGNALS: Record<string, number> = { SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGSEGV: 11 };

function expectSameAsNative(exe: string, c: { args?: string[]; env?: string[]; stdin?: string; allowedPaths?: string[] } = {}): void {
  const envObj = Object.fromEntries((c.env ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const native = runNative(exe, c.args ?? [], envObj, c.stdin ?? "");
  const emu = runEmulated(exe, { args: c.args, env: c.env ?? [], argv0: exe, stdin: Buffer.from(c.stdin ?? ""), allowedPaths: c.allowedPaths });
  expect(emu.stdout).toBe(native.stdout);
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.status).toBe(native.signal ? 128 + (SIGNALS[native.signal] ?? 0) : native.status);
  expect(emu.warnings).toEqual([]);
}

describe("dynamically linked programs run as they run natively", () => {
  for (const c of CASES) {
    it(`${c.fixture} ${DYNAMIC.join(" ")}${c.args ? ` ${JSON.stringify(c.args)}` : ""}`, () => {
      expectSameAsNative(compileFixture(c.fixture, { flags: DYNAMIC }), c);
    });
  }

  it("a program using the test's own shared library through DT_NEEDED and DT_RUNPATH", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    // stderr holds run-specific addresses (random bases): compare stdout and status only.
    const native = runNative(exe);
    const emu = runEmulated(exe, { argv0: exe });
    expect(emu.stdout).toBe(native.stdout);
    expect(emu.stdout).toContain("libshape: constructor\nsquare has 4 sides\n");
    expect(emu.status).toBe(native.status);
    expect(emu.status).toBe(3);
    expect(emu.stderr).toMatch(/^puts=0x7f[0-9a-f]+ shape_sides=0x7f[0-9a-f]+ tls=0x7f[0-9a-f]+\n$/);
    expect(emu.warnings).toEqual([]);
  });

  it("a program that loads the library with dlopen, calls it through dlsym and unloads it", () => {
    const { lib } = buildWithLibshape("dynamic/uses_lib.c");
    const exe = compileFixture("dynamic/dlopen_lib.c", { flags: DYNAMIC });
    // dlopen by absolute path: the library's directory must be allowed like any data file.
    expectSameAsNative(exe, { args: [lib.path], allowedPaths: [dirname(exe), lib.dir] });
  });

  it.skipIf(!hasCompiler("clang"))("clang-built dynamic programs (hello, qsort callbacks, errno)", () => {
    for (const f of ["programs/hello.c", "dynamic/qsort_callback.c", "dynamic/errno_strerror.c", "programs/printf_doubles.c"]) {
      expectSameAsNative(compileFixture(f, { cc: "clang", flags: DYNAMIC }));
    }
  });

  it("a non-PIE dynamic program (-no-pie) at its link address", () => {
    expectSameAsNative(compileFixture("programs/hello.c", { flags: [...DYNAMIC, "-no-pie"] }));
  });

  it("a reproducible run of a dynamic program is the same twice", () => {
    const exe = compileFixture("programs/hello.c", { flags: DYNAMIC });
    const a = runEmulated(exe, { reproducible: true });
    const b = runEmulated(exe, { reproducible: true });
    expect(a).toEqual(b);
    expect(a.stdout).toBe("Hello, world!\n");
  });
});
