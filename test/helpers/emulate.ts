/** Runs a program in the emulator in-process and collects what a shell would see. */
import { DEADLOCK_STATUS, Process, type ProcessOptions } from "../../src/inferior/process.js";

export interface EmulatedRun {
  stdout: string;
  stderr: string;
  /** Exit status as a shell shows it: the status, or 128+signal. */
  status: number;
  signal?: string;
  description?: string;
  warnings: string[];
  /** Translation-block entries the run executed (every thread's). */
  blocks: bigint;
}

export function runEmulated(exe: string, opts: ProcessOptions = {}): EmulatedRun {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const proc = Process.launch(exe, {
    env: [],
    ...opts,
    onStdout: (d) => out.push(Buffer.from(d)),
    onStderr: (d) => err.push(Buffer.from(d)),
    onWarning: (w) => warnings.push(w),
  });
  try {
    const end = proc.runToEnd();
    const base = { stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1"), warnings, blocks: proc.current.cpu.blockCount };
    if (end.kind === "exited") return { ...base, status: end.status };
    if (end.kind === "deadlock") return { ...base, status: DEADLOCK_STATUS, signal: "deadlock", description: end.description };
    return { ...base, status: 128 + end.signal, signal: end.name, description: end.description };
  } finally {
    proc.close();
  }
}
