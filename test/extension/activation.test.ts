/**
 * The bundled extension (dist/extension/extension.cjs) against a stub `vscode`: what activate
 * registers, and the adapter descriptors for the inline and executable modes.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { adapterBundle, loadBundledExtension, runBundleScript, stubContext, type ExtensionModule, type StubExtensionContext } from "./load-extension.js";
import * as vscode from "./vscode-stub.js";

const adapterSourceExists = existsSync(join(repoRoot, "adapter", "main.ts"));

let ext: ExtensionModule;
let context: StubExtensionContext;

beforeAll(() => {
  runBundleScript();
  ext = loadBundledExtension();
  context = stubContext();
  ext.activate(context);
});

afterEach(() => vscode.state.reset());

function factory(): vscode.StubDescriptorFactory {
  const found = vscode.state.factories.find((f) => f.type === "jitdbg");
  if (!found) throw new Error("no descriptor factory registered for jitdbg");
  return found.factory;
}

function session(config: Record<string, unknown> = {}): vscode.StubDebugSession {
  return { configuration: { type: "jitdbg", request: "launch", name: "t", program: "/bin/true", ...config }, workspaceFolder: undefined };
}

async function descriptor(config: Record<string, unknown> = {}): Promise<unknown> {
  return factory().createDebugAdapterDescriptor(session(config), undefined);
}

interface InlineAdapter {
  handleMessage(message: DebugProtocol.ProtocolMessage): void;
  onDidSendMessage(listener: (message: DebugProtocol.ProtocolMessage) => void): { dispose(): void };
  dispose(): void;
}

function isInlineAdapter(v: unknown): v is InlineAdapter {
  const o = v as Partial<Record<keyof InlineAdapter, unknown>> | null;
  return typeof o === "object" && o !== null && typeof o.handleMessage === "function" && typeof o.onDidSendMessage === "function" && typeof o.dispose === "function";
}

describe("activate", () => {
  it("registers one descriptor factory, configuration providers (initial + dynamic) and the build's Problems collection for jitdbg", () => {
    expect(vscode.state.factories.map((f) => f.type)).toEqual(["jitdbg"]);
    const providers = vscode.state.providers.filter((p) => p.type === "jitdbg");
    expect(providers.map((p) => p.trigger).sort()).toEqual([vscode.DebugConfigurationProviderTriggerKind.Initial, vscode.DebugConfigurationProviderTriggerKind.Dynamic]);
    expect(vscode.state.problems.map((c) => c.name)).toContain("jitdbg");
    expect(context.subscriptions).toHaveLength(7);
    expect(vscode.state.trackers.map((t) => t.type)).toEqual(["jitdbg"]);
  });

  it("matches the manifest: main, activation events, debugger type", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      main: string;
      activationEvents: string[];
      contributes: { debuggers: { type: string; languages: string[] }[]; breakpoints: { language: string }[] };
    };
    expect(existsSync(join(repoRoot, pkg.main))).toBe(true);
    expect(pkg.activationEvents).toEqual(expect.arrayContaining(["onDebugResolve:jitdbg", "onDebugDynamicConfigurations:jitdbg"]));
    expect(pkg.contributes.debuggers[0]?.type).toBe("jitdbg");
    expect(pkg.contributes.debuggers[0]?.languages).toEqual(["c"]);
    expect(pkg.contributes.breakpoints).toEqual([{ language: "c" }]);
  });
});

describe("the Run and Debug view at the first breakpoint stop", () => {
  // VS Code creates the Variables view after it focused the frame when openOnDebugBreak opens the
  // view at that stop, and only its focus handler expands Locals: the tracker opens it first.
  const stopped = (reason: string) => ({ seq: 1, type: "event", event: "stopped", body: { reason, threadId: 1 } });

  it("opens it as the first breakpoint stop passes by, once per window, where VS Code would open it at that stop", async () => {
    const trackers = vscode.state.trackers.find((t) => t.type === "jitdbg")!.factory;
    const tracker = (await trackers.createDebugAdapterTracker(session()))!;
    tracker.onDidSendMessage!({ seq: 1, type: "event", event: "output", body: { output: "x" } });
    tracker.onDidSendMessage!(stopped("step"));
    tracker.onDidSendMessage!(stopped("entry"));
    expect(vscode.state.commands).toEqual([]); // VS Code opens the view at breakpoint stops only
    vscode.state.settings.set("debug.openDebug", "neverOpen");
    tracker.onDidSendMessage!(stopped("breakpoint"));
    vscode.state.settings.set("debug.openDebug", "openOnDebugBreak");
    vscode.state.settings.set("debug.focusEditorOnBreak", false); // the view would keep the focus
    tracker.onDidSendMessage!(stopped("breakpoint"));
    expect(vscode.state.commands).toEqual([]);
    vscode.state.settings.clear();
    tracker.onDidSendMessage!(stopped("breakpoint"));
    tracker.onDidSendMessage!(stopped("breakpoint"));
    expect(vscode.state.commands).toEqual(["workbench.view.debug"]);
    expect(await trackers.createDebugAdapterTracker(session())).toBeUndefined();
  });
});

describe("manifest schema", () => {
  interface Prop {
    description?: string;
  }
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    contributes: {
      debuggers: { configurationAttributes: { launch: { required: string[]; properties: Record<string, Prop> } } }[];
      configuration: { properties: Record<string, Prop & { default?: unknown; enum?: string[] }> };
      commands: { command: string }[];
      menus: Record<string, { command: string; when?: string }[]>;
    };
  };

  it("adds a Reverse Step Out button for sessions that record, which sends the adapter's reverseStepOut", async () => {
    const button = pkg.contributes.menus["debug/toolbar"].find((m: { command: string }) => m.command === "jitdbg.reverseStepOut");
    expect(button?.when).toBe("debugType == jitdbg && jitdbg.timeTravel");
    expect(pkg.contributes.commands.map((c: { command: string }) => c.command)).toContain("jitdbg.reverseStepOut");
    // Debug sessions record unless their configuration says timeTravel: false.
    for (const configuration of [{}, { timeTravel: false }]) for (const l of vscode.state.sessionStartListeners) l({ type: "jitdbg", configuration });
    const contexts = vscode.state.commandArgs.filter((_, i) => vscode.state.commands[i] === "setContext");
    expect(contexts).toEqual([["jitdbg.timeTravel", true], ["jitdbg.timeTravel", false]]);
    const requests: { command: string; args: unknown }[] = [];
    vscode.state.activeDebugSession = { type: "jitdbg", requests, customRequest: async (command, args) => void requests.push({ command, args }) };
    vscode.state.activeStackItem = { threadId: 7 };
    await vscode.state.registered.get("jitdbg.reverseStepOut")!();
    expect(requests).toEqual([{ command: "reverseStepOut", args: { threadId: 7 } }]);
  });

  it("describes every launch attribute, with program required", () => {
    const launch = pkg.contributes.debuggers[0]?.configurationAttributes.launch;
    expect(launch?.required).toEqual(["program"]);
    expect(Object.keys(launch?.properties ?? {}).sort()).toEqual(
      ["adapterMode", "adapterPath", "allowWrite", "allowedPaths", "args", "compilerFlags", "console", "cwd", "env", "evaluateTimeout", "followFork", "historyMegabytes", "program", "reproducible", "scheduler", "scratch", "seed", "signals", "sliceBlocks", "stdin", "stopOnEntry", "timeTravel", "tty"].sort(),
    );
    for (const [name, p] of Object.entries(launch?.properties ?? {})) expect(p.description, name).toMatch(/\w{3,}/);
  });

  it("has the adapter settings with inline as the default mode", () => {
    const props = pkg.contributes.configuration.properties;
    expect(props["jitdbg.adapter.mode"]).toMatchObject({ enum: ["inline", "executable"], default: "inline" });
    expect(props["jitdbg.adapter.path"]).toMatchObject({ default: "" });
  });
});

describe("inline mode (default)", () => {
  it("wraps a JitdbgSession that answers a DAP initialize request", async () => {
    const d = await descriptor();
    expect(d).toBeInstanceOf(vscode.DebugAdapterInlineImplementation);
    const session = (d as vscode.DebugAdapterInlineImplementation).implementation;
    if (!isInlineAdapter(session)) throw new Error("the inline implementation is not a debug adapter (handleMessage/onDidSendMessage/dispose)");
    expect(Object.getPrototypeOf(session).constructor.name).toMatch(/^JitdbgSession\d*$/);
    const response = new Promise<DebugProtocol.ProtocolMessage>((resolve) => {
      const sub = session.onDidSendMessage((m) => {
        if (m.type === "response") {
          sub.dispose();
          resolve(m);
        }
      });
    });
    const request: DebugProtocol.InitializeRequest = { seq: 1, type: "request", command: "initialize", arguments: { adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" } };
    session.handleMessage(request);
    const r = (await response) as DebugProtocol.InitializeResponse;
    expect(r).toMatchObject({ command: "initialize", request_seq: 1, success: true });
    session.dispose();
  });

  it("is chosen when the setting says inline even if a path is set", async () => {
    vscode.state.settings.set("jitdbg.adapter.mode", "inline");
    vscode.state.settings.set("jitdbg.adapter.path", "/nonexistent/adapter.js");
    expect(await descriptor()).toBeInstanceOf(vscode.DebugAdapterInlineImplementation);
  });
});

describe("executable mode", () => {
  it.skipIf(!adapterSourceExists)("runs the bundled dist/adapter/main.cjs with Node (setting jitdbg.adapter.mode)", async () => {
    vscode.state.settings.set("jitdbg.adapter.mode", "executable");
    const d = await descriptor();
    expect(d).toBeInstanceOf(vscode.DebugAdapterExecutable);
    const exe = d as vscode.DebugAdapterExecutable;
    expect(exe.command).toBe(process.execPath);
    expect(exe.args).toEqual([adapterBundle]);
    expect(exe.options?.env).toEqual({ ELECTRON_RUN_AS_NODE: "1" });
  });

  it.skipIf(!adapterSourceExists)("the bundled adapter answers initialize over stdin/stdout", async () => {
    const r = await initializeOverStdio(process.execPath, [adapterBundle]);
    expect(r).toMatchObject({ type: "response", command: "initialize", success: true });
  });

  it("runs a configured .js adapter with Node, and a configured executable directly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jitdbg-adapter-"));
    const script = join(dir, "my-adapter.js");
    writeFileSync(script, "");
    vscode.state.settings.set("jitdbg.adapter.mode", "executable");
    vscode.state.settings.set("jitdbg.adapter.path", script);
    const js = (await descriptor()) as vscode.DebugAdapterExecutable;
    expect(js).toBeInstanceOf(vscode.DebugAdapterExecutable);
    expect([js.command, ...js.args]).toEqual([process.execPath, script]);

    const bin = join(dir, "my-adapter");
    writeFileSync(bin, "#!/bin/sh\n");
    chmodSync(bin, 0o755);
    const native = (await descriptor({ adapterPath: bin })) as vscode.DebugAdapterExecutable;
    expect([native.command, ...native.args]).toEqual([bin]);
  });

  it("takes adapterMode/adapterPath from the launch configuration over the settings", async () => {
    vscode.state.settings.set("jitdbg.adapter.mode", "inline");
    const dir = mkdtempSync(join(tmpdir(), "jitdbg-adapter-"));
    const script = join(dir, "a.cjs");
    writeFileSync(script, "");
    const d = (await descriptor({ adapterMode: "executable", adapterPath: script })) as vscode.DebugAdapterExecutable;
    expect(d).toBeInstanceOf(vscode.DebugAdapterExecutable);
    expect(d.args).toEqual([script]);
  });

  it("takes a relative adapter path from the workspace folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jitdbg-ws-"));
    writeFileSync(join(dir, "adapter.mjs"), "");
    vscode.state.settings.set("jitdbg.adapter.mode", "executable");
    vscode.state.settings.set("jitdbg.adapter.path", "adapter.mjs");
    const s = { ...session(), workspaceFolder: { uri: vscode.Uri.file(dir), name: "ws", index: 0 } };
    const d = (await factory().createDebugAdapterDescriptor(s, undefined)) as vscode.DebugAdapterExecutable;
    expect(d.args).toEqual([join(dir, "adapter.mjs")]);
  });

  it("says which adapter file is missing, and rejects an unknown mode", async () => {
    await expect(descriptor({ adapterMode: "executable", adapterPath: "/nonexistent/adapter.js" })).rejects.toThrow(
      /the debug adapter \/nonexistent\/adapter\.js \(executable mode\) does not exist/,
    );
    vscode.state.settings.set("jitdbg.adapter.mode", "remote");
    await expect(descriptor()).rejects.toThrow(/unknown adapter mode "remote"/);
  });
});

/** Starts a DAP adapter process, sends initialize, returns the first response. */
function initializeOverStdio(command: string, args: string[]): Promise<DebugProtocol.ProtocolMessage> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let buf = Buffer.alloc(0);
    let stderr = "";
    const timer = setTimeout(() => finish(new Error(`no initialize response within 20 s; stderr: ${stderr}`)), 20_000);
    function finish(result: Error | DebugProtocol.ProtocolMessage): void {
      clearTimeout(timer);
      child.kill();
      if (result instanceof Error) reject(result);
      else resolve(result);
    }
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => finish(e));
    child.on("exit", (code) => finish(new Error(`adapter exited with ${code} before answering; stderr: ${stderr}`)));
    child.stdout.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const headerEnd = buf.indexOf("\r\n\r\n");
        if (headerEnd < 0) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, headerEnd).toString())?.[1]);
        if (buf.length < headerEnd + 4 + length) return;
        const message = JSON.parse(buf.subarray(headerEnd + 4, headerEnd + 4 + length).toString()) as DebugProtocol.ProtocolMessage;
        buf = buf.subarray(headerEnd + 4 + length);
        if (message.type === "response") return finish(message);
      }
    });
    const body = JSON.stringify({ seq: 1, type: "request", command: "initialize", arguments: { adapterID: "jitdbg", pathFormat: "path" } });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}
