/**
 * `npm run package` builds the .vsix with vsce (whose manifest checks run while packaging); the
 * package holds only what runs, and the extension loads and starts an inline session from it.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { compileFixture, repoRoot } from "../helpers/compile.js";
import { loadBundledExtension, stubContext } from "./load-extension.js";
import { readZip } from "./unzip.js";
import { answerReverseRequests } from "../helpers/reverse-requests.js";
import * as vscode from "./vscode-stub.js";

interface Manifest {
  name: string;
  version: string;
  publisher: string;
  main: string;
  engines: Record<string, string>;
  contributes: unknown;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

const root = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Manifest;
const vsix = join(repoRoot, "dist", `jitdbg-${root.version}-linux-x64.vsix`);
// Packaging needs both bundles; dist/adapter/main.cjs comes from the adapter's adapter/main.ts.
const canPackage = existsSync(join(repoRoot, "adapter", "main.ts"));

let files: Map<string, Buffer>;
let extracted: string;

beforeAll(() => {
  if (!canPackage) return;
  execFileSync("npm", ["run", "--silent", "package"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  files = readZip(vsix);
  extracted = mkdtempSync(join(tmpdir(), "jitdbg-vsix-"));
  for (const [name, data] of files) {
    if (name.endsWith("/")) continue;
    mkdirSync(dirname(join(extracted, name)), { recursive: true });
    writeFileSync(join(extracted, name), data);
  }
});

afterEach(() => vscode.state.reset());

describe.skipIf(!canPackage)("npm run package", () => {
  it("writes a linux-x64 .vsix whose vsixmanifest names the extension, its engine and target", () => {
    expect(existsSync(vsix)).toBe(true);
    const xml = files.get("extension.vsixmanifest")?.toString("utf8") ?? "";
    expect(xml).toMatch(new RegExp(`<Identity [^>]*Id="jitdbg"[^>]*Version="${root.version}"[^>]*Publisher="jitdbg"[^>]*TargetPlatform="linux-x64"`));
    expect(xml).toContain(`<Property Id="Microsoft.VisualStudio.Code.Engine" Value="${root.engines.vscode}" />`);
    expect(xml).toContain('<Asset Type="Microsoft.VisualStudio.Services.Content.License"');
  });

  it("ships the manifest without the CLI's fields, and only the runtime files", () => {
    const manifest = JSON.parse(files.get("extension/package.json")?.toString("utf8") ?? "{}") as Manifest;
    expect(manifest.contributes).toEqual(root.contributes);
    expect(manifest.engines.vscode).toBe(root.engines.vscode);
    for (const key of ["bin", "files", "scripts", "devDependencies"]) expect(manifest).not.toHaveProperty(key);
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(["capstone-wasm", "koffi"]);
    expect(files.has(`extension/${manifest.main.replace(/^\.\//, "")}`)).toBe(true);
    const names = [...files.keys()];
    expect(names).toEqual(expect.arrayContaining(["extension/dist/adapter/main.cjs", "extension/dist/adapter/adapter.cjs", "extension/dist/adapter/terminal-relay.cjs", "extension/LICENSE.txt", "extension/readme.md"]));
    expect(names.filter((n) => /\.(ts|map)$|^extension\/(src|test|adapter|extension|bench)\//.test(n))).toEqual([]);
    // Of vendor/, the emulator library and its copyright only.
    expect(names.filter((n) => n.startsWith("extension/vendor/")).sort()).toEqual(["extension/vendor/unicorn/copyright", "extension/vendor/unicorn/usr/lib/x86_64-linux-gnu/libunicorn.so.2"]);
    const size = [...files].filter(([n]) => !n.endsWith("libunicorn.so.2")).reduce((s, [, b]) => s + b.length, 0);
    expect(size).toBeLessThan(8 * 1024 * 1024);
  });

  it("loads from the unpacked .vsix: activates, starts an inline session, finds koffi and capstone's wasm", async () => {
    const bundle = join(extracted, "extension", "dist", "extension", "extension.cjs");
    const ext = loadBundledExtension(bundle);
    const before = vscode.state.factories.length;
    ext.activate({ ...stubContext(), extensionPath: join(extracted, "extension") });
    const entry = vscode.state.factories[before];
    expect(entry?.type).toBe("jitdbg");
    const d = await entry?.factory.createDebugAdapterDescriptor({ configuration: { type: "jitdbg", request: "launch", name: "t" }, workspaceFolder: undefined }, undefined);
    expect(d).toBeInstanceOf(vscode.DebugAdapterInlineImplementation);

    const requireFromBundle = createRequire(bundle);
    expect(requireFromBundle.resolve("koffi").startsWith(extracted)).toBe(true);
    const koffi = requireFromBundle("koffi") as { load: unknown; version: string };
    expect(typeof koffi.load).toBe("function");
    const capstone = requireFromBundle("capstone-wasm") as { loadCapstone(): Promise<void> };
    await capstone.loadCapstone();
  });

  it("carries the emulator: the adapter bundle of the unpacked .vsix runs a program with the library it ships", async () => {
    const lib = join(extracted, "extension", "vendor", "unicorn", "usr", "lib", "x86_64-linux-gnu", "libunicorn.so.2");
    expect(readFileSync(lib).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(readFileSync(join(extracted, "extension", "vendor", "unicorn", "copyright"), "utf8")).toMatch(/GPL/);
    // The bundle finds its library from its own place (the unpacked extension's root); nothing
    // else has one: no override, no system copy (the checkout's vendor/ is not on its way up).
    const env = { ...process.env };
    delete env.JITDBG_UNICORN_LIB;
    const dc = new DebugClient("node", join(extracted, "extension", "dist", "adapter", "main.cjs"), "jitdbg", { env });
    dc.defaultTimeout = 60_000;
    await dc.start();
    try {
      const exe = compileFixture("demo/inventory.c", { flags: ["-static", "-O0", "-g"] });
      await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
      const exited = dc.waitForEvent("exited");
      await dc.launchRequest({ program: exe } as DebugProtocol.LaunchRequestArguments);
      await dc.configurationDoneRequest();
      expect((await exited).body.exitCode).toBe(0);
    } finally {
      await dc.stop();
    }
  });

  it('carries the terminal relay: "console": "integratedTerminal" runs the relay of the unpacked .vsix, here on pipes, and the program reads what is typed', async () => {
    const dc = new DebugClient("node", join(extracted, "extension", "dist", "adapter", "main.cjs"), "jitdbg", { env: { ...process.env } });
    dc.defaultTimeout = 60_000;
    await dc.start();
    let relay: ChildProcess | undefined;
    let shown = "";
    try {
      const asked = answerReverseRequests(dc, async (r) => {
        const a = r.arguments as DebugProtocol.RunInTerminalRequestArguments;
        relay = spawn(a.args[0]!, a.args.slice(1), { cwd: a.cwd, env: { ...process.env, ...Object.fromEntries(Object.entries(a.env ?? {}).filter((e): e is [string, string] => typeof e[1] === "string")) }, stdio: ["pipe", "pipe", "pipe"] });
        relay.stdout!.on("data", (d: Buffer) => {
          shown += d.toString();
          // Each answer once its prompt shows (scanf would read ahead into its buffer what came at once).
          if (shown.endsWith("name? ")) relay!.stdin!.write("Ada 36\n");
          if (shown.endsWith("key? ")) relay!.stdin!.write("k");
        });
        return { processId: relay.pid };
      });
      const exe = compileFixture("dap/ask_name.c", { flags: ["-O0", "-g"] });
      await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path", supportsRunInTerminalRequest: true });
      const exited = dc.waitForEvent("exited");
      await dc.launchRequest({ program: exe, console: "integratedTerminal" } as DebugProtocol.LaunchRequestArguments);
      expect((asked[0]?.arguments as DebugProtocol.RunInTerminalRequestArguments).args[1]).toBe(join(extracted, "extension", "dist", "adapter", "terminal-relay.cjs"));
      await dc.configurationDoneRequest();
      expect((await exited).body.exitCode).toBe(0);
      for (let i = 0; i < 200 && !shown.includes("key k"); i++) await new Promise((r) => setTimeout(r, 20));
      // A relay on pipes reports no window size: the program sees 80x24.
      expect(shown).toBe("terminal 1: 80x24\nname? hello Ada, next year 37\nkey? key k\n");
    } finally {
      await dc.stop();
      relay?.kill();
    }
  });
});
