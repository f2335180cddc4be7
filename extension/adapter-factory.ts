/**
 * Chooses how VS Code runs the jitdbg debug adapter: inline in the extension host (default), or as
 * a separate Node process running the bundled dist/adapter/main.cjs (or the configured path).
 * The launch configuration's adapterMode/adapterPath override the jitdbg.adapter.* settings; a
 * relative adapter path is taken from the workspace folder.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import * as vscode from "vscode";
import { JitdbgSession } from "../adapter/session.js";
import { isAdapterMode, type AdapterMode, type JitdbgLaunchConfiguration } from "./launch-config.js";

/** The bundled stand-alone adapter, relative to the extension's root. */
export const BUNDLED_ADAPTER = join("dist", "adapter", "main.cjs");

export class JitdbgAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const config: JitdbgLaunchConfiguration = session.configuration;
    const settings = vscode.workspace.getConfiguration("jitdbg", session.workspaceFolder);
    const mode = config.adapterMode ?? settings.get<string>("adapter.mode") ?? "inline";
    if (!isAdapterMode(mode)) {
      throw new Error(`jitdbg: unknown adapter mode "${mode}". Use "inline" or "executable" (setting jitdbg.adapter.mode or launch attribute adapterMode).`);
    }
    if (mode === "inline") return new vscode.DebugAdapterInlineImplementation(new JitdbgSession());
    const configured = config.adapterPath || settings.get<string>("adapter.path");
    if (!configured) return this.executable(join(this.extensionPath, BUNDLED_ADAPTER), mode);
    const base = session.workspaceFolder?.uri.fsPath;
    return this.executable(isAbsolute(configured) || base === undefined ? resolve(configured) : join(base, configured), mode);
  }

  private executable(path: string, mode: AdapterMode): vscode.DebugAdapterExecutable {
    if (!existsSync(path)) {
      throw new Error(`jitdbg: the debug adapter ${path} (${mode} mode) does not exist. Run \`npm run bundle\` in the extension's folder, or fix jitdbg.adapter.path.`);
    }
    if (/\.[cm]?js$/.test(path)) {
      // In VS Code, process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it behave as node.
      return new vscode.DebugAdapterExecutable(process.execPath, [path], { env: { ELECTRON_RUN_AS_NODE: "1" } });
    }
    return new vscode.DebugAdapterExecutable(path, []);
  }
}
