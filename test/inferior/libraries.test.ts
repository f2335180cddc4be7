import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import type { Die } from "../../src/dwarf/index.js";
import { findDebugFile } from "../../src/elf/debug-file.js";
import { ElfFile } from "../../src/elf/reader.js";
import { discoverTlsLayout } from "../../src/inferior/tls.js";
import type { LibraryEvent } from "../../src/inferior/images.js";
import { MMAP_HIGH } from "../../src/inferior/address-space.js";
import { Process, type ProcessOptions } from "../../src/inferior/process.js";
import { compileFixture } from "../helpers/compile.js";
import { buildWithLibshape, DYNAMIC } from "./dynamic-build.js";

interface Launched {
  proc: Process;
  out: () => string;
  err: () => string;
  events: { kind: string; name: string; base: bigint; stdoutAt: number }[];
}

function launch(exe: string, opts: ProcessOptions = {}): Launched {
  let out = "";
  let err = "";
  const events: Launched["events"] = [];
  const proc = Process.launch(exe, {
    env: [],
    ...opts,
    onStdout: (d) => (out += Buffer.from(d).toString("latin1")),
    onStderr: (d) => (err += Buffer.from(d).toString("latin1")),
    onLibrary: (e: LibraryEvent) => events.push({ kind: e.kind, name: e.image.name, base: e.image.base, stdoutAt: out.length }),
  });
  return { proc, out: () => out, err: () => err, events };
}

const names = (p: Process) => p.images.list().map((i) => `${i.kind}:${i.name}`);

/** Runs to `main` (the address comes from the program's own symbols). */
function runToMain(p: Process): void {
  const main = p.images.program.symbols.addressOf("main");
  expect(main).toBeDefined();
  expect(p.run({ until: main })).toEqual({ kind: "stopped" });
  expect(p.pc).toBe(main);
}

function stderrAddresses(err: string): { puts: bigint; shapeSides: bigint; tls: bigint } {
  const m = /puts=0x([0-9a-f]+) shape_sides=0x([0-9a-f]+) tls=0x([0-9a-f]+)/.exec(err);
  expect(m).not.toBeNull();
  return { puts: BigInt(`0x${m![1]}`), shapeSides: BigInt(`0x${m![2]}`), tls: BigInt(`0x${m![3]}`) };
}

