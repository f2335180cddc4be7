/**
 * Where a debugged program's input and output go, as the launch's `console` says: the debug
 * console (output events; input only what `stdin` gives), or a terminal the client runs
 * (terminal-link.ts), kept from one run to the next (restart) while it stays open.
 */
import type { LaunchOptions } from "../src/debugger/debugger.js";
import type { InteractiveInput } from "../src/inferior/kernel.js";
import { badArgument } from "./errors.js";
import type { ConsoleKind } from "./launch-args.js";
import { TerminalLink, type RunInTerminal, type TerminalEvents } from "./terminal-link.js";

export interface ConsoleEvents extends TerminalEvents {
  /** A line for the user in the Debug Console. */
  note(text: string): void;
}

export class ProgramConsole {
  private link: TerminalLink | undefined;

  constructor(
    private readonly run: RunInTerminal,
    private readonly events: ConsoleEvents,
  ) {}

  /** Opens the terminal `kind` asks for, unless one is open already; `canRun` is whether the client does runInTerminal. */
  async prepare(kind: ConsoleKind, canRun: boolean, program: string, cwd: string): Promise<void> {
    if (kind === "debugConsole") {
      this.close();
      return;
    }
    if (this.link?.isOpen) return;
    if (!canRun) {
      throw badArgument(`launch: "console": "${kind}" needs a client that runs terminals (runInTerminal), and this one does not (supportsRunInTerminalRequest is not true); use "console": "debugConsole", with "stdin" for the program's input`);
    }
    this.link = await TerminalLink.start(this.run, kind === "integratedTerminal" ? "integrated" : "external", `jitdbg: ${program}`, cwd, this.events);
  }

  /** The launch options with the program's streams on the terminal (when there is one): typed input unless `stdin` gives some, the terminal's size and modes. */
  apply(options: LaunchOptions): LaunchOptions {
    const link = this.link;
    if (!link) return options.stdin ? options : { ...options, stdin: debugConsoleInput(() => this.events.note(NO_INPUT_NOTE)) };
    // A new program finds the terminal in its usual mode (a shell resets it too), whatever the last one left.
    link.terminal.resetMode();
    return {
      ...options,
      stdin: options.stdin ?? link.input,
      terminal: options.terminal && link.terminal,
      programOutput: { stdout: (d) => link.write(1, d), stderr: (d) => link.write(2, d) },
    };
  }

  /** Ends the terminal's relay (the client's terminal gets its shell back). */
  close(): void {
    this.link?.close();
    this.link = undefined;
  }
}

const NO_INPUT_NOTE = `jitdbg: the program reads standard input, which the Debug Console cannot type into: it reads end of file. Use "console": "integratedTerminal" to type its input, or give it with "stdin".\n`;

/** The Debug Console's standard input when no "stdin" is given: at its end from the start; the first read that wants bytes says why. */
function debugConsoleInput(note: () => void): InteractiveInput {
  let told = false;
  return {
    read: (max) => {
      if (max > 0 && !told) {
        told = true;
        note();
      }
      return new Uint8Array(0);
    },
    pending: () => 0,
    ready: () => true,
    flush: () => undefined,
    takeArrived: () => false,
    arrival: () => Promise.resolve(),
    open: false,
  };
}
