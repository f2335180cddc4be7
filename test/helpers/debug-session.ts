/** Small helpers for driving the Debugger facade in tests. */
import { Debugger, type LaunchOptions } from "../../src/debugger/debugger.js";
import type { RunResult } from "../../src/debugger/run/stops.js";

export interface Where {
  file: string;
  line: number;
  func: string;
}

export function launch(program: string, opts: Partial<LaunchOptions> = {}): { dbg: Debugger; output: string[] } {
  const output: string[] = [];
  const dbg = Debugger.launch({ program, reproducible: true, ...opts }, { output: (_c, t) => output.push(t) });
  return { dbg, output };
}

export function where(dbg: Debugger, r: RunResult): Where | "exited" {
  if (r.reason === "exited") return "exited";
  const f = dbg.stackTrace()[0]!;
  return { file: (f.source?.file ?? "?").split("/").pop()!, line: f.source?.line ?? 0, func: f.functionName ?? "?" };
}

export type Command = "next" | "step" | "finish" | "continue";

export async function perform(dbg: Debugger, c: Command): Promise<RunResult> {
  switch (c) {
    case "next":
      return dbg.next();
    case "step":
      return dbg.stepIn();
    case "finish":
      return dbg.stepOut();
    case "continue":
      return dbg.continue();
  }
}