describe("loaded images of a dynamically linked program", () => {
  it("after startup: the program, ld-linux, the test library and libc, with their bases", () => {
    const { exe, lib } = buildWithLibshape("dynamic/uses_lib.c");
    const l = launch(exe);
    try {
      expect(names(l.proc)).toEqual(["program:" + exe.split("/").pop(), "interpreter:ld-linux-x86-64.so.2"]);
      runToMain(l.proc);
      expect(names(l.proc)).toEqual([
        "program:" + exe.split("/").pop(),
        "library:libshape.so",
        "library:libm.so.6",
        "library:libc.so.6",
        "interpreter:ld-linux-x86-64.so.2",
      ]);
      const byName = new Map(l.proc.images.list().map((i) => [i.name, i]));
      const shape = byName.get("libshape.so")!;
      expect(shape.path).toBe(lib.path);
      expect(shape.hostPath).toBe(lib.path);
      expect(byName.get("libc.so.6")!.path).toMatch(/^\/(usr\/)?lib\/x86_64-linux-gnu\/libc\.so\.6$/);
      for (const img of l.proc.images.list()) {
        expect(img.base % 0x1000n).toBe(0n);
        // Each base is the start of a mapping of that very file.
        const region = l.proc.space.regionAt(img.base);
        expect(region, img.name).toBeDefined();
        expect(region!.name.endsWith(img.name) || region!.name === img.path, `${img.name} at ${region!.name}`).toBe(true);
        if (img.kind !== "program") expect(img.linkMap).toBeDefined();
        expect(img.file.header.type).toBe(3); // ET_DYN: PIE, loader and libraries
      }
      expect(byName.get("ld-linux-x86-64.so.2")!.base).toBe(l.proc.initialStack.auxv.get(7)); // AT_BASE
      // Libraries are reported before any of their code runs (constructors print).
      expect(l.events.map((e) => `${e.kind}:${e.name}`)).toEqual([
        "loaded:" + exe.split("/").pop(),
        "loaded:ld-linux-x86-64.so.2",
        "loaded:libshape.so",
        "loaded:libm.so.6",
        "loaded:libc.so.6",
      ]);
      expect(l.events.every((e) => e.stdoutAt === 0)).toBe(true);
      expect(l.proc.runToEnd()).toEqual({ kind: "exited", status: 3 });
      expect(l.out()).toContain("libshape: destructor");
    } finally {
      l.proc.close();
    }
  });

  it("finds _dl_debug_state without its symbol, through the loader's store to r_debug.r_brk", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const withSymbol = launch(exe, { reproducible: true });
    const withoutSymbol = launch(exe, { reproducible: true, loaderBreakSymbols: [] });
    try {
      expect(withSymbol.proc.rendezvous?.source).toBe("symbol");
      expect(withoutSymbol.proc.rendezvous?.source).toBe("r_brk");
      runToMain(withSymbol.proc);
      runToMain(withoutSymbol.proc);
      expect(withoutSymbol.proc.rendezvous?.breakAddress).toBe(withSymbol.proc.rendezvous?.breakAddress);
      const summary = (p: Process) => p.images.list().map((i) => [i.path, i.base, i.linkMap]);
      expect(summary(withoutSymbol.proc)).toEqual(summary(withSymbol.proc));
    } finally {
      withSymbol.proc.close();
      withoutSymbol.proc.close();
    }
  });

  it("places everything at fixed addresses when reproducible", () => {
    const exe = compileFixture("programs/hello.c", { flags: DYNAMIC });
    const bases = () => {
      const l = launch(exe, { reproducible: true });
      try {
        runToMain(l.proc);
        return l.proc.images.list().map((i) => [i.name, i.base]);
      } finally {
        l.proc.close();
      }
    };
    const a = bases();
    expect(bases()).toEqual(a);
    expect(a[0]).toEqual([exe.split("/").pop(), 0x5555_5555_4000n]);
    const interp = a.find(([n]) => n === "ld-linux-x86-64.so.2")![1] as bigint;
    expect(interp < MMAP_HIGH && interp > MMAP_HIGH - 0x100000n).toBe(true); // the top of the mmap area
  });

  it("reports a library loaded by dlopen when it loads, and its unloading at dlclose", () => {
    const { lib } = buildWithLibshape("dynamic/uses_lib.c");
    const exe = compileFixture("dynamic/dlopen_lib.c", { flags: DYNAMIC });
    const l = launch(exe, { args: [lib.path], allowedPaths: [dirname(exe), lib.dir] });
    try {
      expect(l.proc.runToEnd()).toEqual({ kind: "exited", status: 0 });
      const out = l.out();
      const shape = l.events.filter((e) => e.name === "libshape.so");
      expect(shape.map((e) => e.kind)).toEqual(["loaded", "unloaded"]);
      const before = out.indexOf("before dlopen\n") + "before dlopen\n".length;
      expect(shape[0]!.stdoutAt).toBe(before); // after "before dlopen", before the constructor's output
      expect(out.slice(before)).toMatch(/^libshape: constructor\n/);
      const destructorEnd = out.indexOf("libshape: destructor\n") + "libshape: destructor\n".length;
      expect(shape[1]!.stdoutAt).toBe(destructorEnd); // after its destructor ran, before "after dlclose"
      expect(out.slice(destructorEnd)).toMatch(/^after dlclose\n/);
      expect(l.proc.images.list().some((i) => i.name === "libshape.so")).toBe(false);
    } finally {
      l.proc.close();
    }
  });
});

describe("symbols across images", () => {
  it("name → address: the first definition in load order, as the program itself resolved it", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const l = launch(exe);
    try {
      const stop = l.proc.lookupSymbol("stop_here");
      expect(stop?.image.kind).toBe("program");
      runToMain(l.proc);
      expect(l.proc.run({ until: stop!.address })).toEqual({ kind: "stopped" });
      const printed = stderrAddresses(l.err());
      const puts = l.proc.lookupSymbol("puts")!;
      expect(puts).toMatchObject({ address: printed.puts, kind: "function" });
      expect(puts.image.name).toBe("libc.so.6");
      const sides = l.proc.lookupSymbol("shape_sides")!;
      expect(sides.address).toBe(printed.shapeSides);
      expect(sides.image.name).toBe("libshape.so");
      expect(l.proc.lookupSymbol("shape_calls")).toMatchObject({ kind: "object", size: 4n });
      expect(l.proc.lookupSymbol("strlen")).toMatchObject({ kind: "ifunc" }); // the resolver, as in .dynsym
      expect(l.proc.lookupSymbol("main")?.image.kind).toBe("program");
      expect(l.proc.lookupSymbol("no_such_symbol_anywhere")).toBeUndefined();
      // address → image + symbol
      const at = l.proc.symbolAt(printed.puts + 4n)!;
      expect(at.image.name).toBe("libc.so.6");
      expect(at.symbol).toMatchObject({ name: "puts", offset: 4n });
      expect(l.proc.describe(printed.puts + 0x1an)).toBe("puts+0x1a in libc.so.6");
      expect(l.proc.describe(printed.shapeSides)).toBe("shape_sides in libshape.so");
      expect(l.proc.describe(0x10n)).toBe("0x10");
    } finally {
      l.proc.close();
    }
  });

  it("a fault inside a library names the function and the library", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const l = launch(exe, { args: ["crash"] });
    try {
      const end = l.proc.runToEnd();
      expect(end).toMatchObject({ kind: "signal", name: "SIGSEGV", address: 0n });
      expect(end.kind === "signal" && end.description).toMatch(/^invalid read of unmapped address 0x0 at shape_crash(\+0x[0-9a-f]+)? in libshape\.so$/);
    } finally {
      l.proc.close();
    }
  });

  it("a fault inside libc is symbolized with libc's debug-file symbols", () => {
    const exe = compileFixture("dynamic/libc_crash.c", { flags: DYNAMIC });
    const l = launch(exe);
    try {
      const end = l.proc.runToEnd();
      expect(l.out()).toBe("calling strlen(NULL)\n");
      expect(end.kind === "signal" && end.description).toMatch(/^invalid read of unmapped address 0x0 at __strlen_\w+(\+0x[0-9a-f]+)? in libc\.so\.6$/);
    } finally {
      l.proc.close();
    }
  });
});

