/** The `launch` request's arguments (the extension's package.json holds their JSON schema). */
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { LaunchOptions } from "../src/debugger/debugger.js";
import { badArgument } from "./errors.js";
import { isHostError } from "../src/errors.js";
import { signalName } from "../src/inferior/signals.js";
import { Terminal } from "../src/inferior/terminal.js";

export interface JitdbgLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string | null>;
  stopOnEntry?: boolean;
  /** Text fed to the program's standard input, or { file } to read it from a host file. */
  stdin?: string | { file: string };
  allowedPaths?: string[];
  /** Host directories the program may change files in, in place; every other write lands in the scratch layer. */
  allowWrite?: string[];
  /** Keep the scratch layer in this directory after the session. */
  scratch?: string;
  reproducible?: boolean;
  /** Run slice length in translation blocks (default: sized to ~30 ms); see LaunchOptions.sliceBlocks. */
  sliceBlocks?: number;
  /** Milliseconds a console expression that calls functions may run (default 250); see LaunchOptions.evaluateTimeoutMs. */
  evaluateTimeout?: number;
  /** Record the program's history to step and continue backwards (default true: debug sessions record); see LaunchOptions.timeTravel. */
  timeTravel?: boolean;
  /** Megabytes the history may keep (default 512); see LaunchOptions.historyMegabytes. */
  historyMegabytes?: number;
  /** Per signal by name: stop before delivering it, and pass it to the program (see LaunchOptions.signals). */
  signals?: Record<string, { stop?: boolean; pass?: boolean }>;
  scheduler?: { chaos?: boolean; quantumBlocks?: number };
  seed?: number;
  /** At a fork, stay with the parent (default) or follow the child (gdb's follow-fork-mode). */
  followFork?: "parent" | "child";
  /**
   * The standard streams are a terminal (default true: isatty, line-buffered stdout, as under
   * gdb); false makes them pipes, as in `prog < in | cat`.
   */
  tty?: boolean;
  /** Where the program's input and output go: the debug console (default), or a terminal VS Code runs (terminal-link.ts). */
  console?: ConsoleKind;
}

export type ConsoleKind = "debugConsole" | "integratedTerminal" | "externalTerminal";
const CONSOLES: readonly ConsoleKind[] = ["debugConsole", "integratedTerminal", "externalTerminal"];

/** The console the launch asks for, checked. */
export function consoleOf(a: JitdbgLaunchArguments): ConsoleKind {
  const c = a.console ?? "debugConsole";
  if (!CONSOLES.includes(c)) throw badArgument(`launch: 'console' must be one of ${CONSOLES.map((x) => JSON.stringify(x)).join(", ")}, not ${JSON.stringify(c)}`);
  return c;
}

