import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isJitdbgError } from "../../src/errors.js";
import { parseLdCache, ldCacheDirectories } from "../../src/inferior/ld-cache.js";
import { Process } from "../../src/inferior/process.js";
import { compileFixture, compileSource, repoRoot, runNative } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { buildWithLibshape, DYNAMIC } from "./dynamic-build.js";

const workDir = join(repoRoot, ".cache", "dynamic-errors");

/** A copy of `exe` with one string replaced by another of the same length. */
function patchedCopy(exe: string, from: string, to: string, name: string): string {
  expect(to.length).toBe(from.length);
  const bytes = Buffer.from(readFileSync(exe));
  const at = bytes.indexOf(`${from}\0`);
  expect(at).toBeGreaterThan(0);
  bytes.write(to, at, "latin1");
  mkdirSync(workDir, { recursive: true });
  const out = join(workDir, name);
  writeFileSync(out, bytes, { mode: 0o755 });
  return out;
}

describe("bad input to the dynamic loader", () => {
  it("a missing library: the loader's own message and status 127, as natively", () => {
    const { exe } = buildWithLibshape("dynamic/uses_lib.c");
    const broken = patchedCopy(exe, "libshape.so", "libshapX.so", "uses_missing_lib");
    const native = runNative(broken);
    expect(native.status).toBe(127);
    expect(native.stderr).toBe(`${broken}: error while loading shared libraries: libshapX.so: cannot open shared object file: No such file or directory\n`);
    const emu = runEmulated(broken, { argv0: broken });
    expect(emu.stderr).toBe(native.stderr);
    expect(emu.stdout).toBe("");
    expect(emu.status).toBe(127);
    expect(emu.warnings).toEqual([]);
  });

  it("a library the file view does not allow looks missing (never the host file)", () => {
    const { exe, lib } = buildWithLibshape("dynamic/uses_lib.c");
    // The same program, but its run path now points at a directory nobody allowed.
    const hidden = join(workDir, "hidden-lib");
    mkdirSync(hidden, { recursive: true });
    copyFileSync(lib.path, join(hidden, "libshape.so"));
    const emu = runEmulated(exe, { argv0: exe, allowedPaths: [dirname(exe)], env: [`LD_PRELOAD=${join(hidden, "libshape.so")}`] });
    expect(emu.stderr.startsWith(`ERROR: ld.so: object '${join(hidden, "libshape.so")}' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored.\n`)).toBe(true);
    expect(emu.status).toBe(3); // the run-path copy still loads
  });

  it("an unsupported syscall during loading (a library constructor) is reported by name", () => {
    const src = `#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
__attribute__((constructor)) static void init(void) { long r = syscall(SYS_swapon, 0, 0); printf("swapon: %ld\\n", r); }
int nosys_value(void) { return 7; }`;
    const built = compileSource(src, { flags: ["-shared", "-fPIC", "-O1", "-Wl,-soname,libnosys.so"] }, "libnosys");
    const dir = join(workDir, "nosys");
    mkdirSync(dir, { recursive: true });
    copyFileSync(built, join(dir, "libnosys.so"));
    const main = compileSource("int nosys_value(void);\nint main(void){ return nosys_value(); }", { flags: [...DYNAMIC, "-Wl,--no-as-needed", `-Wl,-rpath,${dir}`, join(dir, "libnosys.so")] }, "nosys_main");
    const emu = runEmulated(main);
    expect(emu.warnings).toEqual(["unsupported syscall swapon (167) returned ENOSYS"]);
    expect(emu.stdout).toBe("swapon: -1\n");
    expect(emu.status).toBe(7);
  });

  it("the file view lets the loader read ld.so.cache but not other files in /etc", () => {
    const exe = compileFixture("programs/read_file.c", { flags: DYNAMIC });
    const emu = runEmulated(exe, { args: ["/etc/ld.so.cache", "/etc/hostname", "/etc/passwd"] });
    expect(emu.stdout).toMatch(/^\/etc\/ld\.so\.cache: first line: glibc-ld\.so\.cache1\.1/);
    expect(emu.stdout).toContain("/etc/hostname: No such file or directory");
    expect(emu.stdout).toContain("/etc/passwd: No such file or directory");
  });
});

describe("ld.so.cache", () => {
  it("parses the host's cache (new format) and finds libc and its directory", () => {
    const entries = parseLdCache(readFileSync("/etc/ld.so.cache"));
    const libc = entries.find((e) => e.name === "libc.so.6");
    expect(libc?.path).toMatch(/\/libc\.so\.6$/);
    expect(ldCacheDirectories(entries)).toContain(libc!.path.slice(0, libc!.path.lastIndexOf("/")));
  });

  it("rejects a corrupt cache with a clear error", () => {
    const good = readFileSync("/etc/ld.so.cache");
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.from("not a cache"), /no "glibc-ld\.so\.cache1\.1" table/],
      [good.subarray(0, 30), /truncated header/],
      [good.subarray(0, 100), /entries run past the end of the file/],
    ];
    for (const [bytes, message] of cases) {
      let err: unknown;
      try {
        parseLdCache(bytes, "cache");
      } catch (e) {
        err = e;
      }
      expect(isJitdbgError(err) && err.code).toBe("LDCACHE_CORRUPT");
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toMatch(/^cache: .*ldconfig/);
    }
  });
});

describe("sysroot", () => {
  it("loads the interpreter and libraries from inside another root", () => {
    const exe = compileFixture("programs/hello.c", { flags: DYNAMIC });
    const root = join(workDir, "sysroot");
    const libDir = join(root, "usr", "lib", "x86_64-linux-gnu");
    mkdirSync(libDir, { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    for (const f of ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"]) copyFileSync(join("/usr/lib/x86_64-linux-gnu", f), join(libDir, f));
    copyFileSync("/etc/ld.so.cache", join(root, "etc", "ld.so.cache"));
    // Symbolic links as Debian lays them out: relative, and absolute ones re-rooted like chroot.
    const link = (target: string, at: string) => {
      try {
        symlinkSync(target, at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    };
    link("usr/lib", join(root, "lib"));
    mkdirSync(join(root, "usr", "lib64"), { recursive: true });
    link("usr/lib64", join(root, "lib64"));
    link("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", join(root, "usr", "lib64", "ld-linux-x86-64.so.2"));
    let out = "";
    const proc = Process.launch(exe, { env: [], sysroot: root, onStdout: (d) => (out += Buffer.from(d).toString()) });
    try {
      expect(proc.runToEnd()).toEqual({ kind: "exited", status: 0 });
      expect(out).toBe("Hello, world!\n");
      const hosts = proc.images.list().map((i) => [i.name, i.hostPath]);
      expect(hosts[0]).toEqual([exe.split("/").pop(), exe]);
      expect(hosts).toContainEqual(["libc.so.6", join(libDir, "libc.so.6")]);
      expect(hosts).toContainEqual(["ld-linux-x86-64.so.2", join(libDir, "ld-linux-x86-64.so.2")]);
      for (const [, host] of hosts.slice(1)) expect(host!.startsWith(`${root}/`)).toBe(true);
    } finally {
      proc.close();
    }
  });
});
