import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isJitdbgError } from "../../src/errors.js";
import { Process, type ProcessOptions } from "../../src/inferior/process.js";
import { compileFixture, compileSource, repoRoot } from "../helpers/compile.js";

const workDir = join(repoRoot, ".cache", "corrupt");
let good: Uint8Array;

// Field offsets in the ELF64 header and program headers (gABI).
const E_TYPE = 16, E_MACHINE = 18, E_PHOFF = 32, E_PHENTSIZE = 54, E_SHSTRNDX = 62, E_SHNUM = 60;
const PH = (i: number) => Number(new DataView(good.buffer, good.byteOffset).getBigUint64(E_PHOFF, true)) + i * 56;

function firstLoad(bytes: Uint8Array, nth = 0): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const phnum = v.getUint16(56, true);
  let seen = 0;
  for (let i = 0; i < phnum; i++) if (v.getUint32(PH(i), true) === 1 && seen++ === nth) return PH(i);
  throw new Error("no PT_LOAD");
}

function patched(edit: (b: Uint8Array, v: DataView) => Uint8Array | void): Uint8Array {
  const b = Uint8Array.from(good);
  const v = new DataView(b.buffer);
  return edit(b, v) ?? b;
}

const CORRUPTIONS: { name: string; code: string; message: RegExp; bytes: () => Uint8Array }[] = [
  { name: "empty file", code: "ELF_NOT_ELF", message: /not an ELF file/, bytes: () => new Uint8Array(0) },
  { name: "a text file", code: "ELF_NOT_ELF", message: /not an ELF file/, bytes: () => Buffer.from("not a program, only text\n") }, // (a #! script runs its interpreter: test/cli/program-path.test.ts)
  { name: "truncated inside the ELF header", code: "ELF_TRUNCATED", message: /truncated: 20 bytes/, bytes: () => good.subarray(0, 20) },
  { name: "32-bit class", code: "ELF_CLASS", message: /32-bit ELF/, bytes: () => patched((b) => void (b[4] = 1)) },
  { name: "big-endian data", code: "ELF_ENDIAN", message: /big-endian/, bytes: () => patched((b) => void (b[5] = 2)) },
  { name: "AArch64 machine", code: "ELF_MACHINE", message: /machine 183 \(AArch64\) is not x86-64/, bytes: () => patched((_b, v) => v.setUint16(E_MACHINE, 183, true)) },
  { name: "core file type", code: "ELF_TYPE", message: /unsupported ELF type 4/, bytes: () => patched((_b, v) => v.setUint16(E_TYPE, 4, true)) },
  { name: "program headers past the end", code: "ELF_TRUNCATED", message: /program headers .* run past the end/, bytes: () => patched((_b, v) => v.setBigUint64(E_PHOFF, BigInt(good.length - 8), true)) },
  { name: "wrong program header entry size", code: "ELF_CORRUPT", message: /program header entry size is 32/, bytes: () => patched((_b, v) => v.setUint16(E_PHENTSIZE, 32, true)) },
  { name: "truncated to half (segments point outside the file)", code: "ELF_SEGMENT_BOUNDS", message: /past the end of the file/, bytes: () => patched((_b, v) => v.setUint16(E_SHNUM, 0, true)).subarray(0, good.length >> 1) },
  { name: "segment file size larger than memory size", code: "ELF_CORRUPT", message: /file size .* larger than its memory size/, bytes: () => patched((_b, v) => v.setBigUint64(firstLoad(good, 1) + 40, 1n, true)) },
  { name: "overlapping loadable segments", code: "ELF_SEGMENT_OVERLAP", message: /overlap in memory/, bytes: () => patched((_b, v) => v.setBigUint64(firstLoad(good, 1) + 16, v.getBigUint64(firstLoad(good, 0) + 16, true), true)) },
  { name: "section name table index out of range", code: "ELF_CORRUPT", message: /section name table index \d+ is out of range/, bytes: () => patched((_b, v) => v.setUint16(E_SHSTRNDX, 0xfff0, true)) },
  { name: "segment not page-congruent", code: "ELF_CORRUPT", message: /not page-congruent/, bytes: () => patched((_b, v) => v.setBigUint64(firstLoad(good, 1) + 16, v.getBigUint64(firstLoad(good, 1) + 16, true) + 8n, true)) },
];

beforeAll(() => {
  mkdirSync(workDir, { recursive: true });
  good = readFileSync(compileFixture("programs/hello.c", { flags: ["-static", "-O1"] }));
});

