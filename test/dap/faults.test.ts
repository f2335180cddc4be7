/**
 * Every way a program can end or fault reaches the client over DAP, through the real adapter
 * process: with the default exception filters a fault stops (reason "exception"), exceptionInfo,
 * stackTrace, scopes and variables answer there, and continuing ends the program with 128+signal;
 * with the filters cleared it ends straight away. Exits end with exited + terminated. After the end
 * the adapter is still there and refuses run control with an error instead of a silent success.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileFixture, fixturesDir, repoRoot } from "../helpers/compile.js";
import { ADAPTER, errorOf, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

const FAULTS = join(fixturesDir, "dap", "faults.c");
const PT_NULL = 0;
const PT_INTERP = 3;

let faults: string;
let entryFault: string;
let noInterpreter: string;
let dc: DebugClient | undefined;

/** A copy of a dynamically linked executable whose PT_INTERP header is PT_NULL: nothing binds its imports. */
function withoutInterpreter(exe: string): string {
  const elf = Buffer.from(readFileSync(exe));
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  let patched = 0;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (elf.readUInt32LE(at) !== PT_INTERP) continue;
    elf.writeUInt32LE(PT_NULL, at);
    patched++;
  }
  if (patched !== 1) throw new Error(`${exe} has ${patched} PT_INTERP headers; a dynamically linked executable has one`);
  const dir = join(repoRoot, ".cache", "dap");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `no-interp-${createHash("sha256").update(elf).digest("hex").slice(0, 16)}`);
  if (!existsSync(out)) {
    const tmp = `${out}.tmp${process.pid}`;
    writeFileSync(tmp, elf);
    chmodSync(tmp, 0o755);
    renameSync(tmp, out); // atomic: parallel test files may build the same copy
  }
  return out;
}

beforeAll(() => {
  if (!existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run \`npm run build\` first (npm test does)`);
  faults = compileFixture("dap/faults.c", { flags: ["-static", "-O0", "-g"] });
  entryFault = compileFixture("dap/entry_fault.c", { flags: ["-static", "-nostdlib", "-O0", "-g"] });
  // gcc's default: a dynamically linked PIE, whose _start calls __libc_start_main through the GOT.
  noInterpreter = withoutInterpreter(compileFixture("programs/hello.c", { flags: ["-O0", "-g"] }));
});

afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

/** The run-state events of a session in the order they arrived. */
interface Recorder {
  order: string[];
  stopped: DebugProtocol.StoppedEvent[];
  exited: DebugProtocol.ExitedEvent[];
  output: string[];
}

function record(c: DebugClient): Recorder {
  const r: Recorder = { order: [], stopped: [], exited: [], output: [] };
  c.on("stopped", (e: DebugProtocol.StoppedEvent) => {
    r.order.push(`stopped:${e.body.reason}`);
    r.stopped.push(e);
  });
  c.on("continued", () => r.order.push("continued"));
  c.on("exited", (e: DebugProtocol.ExitedEvent) => {
    r.order.push(`exited:${e.body.exitCode}`);
    r.exited.push(e);
  });
  c.on("terminated", () => r.order.push("terminated"));
  c.on("output", (e: DebugProtocol.OutputEvent) => r.output.push(e.body.output));
  return r;
}

interface Launched {
  c: DebugClient;
  events: Recorder;
}

/**
 * Starts a session; `filters` undefined keeps the default exception filters (all on). Resolves once
 * configurationDone is answered and `first` (the first run-state event expected) has arrived.
 */
async function launch(launchArgs: Record<string, unknown>, first: "stopped" | "terminated", filters?: string[]): Promise<Launched> {
  dc = await startClient();
  const c = dc;
  const events = record(c);
  await c.initializeRequest({ adapterID: "jitdbg" });
  const initialized = c.waitForEvent("initialized");
  await c.launchRequest(launchArgs as DebugProtocol.LaunchRequestArguments);
  await initialized;
  if (filters) await c.setExceptionBreakpointsRequest({ filters });
  const firstEvent = c.waitForEvent(first);
  await c.configurationDoneRequest();
  await firstEvent;
  return { c, events };
}

