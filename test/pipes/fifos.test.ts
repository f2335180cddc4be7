/**
 * Named pipes (mkfifo, mknod) against the native runs of test/fixtures/pipes/fifo.c in the three
 * build kinds: the FIFO made in an --allow-write directory (a host FIFO in place) and in the
 * scratch layer's /tmp; stat, readdir, O_NONBLOCK opens, O_RDWR, blocking opens in both orders
 * with a forked partner and 4 MiB each way, EOF and EPIPE, opens interrupted by a signal, two
 * names of one FIFO, the pipe dropped with its last end, unlink while open. Device nodes are
 * refused (the emulated run only: natively root may make them); an open no writer will ever end
 * is a deadlock that names it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEADLOCK_STATUS } from "../../src/inferior/process.js";
import { runEmulated } from "../helpers/emulate.js";
import { BUILD_KINDS, buildPipes } from "./harness.js";

const made: string[] = [];
const freshDir = (label: string): string => {
  const d = mkdtempSync(join(tmpdir(), `jitdbg-fifo-${label}-`));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function nativeIn(cwd: string, exe: string, args: string[]) {
  const r = spawnSync(exe, args, { cwd, env: {}, encoding: "latin1", timeout: 60_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

describe.each(BUILD_KINDS)("named pipes (gcc %s)", (kind) => {
  for (const where of ["an --allow-write directory", "the scratch layer's /tmp"]) {
    it(`in ${where}: as natively, the bytes through emulated pipes`, () => {
      const exe = buildPipes("fifo", kind);
      const inPlace = where.startsWith("an");
      const arg = inPlace ? "." : "tmp";
      const n = nativeIn(freshDir("native"), exe, [arg]);
      expect(n.status).toBe(0);
      expect(n.stdout).toContain("stat: ok, fifo 1");
      expect(n.stdout).toContain("reader opened first: read 4194304 bytes, pattern right, then EOF; writer status 0\n");
      expect(n.stdout).toContain("no SA_RESTART: open EINTR, handled 1\n");
      const cwd = freshDir("emulated");
      const e = runEmulated(exe, { args: [arg], argv0: exe, env: [], cwd, allowedPaths: [dirname(exe)], writablePaths: inPlace ? [cwd] : [] });
      expect(e.stdout).toBe(n.stdout);
      expect(e.stderr).toBe(n.stderr);
      expect(e.status).toBe(n.status);
      expect(e.warnings).toEqual([]);
      expect(e.blocks).toBeGreaterThan(5_000_000n); // long enough to cross many run slices
      expect(readdirSync(cwd)).toEqual([]); // the program removed what it made
    });
  }

  it("mknod of a device node is EPERM, in place and in the scratch layer, and says so in the log", () => {
    const exe = buildPipes("fifo", kind);
    const cwd = freshDir("devices");
    for (const [arg, writablePaths] of [[".", [cwd]], ["tmp", []]] as const) {
      const e = runEmulated(exe, { args: [arg, "devices"], argv0: exe, env: [], cwd, allowedPaths: [dirname(exe)], writablePaths: [...writablePaths] });
      expect(e.stdout).toBe("mknod S_IFCHR: Operation not permitted\nmknod S_IFBLK: Operation not permitted\nnone made: 1\n");
      expect(e.warnings).toEqual([expect.stringMatching(/mknod of a device node .* is refused with EPERM/)]);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("a blocking open that no partner will ever end is a deadlock that names the FIFO", () => {
    const exe = buildPipes("fifo", kind);
    const e = runEmulated(exe, { args: ["tmp", "alone"], argv0: exe, env: [], allowedPaths: [dirname(exe)] });
    expect(e.stdout).toBe("opening for reading, no writer\n");
    expect(e.status).toBe(DEADLOCK_STATUS);
    expect(e.description).toMatch(/open of FIFO \/tmp\/fifo\w+\/p for reading/);
  });
});
