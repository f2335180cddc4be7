/**
 * The CLI prints an error's place from its structured `where` through the one formatter
 * (src/errors.ts formatError): `jitdbg rtdyld` on an object with a TLS-descriptor relocation says
 * "jitdbg: tlsdesc.o: section .text+0x...: unsupported relocation ...", as the linker's error has it.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rtdyldCommand } from "../../src/cli/rtdyld.js";
import { describeWhere, formatError, JitdbgError } from "../../src/errors.js";
import { JitSession } from "../../src/jit/session.js";
import { compileFixture, hasCompiler, repoRoot } from "../helpers/compile.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");

describe.skipIf(!hasCompiler("gcc"))("jitdbg rtdyld: error places", () => {
  it("an unsupported relocation is reported with its object, section and offset", () => {
    const dir = join(repoRoot, ".cache", "cli-error-where");
    mkdirSync(dir, { recursive: true });
    const obj = join(dir, "tlsdesc.o");
    copyFileSync(compileFixture("jit/tlsdesc.c", { object: true, flags: ["-O2", "-fPIC", "-mtls-dialect=gnu2"] }), obj);

    // The same error in-process: its place is in where, not in its text.
    const s = JitSession.create({ seed: 1 });
    let e: unknown;
    try {
      s.linker.addObject(readFileSync(obj), "tlsdesc.o");
    } catch (thrown) {
      e = thrown;
    } finally {
      s.close();
    }
    if (!(e instanceof JitdbgError)) throw e;
    expect(e.where).toMatchObject({ file: "tlsdesc.o", section: ".text" });
    expect(e.text).not.toMatch(/\.text|tlsdesc\.o/);

    const r = spawnSync(process.execPath, [BIN, "rtdyld", obj], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`jitdbg: ${formatError(e)}\n`);
    expect(r.stderr).toMatch(/^jitdbg: tlsdesc\.o: section \.text\+0x[0-9a-f]+: unsupported relocation R_X86_64_GOTPC32_TLSDESC against "far_tls"/);
  });

  it("an input that cannot be read is reported at its file (CLI_INPUT, where: { file })", async () => {
    const missing = join(repoRoot, ".cache", "cli-error-where", "no-such.o");
    let e: unknown;
    try {
      await rtdyldCommand([missing]);
    } catch (thrown) {
      e = thrown;
    }
    if (!(e instanceof JitdbgError)) throw e;
    expect(e.code).toBe("CLI_INPUT");
    expect(e.where).toEqual({ file: missing });
    expect(e.message).toBe(`${describeWhere(e.where)}${e.text}`);
    expect(e.text).toBe("cannot be read (ENOENT)");

    const r = spawnSync(process.execPath, [BIN, "rtdyld", missing], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`jitdbg: ${missing}: cannot be read (ENOENT)\n`);
  });
});