/** Runs `request` and waits for the terminated event it leads to. */
async function untilTerminated(c: DebugClient, request: () => Promise<unknown>): Promise<void> {
  const terminated = c.waitForEvent("terminated");
  await request();
  await terminated;
}

/** After the end: run control is refused with an error, and the adapter still answers. */
async function expectEndedButAlive(c: DebugClient): Promise<void> {
  expect((await errorOf(c.continueRequest({ threadId: MAIN_THREAD }))).message).toBe("the program has exited");
  expect((await errorOf(c.nextRequest({ threadId: MAIN_THREAD }))).message).toBe("the program has exited");
  expect((await errorOf(c.stackTraceRequest({ threadId: MAIN_THREAD }))).message).toBe("the program has exited");
  const threads = await c.threadsRequest();
  expect(threads.body.threads).toHaveLength(1);
}

/** What a stop at a fault must offer: exceptionInfo, a stack, and scopes with variables, none failing. */
async function inspectFault(c: DebugClient, stop: DebugProtocol.StoppedEvent, signal: string): Promise<DebugProtocol.StackFrame[]> {
  expect(stop.body.reason).toBe("exception");
  expect(stop.body.text).toBe(signal);
  expect(stop.body.description).toMatch(new RegExp(`^${signal}: .+ at .+`));
  const info = await c.exceptionInfoRequest({ threadId: MAIN_THREAD });
  expect(info.body).toMatchObject({ exceptionId: signal, description: stop.body.description, breakMode: "always" });
  expect(info.body.details?.typeName).toBe(signal);

  const st = await c.stackTraceRequest({ threadId: MAIN_THREAD });
  const frames = st.body.stackFrames;
  expect(frames.length).toBeGreaterThanOrEqual(1);
  expect(st.body.totalFrames).toBeGreaterThanOrEqual(frames.length);
  for (const f of frames) {
    expect(f.name).not.toMatch(/internal error|undefined/);
    expect(f.instructionPointerReference).toMatch(/^0x[0-9a-f]+$/);
  }
  const scopes = await c.scopesRequest({ frameId: frames[0]!.id });
  const registers = scopes.body.scopes.find((s) => s.presentationHint === "registers");
  expect(registers, "a Registers scope").toBeDefined();
  for (const scope of scopes.body.scopes) {
    const vars = await c.variablesRequest({ variablesReference: scope.variablesReference });
    for (const v of vars.body.variables) expect(v.value).not.toMatch(/internal error/);
  }
  const regs = (await c.variablesRequest({ variablesReference: registers!.variablesReference })).body.variables;
  // "0x0000000000401620 <null_write (faults.c:12)>"
  const rip = regs.find((r) => r.name === "rip")!.value.split(" ")[0]!;
  expect(BigInt(rip)).toBe(BigInt(frames[0]!.instructionPointerReference!));
  return frames;
}

interface FaultCase {
  title: string;
  program: () => string;
  args: string[];
  signal: string;
  number: number;
  /** The description after "SIGxxx: ". */
  description: RegExp;
  /** What the stack shows at the stop. */
  frames: (frames: DebugProtocol.StackFrame[]) => void;
  /** The instruction at the stop pc, when the case is about where exactly it stops. */
  atPc?: string;
}

const names = (frames: DebugProtocol.StackFrame[]): string[] => frames.map((f) => f.name);

