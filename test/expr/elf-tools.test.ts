/**
 * The objects the compiler writes, read by binutils: readelf -a and objdump -dr must parse them
 * without a warning, show the relocations each code model and TLS model calls for, and the
 * .eh_frame FDE for the prologue.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, type CompileOptions } from "../../src/expr/compile.js";
import { ElfFile } from "../../src/elf/reader.js";
import { harnessScope } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "jitdbg-expr-elf-"));

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe("");
  expect(r.stdout).not.toMatch(/warning|Warning|corrupt|invalid/);
  return r.stdout;
}

function objectFor(src: string, opts: CompileOptions, name: string): string {
  const path = join(dir, `${name}.o`);
  writeFileSync(path, compile(src, harnessScope(), opts).object);
  return path;
}

describe("objects under binutils", () => {
  const src = 'tls_counter + head->next->id + strlen("abc") + scale(ratio, 2) + local';

  it.each([
    ["small-pic", "initial-exec", ["R_X86_64_REX_GOTPCRELX\\s+.*head", "R_X86_64_PC32\\s+.*\\.rodata", "R_X86_64_PLT32\\s+.*strlen", "R_X86_64_GOTTPOFF\\s+.*tls_counter"]],
    ["small", "general-dynamic", ["R_X86_64_PC32\\s+.*head", "R_X86_64_TLSGD\\s+.*tls_counter", "R_X86_64_PLT32\\s+.*__tls_get_addr", "R_X86_64_PLT32\\s+.*scale"]],
    ["large", "initial-exec", ["R_X86_64_64\\s+.*head", "R_X86_64_64\\s+.*strlen", "R_X86_64_64\\s+.*\\.rodata", "R_X86_64_GOTTPOFF\\s+.*tls_counter"]],
  ] as const)("%s code model, %s TLS", (codeModel, tlsModel, relocs) => {
    const o = objectFor(src, { codeModel, tlsModel }, `${codeModel}-${tlsModel}`);
    const re = tool("readelf", ["-a", "-W", o]);
    for (const r of relocs) expect(re).toMatch(new RegExp(r));
    expect(re).toMatch(/FUNC\s+GLOBAL\s+DEFAULT\s+1 __jitdbg_expr/);
    expect(re).toMatch(/TLS\s+GLOBAL\s+DEFAULT\s+UND tls_counter/);
    expect(re).toMatch(/\.note\.GNU-stack/);
    const frames = tool("readelf", ["--debug-dump=frames", o]);
    expect(frames).toMatch(/FDE cie=00000000 pc=0+\.\.[0-9a-f]+/);
    expect(frames).toMatch(/DW_CFA_def_cfa_offset: 16\n\s+DW_CFA_offset: r6 \(rbp\) at cfa-16\n\s+DW_CFA_advance_loc: 3 to 0+4\n\s+DW_CFA_def_cfa_register: r6 \(rbp\)/);
    const dis = tool("objdump", ["-dr", o]);
    expect(dis).toMatch(/push\s+%rbp\n.*mov\s+%rsp,%rbp/);
    expect(dis).not.toMatch(/\(bad\)/);
    // Our own reader accepts it too.
    const elf = ElfFile.parse(new Uint8Array(execFileSync("cat", [o])), o);
    expect(elf.isRelocatable).toBe(true);
    // gcc's layout less the empty .data and .bss (the console's code has no writable data of its own).
    expect(elf.sections.map((s) => s.name)).toEqual(["", ".text", ".rela.text", ".rodata", ".eh_frame", ".rela.eh_frame", ".note.GNU-stack", ".symtab", ".strtab", ".shstrtab"]);
  });

  it("a console function definition exports its symbol and links into a shared object", () => {
    const o = objectFor("int fact(int n) { int r = 1; while (n > 1) r *= n--; return r; }", {}, "fact");
    const re = tool("readelf", ["-s", "-W", o]);
    expect(re).toMatch(/FUNC\s+GLOBAL\s+DEFAULT\s+1 fact/);
    execFileSync("gcc", ["-shared", "-o", join(dir, "libfact.so"), o]);
  });
});
