/**
 * `jitdbg run prog | head`: when the reader leaves, the program's write fails with EPIPE and
 * SIGPIPE ends it (status 141), silently, as natively — not an internal error of jitdbg's.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, repoRoot } from "../helpers/compile.js";

const BIN = join(repoRoot, "bin", "jitdbg.js");

/** stdout of `<cmd> | head -2`, and the status of <cmd>. */
function throughHead(cmd: string[]): { out: string; status: string; stderr: string } {
  const quoted = cmd.map((c) => `'${c}'`).join(" ");
  const r = spawnSync("bash", ["-c", `${quoted} 2>/tmp/jitdbg-pipe-err.$$ | head -2; echo "status \${PIPESTATUS[0]}"; cat /tmp/jitdbg-pipe-err.$$ >&2; rm -f /tmp/jitdbg-pipe-err.$$`], { encoding: "utf8" });
  const lines = r.stdout.trimEnd().split("\n");
  return { out: lines.slice(0, -1).join("\n"), status: lines[lines.length - 1]!, stderr: r.stderr };
}

describe("jitdbg run into a pipe whose reader leaves", () => {
  it.each([["dynamic", []], ["static", ["-static"]]] as const)("%s: the program ends by SIGPIPE as natively, without a message", (_kind, flags) => {
    const exe = compileFixture("cli/many_lines.c", { flags: ["-O1", ...flags] });
    const native = throughHead([exe]);
    const ours = throughHead([process.execPath, BIN, "run", exe]);
    expect(native.status).toBe("status 141");
    expect(ours).toEqual(native);
  });
});
