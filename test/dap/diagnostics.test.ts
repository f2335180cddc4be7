/**
 * Over DAP, jitdbg's diagnostics are `console` output (the debug console), never `stderr`: the
 * stderr-category output is exactly the program's native stderr.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { existsSync } from "node:fs";
import { compileFixture, runNative } from "../helpers/compile.js";
import { ADAPTER, startClient } from "../helpers/dap.js";

let program: string;
let dc: DebugClient | undefined;

beforeAll(() => {
  if (!existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run \`npm run build\` first (npm test does)`);
  program = compileFixture("diagnostics/unsupported_syscall.c", { flags: ["-static", "-O0", "-g"] });
});

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

describe("DAP: diagnostics are console output", () => {
  it("an unsupported syscall is reported on the console; stdout and stderr are the program's own", async () => {
    dc = await startClient();
    const c = dc;
    const byCategory = new Map<string, string>();
    c.on("output", (e: DebugProtocol.OutputEvent) => {
      const category = e.body.category ?? "console";
      byCategory.set(category, (byCategory.get(category) ?? "") + e.body.output);
    });
    await c.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const initialized = c.waitForEvent("initialized");
    await c.launchRequest({ program, reproducible: true } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const exited = c.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
    const terminated = c.waitForEvent("terminated");
    await c.configurationDoneRequest();
    const native = runNative(program);
    expect((await exited).body.exitCode).toBe(native.status);
    await terminated;

    expect(byCategory.get("stderr")).toBe(native.stderr);
    expect(byCategory.get("stdout")).toBe(native.stdout);
    const console = byCategory.get("console") ?? "";
    expect(console).toContain("jitdbg: unsupported syscall sysfs (139) returned ENOSYS\n");
    expect(console).toContain("jitdbg: unsupported syscall ustat (136) returned ENOSYS\n");
    expect(console.split("unsupported syscall sysfs").length).toBe(2); // once, though called twice
  });
});
