/**
 * A host's GNU indirect functions (a static glibc's strlen, memcpy, memset, strchr, floor: STT_GNU_IFUNC
 * in its .symtab) bind to the implementation their resolver picks, as the dynamic loader binds them,
 * never to the resolver. Objects built by gcc and clang run under `jitdbg rtdyld --host` exactly like
 * the same program linked natively (and like llvm-rtdyld, which takes them from the host's libc.so).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as C from "../../src/elf/constants.js";
import { ElfFile } from "../../src/elf/reader.js";
import { JitdbgError } from "../../src/errors.js";
import { rtdyldCommand } from "../../src/cli/rtdyld.js";
import { ElfSymbolResolver } from "../../src/jit/resolver.js";
import { JitSession } from "../../src/jit/session.js";
import { compileFixture, hasCompiler, runNative } from "../helpers/compile.js";

const IFUNCS = ["strlen", "memcpy", "memset", "strchr", "floor"];
const FLAG_SETS = [["-O2", "-fno-pic"], ["-O2", "-fPIC"], ["-O1", "-mcmodel=large"]];
const COMPILERS = ["gcc", ...(hasCompiler("clang") ? ["clang"] : [])];

function host(): string {
  return compileFixture("jit/host_ifunc.c", { flags: ["-O2", "-static"] });
}

function object(cc: string, flags: string[]): string {
  return compileFixture("jit/ifunc_calls.c", { cc, object: true, flags: [...flags, "-fno-builtin"] });
}

function llvmRtdyld(): string | undefined {
  for (const exe of ["llvm-rtdyld", "llvm-rtdyld-14"]) if (spawnSync(exe, ["--version"]).status === 0) return exe;
  return undefined;
}

/** The machine's libc.so.6 and libm.so.6, where llvm-rtdyld finds what the host's static libc gives us. */
function sharedLibc(): string[] | undefined {
  const libs = ["libc.so.6", "libm.so.6"].map((l) => spawnSync("gcc", [`-print-file-name=${l}`], { encoding: "utf8" }).stdout.trim());
  return libs.every((l) => l.startsWith("/") && existsSync(l)) ? libs : undefined;
}

