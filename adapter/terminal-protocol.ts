/** The messages between the adapter (terminal-link.ts) and the relay a terminal runs (terminal-relay.ts): one JSON object a line, bytes in base64. */
import type { TerminalMode } from "../src/inferior/terminal.js";

export type FromRelay =
  /** First, with the token the adapter gave the relay's command line, and the terminal's size when it has one. */
  | { t: "hello"; token: string; rows?: number; cols?: number }
  /** Bytes typed. */
  | { t: "in"; d: string }
  /** ^D on the terminal: the program reads an end of file, and reading goes on. */
  | { t: "eof" }
  /** No more input will come. */
  | { t: "closed" }
  | { t: "size"; rows: number; cols: number }
  /** A key that raises a signal in the terminal's mode (^C: SIGINT, ^\: SIGQUIT). */
  | { t: "signal"; signo: number };

export type FromAdapter =
  /** Output of the program, to the relay's stdout (1) or stderr (2). */
  | { t: "out"; fd: 1 | 2; d: string }
  /** The program set its terminal's mode: the relay's terminal takes it. */
  | { t: "mode"; mode: TerminalMode }
  /** The session is over: the relay puts its terminal back and exits. */
  | { t: "bye" };

/** A data listener that splits a stream into lines and hands each line's JSON to `on`; lines that are no JSON object are skipped. */
export function parseLines<T>(on: (message: T) => void): (chunk: Buffer) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk.toString("utf8");
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        continue; // not from a relay or adapter of ours
      }
      if (typeof m === "object" && m !== null && typeof (m as { t?: unknown }).t === "string") on(m as T);
    }
  };
}
