/** Drives the machine's gdb in batch mode to get the reference behaviour the debugger must match. */
import { spawnSync } from "node:child_process";

export interface GdbLocation {
  file: string;
  line: number;
  func: string;
}

const WHERE = `python exec("try:\\n f=gdb.selected_frame(); s=f.find_sal()\\n print('@@ %s:%d:%s' % (s.symtab.filename.split('/')[-1] if s.symtab else '?', s.line, f.name()))\\nexcept Exception:\\n print('@@ exited')")`;
const BT = `python exec("f=gdb.newest_frame()\\nwhile f is not None:\\n s=f.find_sal()\\n print('## %s:%d:%s' % (s.symtab.filename.split('/')[-1] if s.symtab else '?', s.line, f.name()))\\n f=f.older()")`;

export function hasGdb(): boolean {
  return spawnSync("gdb", ["--version"]).status === 0;
}

function runGdb(exe: string, args: string[], exs: string[]): string {
  const argv = ["-batch", "-nx", "-ex", "set pagination off", "-ex", "set confirm off", ...exs.flatMap((e) => ["-ex", e]), "--args", exe, ...args];
  const r = spawnSync("gdb", argv, { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return r.stdout;
}

/** The location after `run` and after each command ("exited" once the program has ended). */
export function gdbLocations(exe: string, args: string[], setup: string[], commands: string[]): (GdbLocation | "exited")[] {
  const out = runGdb(exe, args, [...setup, "run", WHERE, ...commands.flatMap((c) => [c, WHERE])]);
  return out
    .split("\n")
    .filter((l) => l.startsWith("@@ "))
    .map((l) => {
      if (l === "@@ exited") return "exited";
      const [file, line, func] = l.slice(3).split(":");
      return { file: file!, line: Number(line), func: func! };
    });
}

/** gdb's backtrace at the first stop of `setup`. */
export function gdbBacktrace(exe: string, args: string[], setup: string[]): GdbLocation[] {
  const out = runGdb(exe, args, [...setup, "run", BT]);
  return out
    .split("\n")
    .filter((l) => l.startsWith("## "))
    .map((l) => {
      const [file, line, func] = l.slice(3).split(":");
      return { file: file!, line: Number(line), func: func! };
    });
}

/** The pc after `run` and after each command, or "exited" / "signal SIGxxx" (gdb's reports). */
export function gdbPcs(exe: string, setup: string[], commands: string[]): string[] {
  const PC = `python exec("try:\\n print('PC@ 0x%x' % int(gdb.selected_frame().pc()))\\nexcept Exception:\\n print('PC@ exited')")`;
  const out = runGdb(exe, [], [...setup, "run", PC, ...commands.flatMap((c) => [c, PC])]);
  return out
    .split("\n")
    .filter((l) => l.startsWith("PC@ "))
    .map((l) => l.slice(4));
}
