/**
 * Drives one debugging session of a fidelity program over DAP against the real adapter process,
 * collecting what the program wrote and how it ended, while a mode does its stops.
 */
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { startClient } from "../helpers/dap.js";
import type { FidelityProgram, Outcome } from "./programs.js";

/** Short slices: a run of a fidelity program crosses hundreds of slice ends. */
export const SLICE_BLOCKS = 1_500;

export interface Session {
  dc: DebugClient;
  /** Resolves when the program has ended (exited event seen and terminated). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** The next stopped event (registered before the request that causes it). */
  nextStop(): Promise<DebugProtocol.StoppedEvent>;
  outcome(): Outcome;
  /** Console-category output (jitdbg's own messages). */
  console(): string;
}

export async function startSession(exe: string, p: FidelityProgram, configure: (dc: DebugClient) => Promise<unknown> = async () => {}): Promise<Session> {
  const dc = await startClient();
  let stdout = "";
  let stderr = "";
  let consoleText = "";
  let status: number | undefined;
  let ended = false;
  dc.on("output", (e: DebugProtocol.OutputEvent) => {
    const text = Buffer.from(e.body.output, "utf8").toString("latin1");
    if (e.body.category === "stdout") stdout += text;
    else if (e.body.category === "stderr") stderr += text;
    else consoleText += e.body.output;
  });
  dc.on("exited", (e: DebugProtocol.ExitedEvent) => {
    status = e.body.exitCode;
  });
  const endedPromise = dc.waitForEvent("terminated", 600_000).then(() => {
    ended = true;
  });
  await dc.initializeRequest({ adapterID: "jitdbg", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
  const initialized = dc.waitForEvent("initialized");
  await dc.launchRequest({
    program: exe,
    args: p.args,
    stdin: p.stdin?.toString("latin1"),
    sliceBlocks: SLICE_BLOCKS,
    // Compared with native runs whose streams are pipes: so are the program's here.
    tty: false,
  } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await configure(dc);
  return {
    dc,
    ended: endedPromise,
    isEnded: () => ended,
    nextStop: () => dc.waitForEvent("stopped", 600_000) as Promise<DebugProtocol.StoppedEvent>,
    outcome: () => ({ stdout, stderr, status: status ?? -1 }),
    console: () => consoleText,
  };
}

/** A small seeded generator (mulberry32), so a randomised mode can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
