/** Starts the real adapter process (dist/adapter/main.js) under DebugClient for scripted DAP tests. */
import { join } from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { repoRoot } from "./compile.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

export const ADAPTER = join(repoRoot, "dist", "adapter", "main.js");

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient("node", ADAPTER, "jitdbg", { env: { ...process.env } });
  dc.defaultTimeout = 60_000;
  await dc.start();
  // DebugClient's own initialize defaults ask for URL paths; jitdbg speaks native paths.
  const init = dc.initializeRequest.bind(dc);
  dc.initializeRequest = (args) => init({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path", ...args });
  return dc;
}

/** Launches, sets breakpoints through `configure`, finishes configuration and waits for the first stop. */
export async function launchAndStop(dc: DebugClient, launch: Record<string, unknown>, configure: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
  const initialized = dc.waitForEvent("initialized");
  await dc.launchRequest(launch as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await configure();
  const stopped = dc.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
  await dc.configurationDoneRequest();
  return stopped;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: MAIN_THREAD });
  return st.body.stackFrames[0]!;
}

/** Resolves with the error response's message (DebugClient rejects error responses). */
export async function errorOf(p: Promise<unknown>): Promise<{ message: string; id?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { body?: { error?: { id: number } } };
    return { message: err.message, id: err.body?.error?.id };
  }
  throw new Error("the request succeeded but an error response was expected");
}

/** The program's stdout as output events bring it: `text()` is all that has come so far. */
export function programOutput(dc: DebugClient): () => string {
  let text = "";
  dc.on("output", (e: DebugProtocol.OutputEvent) => {
    if (e.body.category === "stdout") text += e.body.output;
  });
  return () => text;
}

/** Continues and waits for the program's end; its exit status. */
export async function continueToExit(dc: DebugClient): Promise<number> {
  const exited = dc.waitForEvent("exited") as Promise<DebugProtocol.ExitedEvent>;
  await dc.continueRequest({ threadId: MAIN_THREAD });
  return (await exited).body.exitCode;
}
