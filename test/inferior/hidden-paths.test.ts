/**
 * What the file view hides, and says it hides: a path the program looked for that exists on the
 * host but is outside what it may read is named once in a warning (with how to allow it), a path
 * that does not exist natively either is not; and the libraries ld.so.cache names load wherever
 * their links lead (Debian's LLVM libraries are links from the multiarch directory to
 * /usr/lib/llvm-14/lib), while other links out of the view stay hidden.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, repoRoot } from "../../fixtures/build.js";
import { FileView } from "../../src/inferior/file-view.js";
import { runEmulated } from "../helpers/emulate.js";
import { DYNAMIC } from "./dynamic-build.js";

const HINT = /which exists on this machine but is outside the paths it may read, so it was told there is no such file; to let it read there, give --allow (\S+) \(jitdbg run\) or add it to "allowedPaths" \(launch\.json\)$/;

describe("hidden paths", () => {
  it("a file outside the view that exists on the host is named once, with the --allow that shows it; one that does not exist is not named", () => {
    const exe = compileFixture("programs/read_file.c", { flags: DYNAMIC });
    const absent = "/etc/jitdbg-no-such-file";
    expect(existsSync(absent)).toBe(false);
    const emu = runEmulated(exe, { args: ["/etc/passwd", absent, "/etc/passwd", "/usr/lib/os-release"] });
    expect(emu.stdout).toContain("/etc/passwd: No such file or directory");
    const named = emu.warnings.map((w) => [/^the program looked for (\S+), /.exec(w)?.[1], HINT.exec(w)?.[1]]);
    // Both show their directories (the loader reads /etc/ld.so.cache and /usr/lib/x86_64-linux-gnu).
    expect(named).toEqual([["/etc/passwd", "/etc/passwd"], ["/usr/lib/os-release", "/usr/lib/os-release"]]);
  });

  it("given with allowedPaths, the same files are read and nothing is said", () => {
    const exe = compileFixture("programs/read_file.c", { flags: DYNAMIC });
    const emu = runEmulated(exe, { args: ["/etc/passwd"], allowedPaths: ["/etc/passwd"] });
    expect(emu.stdout).toMatch(/^\/etc\/passwd: first line: root:/);
    expect(emu.warnings).toEqual([]);
  });

  it("a library ld.so.cache names is read through its link out of the cache's directory; another link there is not followed out", () => {
    const root = join(repoRoot, ".cache", "hidden-paths");
    rmSync(root, { recursive: true, force: true });
    const libs = join(root, "lib");
    const elsewhere = join(root, "elsewhere");
    mkdirSync(libs, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, "libreal.so.1"), "library");
    writeFileSync(join(elsewhere, "secret.txt"), "secret");
    symlinkSync(join(elsewhere, "libreal.so.1"), join(libs, "libreal.so.1"));
    symlinkSync("../elsewhere/secret.txt", join(libs, "notes.txt"));
    const view = new FileView({ allowed: [], system: [libs], loaderLibraries: [join(libs, "libreal.so.1")] }, "/", "/prog");
    expect(view.resolve(join(libs, "libreal.so.1"))).toBe(join(elsewhere, "libreal.so.1"));
    expect(typeof view.resolve(join(libs, "notes.txt"))).toBe("number"); // ENOENT: not a library
    expect(typeof view.resolve(join(elsewhere, "secret.txt"))).toBe("number");
  });

  const clang = "/usr/lib/llvm-14/bin/clang";
  it.skipIf(!existsSync(clang))("clang (its libraries linked from the multiarch directory to /usr/lib/llvm-14/lib) runs as natively", () => {
    const native = execFileSync(clang, ["--version"], { encoding: "latin1" });
    const emu = runEmulated(clang, { args: ["--version"], argv0: clang });
    expect({ stdout: emu.stdout, status: emu.status }).toEqual({ stdout: native, status: 0 });
  });
});
