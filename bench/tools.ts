/** Reference tools the benchmarks compare against, found on this machine or not. */
import { spawnSync } from "node:child_process";

/** Debian's qemu-user: the same TCG family as Unicorn, running the same ELF files. */
export const QEMU = "qemu-x86_64";

export function installed(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}
