/**
 * The host's /proc and /sys files, for the answers the emulated kernel takes from the host
 * (memory, load, CPUs, groups): what the program's native run would be told.
 */
import { readFileSync } from "node:fs";
import { isHostError } from "../../errors.js";

/** The file's text, or undefined when the host has no such file (no /proc: the caller falls back). */
export function readHostProc(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch (e) {
    if (!isHostError(e)) throw e;
    return undefined;
  }
}

/** A field of /proc/self/status (jitdbg's own, which the native program would inherit alike), trimmed. */
export function hostStatusField(name: string): string | undefined {
  const line = readHostProc("/proc/self/status")?.split("\n").find((l) => l.startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** The host's supplementary groups (those of /proc/self/status, which the native run has too; Node's list adds the egid). */
export function hostGroups(): number[] {
  const field = hostStatusField("Groups");
  if (field === undefined) return process.getgroups?.() ?? [];
  return field === "" ? [] : field.split(/\s+/).map(Number);
}
