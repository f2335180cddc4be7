/**
 * Writable files: what a program writes lands in the scratch layer over the read-only view (the
 * host unchanged, the layer gone after the run, or kept where asked) or, below --allow-write
 * roots, on the host in place. Programs built at test time run natively (the oracle) and in the
 * emulator; escapes through `..` and links are tried and the host is checked afterwards.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { BUILD_KINDS, type BuildKind, requireCompiler } from "../threads/harness.js";

const KIND_FLAGS: Record<BuildKind, string[]> = { dynamic: [], static: ["-static"], "static-pie": ["-static-pie"] };
const build = (name: string, kind: BuildKind) => {
  requireCompiler("gcc");
  return compileFixture(`files/${name}.c`, { cc: "gcc", flags: ["-O1", "-Wall", ...KIND_FLAGS[kind]] });
};

const made: string[] = [];
const freshDir = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `jitdbg-${label}-`));
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

/** Every file below `dir` with its bytes (links as "-> target"), to compare two trees. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out[`${key}/`] = (statSync(path).mode & 0o777).toString(8);
        walk(path, key);
      } else if (e.isSymbolicLink()) out[key] = "-> link";
      else out[key] = `${(statSync(path).mode & 0o777).toString(8)} ${readFileSync(path, "latin1")}`;
    }
  };
  walk(dir, "");
  return out;
}

describe.each(BUILD_KINDS)("files a program writes (gcc %s)", (kind) => {
  it("land in the scratch layer: the program sees its own changes as natively, the host stays as it was", () => {
    const exe = build("tree", kind);
    const nativeDir = freshDir("native");
    const n = nativeIn(nativeDir, exe, ["work"]);
    expect(n.status).toBe(0);
    const cwd = freshDir("scratch");
    const e = runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe), cwd] });
    expect(e.stdout).toBe(n.stdout);
    expect(e.stderr).toBe(n.stderr);
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([expect.stringMatching(/they were in the run's scratch layer and are gone now/)]); // the note at the end, and nothing else
    expect(e.blocks).toBeGreaterThan(5_000_000n); // long enough to cross many run slices
    expect(readdirSync(cwd)).toEqual([]); // nothing reached the host
  });

  it("below an --allow-write root, land on the host in place, the same files natively and emulated", () => {
    const exe = build("tree", kind);
    const nativeDir = freshDir("native");
    const n = nativeIn(nativeDir, exe, ["work"]);
    const cwd = freshDir("inplace");
    const e = runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe)], writablePaths: [cwd] });
    expect(e.stdout).toBe(n.stdout);
    expect(e.status).toBe(n.status);
    expect(tree(cwd)).toEqual(tree(nativeDir));
    expect(Object.keys(tree(cwd))).toContain("work/renamed.txt");
  });
});

describe("the scratch layer", () => {
  it("is kept in the directory the run names, as DIR/path/of/file", () => {
    const exe = build("tree", "static");
    const cwd = freshDir("cwd");
    const keep = freshDir("kept");
    const e = runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe), cwd], scratchDir: keep });
    expect(e.status).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    const kept = join(keep, cwd, "work");
    expect(readdirSync(kept).sort()).toEqual(["f0.txt", "f3.txt", "f4.txt", "f5.txt", "f6.txt", "link", "renamed.txt", "rw.bin"]);
    expect(readFileSync(join(kept, "rw.bin"), "latin1")).toBe("Hello WO");
    // /tmp holds the working directory's copy only: mkstemp's file was unlinked, tmpfile's never had a name.
    expect(readdirSync(join(keep, "tmp"))).toEqual([basename(cwd)]);
  });

  it("is named at the end of a run that changed files in it, with how to keep them; the run's own temporary files are not counted", () => {
    const exe = build("tree", "static");
    // Outside /tmp, wherever the checkout is (the run's own /tmp is not counted in the note).
    const base = existsSync("/var/tmp") ? "/var/tmp" : homedir();
    const cwd = mkdtempSync(join(base, "jitdbg-scratch-note-"));
    made.push(cwd);
    const e = runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe), cwd] });
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([expect.stringMatching(new RegExp(`outside its --allow-write directories \\(${cwd}/work, .*they were in the run's scratch layer and are gone now — keep them with --scratch DIR`))]);
    const keep = freshDir("kept");
    const kept = runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe), cwd], scratchDir: keep });
    expect(kept.warnings).toEqual([expect.stringMatching(new RegExp(`are kept in ${keep}$`))]);
    // A directory under /tmp that the program may read counts too; mkstemp's and tmpfile's files do not.
    const underTmp = freshDir("note-in-tmp");
    const t = runEmulated(exe, { args: ["work"], argv0: exe, cwd: underTmp, allowedPaths: [dirname(exe), underTmp] });
    expect(t.warnings).toEqual([expect.stringMatching(new RegExp(`\\(${underTmp}/work, `))]);
  });

  it("is removed when the run ends", () => {
    const exe = build("tree", "static");
    const cwd = freshDir("cwd");
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("jitdbg-scratch-")));
    runEmulated(exe, { args: ["work"], argv0: exe, cwd, allowedPaths: [dirname(exe), cwd] });
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("jitdbg-scratch-") && !before.has(n))).toEqual([]);
  });
});

describe("escapes", () => {
  it.each(["static", "dynamic"] as const)("through .., links and renames are refused or stay in the scratch layer; the host is unchanged (gcc %s)", (kind) => {
    const exe = build("escape", kind);
    const root = freshDir("escape");
    const writable = join(root, "w");
    const readable = join(root, "r");
    const hidden = join(root, "hidden");
    for (const d of [writable, readable, hidden]) mkdirSync(d);
    writeFileSync(join(readable, "data.txt"), "data");
    writeFileSync(join(hidden, "victim.txt"), "victim");
    symlinkSync(join(hidden, "victim.txt"), join(writable, "out"));
    symlinkSync(join(readable, "data.txt"), join(writable, "ro"));
    const e = runEmulated(exe, { args: [writable, readable], argv0: exe, cwd: writable, allowedPaths: [dirname(exe), readable], writablePaths: [writable] });
    expect(e.status).toBe(0);
    // A dynamic program may read /etc/ld.so.cache, so /etc shows (that file only) and the program
    // can make files of its own there, in the scratch layer; for a static one /etc is not there.
    const etc = (dynamic: string, absent = "No such file or directory") => (kind === "dynamic" ? dynamic : absent);
    expect(e.stdout.split("\n")).toEqual([
      "write in place: ok",
      "create through ..: ok", // into the scratch layer: the parent is only readable
      "read back through ..: dotdot",
      "create deep ..: No such file or directory", // "a" does not exist, natively too
      "symlink to /etc/passwd: ok",
      "read /etc/passwd through it: No such file or directory",
      `write through it: ${etc("ok")}`, // a file of the program's own, in the scratch layer
      `read /etc/passwd: ${etc("owned")}`,
      "read deep ..: No such file or directory",
      `hard link to /etc/passwd: ${etc("Invalid cross-device link")}`,
      "host link out (pre-made): No such file or directory",
      "write host link out: No such file or directory",
      "chmod through link out: No such file or directory",
      "write through link ro: ok",
      "read back through ro: changed",
      "read the readable file: changed",
      "rename out of the root: Invalid cross-device link",
      "rename the readable file in: Invalid cross-device link",
      "unlink the readable file: ok",
      "read it after unlink: No such file or directory",
      `unlink /etc/passwd: ${etc("ok")}`,
      "mkdir above: ok",
      "stat made-above: ok",
      "",
    ]);
    // On the host: the one file written in place, the links as they were, nothing else changed.
    expect(readFileSync(join(writable, "inside.txt"), "latin1")).toBe("inside");
    expect(readFileSync(join(hidden, "victim.txt"), "latin1")).toBe("victim");
    expect(readFileSync(join(readable, "data.txt"), "latin1")).toBe("data");
    expect(readdirSync(root).sort()).toEqual(["hidden", "r", "w"]);
    expect(readdirSync(writable).sort()).toEqual(["inside.txt", "out", "pw", "ro"]);
    expect(readFileSync("/etc/passwd", "latin1")).not.toBe("owned");
    expect(existsSync(join(tmpdir(), "escaped-deep.txt"))).toBe(false);
  });
});

describe.each(["static", "dynamic"] as const)("/proc/self and /dev (gcc %s)", (kind) => {
  it("show the program its own arguments, descriptors, name, mappings and devices, as natively", () => {
    const exe = build("procfs", kind);
    const n = nativeIn(dirname(exe), exe, ["one", "two words"]);
    expect(n.status).toBe(0);
    const e = runEmulated(exe, { args: ["one", "two words"], argv0: exe, cwd: dirname(exe) });
    expect(e.stdout).toBe(n.stdout);
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([]);
  });
});

describe.each(["static", "dynamic"] as const)("/dev/fd (gcc %s)", (kind) => {
  it("a pipe reopened through /dev/fd/N reads what was written to it; O_NOFOLLOW refuses the link, as natively", () => {
    const exe = build("dev_fd", kind);
    const n = spawnSync(exe, [], { encoding: "latin1", env: {}, stdio: ["ignore", "pipe", "pipe"] });
    expect(n.stdout).toContain("read 16: through /dev/fd");
    const e = runEmulated(exe, { argv0: exe });
    expect(e.stdout).toBe(n.stdout);
    expect(e.warnings).toEqual([]);
  });
});

describe.each(["static", "dynamic"] as const)("advisory locks (gcc %s)", (kind) => {
  it("record, open-file-description and flock locks between a parent and its child, a waiting F_SETLKW included, as natively", () => {
    const exe = build("locks", kind);
    const nativeDir = freshDir("locks-native");
    const n = nativeIn(nativeDir, exe, [nativeDir]);
    expect(n.status).toBe(0);
    const dir = freshDir("locks");
    const e = runEmulated(exe, { args: [dir], argv0: exe, cwd: dir, allowedPaths: [dirname(exe)], writablePaths: [dir] });
    expect(e.stdout).toBe(n.stdout);
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([]);
  });
});

describe.each(["static", "dynamic"] as const)("metadata and copies (gcc %s)", (kind) => {
  it("O_PATH descriptors, chmod through /proc/self/fd, modes, owners and times, copy_file_range, as natively (the trees compared too)", () => {
    const exe = build("metadata", kind);
    const nativeDir = freshDir("meta-native");
    const n = nativeIn(nativeDir, exe, [nativeDir]);
    expect(n.status).toBe(0);
    const dir = freshDir("meta");
    const e = runEmulated(exe, { args: [dir], argv0: exe, cwd: dir, allowedPaths: [dirname(exe)], writablePaths: [dir] });
    expect(e.stdout).toBe(n.stdout);
    expect(e.warnings).toEqual([]);
    expect(tree(dir)).toEqual(tree(nativeDir));
  });
});

describe.each(["static", "dynamic"] as const)("sendfile into a pipe (gcc %s)", (kind) => {
  it("1 MiB through a pipe a child reads, the sender waiting for room, as natively", () => {
    const exe = build("sendfile_pipe", kind);
    const nativeDir = freshDir("sendfile-native");
    const n = nativeIn(nativeDir, exe, [nativeDir]);
    expect(n.status).toBe(0);
    const dir = freshDir("sendfile");
    const e = runEmulated(exe, { args: [dir], argv0: exe, cwd: dir, allowedPaths: [dirname(exe), dir] });
    expect(e.stdout).toBe(n.stdout);
    expect(e.status).toBe(0);
    expect(e.warnings).toEqual([expect.stringMatching(/they were in the run's scratch layer and are gone now/)]); // the note at the end, and nothing else
  });
});