const CASES: FaultCase[] = [
  {
    title: "null-pointer write",
    program: () => faults,
    args: ["null-write"],
    signal: "SIGSEGV",
    number: 11,
    description: /^SIGSEGV: invalid write of unmapped address 0x0 at null_write\+0x[0-9a-f]+$/,
    frames: (f) => {
      expect(f[0]).toMatchObject({ name: "null_write", line: 12 });
      expect(names(f).slice(0, 2)).toEqual(["null_write", "main"]);
    },
  },
  {
    title: "call through a null function pointer (a jump to 0)",
    program: () => faults,
    args: ["null-call"],
    signal: "SIGSEGV",
    number: 11,
    description: /^SIGSEGV: invalid execute of unmapped address 0x0 at 0x0$/,
    frames: (f) => {
      // A single frame at the unmapped pc, then the caller found from the return address at rsp.
      expect(f[0]).toMatchObject({ name: "0x0", line: 0, instructionPointerReference: "0x0", presentationHint: "subtle" });
      expect(f[0]!.source).toBeUndefined();
      expect(f[1]).toMatchObject({ name: "null_call", line: 16 });
      expect(names(f)).toContain("main");
    },
  },
  {
    title: "dynamic executable whose PT_INTERP is PT_NULL (its start-up code jumps to 0)",
    program: () => noInterpreter,
    args: [],
    signal: "SIGSEGV",
    number: 11,
    description: /^SIGSEGV: invalid execute of unmapped address 0x0 at 0x0$/,
    frames: (f) => {
      expect(f[0]).toMatchObject({ name: "0x0", instructionPointerReference: "0x0" });
      expect(f[1]?.name).toBe("_start");
    },
  },
  {
    title: "ud2 (__builtin_trap)",
    program: () => faults,
    args: ["ud2"],
    signal: "SIGILL",
    number: 4,
    description: /^SIGILL: illegal instruction at illegal\+0x[0-9a-f]+$/,
    frames: (f) => expect(f[0]).toMatchObject({ name: "illegal", line: 20 }),
  },
  {
    title: "hlt (privileged in user mode: SIGSEGV at the hlt, as the kernel reports it)",
    program: () => faults,
    args: ["hlt"],
    signal: "SIGSEGV",
    number: 11,
    description: /^SIGSEGV: CPU exception \(hlt, a privileged instruction\) at halt\+0x[0-9a-f]+$/,
    frames: (f) => {
      expect(f[0]).toMatchObject({ name: "halt", line: 24 });
      expect(names(f).slice(0, 2)).toEqual(["halt", "main"]);
    },
    atPc: "hlt",
  },
  {
    title: "integer division by zero",
    program: () => faults,
    args: ["divzero"],
    signal: "SIGFPE",
    number: 8,
    description: /^SIGFPE: integer divide error at divide\+0x[0-9a-f]+$/,
    frames: (f) => expect(names(f).slice(0, 2)).toEqual(["divide", "main"]),
  },
  {
    title: "abort()",
    program: () => faults,
    args: ["abort"],
    signal: "SIGABRT",
    number: 6,
    description: /^SIGABRT: SIGABRT raised by the program at \S+/,
    frames: (f) => expect(names(f)).toEqual(expect.arrayContaining(["abort", "main"])),
  },
  {
    title: "stack overflow by unbounded recursion",
    program: () => faults,
    args: ["overflow"],
    signal: "SIGSEGV",
    number: 11,
    description: /^SIGSEGV: invalid write of unmapped address 0x[0-9a-f]+ at recurse\+0x[0-9a-f]+$/,
    frames: (f) => {
      expect(f[0]!.name).toBe("recurse");
      expect(f.length).toBeGreaterThan(100);
      expect(f.slice(0, 100).every((x) => x.name === "recurse")).toBe(true);
    },
  },
];

