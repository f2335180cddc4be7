/** `jitdbg run`: a program to completion in the emulator, as a shell would run it natively. */
import { writeSync } from "node:fs";
import { JitdbgError } from "../errors.js";
import { Process } from "../inferior/process.js";

interface RunArgs {
  program: string;
  args: string[];
  reproducible: boolean;
  allowed: string[];
}

function parse(argv: string[]): RunArgs {
  const out: RunArgs = { program: "", args: [], reproducible: false, allowed: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-")) break;
    if (a === "--reproducible") out.reproducible = true;
    else if (a === "--allow") {
      const p = argv[++i];
      if (!p) throw new JitdbgError("CLI_USAGE", "--allow needs a path");
      out.allowed.push(p);
    } else throw new JitdbgError("CLI_USAGE", `unknown option ${a} for run (see \`jitdbg help\`)`);
  }
  const program = argv[i];
  if (!program) throw new JitdbgError("CLI_USAGE", "run needs a program: jitdbg run <program> [args...]");
  out.program = program;
  out.args = argv.slice(i + 1);
  return out;
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}

export async function runCommand(argv: string[]): Promise<number> {
  const a = parse(argv);
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
  const proc = Process.launch(a.program, {
    args: a.args,
    env,
    reproducible: a.reproducible,
    allowedPaths: a.allowed.length > 0 ? [...a.allowed] : undefined,
    stdin: "host",
    onStdout: (d) => writeAll(1, d),
    onStderr: (d) => writeAll(2, d),
    onWarning: (m) => writeAll(2, Buffer.from(`jitdbg: warning: ${m}\n`)),
  });
  try {
    const end = proc.runToEnd();
    if (end.kind === "exited") return end.status;
    writeAll(2, Buffer.from(`jitdbg: program terminated by ${end.name}: ${end.description}\n`));
    return 128 + end.signal;
  } finally {
    proc.close();
  }
}
