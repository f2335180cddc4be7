/**
 * Entry point of the jitdbg VS Code extension (bundled to dist/extension/extension.cjs): registers
 * the adapter descriptor factory and the configuration providers for the `jitdbg` debug type.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { JitdbgAdapterFactory } from "./adapter-factory.js";
import { JitdbgConfigurationProvider, JitdbgDynamicConfigurationProvider } from "./configuration-provider.js";
import { FirstStopViewOpener } from "./first-stop-view.js";
import { DEBUG_TYPE } from "./launch-config.js";

export function activate(context: vscode.ExtensionContext): void {
  const buildDir = context.globalStorageUri ? join(context.globalStorageUri.fsPath, "build") : join(tmpdir(), "jitdbg-build");
  const problems = vscode.languages.createDiagnosticCollection("jitdbg");
  context.subscriptions.push(
    problems,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new JitdbgAdapterFactory(context.extensionPath)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new JitdbgConfigurationProvider(buildDir, problems), vscode.DebugConfigurationProviderTriggerKind.Initial),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new JitdbgDynamicConfigurationProvider(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new FirstStopViewOpener()),
    // Time travel's reverse step out: a toolbar button shown for sessions that record (timeTravel).
    vscode.debug.onDidStartDebugSession((s) => {
      if (s.type === DEBUG_TYPE) void vscode.commands.executeCommand("setContext", "jitdbg.timeTravel", s.configuration.timeTravel !== false);
    }),
    vscode.commands.registerCommand("jitdbg.reverseStepOut", async () => {
      const session = vscode.debug.activeDebugSession;
      const thread = vscode.debug.activeStackItem?.threadId;
      if (session?.type === DEBUG_TYPE) await session.customRequest("reverseStepOut", thread === undefined ? {} : { threadId: thread });
    }),
  );
}

export function deactivate(): void {
  // Everything registered in activate is disposed through context.subscriptions.
}
