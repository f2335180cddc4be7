/**
 * One corpus case run twice, natively and under `jitdbg run`, in the same shell wrapper: stdin,
 * stdout and stderr are pipes in both runs (as a shell pipeline gives them), the environment is
 * the same fixed one, and the working directory holds the same inputs. A case that writes gets
 * a fresh copy of the inputs for each run (given to jitdbg with --allow-write), and what the two
 * runs left there is compared too.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { constants } from "node:os";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "../helpers/compile.js";
import type { Case } from "./cases.js";
import { WORK } from "./inputs.js";

const JITDBG = join(repoRoot, "bin", "jitdbg.js");
/** A run still going after this long is killed (its status then says by which signal). */
const TIME_LIMIT_MS = 120_000;

/** The fixed environment of both runs. */
export const ENV: Record<string, string> = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: WORK, TZ: "UTC" };

/** Host paths every emulated case may read besides WORK: the locales LANG names, and the users and groups programs print. */
const READABLE = ["/usr/lib/locale", "/etc/passwd", "/etc/group"];

export interface Outcome {
  stdout: Buffer;
  stderr: Buffer;
  status: number;
  /** What a writing case left in its directory: path, kind, size and hash of each entry. */
  files: string[];
}

/**
 * `cat stdin | program | cat`, the program's stderr through a `cat` of its own, and the program's
 * status: both runs see pipes (Node would give the program Unix sockets). The cats are the
 * program's siblings, not its children (a process substitution would be a child, and a program
 * that waits for all its children, as busybox tar does, would wait for it for ever).
 */
const WRAPPER = 'in=$1; shift; { cat -- "$in" | "$@" 2>&1 1>&3 3>&- | cat 1>&2 3>&-; exit "${PIPESTATUS[1]}"; } 3>&1 | cat; exit "${PIPESTATUS[0]}"';

/** Runs the wrapper to its end (asynchronously: a long run must not stall the test worker). */
function shell(cwd: string, stdin: string, argv: string[], env: Record<string, string>): Promise<Omit<Outcome, "files">> {
  return new Promise((done, fail) => {
    // Its own process group, so that a run past the limit goes with everything it started.
    const child = spawn("bash", ["--norc", "--noprofile", "-c", WRAPPER, "wrapper", stdin, ...argv], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), TIME_LIMIT_MS);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), status: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1) });
    });
  });
}

/** A listing of `dir` that two equal runs share: relative path, type, size and content hash (of regular files). */
function contents(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out.push(`${rel}/`);
        walk(p);
      } else if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)}`);
      else if (st.isFile()) out.push(`${rel} ${st.size} ${createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16)} ${(st.mode & 0o777).toString(8)}`);
      else out.push(`${rel} ${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o777).toString(8)}`); // a FIFO or socket: never read
    }
  };
  walk(dir);
  return out;
}

/** The directory a run works in: WORK itself, or for a writing case a fresh copy of its inputs. */
function workDir(c: Case, run: "native" | "jitdbg"): string {
  if (!c.writes) return WORK;
  const dir = join(WORK, "..", "realprograms-runs", `${c.name.replace(/[^\w.-]+/g, "_")}-${run}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(WORK)) if (!name.startsWith(".")) cpSync(join(WORK, name), join(dir, name), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  keepDirectoryTimes(WORK, dir);
  return dir;
}

/**
 * cpSync keeps files' times but not directories' (filling a directory changes it): the copies'
 * directories get the inputs' times back, so both runs' copies look the same (tar records them).
 */
function keepDirectoryTimes(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const st = lstatSync(join(from, name));
    if (st.isDirectory() && !name.startsWith(".")) {
      keepDirectoryTimes(join(from, name), join(to, name));
      utimesSync(join(to, name), st.atime, st.mtime);
    }
  }
}

const stdinOf = (c: Case, cwd: string): string => (c.stdin ? join(cwd, c.stdin) : "/dev/null");

export async function runNatively(c: Case): Promise<Outcome> {
  const cwd = workDir(c, "native");
  return { ...(await shell(cwd, stdinOf(c, cwd), c.argv, ENV)), files: c.writes ? contents(cwd) : [] };
}

/** The jitdbg command line for `c` in `cwd` (`extra` options first: --verbose to diagnose). */
function jitdbgArgv(c: Case, cwd: string, extra: string[] = []): string[] {
  const allow = [cwd, ...READABLE, ...(c.allow ?? [])].filter((p) => existsSync(p)).flatMap((p) => ["--allow", p]);
  const write = c.writes ? ["--allow-write", cwd] : [];
  return [process.execPath, JITDBG, "run", ...extra, ...allow, ...write, ...c.argv];
}

export async function runEmulated(c: Case): Promise<Outcome> {
  const cwd = workDir(c, "jitdbg");
  return { ...(await shell(cwd, stdinOf(c, cwd), jitdbgArgv(c, cwd), ENV)), files: c.writes ? contents(cwd) : [] };
}

/** The case again with --verbose: jitdbg's diagnostics (unsupported syscalls...) for a failure's message. */
export async function diagnose(c: Case): Promise<string> {
  const cwd = workDir(c, "jitdbg");
  const r = await shell(cwd, stdinOf(c, cwd), jitdbgArgv(c, cwd, ["--verbose"]), ENV);
  const lines = r.stderr.toString("latin1").split("\n");
  return lines.filter((l) => l.startsWith("jitdbg: ")).join("\n");
}
