/**
 * Syscalls real programs use that the emulated Linux layer must answer as Linux does: getdents64
 * (and getdents) through the read-only view, sysinfo (glibc's qsort asks it), prctl's process name
 * and dumpable flag, sendfile. C programs in test/fixtures/syscalls, built static and dynamic, run
 * with stdout, stderr and status equal to their native runs; the directory they list is made here.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectory, readdirListing, type DirEntry } from "../../src/inferior/host-listing.js";
import { Process } from "../../src/inferior/process.js";
import { dispatchSyscall } from "../../src/inferior/syscalls/table.js";
import { compileFixture, runNative, type NativeRun } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const BUILDS: Record<string, string[]> = { static: ["-static", "-O1", "-g"], dynamic: ["-O1", "-g"] };
const EINVAL = 22n;

let dir: string;

/** The directory list_dir.c lists and sendfile_out.c reads from: every kind of entry, many names, odd names. */
function makeDirectory(): string {
  const d = mkdtempSync(join(tmpdir(), "jitdbg-listing-"));
  writeFileSync(join(d, "small.txt"), "hi\n");
  mkdirSync(join(d, "sub", "empty"), { recursive: true });
  writeFileSync(join(d, "sub", "inner.c"), "int x;\n");
  symlinkSync("small.txt", join(d, "link-to-small"));
  symlinkSync("/nonexistent/target", join(d, "dangling"));
  execFileSync("mkfifo", [join(d, "fifo")]);
  writeFileSync(join(d, ".hidden"), "");
  writeFileSync(join(d, "name with spaces"), "");
  writeFileSync(join(d, "ünïcödé-名前"), "");
  writeFileSync(Buffer.concat([Buffer.from(`${d}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from("-bytes")]), "");
  writeFileSync(join(d, "L".repeat(255)), "");
  // Enough names of varied lengths that glibc's 32 KiB buffer needs several getdents64 calls.
  for (let i = 0; i < 1200; i++) writeFileSync(join(d, `file-${String((i * 7919) % 1200).padStart(4, "0")}-${"x".repeat(i % 40)}`), "");
  // 135 KB of text for sendfile: more than one pipe's worth.
  writeFileSync(join(d, "data.txt"), Array.from({ length: 3000 }, (_, i) => `line ${i} ${"abcdefghijklmnopqrstuvwxyz".slice(i % 26)}${"0123456789".repeat(2)}\n`).join(""));
  return d;
}

/**
 * A native run whose standard streams are pipes, as the emulator's are (Node's spawnSync gives a
 * child Unix sockets instead, and sendfile tells them apart).
 */
function runNativePiped(exe: string, args: string[], stdin: string): NativeRun {
  const script = 'cat | "$0" "$@" 2> >(cat >&2) | cat; exit "${PIPESTATUS[1]}"';
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", script, exe, ...args], { env: {}, input: stdin, encoding: "latin1" });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? -1, signal: r.signal ?? null };
}

function expectSameAsNative(exe: string, args: string[] = [], stdin = "", native: NativeRun = runNative(exe, args, {}, stdin)): void {
  const emu = runEmulated(exe, { args, argv0: exe, stdin: Buffer.from(stdin, "latin1"), allowedPaths: [dir] });
  expect(emu.stdout).toBe(native.stdout);
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.status).toBe(native.status);
  expect(emu.warnings).toEqual([]);
}

const names = (l: DirEntry[] | number): string[] => (typeof l === "number" ? [] : l.map((e) => Buffer.from(e.name).toString("latin1")));

describe("Linux syscalls real programs use", () => {
  beforeAll(() => {
    dir = makeDirectory();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [build, flags] of Object.entries(BUILDS)) {
    it(`lists a directory as the host lists it: readdir order and d_type, scandir sorted, seekdir, getdents64 errors (${build})`, () => {
      const exe = compileFixture("syscalls/list_dir.c", { flags });
      const native = runNative(exe, [dir]);
      expect(native.stdout).toContain("-- 1213 entries, errno 0; of 1211 checked, d_ino = st_ino for 1211, d_type = st_mode for 1211\n");
      expect(native.stdout).toMatch(/^l link-to-small$/m);
      expect(native.stdout).toMatch(/^p fifo$/m);
      expectSameAsNative(exe, [dir]);
    });

    it(`sysinfo reports the host's memory, and qsort of a big array sorts as natively (${build})`, () => {
      const exe = compileFixture("syscalls/sysinfo_qsort.c", { flags });
      expect(runNative(exe).stdout).toContain("equal keys in input order 1");
      expectSameAsNative(exe);
    });

    it(`prctl names the process and sets its dumpable flag; bad arguments fail as on Linux (${build})`, () => {
      const exe = compileFixture("syscalls/prctl_name.c", { flags });
      expect(runNative(exe).stdout).toContain("after a long name: 0 [a-name-longer-t]");
      expectSameAsNative(exe);
    });

    it(`sendfile sends a file to stdout and stderr, with and without an offset pointer (${build})`, () => {
      const exe = compileFixture("syscalls/sendfile_out.c", { flags });
      const args = [join(dir, "data.txt"), dir];
      const native = runNativePiped(exe, args, "piped input\n");
      expect(native.stderr).toContain("off now 1100, file offset still 10\n");
      expect(native.stderr).toContain("in from stdout: -1 Bad file descriptor\nbad in fd");
      expectSameAsNative(exe, args, "piped input\n", native);
    });
  }

  it("the readdir(3) fallback lists the same entries as the host's getdents64, dots first", () => {
    const exact = listDirectory(dir);
    const fallback = readdirListing(dir);
    expect(typeof exact).not.toBe("number");
    expect(names(fallback).slice(0, 2)).toEqual([".", ".."]);
    expect(new Set(names(fallback))).toEqual(new Set(names(exact)));
    const byName = new Map((exact as DirEntry[]).map((e) => [Buffer.from(e.name).toString("latin1"), e]));
    for (const e of fallback as DirEntry[]) {
      const x = byName.get(Buffer.from(e.name).toString("latin1"))!;
      expect([e.type, e.ino]).toEqual([x.type, x.ino]);
    }
    expect(listDirectory(join(dir, "missing"))).toBe(2); // ENOENT
    expect(readdirListing(join(dir, "small.txt"))).toBe(20); // ENOTDIR
  });

  it("the process name and dumpable flag are kernel state an undone call puts back; other prctl options are EINVAL, Linux's own reported once", () => {
    const exe = compileFixture("programs/exit42.c", { flags: BUILDS.static! });
    const warnings: string[] = [];
    const proc = Process.launch(exe, { onWarning: (w) => warnings.push(w) });
    try {
      const k = proc.kernel;
      expect(Buffer.from(k.comm).toString("latin1")).toBe(`${exe.split("/").pop()!.slice(0, 15)}`.padEnd(16, "\0"));
      const saved = k.saveState();
      k.comm = new Uint8Array(16).fill(0x41, 0, 5);
      k.dumpable = 0;
      k.restoreState(saved);
      expect(Buffer.from(k.comm).toString("latin1").replace(/\0+$/, "")).toBe(exe.split("/").pop()!.slice(0, 15));
      expect(k.dumpable).toBe(1);

      const prctl = (option: bigint, arg = 0n) => dispatchSyscall(k, 157, [option, arg, 0n, 0n, 0n, 0n]);
      expect(prctl(1n, 9n)).toBe(-EINVAL); // PR_SET_PDEATHSIG: Linux has it, jitdbg does not
      expect(prctl(1n, 9n)).toBe(-EINVAL);
      expect(prctl(99999n)).toBe(-EINVAL); // unknown to Linux too: silently EINVAL
      expect(prctl(3n)).toBe(1n); // PR_GET_DUMPABLE
      expect(warnings).toEqual(["prctl(PR_SET_PDEATHSIG) is not emulated; it returned EINVAL"]);
    } finally {
      proc.close();
    }
  });
});