describe("host indirect functions under jitdbg rtdyld --host", () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(process.stdout, "write").mockImplementation((d: string | Uint8Array) => (out.push(typeof d === "string" ? d : Buffer.from(d).toString("latin1")), true));
    vi.spyOn(process.stderr, "write").mockImplementation((d: string | Uint8Array) => (err.push(typeof d === "string" ? d : Buffer.from(d).toString("latin1")), true));
  });
  afterEach(() => vi.restoreAllMocks());

  for (const cc of COMPILERS) {
    for (const flags of FLAG_SETS) {
      it(`${cc} ${flags.join(" ")}: strlen, memcpy, memset, strchr and floor run like the native build`, async () => {
        const obj = object(cc, flags);
        const undefinedNames = ElfFile.parse(readFileSync(obj), obj)
          .symbols()
          .filter((s) => s.shndx === C.SHN_UNDEF && s.name !== "")
          .map((s) => s.name);
        expect(undefinedNames).toEqual(expect.arrayContaining(IFUNCS)); // really calls, not inlined
        const native = runNative(compileFixture("jit/ifunc_calls.c", { cc, flags: [...flags, "-fno-builtin", "-no-pie"] }));
        expect(native.stdout).toContain("strlen: 43 215 212\n");

        const status = await rtdyldCommand(["--host", host(), obj]);
        expect(err.join("")).toBe("");
        expect(out.join("")).toBe(native.stdout);
        expect(status).toBe(native.status);

        // llvm-rtdyld maps memory anywhere, so only position-independent objects run there.
        const llvm = llvmRtdyld();
        const libs = sharedLibc();
        if (llvm && libs && flags.includes("-fPIC")) {
          const r = spawnSync(llvm, ["-execute", "--entry=main", ...libs.map((l) => `--dylib=${l}`), obj], { encoding: "latin1" });
          expect(r.stdout.replace(/^loaded 'main' at: 0x[0-9a-f]+\n/m, "")).toBe(native.stdout);
          expect(r.status).toBe(native.status);
        }
      });
    }
  }

  for (const cc of COMPILERS) {
    it(`${cc}: a two-object program calling and taking the address of indirect functions across objects runs like its native link`, async () => {
      const flags = ["-O2", "-fno-pic", "-fno-builtin"];
      const objs = ["jit/ifunc_multi_main.c", "jit/ifunc_multi_lib.c"].map((f) => compileFixture(f, { cc, object: true, flags }));
      const native = runNative(compileFixture("jit/ifunc_multi_main.c", { cc, flags: [...flags, "-no-pie"], extraSources: ["jit/ifunc_multi_lib.c"] }));
      expect(native.stdout).toContain("same strlen everywhere: 1\n");
      const status = await rtdyldCommand(["--host", host(), ...objs]);
      expect(err.join("")).toBe("");
      expect(out.join("")).toBe(native.stdout);
      expect(status).toBe(native.status);
    });
  }

  it("a JIT constructor runs in a libc host without disturbing the registers main is entered with", async () => {
    const obj = compileFixture("jit/ctor_libc.c", { object: true, flags: ["-O2", "-fno-pic"] });
    const native = runNative(compileFixture("jit/ctor_libc.c", { flags: ["-O2", "-no-pie"] }));
    const status = await rtdyldCommand(["--host", host(), obj]);
    expect(err.join("")).toBe("");
    expect(out.join("")).toBe(native.stdout);
    expect(status).toBe(native.status);
  });

  it("runs each resolver once, keeps the host's registers, and binds what the host's start-up chose", () => {
    const path = host();
    const s = JitSession.create({ host: { path, mode: "process" } });
    try {
      const proc = s.process!;
      const before = (["rip", "rsp", "rdi", "rsi", "rdx", "rbx", "rbp"] as const).map((r) => s.cpu.reg(r));
      const calls: bigint[] = [];
      const call = s.executor.call.bind(s.executor);
      vi.spyOn(s.executor, "call").mockImplementation((address, args, opts) => (calls.push(address), call(address, args, opts)));
      s.linker.addObject(readFileSync(object("gcc", ["-O2", "-fno-pic"])), "ifunc_calls.o");
      s.linker.relocate();
      s.linker.finalize();

      // One resolver call per indirect function, however often the object calls it.
      const file = proc.image.file;
      const resolverOf = new Map(file.symbols().filter((sym) => sym.type === C.STT_GNU_IFUNC).map((sym) => [sym.name, sym.value + proc.image.bias]));
      expect(calls.length).toBe(IFUNCS.length);
      expect(new Set(calls)).toEqual(new Set(IFUNCS.map((n) => resolverOf.get(n)!)));
      // The registers main was entered with are intact (argc/argv/envp, its return address's stack).
      expect((["rip", "rsp", "rdi", "rsi", "rdx", "rbx", "rbp"] as const).map((r) => s.cpu.reg(r))).toEqual(before);

      // Each name binds to what the host's own start-up put in its IRELATIVE slot for that resolver.
      const slotOf = new Map<bigint, bigint>();
      for (const sec of file.sections) {
        if (sec.type !== C.SHT_RELA) continue;
        for (const r of file.relocations(sec)) if (r.type === C.R_X86_64_IRELATIVE) slotOf.set(r.addend + proc.image.bias, r.offset + proc.image.bias);
      }
      for (const name of IFUNCS) {
        const resolver = resolverOf.get(name)!;
        const slot = slotOf.get(resolver);
        expect(slot, `${name} has an IRELATIVE slot`).toBeDefined();
        const chosen = new DataView(s.cpu.read(slot!, 8).buffer).getBigUint64(0, true);
        const bound = s.hostSymbols!.lookup(name)!.address;
        expect(bound, name).not.toBe(resolver);
        expect(bound, name).toBe(chosen);
      }
      expect(calls.length).toBe(IFUNCS.length); // looked up again: cached

      // And the program runs to its end like the native build.
      s.cpu.setReg("rip", s.linker.getSymbolLoadAddress("main")!);
      const end = proc.runToEnd();
      const native = runNative(compileFixture("jit/ifunc_calls.c", { flags: ["-O2", "-fno-pic", "-fno-builtin", "-no-pie"] }));
      expect(end).toMatchObject({ kind: "exited", status: native.status });
    } finally {
      s.close();
    }
  });

  it("without a process to run the resolver in, an indirect function is an error, not its resolver's address", () => {
    const path = host();
    const r = new ElfSymbolResolver(ElfFile.parse(readFileSync(path), path));
    expect(r.lookup("printf")?.address).toBeGreaterThan(0n);
    let caught: unknown;
    try {
      r.lookup("strlen");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(JitdbgError);
    expect((caught as JitdbgError).code).toBe("JIT_HOST_IFUNC");
    expect((caught as JitdbgError).message).toMatch(/"strlen" in .*host_ifunc.* is a GNU indirect function/);
  });
});
