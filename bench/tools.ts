/** Reference tools the benchmarks compare against, found on this machine or not. */
import { spawnSync } from "node:child_process";

/** Debian's qemu-user: the same TCG family as Unicorn, running the same ELF files. */
export const QEMU = "qemu-x86_64";

export function installed(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Runs a command to its end: its output, exit status and wall-clock time from spawn to exit, in ms. */
export function spawnTimed(command: string, args: string[]): { stdout: string; stderr: string; status: number; ms: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? -1, ms };
}
