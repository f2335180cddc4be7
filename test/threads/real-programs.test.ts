/**
 * Real multi-threaded programs from Debian's archive run under the emulator with their native
 * output, byte for byte: zstd -T2, pigz -p 2 and xz -T2 compressing and decompressing 512 KiB of
 * generated text, and python3 with the threading module. Each must really start threads in the
 * emulator. The README's test command has to install them (packages zstd, pigz, xz-utils,
 * python3); a missing one fails the test with the package to install. xz waits in poll on its
 * input and on a pipe of its own (its signal handlers write to it to stop the main loop).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, type NativeRun } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";

const workDir = join(repoRoot, ".cache", "threads-real");

function requireTool(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${path} is not installed: this test runs it (apt-get install -y ${pkg})`);
  return path;
}

/** 512 KiB of text from a fixed generator: compressible, but not trivially. */
function input(): string {
  const path = join(workDir, "input-512k.txt");
  if (existsSync(path)) return path;
  let x = 0x2545f491;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const words = Array.from({ length: 1500 }, () => Array.from({ length: 2 + (next() % 8) }, () => String.fromCharCode(97 + (next() % 26))).join(""));
  const lines: string[] = [];
  for (let n = 0; n < 1 << 19; ) {
    const line = `${Array.from({ length: 12 }, () => words[next() % words.length]).join(" ")} ${next()}\n`;
    lines.push(line);
    n += line.length;
  }
  mkdirSync(workDir, { recursive: true });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, lines.join(""));
  renameSync(tmp, path); // atomic: another test file may make it at the same time
  return path;
}

/** runNative with room for megabytes of output (spawnSync's default buffer is 1 MiB). */
function runNative(exe: string, args: string[], env: Record<string, string>): NativeRun {
  const r = spawnSync(exe, args, { env, encoding: "latin1", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1, signal: r.signal };
}

/** The program natively and emulated (it may read `workDir` and `readable`), no environment; how many threads it started emulated. */
function expectNativeEqual(exe: string, args: string[], readable: string[] = []): number {
  const native = runNative(exe, args, {});
  expect(native.status, native.stderr).toBe(0);
  let started = 0;
  const emu = runEmulated(exe, { args, argv0: exe, env: [], allowedPaths: [workDir, ...readable], onThread: (e) => void (e.kind === "started" && started++) });
  expect(emu.stderr).toBe(native.stderr);
  expect(emu.stdout.length).toBe(native.stdout.length);
  expect(emu.stdout === native.stdout, "stdout differs from the native run's").toBe(true);
  expect(emu.status).toBe(native.status);
  expect(emu.warnings).toEqual([]);
  return started;
}

/** The native program's output for `args`, kept as a file in workDir (an input for the next step). */
function nativeOutput(exe: string, args: string[], name: string): string {
  const r = runNative(exe, args, {});
  expect(r.status, r.stderr).toBe(0);
  const path = join(workDir, name);
  writeFileSync(path, Buffer.from(r.stdout, "latin1"));
  return path;
}

describe("real multi-threaded programs from Debian run as natively", () => {
  it("zstd -T2: compress and decompress", () => {
    const zstd = requireTool("/usr/bin/zstd", "zstd");
    const text = input();
    expect(expectNativeEqual(zstd, ["-T2", "-q", "-c", text])).toBeGreaterThanOrEqual(2);
    const packed = nativeOutput(zstd, ["-T2", "-q", "-c", text], "input-512k.txt.zst");
    expectNativeEqual(zstd, ["-T2", "-q", "-d", "-c", packed]);
  });

  it("pigz -p 2: compress and decompress", () => {
    const pigz = requireTool("/usr/bin/pigz", "pigz");
    const text = input();
    expect(expectNativeEqual(pigz, ["-p", "2", "-c", text])).toBeGreaterThanOrEqual(2);
    const packed = nativeOutput(pigz, ["-p", "2", "-c", text], "input-512k.txt.gz");
    expect(expectNativeEqual(pigz, ["-p", "2", "-d", "-c", packed])).toBeGreaterThanOrEqual(1);
  });

  it("xz -T2: compress and decompress (blocks of 128 KiB, so both threads have work)", () => {
    const xz = requireTool("/usr/bin/xz", "xz-utils");
    const text = input();
    const args = ["-T2", "-1", "--block-size=131072", "-c"];
    expect(expectNativeEqual(xz, [...args, text])).toBeGreaterThanOrEqual(2);
    const packed = nativeOutput(xz, [...args, text], "input-512k.txt.xz");
    expect(expectNativeEqual(xz, ["-T2", "-d", "-c", packed])).toBeGreaterThanOrEqual(2);
  });

  it("python3 -c with the threading module: workers, a lock, a queue, an event", () => {
    const python = requireTool("/usr/bin/python3", "python3");
    const program = [
      "import threading, queue, hashlib",
      "lock = threading.Lock(); total = [0]; q = queue.Queue(); go = threading.Event()",
      "def work(n):",
      "    go.wait()",
      "    s = sum((i * n) % 7 + n for i in range(3000))",
      "    with lock: total[0] += s",
      "    q.put((n, hashlib.sha256(str(s).encode()).hexdigest()[:16], threading.current_thread().name))",
      "ts = [threading.Thread(target=work, args=(n,), name=f'worker-{n}') for n in range(1, 5)]",
      "for t in ts: t.start()",
      "go.set()",
      "for t in ts: t.join()",
      "print(sorted(q.get() for _ in ts), total[0], threading.active_count())",
    ].join("\n");
    // -I -S: no user site, no environment, no site module: the standard library is read, and
    // what it reads natively at start-up (locale, time zone, OpenSSL's configuration for hashlib).
    const reads = ["/usr/lib/python3.11", "/usr/lib/python3", "/usr/share", "/usr/lib/locale", "/etc/locale.alias", "/etc/localtime", "/usr/lib/ssl", "/etc/ssl"];
    expect(expectNativeEqual(python, ["-I", "-S", "-c", program], reads)).toBe(4);
  });
});
