/**
 * statx (field by field the same as fstatat), extended attributes (none shown), getpeername and
 * getsockname on descriptors that are not sockets, and mincore: stat_queries.c
 * (test/fixtures/syscalls), built static and dynamic, against its native run, in a directory made here.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFixture, runNative } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const BUILDS: Record<string, string[]> = { static: ["-static", "-O1"], dynamic: ["-O1"] };

let dir: string;

describe("statx, xattrs, socket names and mincore", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jitdbg-stat-queries-"));
    writeFileSync(join(dir, "f"), "hello\n");
    symlinkSync("f", join(dir, "l"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [build, flags] of Object.entries(BUILDS)) {
    it(`answer as on Linux (${build})`, () => {
      const exe = compileFixture("syscalls/stat_queries.c", { flags });
      const native = runNative(exe, [dir]);
      expect(native.stdout).toContain("statx(l, 0x100): ok, basic mask 0x7ff, mode 120777, size 1, same as fstatat: yes\n");
      expect(native.stdout).toContain("getxattr(f, security.capability): No data available\n");
      const emu = runEmulated(exe, { args: [dir], argv0: exe, allowedPaths: [dir] });
      expect(emu.stdout).toBe(native.stdout);
      expect(emu.stderr).toBe(native.stderr);
      expect(emu.status).toBe(native.status);
      expect(emu.warnings).toEqual([]);
    });
  }
});
