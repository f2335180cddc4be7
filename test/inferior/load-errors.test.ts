/**
 * The loader's errors keep their place in `where` (the file): the message is describeWhere(where)
 * followed by the text, as src/errors.ts formats every place, and the text does not repeat the file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Cpu } from "../../src/emu/cpu.js";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import { ElfFile } from "../../src/elf/reader.js";
import { describeWhere, formatError, type JitdbgError } from "../../src/errors.js";
import { AddressSpace } from "../../src/inferior/address-space.js";
import { Image } from "../../src/inferior/images.js";
import { loadInterpreter } from "../../src/inferior/interpreter.js";
import { parseLdCache } from "../../src/inferior/ld-cache.js";
import { loadExecutable } from "../../src/inferior/loader.js";
import { Rng } from "../../src/inferior/random.js";
import { compileSource, repoRoot } from "../helpers/compile.js";
import { caught } from "../jit/corpus-helpers.js";

let cpu: Cpu | undefined;
afterEach(() => {
  cpu?.close();
  cpu = undefined;
});

function space(): AddressSpace {
  cpu = createUnicornCpu();
  return new AddressSpace(cpu, new Rng(1n), false);
}

/** The error's place is its file alone, and its message is that place and then its text. */
function expectFilePlace(e: JitdbgError, file: string): void {
  expect(e.where).toEqual({ file });
  expect(e.message).toBe(`${describeWhere(e.where)}${e.text}`);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.text).not.toContain(file);
  expect(formatError(e)).toBe(e.message);
}

describe("loader errors name their file in where", () => {
  it("a relocatable object is not loaded: LOAD_NOT_EXECUTABLE at the object", () => {
    const path = compileSource("int f(void){return 1;}", { object: true }, "object");
    const file = ElfFile.parse(new Uint8Array(readFileSync(path)), path);
    const e = caught(() => loadExecutable(space(), file, path));
    expect(e.code).toBe("LOAD_NOT_EXECUTABLE");
    expectFilePlace(e, path);
    expect(e.text).toBe("is a relocatable object (.o), not an executable; link it first, or load it with `jitdbg rtdyld`");
  });

  it("a missing dynamic loader: LOAD_NO_INTERPRETER at the program that asks for it", () => {
    const e = caught(() => loadInterpreter(space(), "/bin/prog", "/lib64/ld-nowhere.so.2"));
    expect(e.code).toBe("LOAD_NO_INTERPRETER");
    expectFilePlace(e, "/bin/prog");
    expect(e.text).toMatch(/^needs the dynamic loader \/lib64\/ld-nowhere\.so\.2, which does not exist on the host/);
  });

  it("a library the file view cannot reach: IMAGE_UNREADABLE at the library", () => {
    const image = new Image({ kind: "library", path: "/opt/x/libx.so", hostPath: undefined, bias: 0n, debugDirectories: [] });
    const e = caught(() => image.file);
    expect(e.code).toBe("IMAGE_UNREADABLE");
    expectFilePlace(e, "/opt/x/libx.so");
    const gone = new Image({ kind: "library", path: "/opt/x/liby.so", hostPath: join(repoRoot, ".cache", "no-such-lib.so"), bias: 0n, debugDirectories: [] });
    const e2 = caught(() => gone.file);
    expect(e2.code).toBe("IMAGE_UNREADABLE");
    expectFilePlace(e2, "/opt/x/liby.so");
    expect(e2.text).toMatch(/^cannot read .*no-such-lib\.so \(ENOENT\)$/);
  });

  it("a corrupt ld.so.cache: LDCACHE_CORRUPT at the cache", () => {
    const e = caught(() => parseLdCache(Buffer.from("not a cache"), "/etc/ld.so.cache"));
    expect(e.code).toBe("LDCACHE_CORRUPT");
    expectFilePlace(e, "/etc/ld.so.cache");
    expect(e.text).toMatch(/^no "glibc-ld\.so\.cache1\.1" table .*ldconfig/);
  });
});