/** Validates the arguments and turns them into the debugger's launch options. */
export function toLaunchOptions(a: JitdbgLaunchArguments): LaunchOptions {
  if (typeof a.program !== "string" || a.program.trim() === "") throw badArgument("launch: 'program' is required: the path of the x86-64 program to debug");
  const cwd = a.cwd ?? dirname(resolve(a.program));
  const program = isAbsolute(a.program) ? a.program : resolve(cwd, a.program);
  if (a.args !== undefined && (!Array.isArray(a.args) || a.args.some((x) => typeof x !== "string"))) throw badArgument("launch: 'args' must be an array of strings");
  const env = Object.entries(a.env ?? {})
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  let stdin: Uint8Array | undefined;
  if (typeof a.stdin === "string") stdin = Buffer.from(a.stdin);
  else if (a.stdin && typeof a.stdin === "object") {
    const file = resolve(cwd, a.stdin.file);
    try {
      stdin = readFileSync(file);
    } catch (e) {
      if (!isHostError(e)) throw e;
      throw badArgument(`launch: cannot read the stdin file ${file}`);
    }
  }
  if (a.sliceBlocks !== undefined && !(Number.isInteger(a.sliceBlocks) && a.sliceBlocks > 0)) throw badArgument("launch: 'sliceBlocks' must be a positive integer (translation blocks per run slice)");
  if (a.evaluateTimeout !== undefined && !(typeof a.evaluateTimeout === "number" && Number.isFinite(a.evaluateTimeout) && a.evaluateTimeout > 0 && a.evaluateTimeout <= 3_600_000)) {
    throw badArgument(`launch: 'evaluateTimeout' must be a number of milliseconds from 1 to 3600000 (how long a console expression that calls functions may run), not ${JSON.stringify(a.evaluateTimeout)}`);
  }
  if (a.timeTravel !== undefined && typeof a.timeTravel !== "boolean") throw badArgument(`launch: 'timeTravel' must be true (record the program's history, to step and continue backwards) or false, not ${JSON.stringify(a.timeTravel)}`);
  if (a.historyMegabytes !== undefined && !(Number.isInteger(a.historyMegabytes) && a.historyMegabytes >= 16 && a.historyMegabytes <= 65_536)) {
    throw badArgument(`launch: 'historyMegabytes' must be a whole number of megabytes from 16 to 65536 (how much memory the recorded history may use), not ${JSON.stringify(a.historyMegabytes)}`);
  }
  const signals = signalHandling(a.signals);
  const scheduler = schedulerOptions(a.scheduler);
  if (a.seed !== undefined && !(Number.isSafeInteger(a.seed) && a.seed >= 0)) throw badArgument("launch: 'seed' must be a non-negative integer");
  if (a.tty !== undefined && typeof a.tty !== "boolean") throw badArgument(`launch: 'tty' must be true (the program's standard streams are a terminal) or false (pipes), not ${JSON.stringify(a.tty)}`);
  consoleOf(a);
  if (a.followFork !== undefined && a.followFork !== "parent" && a.followFork !== "child") throw badArgument(`launch: 'followFork' must be "parent" (stay with the process that forks) or "child" (follow each child it forks), not ${JSON.stringify(a.followFork)}`);
  return {
    followFork: a.followFork,
    sliceBlocks: a.sliceBlocks,
    evaluateTimeoutMs: a.evaluateTimeout,
    // Debug sessions record by default: its cost was measured at 1.2–1.4x (README, Time travel).
    timeTravel: a.timeTravel ?? true,
    historyMegabytes: a.historyMegabytes,
    signals,
    scheduler,
    seed: a.seed === undefined ? undefined : BigInt(a.seed),
    program,
    args: a.args ?? [],
    argv0: program,
    env,
    cwd,
    stdin, // none given: a terminal at end of input (the debug console types nothing)
    terminal: a.tty === false ? undefined : new Terminal(),
    allowedPaths: a.allowedPaths?.map((p) => resolve(cwd, p)),
    writablePaths: writableDirectories(a.allowWrite, cwd),
    scratchDir: scratchDirectory(a.scratch, cwd),
    reproducible: a.reproducible ?? false,
    stopOnEntry: a.stopOnEntry ?? false,
  };
}

function writableDirectories(v: unknown, cwd: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) throw badArgument("launch: 'allowWrite' must be an array of directory paths the program may change files in");
  return v.map((p: string) => {
    const full = resolve(cwd, p);
    if (!statSync(full, { throwIfNoEntry: false })?.isDirectory()) throw badArgument(`launch: 'allowWrite' names ${full}, which is not an existing directory; create it first, or name its parent`);
    return full;
  });
}

function scratchDirectory(v: unknown, cwd: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "") throw badArgument("launch: 'scratch' must be the path of a directory to keep the files the program wrote in");
  const full = resolve(cwd, v);
  const st = statSync(full, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw badArgument(`launch: 'scratch' names ${full}, which is not a directory`);
  return full;
}

function signalHandling(v: JitdbgLaunchArguments["signals"]): LaunchOptions["signals"] {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw badArgument(`launch: 'signals' must be an object from signal names to { stop, pass }, e.g. { "SIGUSR1": { "stop": false } }`);
  const known = new Set(Array.from({ length: 64 }, (_, i) => signalName(i + 1)));
  for (const [name, h] of Object.entries(v)) {
    if (!known.has(name)) throw badArgument(`launch: 'signals' names ${JSON.stringify(name)}, which is not a signal; use names like SIGUSR1, SIGALRM or SIGRTMIN+3`);
    if (typeof h !== "object" || h === null || Object.entries(h).some(([k, x]) => (k !== "stop" && k !== "pass") || typeof x !== "boolean")) {
      throw badArgument(`launch: 'signals.${name}' must be { "stop": true|false, "pass": true|false }`);
    }
  }
  return v;
}

function schedulerOptions(v: JitdbgLaunchArguments["scheduler"]): LaunchOptions["scheduler"] {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null) throw badArgument("launch: 'scheduler' must be an object: { \"chaos\": true, \"quantumBlocks\": 20000 }");
  if (v.chaos !== undefined && typeof v.chaos !== "boolean") throw badArgument("launch: 'scheduler.chaos' must be true or false");
  if (v.quantumBlocks !== undefined && !(Number.isInteger(v.quantumBlocks) && v.quantumBlocks > 0)) throw badArgument("launch: 'scheduler.quantumBlocks' must be a positive integer");
  return { chaos: v.chaos, quantumBlocks: v.quantumBlocks };
}
