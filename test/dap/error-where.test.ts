/**
 * The place of an error reaches the client from the error's structured `where`, written by the
 * one formatter (src/errors.ts describeWhere): launching an executable whose section header points
 * past the end of the file answers with "<file>: section <n>: ...", the file and the section taken
 * from `where`, not from the reader's text.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ElfFile } from "../../src/elf/reader.js";
import { describeWhere, JitdbgError } from "../../src/errors.js";
import { compileFixture, repoRoot } from "../helpers/compile.js";
import { ADAPTER, errorOf, startClient } from "../helpers/dap.js";

const SHT_PROGBITS = 1;

let damaged: string;
let section: number;
let dc: DebugClient | undefined;

beforeAll(() => {
  if (!existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run \`npm run build\` first (npm test does)`);
  const exe = compileFixture("programs/hello.c", { flags: ["-static", "-O0"] });
  const elf = Buffer.from(readFileSync(exe));
  // The last PROGBITS section's size is made to run far past the end of the file.
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  section = -1;
  for (let i = 0; i < shnum; i++) if (elf.readUInt32LE(shoff + i * shentsize + 4) === SHT_PROGBITS) section = i;
  expect(section).toBeGreaterThan(0);
  elf.writeBigUInt64LE(0x7fff_0000n, shoff + section * shentsize + 32);
  const dir = join(repoRoot, ".cache", "dap");
  mkdirSync(dir, { recursive: true });
  damaged = join(dir, `section-past-end-${process.pid}`);
  writeFileSync(damaged, elf, { mode: 0o755 });
});

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("error places over DAP", () => {
  it("a launch error names the file and the section from where", async () => {
    let thrown: JitdbgError | undefined;
    try {
      ElfFile.parse(new Uint8Array(readFileSync(damaged)), damaged);
    } catch (e) {
      if (!(e instanceof JitdbgError)) throw e;
      thrown = e;
    }
    expect(thrown?.code).toBe("ELF_SECTION_BOUNDS");
    expect(thrown?.where).toEqual({ file: damaged, section: String(section) });
    expect(thrown?.text).not.toContain(damaged);

    dc = await startClient();
    await dc.initializeRequest({ adapterID: "jitdbg" });
    const refused = await errorOf(dc.launchRequest({ program: damaged } as DebugProtocol.LaunchRequestArguments));
    expect(refused.message).toBe(`${describeWhere(thrown!.where)}${thrown!.text}`);
    expect(refused.message).toMatch(new RegExp(`^${damaged.replace(/[.+]/g, "\\$&")}: section ${section}: its header says it covers file bytes 0x[0-9a-f]+\\.\\.0x[0-9a-f]+, past the end of the file`));
  });
});
