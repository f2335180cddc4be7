import { describe, expect, it } from "vitest";
import { compileFixture, runNative } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const STATIC = ["-static", "-O1", "-g"];

// Each fixture is built by the machine's gcc and must behave byte for byte as its native run.
const CASES: { fixture: string; args?: string[]; env?: string[]; flags?: string[]; stdin?: string }[] = [
  { fixture: "programs/hello.c" },
  { fixture: "programs/args_env.c", args: ["one", "two words", ""], env: ["GREETING=hi there", "LANG=C"] },
  { fixture: "programs/malloc_heavy.c" },
  { fixture: "programs/qsort_strings.c" },
  { fixture: "programs/recursion.c" },
  { fixture: "programs/printf_doubles.c" },
  { fixture: "programs/tls_counter.c" },
  { fixture: "programs/hello.c", flags: ["-static-pie", "-O2", "-g"] },
  { fixture: "programs/tls_counter.c", flags: ["-static-pie", "-O2"] },
  { fixture: "programs/segfault.c" },
  { fixture: "programs/exit42.c" },
  { fixture: "programs/divzero.c" },
  { fixture: "programs/abort.c" },
  { fixture: "programs/illegal.c" },
  { fixture: "programs/stdin_echo.c", stdin: "first line\nsecond\nno newline at end" },
  { fixture: "programs/compute.c", flags: ["-static", "-O2"] },
];

describe("programs run in the emulator as they run natively", () => {
  for (const c of CASES) {
    const label = `${c.fixture} ${(c.flags ?? STATIC).join(" ")}${c.args ? ` ${JSON.stringify(c.args)}` : ""}`;
    it(label, () => {
      const exe = compileFixture(c.fixture, { flags: c.flags ?? STATIC });
      const envObj = Object.fromEntries((c.env ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]));
      const native = runNative(exe, c.args ?? [], envObj, c.stdin ?? "");
      const emu = runEmulated(exe, { args: c.args, env: c.env ?? [], argv0: exe, stdin: Buffer.from(c.stdin ?? "") });
      expect(emu.stdout).toBe(native.stdout);
      expect(emu.stderr).toBe(native.stderr);
      const nativeStatus = native.signal ? 128 + signalNumber(native.signal) : native.status;
      expect(emu.status).toBe(nativeStatus);
      expect(emu.warnings).toEqual([]);
    });
  }

  it("reports a segfault with the signal, the faulting function and the address", () => {
    const exe = compileFixture("programs/segfault.c", { flags: STATIC });
    const emu = runEmulated(exe);
    expect(emu.signal).toBe("SIGSEGV");
    expect(emu.description).toMatch(/^invalid write of unmapped address 0x10 at main\+0x[0-9a-f]+$/);
  });

  it("reports a divide error as SIGFPE at the idiv instruction", () => {
    const exe = compileFixture("programs/divzero.c", { flags: STATIC });
    const emu = runEmulated(exe);
    expect(emu.signal).toBe("SIGFPE");
    expect(emu.description).toMatch(/integer divide error at main\+0x/);
  });

  it("gives the program a read-only view of allowed paths only", () => {
    const exe = compileFixture("programs/read_file.c", { flags: STATIC });
    const inside = exe; // the program's own directory is allowed by default
    const outside = "/etc/hostname";
    const emu = runEmulated(exe, { args: [inside, outside, "/nonexistent/file"] });
    expect(emu.stdout).toContain(`${inside}: size `);
    expect(emu.stdout).toContain(`${outside}: No such file or directory`);
    expect(emu.stdout).toContain("/nonexistent/file: No such file or directory");
  });
});

function signalNumber(name: string): number {
  const table: Record<string, number> = { SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGSEGV: 11 };
  return table[name] ?? 0;
}
