/**
 * The `jitdbg` command line. `jitdbg run <elf> [args...]` runs a program in the emulator with its
 * stdio passed through and exits with its status (128+signal when a signal ends it).
 */
import { demoCommand } from "./demo.js";
import { guarded } from "./guard.js";
import { runCommand } from "./run.js";

const USAGE = `usage: jitdbg <command> [options]

commands:
  run [--reproducible] [--allow PATH]... [--verbose] <program> [args...]
                      run an x86-64 Linux program in the emulator (jitdbg run --help);
                      jitdbg's diagnostics go to JITDBG_LOG=FILE or, with --verbose, stderr
  rtdyld [--entry NAME] [--show-times] [--host ELF] obj.o...
                      link ELF objects into an emulated process and run NAME
  demo                build the bundled example and debug it over DAP, printing the session
  help                show this text`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runCommand,
  demo: demoCommand,
  rtdyld: async (argv) => (await import("./rtdyld.js")).rtdyldCommand(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`jitdbg: unknown command '${cmd}'\n${USAGE}\n`);
    return 2;
  }
  return guarded(() => command(rest));
}
