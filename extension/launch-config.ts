/**
 * The launch configuration of the `jitdbg` debug type (mirrors contributes.debuggers[0] in
 * package.json) and the configurations offered when launch.json is created.
 */
import type { DebugConfiguration } from "vscode";

export const DEBUG_TYPE = "jitdbg";

export type AdapterMode = "inline" | "executable";
export const ADAPTER_MODES: readonly AdapterMode[] = ["inline", "executable"];

export interface JitdbgLaunchConfiguration extends DebugConfiguration {
  program?: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  stopOnEntry?: boolean;
  stdin?: string | { file: string };
  allowedPaths?: string[];
  allowWrite?: string[];
  scratch?: string;
  reproducible?: boolean;
  compilerFlags?: string[];
  adapterMode?: AdapterMode;
  adapterPath?: string;
}

export function isAdapterMode(v: unknown): v is AdapterMode {
  return typeof v === "string" && (ADAPTER_MODES as readonly string[]).includes(v);
}
