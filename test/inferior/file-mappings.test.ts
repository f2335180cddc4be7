/**
 * mmap of files: a read-only host file (the emulator maps it from the host, copy-on-write) and a
 * file the program wrote (copied in: nothing may fault in the debugger if the program shrinks it)
 * show the same bytes as natively, the last page included, and private stores stay private:
 * map_files.c (test/fixtures/syscalls), static and dynamic, against its native run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFixture, runNative } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const BUILDS: Record<string, string[]> = { static: ["-static", "-O1"], dynamic: ["-O1"] };
/** A host file bigger than a page that every Debian machine has. */
const HOST_FILE = "/usr/lib/x86_64-linux-gnu/libc.so.6";

let dir: string;

describe("file mappings", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jitdbg-map-files-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [build, flags] of Object.entries(BUILDS)) {
    for (const where of ["scratch", "allow-write"] as const) {
      it(`show the file's bytes as natively (${build}, the program's own file ${where === "scratch" ? "in the scratch layer" : "below --allow-write"})`, () => {
        const exe = compileFixture("syscalls/map_files.c", { flags });
        const native = runNative(exe, [HOST_FILE, dir]);
        expect(native.stdout).toContain("host file, whole: store stays private: yes\n");
        expect(native.stdout).toContain("own file, from page 2: first 03");
        const emu = runEmulated(exe, { args: [HOST_FILE, dir], argv0: exe, allowedPaths: [HOST_FILE, dir], writablePaths: where === "allow-write" ? [dir] : [] });
        expect(emu.stdout).toBe(native.stdout);
        expect(emu.status).toBe(native.status);
      });
    }
  }
});
