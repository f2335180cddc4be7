/**
 * What a debugged program may read, over DAP against the real adapter process: by default the
 * program's directory and its working directory (as for `jitdbg run`), and a file outside them
 * that exists on the host is named in the debug console with the allowedPaths entry that shows it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { startClient } from "../helpers/dap.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe("readable files over DAP", () => {
  let dc: DebugClient;
  beforeEach(async () => {
    dc = await startClient();
  });
  afterEach(async () => {
    await dc.stop();
  });

  async function run(launch: Record<string, unknown>): Promise<{ stdout: string; console: string }> {
    const stdout: string[] = [];
    const console: string[] = [];
    dc.on("output", (e) => (e.body.category === "stdout" ? stdout : console).push(e.body.output));
    await dc.initializeRequest();
    const initialized = dc.waitForEvent("initialized");
    await dc.launchRequest(launch as never);
    await initialized;
    const terminated = dc.waitForEvent("terminated");
    await dc.configurationDoneRequest();
    await terminated;
    return { stdout: stdout.join(""), console: console.join("") };
  }

  it("the working directory is readable without allowedPaths; a host file outside the view is named in the console", async () => {
    const exe = compileFixture("programs/read_file.c", { cc: "gcc", flags: ["-O0", "-g"] });
    const cwd = mkdtempSync(join(tmpdir(), "jitdbg-dap-read-"));
    made.push(cwd);
    writeFileSync(join(cwd, "input.txt"), "from the working directory\n");
    const { stdout, console } = await run({ program: exe, cwd, args: ["input.txt", "/etc/passwd"] });
    expect(stdout).toContain("input.txt: first line: from the working directory\n");
    expect(stdout).toContain("/etc/passwd: No such file or directory\n");
    expect(console).toContain('jitdbg: the program looked for /etc/passwd, which exists on this machine but is outside the paths it may read, so it was told there is no such file; to let it read there, give --allow /etc/passwd (jitdbg run) or add it to "allowedPaths" (launch.json)\n');
  });

  it("allowedPaths replaces the default: the working directory is then hidden too, and named", async () => {
    const exe = compileFixture("programs/read_file.c", { cc: "gcc", flags: ["-O0", "-g"] });
    const cwd = mkdtempSync(join(tmpdir(), "jitdbg-dap-read-"));
    made.push(cwd);
    writeFileSync(join(cwd, "input.txt"), "x\n");
    const { stdout, console } = await run({ program: exe, cwd, args: ["input.txt", "/etc/passwd"], allowedPaths: ["/etc/passwd"] });
    expect(stdout).toContain("input.txt: No such file or directory\n");
    expect(stdout).toMatch(/\/etc\/passwd: first line: root:/);
    expect(console).toContain(`the program looked for ${cwd}`);
  });
});
