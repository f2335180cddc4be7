/**
 * The ways a debugging session stops and resumes a program, each of which must leave what the
 * program computes unchanged: run over DAP, the program's output and exit status equal its
 * native run. Randomised modes take a seed (JITDBG_FIDELITY_SEED to replay one) and name it when
 * they fail.
 */
import { expect } from "vitest";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { line, nativeRun, source, type FidelityProgram } from "./programs.js";
import { seeded, sleep, startSession, type Session } from "./dap-run.js";
import { fixturesDir } from "../helpers/compile.js";
import { join } from "node:path";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

/** Each program's data breakpoint target (a global written at @watched-write). */
const WATCHED: Record<string, string> = { memrandom: "watched", branchy: "last_round_hash", floats: "last_acc", syscalls: "records", threads: "watched" };

export type Mode = (exe: string, p: FidelityProgram) => Promise<string>;

const srcPath = (p: FidelityProgram) => join(fixturesDir, source(p));

export function seedFor(name: string): number {
  const fixed = process.env.JITDBG_FIDELITY_SEED;
  if (fixed) return Number(fixed);
  let h = Date.now() >>> 0;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Runs the program to its end after `drive`, and compares with the native run. */
export async function expectNative(exe: string, p: FidelityProgram, s: Session, note: string): Promise<void> {
  await s.ended;
  const native = nativeRun(exe, p);
  const got = s.outcome();
  try {
    expect(got.stdout, `stdout (${note})`).toBe(native.stdout);
    expect(got.stderr, `stderr (${note})`).toBe(native.stderr);
    expect(got.status, `exit status (${note})`).toBe(native.status);
  } finally {
    await s.dc.stop();
  }
}

async function stopAt(s: Session, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent | "ended"> {
  const stop = s.nextStop();
  const r = await Promise.race([stop, s.ended.then(() => "ended" as const), request().then(() => undefined)]);
  if (r !== undefined) return r;
  return Promise.race([stop, s.ended.then(() => "ended" as const)]);
}

async function evaluate(s: Session, expression: string, frameId?: number): Promise<string> {
  const r = await s.dc.evaluateRequest({ expression, frameId, context: "repl" });
  return r.body.result;
}

async function topFrameId(s: Session, threadId: number): Promise<number> {
  const st = await s.dc.stackTraceRequest({ threadId });
  return st.body.stackFrames[0]!.id;
}

export const MODES: Record<string, Mode> = {
  async "no stops"(exe, p) {
    const s = await startSession(exe, p);
    await s.dc.configurationDoneRequest();
    await expectNative(exe, p, s, "no stops");
    return "";
  },

  async "a breakpoint that never hits"(exe, p) {
    const s = await startSession(exe, p, async (dc) => {
      const r = await dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [{ line: line(p, "@never-hit") }] });
      expect(r.body.breakpoints[0]!.verified).toBe(true);
    });
    let stops = 0;
    s.dc.on("stopped", () => stops++);
    await s.dc.configurationDoneRequest();
    await expectNative(exe, p, s, "never-hit breakpoint");
    expect(stops).toBe(0);
    return "";
  },

  async "pauses at random moments"(exe, p) {
    const seed = seedFor(`pause ${exe}`);
    const rnd = seeded(seed);
    const s = await startSession(exe, p);
    await s.dc.configurationDoneRequest();
    let pauses = 0;
    while (!s.isEnded() && pauses < 12) {
      await sleep(2 + rnd() * 40);
      if (s.isEnded()) break;
      const stop = await stopAt(s, () => s.dc.pauseRequest({ threadId: MAIN_THREAD }).catch(() => undefined));
      if (stop === "ended") break;
      expect(stop.body.reason, `seed ${seed}`).toBe("pause");
      pauses++;
      if (rnd() < 0.5) await s.dc.stackTraceRequest({ threadId: MAIN_THREAD });
      await s.dc.continueRequest({ threadId: MAIN_THREAD });
    }
    await expectNative(exe, p, s, `${pauses} pauses, seed ${seed}`);
    return `${pauses} pauses (seed ${seed})`;
  },

  async "a conditional breakpoint false many times, then true once"(exe, p) {
    const at = line(p, "@hot");
    const s = await startSession(exe, p, (dc) => dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [{ line: at, condition: p.condition.text }] }));
    const t0 = performance.now();
    const stop = await stopAt(s, () => s.dc.configurationDoneRequest());
    const ms = performance.now() - t0;
    if (stop === "ended") throw new Error("the condition never held");
    expect(stop.body.reason).toBe("breakpoint");
    const frame = await topFrameId(s, stop.body.threadId!);
    expect(await evaluate(s, `(${p.condition.text}) ? 1 : 0`, frame)).toBe("1");
    await s.dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: MAIN_THREAD });
    await expectNative(exe, p, s, "conditional breakpoint");
    return `${p.condition.falseHits} false hits in ${ms.toFixed(0)} ms`;
  },

  async "a data breakpoint that fires K times"(exe, p) {
    const K = 3;
    const s = await startSession(exe, p, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: "main" }] }));
    const first = await stopAt(s, () => s.dc.configurationDoneRequest());
    if (first === "ended") throw new Error("main never reached");
    const target = WATCHED[p.name]!;
    const frameId = await topFrameId(s, first.body.threadId!);
    const info = await s.dc.dataBreakpointInfoRequest({ name: target, frameId });
    expect(info.body.dataId, `${target}: ${info.body.description}`).toBeTruthy();
    await s.dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: "write" }] });
    await s.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const lines: number[] = [];
    for (let k = 0; k < K; k++) {
      const stop = await stopAt(s, () => s.dc.continueRequest({ threadId: MAIN_THREAD }));
      if (stop === "ended") throw new Error(`the data breakpoint fired only ${k} times`);
      expect(stop.body.reason).toBe("data breakpoint");
      const st = await s.dc.stackTraceRequest({ threadId: stop.body.threadId! });
      lines.push(st.body.stackFrames[0]!.line);
    }
    // Right after the writing instruction: on the writing line or the next.
    const w = line(p, "@watched-write");
    for (const l of lines) expect([w, w + 1]).toContain(l);
    await s.dc.setDataBreakpointsRequest({ breakpoints: [] });
    await s.dc.continueRequest({ threadId: MAIN_THREAD });
    await expectNative(exe, p, s, "data breakpoint");
    return `stops at lines ${lines.join(", ")}`;
  },

  async "steps of every kind, then continue"(exe, p) {
    const seed = seedFor(`steps ${exe}`);
    const rnd = seeded(seed);
    const at = line(p, "@hot");
    const s = await startSession(exe, p, (dc) => dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [{ line: at }] }));
    const first = await stopAt(s, () => s.dc.configurationDoneRequest());
    if (first === "ended") throw new Error("the breakpoint never hit");
    await s.dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [] });
    const kinds: string[] = [];
    // Steps step the thread that stopped; the others run on meanwhile.
    const threadId = first.body.threadId!;
    for (let k = 0; k < 24; k++) {
      const pick = Math.floor(rnd() * 5);
      const args = { threadId, ...(pick >= 3 ? { granularity: "instruction" as const } : {}) };
      const req = pick === 0 || pick === 3 ? () => s.dc.nextRequest(args) : pick === 1 || pick === 4 ? () => s.dc.stepInRequest(args) : () => s.dc.nextRequest(args);
      kinds.push(["next", "stepIn", "next", "nexti", "stepi"][pick]!);
      const stop = await stopAt(s, req);
      if (stop === "ended") break;
      expect(stop.body.reason, `seed ${seed}`).toBe("step");
      expect(stop.body.threadId, `seed ${seed}`).toBe(threadId);
    }
    if (!s.isEnded()) await s.dc.continueRequest({ threadId: MAIN_THREAD });
    await expectNative(exe, p, s, `steps ${kinds.join(" ")}, seed ${seed}`);
    return `${kinds.length} steps (seed ${seed})`;
  },

  async "evaluations, one with side effects undone by a fault"(exe, p) {
    const at = line(p, "@after-write");
    const s = await startSession(exe, p, (dc) => dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [{ line: at }] }));
    const stop = await stopAt(s, () => s.dc.configurationDoneRequest());
    if (stop === "ended") throw new Error("the breakpoint never hit");
    await s.dc.setBreakpointsRequest({ source: { path: srcPath(p) }, breakpoints: [] });
    const frameId = await topFrameId(s, stop.body.threadId!);
    const target = WATCHED[p.name]!;
    const before = await evaluate(s, target, frameId);
    expect(await evaluate(s, "1 + 1", frameId)).toBe("2");
    const failed = await s.dc.evaluateRequest({ expression: `${target} = 1234, *(volatile int *)0`, frameId, context: "repl" }).then(
      () => "succeeded",
      (e: Error) => e.message,
    );
    expect(failed).toMatch(/SIGSEGV/);
    expect(await evaluate(s, target, frameId)).toBe(before);
    expect(await evaluate(s, "1 + 1", frameId)).toBe("2");
    await s.dc.continueRequest({ threadId: MAIN_THREAD });
    await expectNative(exe, p, s, "evaluations");
    return "";
  },
};