function writeCase(name: string, bytes: Uint8Array): string {
  const path = join(workDir, name.replace(/[^a-z0-9]+/gi, "_"));
  writeFileSync(path, bytes);
  return path;
}

function launchError(path: string): { code: string; message: string } {
  return launchError2(path, {});
}

function launchError2(path: string, opts: ProcessOptions): { code: string; message: string } {
  try {
    Process.launch(path, opts).close();
  } catch (e) {
    if (isJitdbgError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error(`${path} loaded without an error`);
}

describe("the loader rejects bad input with one clear error", () => {
  for (const c of CORRUPTIONS) {
    it(c.name, () => {
      const path = writeCase(c.name, c.bytes());
      const err = launchError(path);
      expect(err.code).toBe(c.code);
      expect(err.message).toMatch(c.message);
      expect(err.message.startsWith(path)).toBe(true);
    });
  }

  it("a missing file", () => {
    expect(launchError("/nonexistent/prog")).toEqual({ code: "LOAD_NOT_FOUND", message: "/nonexistent/prog: no such file" });
  });

  it("a directory", () => {
    expect(launchError(workDir).code).toBe("LOAD_NOT_FILE");
  });

  it("a dynamically linked executable whose interpreter is missing names it and where it looked", () => {
    const exe = readFileSync(compileSource("int main(void){return 0;}", { flags: ["-O1"] }, "dynamic"));
    const at = Buffer.from(exe).indexOf("/lib64/ld-linux-x86-64.so.2");
    expect(at).toBeGreaterThan(0);
    const bytes = Uint8Array.from(exe);
    bytes.set(Buffer.from("/lib64/ld-nowhere-x86-6.so.2"), at); // same length, still NUL-terminated
    const path = writeCase("missing interpreter", bytes);
    const err = launchError(path);
    expect(err.code).toBe("LOAD_NO_INTERPRETER");
    expect(err.message).toBe(
      `${path}: needs the dynamic loader /lib64/ld-nowhere-x86-6.so.2, which does not exist on the host (looked for /lib64/ld-nowhere-x86-6.so.2); install the C library that provides it, pass a sysroot that has it, or rebuild the program with -static`,
    );
    const inRoot = launchError2(path, { sysroot: workDir });
    expect(inRoot.code).toBe("LOAD_NO_INTERPRETER");
    expect(inRoot.message).toContain(`(looked for ${join(workDir, "/lib64/ld-nowhere-x86-6.so.2")})`);
  });

  it("an interpreter that is not an ELF file (inside a sysroot)", () => {
    const exe = compileSource("int main(void){return 0;}", { flags: ["-O1"] }, "dynamic");
    const root = join(workDir, "fake-sysroot");
    mkdirSync(join(root, "lib64"), { recursive: true });
    writeFileSync(join(root, "lib64", "ld-linux-x86-64.so.2"), "not an ELF\n");
    const err = launchError2(exe, { sysroot: root });
    expect(err.code).toBe("ELF_NOT_ELF");
    expect(err.message).toBe(`${join(root, "lib64", "ld-linux-x86-64.so.2")}: not an ELF file (no \\x7fELF magic)`);
  });

  it("a relocatable object", () => {
    const obj = compileSource("int f(void){return 1;}", { object: true }, "object");
    expect(launchError(obj).code).toBe("LOAD_NOT_EXECUTABLE");
  });
});

describe("the CLI prints one line and exits non-zero", () => {
  const cli = join(repoRoot, "bin", "jitdbg.js");
  it.each([
    ["32-bit class", () => patched((b) => void (b[4] = 1)), /^jitdbg: .*32-bit ELF.*\n$/],
    ["truncated", () => good.subarray(0, 100), /^jitdbg: .*program headers .* run past the end of the file.*\n$/],
  ])("%s", (name, bytes, pattern) => {
    const path = writeCase(`cli ${name}`, bytes());
    const r = spawnSync("node", [cli, "run", path], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("exits with the program's status and reports a fault as a shell would", () => {
    const exe = compileFixture("programs/segfault.c", { flags: ["-static", "-O1"] });
    const r = spawnSync("node", [cli, "run", exe], { encoding: "utf8" });
    expect(r.status).toBe(139);
    expect(r.stdout).toBe("about to crash\n");
    expect(r.stderr).toMatch(/^jitdbg: program terminated by SIGSEGV: invalid write of unmapped address 0x10 at main\+0x[0-9a-f]+\n$/);
    const ok = execFileSync("node", [cli, "run", compileFixture("programs/hello.c", { flags: ["-static", "-O1"] })], { encoding: "utf8" });
    expect(ok).toBe("Hello, world!\n");
  });
});