describe("thread-local storage of a library", () => {
  it("finds libshape's TLS module id and this thread's block as the program sees them", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const l = launch(exe);
    try {
      const stop = l.proc.lookupSymbol("stop_here")!;
      expect(l.proc.run({ until: stop.address })).toEqual({ kind: "stopped" });
      const printed = stderrAddresses(l.err());
      const modid = BigInt(/libshape tls module (\d+)/.exec(l.out())![1]!);
      const shape = l.proc.images.list().find((i) => i.name === "libshape.so")!;
      const tls = l.proc.tlsOf(shape)!;
      expect(tls).toBeDefined();
      expect(tls.moduleId).toBe(modid);
      const sym = l.proc.lookupSymbol("shape_tls")!;
      expect(sym.kind).toBe("tls");
      expect(tls.block! + sym.tlsOffset!).toBe(printed.tls);
      expect(tls.block).toBe(l.proc.cpu.reg("fs_base") - tls.offset); // static TLS: tp - l_tls_offset
      expect(tls.initImage).toBe(shape.bias + shape.file.segments.find((p) => p.type === 7)!.vaddr);
      expect(l.proc.tlsOf(l.proc.images.interpreter!)).toBeUndefined(); // ld.so has no PT_TLS
    } finally {
      l.proc.close();
    }
  });
});

describe("struct link_map's TLS fields", () => {
  it("are where the loader's DWARF (libc6-dbg) says, when that debug file is installed", async () => {
    const interp = ElfFile.parse(readFileSync("/lib64/ld-linux-x86-64.so.2"), "/lib64/ld-linux-x86-64.so.2");
    const dbg = findDebugFile(interp);
    if (!dbg) return; // no libc6-dbg: the memory scan is all there is
    const { Dwarf, DW_TAG, DW_AT } = await import("../../src/dwarf/index.js");
    const dwarf = Dwarf.fromElf(dbg);
    let offsets: Map<string, number> | undefined;
    const visit = (die: Die): void => {
      if (offsets) return;
      if (die.tag === DW_TAG.structure_type && die.name === "link_map" && die.children.length > 0) {
        offsets = new Map(die.children.filter((c) => c.tag === DW_TAG.member && c.name).map((c) => [c.name!, c.num(DW_AT.data_member_location) ?? -1]));
        return;
      }
      for (const c of die.children) visit(c);
    };
    for (const unit of dwarf.units) {
      if (!/rtld\.c$/.test(unit.name ?? "")) continue;
      visit(unit.tree());
    }
    expect(offsets).toBeDefined();
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const l = launch(exe);
    try {
      runToMain(l.proc);
      const shape = l.proc.images.list().find((i) => i.name === "libshape.so")!;
      const layout = discoverTlsLayout(l.proc.kernel, shape.linkMap!, shape.file, shape.bias)!;
      expect(layout).toEqual({
        initImage: offsets!.get("l_tls_initimage"),
        blockSize: offsets!.get("l_tls_blocksize"),
        align: offsets!.get("l_tls_align"),
        offset: offsets!.get("l_tls_offset"),
        modid: offsets!.get("l_tls_modid"),
      });
    } finally {
      l.proc.close();
    }
  }, 60000);
});
