/**
 * The program `jitdbg run NAME` runs: a name with a slash is a path; a bare name is the file of
 * that name in the working directory when there is one (as gdb takes it), else the first
 * executable of that name along PATH, as the shell would run it.
 */
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { JitdbgError } from "../errors.js";

export function findProgram(name: string, path = process.env.PATH ?? ""): string {
  if (name.includes("/") || isFile(name)) return name;
  for (const dir of path.split(":")) {
    const candidate = join(dir === "" ? "." : dir, name);
    if (isFile(candidate) && isExecutable(candidate)) return candidate;
  }
  throw new JitdbgError("LOAD_NOT_FOUND", { file: name }, "no such file in the working directory, nor a program of that name along PATH");
}

function isFile(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
