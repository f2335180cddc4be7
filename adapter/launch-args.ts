/** The `launch` request's arguments (the extension's package.json holds their JSON schema). */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { LaunchOptions } from "../src/debugger/debugger.js";
import { badArgument } from "./errors.js";
import { isHostError } from "../src/errors.js";

export interface JitdbgLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string | null>;
  stopOnEntry?: boolean;
  /** Text fed to the program's standard input, or { file } to read it from a host file. */
  stdin?: string | { file: string };
  allowedPaths?: string[];
  reproducible?: boolean;
  /** Run slice length in translation blocks (default: sized to ~30 ms); see LaunchOptions.sliceBlocks. */
  sliceBlocks?: number;
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
  return {
    sliceBlocks: a.sliceBlocks,
    program,
    args: a.args ?? [],
    argv0: program,
    env,
    cwd,
    stdin: stdin ?? new Uint8Array(0),
    allowedPaths: a.allowedPaths?.map((p) => resolve(cwd, p)),
    reproducible: a.reproducible ?? false,
    stopOnEntry: a.stopOnEntry ?? false,
  };
}
