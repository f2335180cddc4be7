/** `jitdbg run`: a program to completion in the emulator, as a shell would run it natively. */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { findProgram } from "./program-path.js";
import { JitdbgError } from "../errors.js";
import { DEADLOCK_STATUS, Process } from "../inferior/process.js";
import { SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP } from "../inferior/signals.js";
import { threadBacktraces } from "../debugger/inspect/index.js";
import { parseCommandArgs } from "./args.js";
import { DiagnosticsLog } from "./diagnostics-log.js";
import { writeAll } from "./write-all.js";

export const RUN_USAGE = `usage: jitdbg run [--reproducible] [--seed N] [--chaos] [--allow PATH]... [--allow-write DIR]... [--scratch DIR] [--verbose] <program> [args...]

Runs a static, static-PIE or dynamically linked x86-64 Linux program in the emulator with stdin,
stdout and stderr passed through, and exits with its status (128+signal when a signal ends it).
A bare <program> name is the file in the working directory, else the program along PATH.

options:
  --reproducible  fixed load bases, mmap and stack placement, AT_RANDOM and getrandom
  --seed N        seed for the program's randomness and for --chaos (implies --reproducible)
  --chaos         vary how threads take turns on purpose, to expose races; the seed it used is
                  printed (with --verbose) so that --chaos --seed N replays the run exactly.
                  Without it threads take turns the same way on every run
  --allow PATH    let the program read PATH (repeatable; default: the program's directory and
                  the working directory)
  --allow-write DIR
                  let the program create, change and delete files below DIR on the host
                  (repeatable; DIR is readable too). Every other file the program writes lands
                  in a scratch layer over what it may read (its /tmp included), which is
                  thrown away at the end: the host's files stay as they were
  --scratch DIR   keep the scratch layer in DIR after the run (DIR/path/of/file), to look at
                  what the program wrote
  --verbose       write jitdbg's diagnostics (unsupported syscalls, loader tracking) to stderr,
                  prefixed "jitdbg: ", mixed with the program's own stderr
  -h, --help      show this text

environment:
  JITDBG_LOG=FILE append jitdbg's diagnostics to FILE, leaving the program's streams alone

Without --verbose or JITDBG_LOG, diagnostics are dropped: the program's stdout, stderr and exit
status are exactly its own. If a run behaves differently from the native one, rerun it with
--verbose or JITDBG_LOG to see what the emulator could not do (an unsupported syscall returns
ENOSYS to the program). A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) is still reported on
stderr in one line naming the faulting instruction; a signal the program was sent ends it silently,
as natively (--verbose says which).`;

export interface RunArgs {
  help: boolean;
  program: string;
  args: string[];
  reproducible: boolean;
  verbose: boolean;
  allowed: string[];
  writable: string[];
  scratch?: string;
  chaos: boolean;
  seed?: bigint;
}

/** Options up to the program; the program and everything after it are its argv. */
export function parseRunArgs(argv: string[]): RunArgs {
  const a = parseCommandArgs(argv, {
    options: { reproducible: { type: "boolean" }, verbose: { type: "boolean" }, chaos: { type: "boolean" }, help: { type: "boolean", short: "h" }, allow: { type: "string" }, "allow-write": { type: "string" }, scratch: { type: "string" }, seed: { type: "string" } },
    stopAtFirstPositional: true,
    final: "help",
    unknown: (arg) => `unknown option ${arg} for run (see \`jitdbg run --help\`)`,
    needsValue: (raw) => (raw.startsWith("--seed") ? "--seed needs a number" : `${raw.split("=")[0]} needs a path`),
  });
  const allowed = a.strings.get("allow") ?? [];
  if (allowed.includes("")) throw new JitdbgError("CLI_USAGE", "--allow needs a path");
  const writable = a.strings.get("allow-write") ?? [];
  if (writable.includes("")) throw new JitdbgError("CLI_USAGE", "--allow-write needs a directory");
  const scratches = a.strings.get("scratch") ?? [];
  const scratch = scratches[scratches.length - 1];
  if (scratch === "") throw new JitdbgError("CLI_USAGE", "--scratch needs a directory");
  const seeds = a.strings.get("seed") ?? [];
  const seedText = seeds[seeds.length - 1];
  if (seedText !== undefined && !/^(0x[0-9a-f]+|\d+)$/i.test(seedText)) throw new JitdbgError("CLI_USAGE", `--seed ${seedText}: a seed is a non-negative integer (decimal or 0x hex)`);
  const out: RunArgs = { help: a.flags.has("help"), program: "", args: [], reproducible: a.flags.has("reproducible"), verbose: a.flags.has("verbose"), allowed, writable, scratch, chaos: a.flags.has("chaos"), seed: seedText === undefined ? undefined : BigInt(seedText) };
  if (out.help) return out;
  const [program, ...args] = a.rest;
  if (!program) throw new JitdbgError("CLI_USAGE", "run needs a program: jitdbg run <program> [args...]");
  out.program = program;
  out.args = args;
  return out;
}

