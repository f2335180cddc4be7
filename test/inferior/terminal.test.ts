/**
 * A session's standard streams as a terminal (ProcessOptions.terminal): isatty, tcgetattr and
 * tcsetattr, TIOCGWINSZ, fstat as a character device, ttyname and /proc/self/fd/N as pts — the
 * same answers as a native run under a pseudo-terminal (`script`), and as pipes without one.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { runEmulated } from "../helpers/emulate.js";
import { Terminal } from "../../src/inferior/terminal.js";

const BUILDS: Record<string, string[]> = { static: ["-static", "-O1"], dynamic: ["-O1"] };

/** The program's run on a real pseudo-terminal: util-linux `script` gives it one (its stdin one too). */
function underPty(exe: string): string {
  return execFileSync("script", ["-qec", exe, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] })
    .toString("latin1")
    .replace(/\r\n/g, "\n");
}

describe("standard streams as a terminal", () => {
  for (const [build, flags] of Object.entries(BUILDS)) {
    it(`answer as a native run on a pty does (${build})`, () => {
      const exe = compileFixture("terminal/tty_probe.c", { flags });
      const native = underPty(exe);
      expect(native).toContain("fd 1: isatty 1 tcgetattr 1 icanon 1 echo 1 isig 1 opost 1 winsize 1 chr 1 fifo 0 ttyname /dev/pts/N link /dev/pts/N\n");
      expect(native).toContain("raw: icanon 0 echo 0\n");
      const emu = runEmulated(exe, { terminal: new Terminal() });
      expect(emu.stderr).toBe(native);
      expect(emu.status).toBe(0);
      expect(emu.warnings).toEqual([]);
    });
  }

  it("are pipes without one, as natively into a pipe", () => {
    const exe = compileFixture("terminal/tty_probe.c", { flags: ["-static", "-O1"] });
    // Every stream a pipe, as a shell pipeline makes them.
    const native = execFileSync("sh", ["-c", `: | '${exe}' 2>&1 | cat`]).toString("latin1");
    expect(native).toContain("fd 1: isatty 0 tcgetattr 0");
    const emu = runEmulated(exe, { stdin: new Uint8Array(0) });
    expect(emu.stderr).toBe(native);
  });

  it("given bytes, standard input is a pipe and output stays the terminal (prog < file in a shell)", () => {
    const exe = compileFixture("terminal/tty_probe.c", { flags: ["-static", "-O1"] });
    const emu = runEmulated(exe, { terminal: new Terminal(), stdin: Buffer.from("x") });
    expect(emu.stderr).toContain("fd 0: isatty 0 tcgetattr 0 icanon 0 echo 0 isig 0 opost 0 winsize 0 chr 0 fifo 1 ttyname (none) link pipe\n");
    expect(emu.stderr).toContain("fd 1: isatty 1 tcgetattr 1");
  });
});
