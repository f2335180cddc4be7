/**
 * `jitdbg rtdyld` keeps `llvm-rtdyld -execute`'s contract: link the objects, run the entry, exit
 * with its return value. Compared with the native build, llvm-rtdyld itself where it is installed,
 * and, with --host, a static glibc executable whose printf the JIT code calls.
 */
import { spawnSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { rtdyldCommand } from "../../src/cli/rtdyld.js";
import { compileFixture, runNative } from "../helpers/compile.js";
import { corpusObjects, hostExecutable, nativeResult } from "./corpus-helpers.js";

function llvmRtdyld(): string | undefined {
  for (const exe of ["llvm-rtdyld", "llvm-rtdyld-14"]) if (spawnSync(exe, ["--version"]).status === 0) return exe;
  return undefined;
}

describe("jitdbg rtdyld", () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(process.stdout, "write").mockImplementation((d: string | Uint8Array) => (out.push(typeof d === "string" ? d : Buffer.from(d).toString()), true));
    vi.spyOn(process.stderr, "write").mockImplementation((d: string | Uint8Array) => (err.push(typeof d === "string" ? d : Buffer.from(d).toString()), true));
  });
  afterEach(() => vi.restoreAllMocks());

  for (const flags of [["-O2", "-fno-pic"], ["-O2", "-fPIC"], ["-O1", "-mcmodel=large"]]) {
    it(`exits with main's return value, like the native build (${flags.join(" ")})`, async () => {
      const objs = ["rt_main.c", "rt_lib.c"].map((f) => compileFixture(`jit/${f}`, { object: true, flags }));
      const native = runNative(compileFixture("jit/rt_main.c", { flags: [...flags, "-no-pie"], extraSources: ["jit/rt_lib.c"] }));
      expect(await rtdyldCommand([...objs, "--show-times"])).toBe(native.status);
      expect(err.join("")).toMatch(/load [\d.]+ ms, resolve\+relocate [\d.]+ ms, finalize [\d.]+ ms/);
      const llvm = llvmRtdyld();
      // llvm-rtdyld maps memory anywhere, so only position-independent objects run there.
      if (llvm && flags.includes("-fPIC")) expect(spawnSync(llvm, ["-execute", "--entry=main", ...objs]).status).toBe(native.status);
    });
  }

  it("runs --entry with a bare --host executable providing a function and a __thread variable", async () => {
    const flags = ["-O2", "-fPIC"];
    const status = await rtdyldCommand(["--host", hostExecutable(), "--entry", "test_main", "--seed", "3", ...corpusObjects("gcc", flags)]);
    const checksum = Number(nativeResult("gcc", flags).split("|")[0]);
    expect(status).toBe(checksum & 0xff);
  });

  it("calls the host's libc with --host (static glibc runs to main first; exit() flushes stdout)", async () => {
    const host = compileFixture("jit/host_libc.c", { flags: ["-O2", "-static"] });
    const obj = compileFixture("jit/hello_libc.c", { object: true, flags: ["-O2", "-fno-pic"] });
    const status = await rtdyldCommand(["--host", host, obj]);
    expect(err.join("")).toBe("");
    expect(out.join("")).toBe("hello from the JIT, argc=1, via host libc\n");
    expect(status).toBe(42);
  });

  for (const flags of [["-O2", "-fno-pic"], ["-O2", "-fPIC"], ["-O1", "-mcmodel=large"]]) {
    it(`JIT TLS next to a glibc host's TLS, initial-exec and general-dynamic (${flags.join(" ")})`, async () => {
      const host = compileFixture("jit/host_libc.c", { flags: ["-O2", "-static"], extraSources: ["jit/host_tls_data.c"] });
      const obj = compileFixture("jit/jit_tls.c", { object: true, flags });
      const native = runNative(compileFixture("jit/jit_tls.c", { flags: [...flags, "-no-pie"], extraSources: ["jit/host_tls_data.c"] }));
      const status = await rtdyldCommand(["--host", host, obj]);
      expect(out.join("")).toBe(native.stdout);
      expect(status).toBe(native.status);
    });
  }

  it("reports a missing entry and unknown options as errors", async () => {
    const obj = compileFixture("jit/rt_lib.c", { object: true, flags: ["-O2"] });
    await expect(rtdyldCommand([obj])).rejects.toThrow(/no function named "main"/);
    await expect(rtdyldCommand(["--bogus", obj])).rejects.toThrow(/unknown option --bogus/);
  });
});
