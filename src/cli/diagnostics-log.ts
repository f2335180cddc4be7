/**
 * Where `jitdbg run` puts its own diagnostics (an unsupported syscall, a loader it cannot track):
 * never into the program's stdout or stderr unless the user asks, so a run's streams equal the
 * native run's. `--verbose` writes them to jitdbg's stderr — which is the program's too, so the
 * user chose the mix — as "jitdbg: warning: …"; JITDBG_LOG=<file> appends them, stamped, to that
 * file; with neither they are dropped (as qemu-user drops "unimplemented" without `-d unimp`).
 * The exit status is never changed for them: it is the program's.
 */
import { closeSync, openSync } from "node:fs";
import { JitdbgError } from "../errors.js";
import { writeAll } from "./write-all.js";

export interface DiagnosticsOptions {
  /** Also write each diagnostic to jitdbg's stderr. */
  verbose: boolean;
  /** Append each diagnostic to this file (JITDBG_LOG). */
  logFile: string | undefined;
  /** The program, to say in the log file which run a line came from. */
  program: string;
}

export class DiagnosticsLog {
  private constructor(
    private readonly verbose: boolean,
    private readonly program: string,
    private fd: number | undefined,
  ) {}

  /** Opens the log file first, so a bad JITDBG_LOG is reported before the program runs. */
  static open(opts: DiagnosticsOptions): DiagnosticsLog {
    let fd: number | undefined;
    if (opts.logFile) {
      try {
        fd = openSync(opts.logFile, "a");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new JitdbgError("CLI_LOG_UNWRITABLE", `JITDBG_LOG=${opts.logFile}: cannot open the log for appending (${code}); point it at a writable file or unset it`);
      }
    }
    return new DiagnosticsLog(opts.verbose, opts.program, fd);
  }

  warn(message: string): void {
    if (this.verbose) writeAll(2, Buffer.from(`jitdbg: warning: ${message}\n`));
    if (this.fd !== undefined) writeAll(this.fd, Buffer.from(`${new Date().toISOString()} jitdbg[${process.pid}] ${this.program}: warning: ${message}\n`));
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
