/**
 * Standard input typed while the program runs (an InputQueue, as a terminal fills it): a read of
 * nothing yet waits, the run answers "input" (not a deadlock) while more can come, and typed
 * bytes, an end of file (^D) and a closed terminal reach the program as on a tty.
 */
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { InputQueue } from "../../src/inferior/input-queue.js";
import { Process } from "../../src/inferior/process.js";
import { Terminal } from "../../src/inferior/terminal.js";

describe("typed standard input", () => {
  it("the queue gives bytes up to an end-of-file mark, the mark as one empty read, then waits again", async () => {
    const q = new InputQueue();
    expect(q.read(10)).toBeUndefined();
    q.push(Buffer.from("abc"));
    q.end();
    q.push(Buffer.from("d"));
    expect(q.takeArrived()).toBe(true);
    expect(q.pending()).toBe(3);
    expect(Buffer.from(q.read(2)!).toString()).toBe("ab");
    expect(Buffer.from(q.read(10)!).toString()).toBe("c");
    expect(q.read(10)).toEqual(new Uint8Array(0));
    expect(Buffer.from(q.read(10)!).toString()).toBe("d");
    expect(q.read(10)).toBeUndefined();
    let arrived = false;
    const waiting = q.arrival().then(() => (arrived = true));
    q.close();
    await waiting;
    expect(arrived).toBe(true);
    expect(q.read(10)).toEqual(new Uint8Array(0));
    expect(q.open).toBe(false);
  });

  /** echo_lines.c on a terminal whose input is `input`; `out()` is what it printed. */
  function onTerminal(input: InputQueue): { proc: Process; out: () => string } {
    const exe = compileFixture("terminal/echo_lines.c", { flags: ["-static", "-O1", "-pthread"] });
    let out = "";
    const proc = Process.launch(exe, { env: [], stdin: input, terminal: new Terminal(), onStdout: (d) => (out += Buffer.from(d).toString()) });
    return { proc, out: () => out };
  }

  it("a program reading its terminal waits for input, not in a deadlock, and reads lines, ^D, and what follows", () => {
    const input = new InputQueue();
    const { proc, out } = onTerminal(input);
    try {
      expect(proc.run().kind).toBe("input");
      expect(out()).toBe("");
      input.push(Buffer.from("one\n"));
      expect(proc.run().kind).toBe("input");
      expect(out()).toBe("1: one\n");
      input.push(Buffer.from("two\n"));
      input.end(); // ^D: the loop ends
      const end = proc.run();
      expect(end).toEqual({ kind: "exited", status: 0 });
      expect(out()).toBe("1: one\n2: two\nend after 2\n");
    } finally {
      proc.close();
    }
  });

  it("once the terminal is gone, reads find the end of input", () => {
    const input = new InputQueue();
    const { proc, out } = onTerminal(input);
    try {
      expect(proc.run().kind).toBe("input");
      input.close();
      expect(proc.run()).toEqual({ kind: "exited", status: 0 });
      expect(out()).toBe("end after 0\n");
    } finally {
      proc.close();
    }
  });

  it("a resized terminal raises SIGWINCH, which ends a read waiting for input (EINTR), and TIOCGWINSZ gives the new size", () => {
    const exe = compileFixture("terminal/winch.c", { flags: ["-static", "-O1"] });
    const terminal = new Terminal();
    let out = "";
    const proc = Process.launch(exe, { env: [], stdin: new InputQueue(), terminal, onStdout: (d) => (out += Buffer.from(d).toString()) });
    try {
      expect(proc.run().kind).toBe("input");
      terminal.resize({ rows: 50, cols: 132 });
      expect(proc.run()).toEqual({ kind: "exited", status: 0 });
      expect(out).toBe("read -1 (Interrupted system call), resized 1, now 132x50\n");
    } finally {
      proc.close();
    }
  });
});
