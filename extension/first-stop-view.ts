/**
 * Opens the Run and Debug view as a jitdbg session's first breakpoint stop arrives, before VS Code
 * handles that stop, so that the Variables view exists when VS Code focuses the stopped frame.
 *
 * Why: VS Code's Variables view expands the first scope that is not `expensive` (jitdbg's Locals)
 * only from its focus handler. With the default `debug.openDebug: openOnDebugBreak` and another
 * view in the side bar, VS Code focuses the frame first and opens the Run and Debug view after
 * it: the Variables view is created then, takes the focused frame as its input without that
 * handler, and shows Locals collapsed until the next stop. Opened here (the tracker sees the
 * stopped event before it is passed on to the workbench), the view is there for the focus.
 *
 * Only where VS Code would open the view at that stop anyway (openOnDebugBreak, reason
 * "breakpoint"), when the editor takes the focus back at the stop (debug.focusEditorOnBreak), and
 * once per window: later first stops find the view already created.
 */
import * as vscode from "vscode";
import type { DebugProtocol } from "@vscode/debugprotocol";

/** The command of the Run and Debug view container (VS Code's VIEWLET_ID). */
export const RUN_AND_DEBUG_VIEW = "workbench.view.debug";

export class FirstStopViewOpener implements vscode.DebugAdapterTrackerFactory {
  private opened = false;

  createDebugAdapterTracker(): vscode.DebugAdapterTracker | undefined {
    if (this.opened) return undefined;
    return {
      onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
        if (this.opened || m.type !== "event" || (m as DebugProtocol.Event).event !== "stopped") return;
        if ((m as DebugProtocol.StoppedEvent).body?.reason !== "breakpoint") return;
        const debug = vscode.workspace.getConfiguration("debug");
        if (debug.get<string>("openDebug", "openOnDebugBreak") !== "openOnDebugBreak") return;
        // The command focuses the view; VS Code then focuses the editor at the stop, unless told not to.
        if (!debug.get<boolean>("focusEditorOnBreak", true)) return;
        this.opened = true;
        void vscode.commands.executeCommand(RUN_AND_DEBUG_VIEW).then(undefined, () => undefined);
      },
    };
  }
}