/** The --allow-write directories, which must exist (a typo would otherwise send writes to the scratch layer unnoticed). */
function writableDirectories(paths: string[]): string[] {
  return paths.map((p) => {
    const full = resolve(p);
    if (!statSync(full, { throwIfNoEntry: false })?.isDirectory()) throw new JitdbgError("CLI_USAGE", { file: full }, "--allow-write needs an existing directory; create it first, or name its parent");
    return full;
  });
}

/** Signals the CPU raises for an instruction (a fault's report names it). */
const FAULTS = new Set([SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP]);

export async function runCommand(argv: string[]): Promise<number> {
  const a = parseRunArgs(argv);
  if (a.help) {
    writeAll(1, Buffer.from(`${RUN_USAGE}\n`));
    return 0;
  }
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
  const log = DiagnosticsLog.open({ verbose: a.verbose, logFile: process.env.JITDBG_LOG || undefined, program: a.program });
  try {
    // argv[0] as typed, as a shell passes it (busybox's applets go by it).
    const proc = Process.launch(findProgram(a.program), {
      argv0: a.program,
      args: a.args,
      env,
      reproducible: a.reproducible,
      seed: a.seed,
      scheduler: { chaos: a.chaos },
      allowedPaths: a.allowed.length > 0 ? [...a.allowed] : undefined, // the program's directory and the working directory
      writablePaths: writableDirectories(a.writable),
      scratchDir: a.scratch === undefined ? undefined : resolve(a.scratch),
      stdin: "host",
      onStdout: (d) => writeAll(1, d),
      onStderr: (d) => writeAll(2, d),
      onWarning: (m) => log.warn(m),
    });
    try {
      if (proc.chaosSeed !== undefined) log.warn(`chaos scheduling with seed ${proc.chaosSeed} (replay with --chaos --seed ${proc.chaosSeed})`);
      const end = proc.runToEnd();
      if (end.kind === "exited") return end.status;
      if (end.kind === "deadlock") {
        // The report's first line, then each thread's wait and its whole stack (gdb's thread apply all bt).
        writeAll(2, Buffer.from(`jitdbg: ${end.description.split("\n")[0]}\n${threadBacktraces(proc)}\n`));
        return DEADLOCK_STATUS;
      }
      // A fault gets one line naming the faulting instruction (what jitdbg adds to a shell's
      // "Segmentation fault"); a signal the program was sent (SIGTERM from kill or timeout, its own
      // abort) ends it as natively, without a word; --verbose / JITDBG_LOG says how it ended.
      const line = `program terminated by ${end.name}: ${end.description}`;
      if (FAULTS.has(end.signal)) writeAll(2, Buffer.from(`jitdbg: ${line}\n`));
      else log.warn(line);
      return 128 + end.signal;
    } finally {
      proc.close();
    }
  } finally {
    log.close();
  }
}