describe("faults and exits over DAP", () => {
  for (const k of CASES) {
    describe(k.title, () => {
      it("default filters: stopped (exception) → inspect → continue → exited 128+signal → terminated", async () => {
        const { c, events } = await launch({ program: k.program(), args: k.args }, "stopped");
        const stop = events.stopped[0]!;
        expect(stop.body.description).toMatch(k.description);
        const frames = await inspectFault(c, stop, k.signal);
        k.frames(frames);
        if (k.atPc) {
          const dis = await c.disassembleRequest({ memoryReference: frames[0]!.instructionPointerReference!, instructionCount: 1 });
          expect(dis.body!.instructions[0]!.instruction).toBe(k.atPc);
        }
        await untilTerminated(c, () => c.continueRequest({ threadId: MAIN_THREAD }));
        expect(events.order).toEqual(["stopped:exception", `exited:${128 + k.number}`, "terminated"]);
        expect(events.output.join("")).toContain(`Program terminated by ${k.signal}.`);
        await expectEndedButAlive(c);
      });

      it("filters cleared: exited 128+signal → terminated, no stop", async () => {
        const { c, events } = await launch({ program: k.program(), args: k.args }, "terminated", []);
        expect(events.order).toEqual([`exited:${128 + k.number}`, "terminated"]);
        await expectEndedButAlive(c);
      });
    });
  }

  it("only the fault's own filter stops: SIGSEGV alone lets SIGFPE end the program", async () => {
    const { c, events } = await launch({ program: faults, args: ["divzero"] }, "terminated", ["SIGSEGV"]);
    expect(events.order).toEqual(["exited:136", "terminated"]);
    await expectEndedButAlive(c);
  });

  it("stepping at a fault delivers the signal: next → exited → terminated", async () => {
    const { c, events } = await launch({ program: faults, args: ["null-write"] }, "stopped");
    await untilTerminated(c, () => c.nextRequest({ threadId: MAIN_THREAD }));
    expect(events.order).toEqual(["stopped:exception", "exited:139", "terminated"]);
    await expectEndedButAlive(c);
  });

  it("exit(3): exited 3 → terminated", async () => {
    const { c, events } = await launch({ program: faults, args: ["exit3"] }, "terminated");
    expect(events.order).toEqual(["exited:3", "terminated"]);
    expect(events.output.join("")).toContain("Program exited with status 3.");
    await expectEndedButAlive(c);
  });

  it("return from main: exited with main's value → terminated", async () => {
    const { c, events } = await launch({ program: faults, args: ["return"] }, "terminated");
    expect(events.order).toEqual(["exited:5", "terminated"]);
    expect(events.output.join("")).toContain("faults: return");
    await expectEndedButAlive(c);
  });

  describe("a fault in the very first instruction, with stopOnEntry", () => {
    it("default filters: entry → (step out refused) → continue → exception → continue → exited → terminated", async () => {
      const { c, events } = await launch({ program: entryFault, stopOnEntry: true }, "stopped");
      expect(events.stopped[0]!.body.reason).toBe("entry");
      const st = await c.stackTraceRequest({ threadId: MAIN_THREAD });
      expect(st.body.stackFrames[0]).toMatchObject({ name: "_start" });
      const entryPc = st.body.stackFrames[0]!.instructionPointerReference;

      // Stepping out of the only frame is refused with an error, not answered with success.
      const refused = await errorOf(c.stepOutRequest({ threadId: MAIN_THREAD }));
      expect(refused.message).toMatch(/"step out" is not meaningful in the outermost frame \(_start\)/);
      expect(refused.message).not.toMatch(/internal error/);
      // The stop (and its frame ids) are still valid.
      expect((await c.scopesRequest({ frameId: st.body.stackFrames[0]!.id })).body.scopes.length).toBeGreaterThan(0);

      const fault = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await c.continueRequest({ threadId: MAIN_THREAD });
      const stop = await fault;
      expect(stop.body.description).toMatch(/^SIGSEGV: invalid write of unmapped address 0x0 at _start$/);
      const frames = await inspectFault(c, stop, "SIGSEGV");
      expect(frames[0]).toMatchObject({ name: "_start", instructionPointerReference: entryPc });

      await untilTerminated(c, () => c.continueRequest({ threadId: MAIN_THREAD }));
      expect(events.order).toEqual(["stopped:entry", "stopped:exception", "exited:139", "terminated"]);
      await expectEndedButAlive(c);
    });

    it("default filters: one instruction step from the entry stops at the fault", async () => {
      const { c, events } = await launch({ program: entryFault, stopOnEntry: true }, "stopped");
      const fault = c.waitForEvent("stopped") as Promise<DebugProtocol.StoppedEvent>;
      await c.stepInRequest({ threadId: MAIN_THREAD, granularity: "instruction" });
      await inspectFault(c, await fault, "SIGSEGV");
      await untilTerminated(c, () => c.continueRequest({ threadId: MAIN_THREAD }));
      expect(events.order).toEqual(["stopped:entry", "stopped:exception", "exited:139", "terminated"]);
      await expectEndedButAlive(c);
    });

    it("filters cleared: entry → continue → exited 139 → terminated", async () => {
      const { c, events } = await launch({ program: entryFault, stopOnEntry: true }, "stopped", []);
      await untilTerminated(c, () => c.continueRequest({ threadId: MAIN_THREAD }));
      expect(events.order).toEqual(["stopped:entry", "exited:139", "terminated"]);
      await expectEndedButAlive(c);
    });
  });
});
