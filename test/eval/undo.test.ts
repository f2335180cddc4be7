/**
 * An expression that fails — a fault, a signal it raises, exit(), a time-out, a breakpoint that
 * abandons it — leaves nothing behind: registers, memory, mappings and the break, descriptors and
 * offsets, signal actions, mask and pending signals, output. Checked at a breakpoint of
 * test/fixtures/eval/undo.c by reading the state afterwards and by running the program to its end:
 * its whole standard output and exit status must equal the native run's. An expression that
 * succeeds keeps its effects, and the output then equals that of a twin build doing the same at
 * that line (-DAT_BREAK=...).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { PROT_READ } from "../../src/emu/cpu.js";
import { ownedByDebugger } from "../../src/inferior/undo-log.js";
import { compileFixture, fixturesDir, hasCompiler, runNative, type NativeRun } from "../helpers/compile.js";
import { snapshot } from "./state.js";

const FLAGS = ["-static", "-O0", "-g"];

interface Session {
  dbg: Debugger;
  stdout: string[];
}

let open: Session | undefined;

async function atBreak(exe: string): Promise<Session> {
  const stdout: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => void (c === "stdout" && stdout.push(t)) });
  open = { dbg, stdout };
  dbg.setSourceBreakpoints("undo.c", [{ line: lineOf("/* BREAK */") }]);
  const r = await dbg.start();
  if (r.reason !== "breakpoint") throw new Error(`expected to stop at BREAK, got ${r.reason}`);
  return open;
}

const SOURCE_LINES = readFileSync(join(fixturesDir, "eval", "undo.c"), "utf8").split("\n");

function lineOf(marker: string): number {
  const i = SOURCE_LINES.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no ${marker} in undo.c`);
  return i + 1;
}

/** A value as the debug console shows it, through the compiled path. */
function value(s: Session, text: string): string {
  return s.dbg.expressions.evaluateView(text, 0).value;
}

/** What must be as before: the variables, every register and byte of the program's memory, its layout and kernel state. */
function state(s: Session): unknown {
  const p = s.dbg.process;
  const k = p.kernel;
  return {
    variables: ["x", "g_counter", "buf", "fd0", "big0[0]", "*small0"].map((v) => `${v} = ${value(s, v)}`),
    memory: snapshot(s.dbg),
    layout: p.space.list().filter((r) => !ownedByDebugger(r)),
    brk: [p.space.brkStart, p.space.brkEnd],
    kernel: { exit: k.exitStatus, signal: k.terminatingSignal, mask: k.thread.sigmask, actions: [...k.sigactions], fds: [3, 4, 5].map((fd) => k.fds.get(fd)) },
  };
}

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === undefined) throw e;
    return { code, message: (e as Error).message };
  }
  throw new Error("expected the evaluation to fail");
}

async function runToEnd(s: Session): Promise<{ stdout: string; status: number | undefined }> {
  const r = await s.dbg.continue();
  expect(r.reason).toBe("exited");
  return { stdout: s.stdout.join(""), status: r.reason === "exited" ? r.exitCode : undefined };
}

afterEach(() => {
  open?.dbg.close();
  open = undefined;
});

describe.skipIf(!hasCompiler("gcc"))("a failed evaluation leaves nothing behind", () => {
  const exe = compileFixture("eval/undo.c", { flags: FLAGS });
  let native: NativeRun | undefined;
  const nativeRun = (): NativeRun => (native ??= runNative(exe));

  it("the fixture runs under the debugger as natively", async () => {
    const s = await atBreak(exe);
    const end = await runToEnd(s);
    expect(nativeRun().signal).toBeNull();
    expect(end).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
  });

  const CASES: { name: string; expr: string; code: string; message: RegExp; timeoutMicros?: number; stopIn?: string }[] = [
    { name: "an assignment, then a fault", expr: "x = 99, *np", code: "EVAL_SIGNAL", message: /SIGSEGV.*address 0x0/ },
    { name: "an increment, then raise(SIGSEGV)", expr: "g_counter++, raise(11)", code: "EVAL_SIGNAL", message: /SIGSEGV raised by the program/ },
    { name: "a store into a local array, then abort()", expr: "buf[0] = 'Z', abort()", code: "EVAL_SIGNAL", message: /SIGABRT/ },
    { name: "an assignment, then exit(3)", expr: "x = 5, exit(3)", code: "EVAL_EXITED", message: /exit status 3.*exit was undone/ },
    { name: "malloc of 1 MiB (mmap), 100 kB and 120 kB (brk), then a fault", expr: "alloc_then_crash()", code: "EVAL_SIGNAL", message: /SIGSEGV.*alloc_then_crash/ },
    { name: "open() and a read that moves an offset, then a fault", expr: "open_then_crash()", code: "EVAL_SIGNAL", message: /SIGSEGV.*open_then_crash/ },
    { name: "close(), free() of an mmap block and signal(), then a fault", expr: "close_unmap_then_crash()", code: "EVAL_SIGNAL", message: /SIGSEGV.*close_unmap_then_crash/ },
    { name: "every byte of 64 pages the program wrote before, twice (later stores skip the log's hook), then a fault", expr: "scribble_then_crash()", code: "EVAL_SIGNAL", message: /SIGSEGV.*scribble_then_crash/ },
    { name: "an endless loop that writes memory (time-out)", expr: "spin_write()", code: "EVAL_TIMEOUT", message: /did not finish within 50 ms/, timeoutMicros: 50_000 },
    { name: "a statement expression's endless loop, with no call in it (time-out)", expr: "({ while (1) g_counter++; 0; })", code: "EVAL_TIMEOUT", message: /did not finish within 50 ms/, timeoutMicros: 50_000 },
    { name: "a store, then a breakpoint that abandons it", expr: "write_then_stop()", code: "EVAL_BREAKPOINT", message: /stopped at a breakpoint: stop_here/, stopIn: "/* STOP */" },
  ];

  for (const c of CASES) {
    it(`${c.name}: ${c.expr}`, async () => {
      const s = await atBreak(exe);
      const bps = [{ line: lineOf("/* BREAK */") }, ...(c.stopIn ? [{ line: lineOf(c.stopIn) }] : [])];
      s.dbg.setSourceBreakpoints("undo.c", bps);
      const before = state(s);
      const e = failure(() => s.dbg.expressions.evaluate(c.expr, 0, { timeoutMicros: c.timeoutMicros, ignoreBreakpoints: c.stopIn === undefined }));
      expect(e.code).toBe(c.code);
      expect(e.message).toMatch(c.message);
      expect(e.message).toMatch(/program's state restored \(registers, \d+ pages? of memory, mappings, files and signals/);
      expect(state(s)).toEqual(before);
      expect(value(s, "1 + 1")).toBe("2");
      expect(value(s, "g_counter * 2")).toBe("20");
      s.dbg.setSourceBreakpoints("undo.c", [{ line: lineOf("/* BREAK */") }]);
      expect(await runToEnd(s)).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
    });
  }

  it("exit() flushes stdio into the roll-back, so its output is dropped and the program's stays once", async () => {
    const s = await atBreak(exe);
    const e = failure(() => s.dbg.expressions.evaluate("exit(3)", 0));
    expect(e.message).toMatch(/the \d+ bytes of output it wrote were discarded/);
    expect(s.stdout.join("")).toBe("");
    expect(await runToEnd(s)).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
  });

  it("failures one after another, then the program's own run", async () => {
    const s = await atBreak(exe);
    const before = state(s);
    for (const c of CASES.filter((x) => !x.stopIn)) {
      expect(failure(() => s.dbg.expressions.evaluate(c.expr, 0, { timeoutMicros: c.timeoutMicros })).code).toBe(c.code);
    }
    expect(state(s)).toEqual(before);
    expect(await runToEnd(s)).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
  });

  it("a read-only expression that faults needs no log: registers and stack are all it can touch", async () => {
    const s = await atBreak(exe);
    const before = state(s);
    const e = failure(() => s.dbg.expressions.evaluate("g_counter + *np", 0));
    expect(e.code).toBe("EVAL_SIGNAL");
    expect(e.message).toMatch(/restored \(registers and stack; the expression cannot write memory\)/);
    expect(state(s)).toEqual(before);
  });

  it("call-free code saves only the stack it can use (its frame, an operand push per node): deep nesting and frame arrays leave the whole stack as it was", async () => {
    const s = await atBreak(exe);
    const before = state(s);
    const deep = Array.from({ length: 300 }, () => "(x + ").join("") + "1" + ")".repeat(300);
    expect(value(s, deep)).toBe(String(300 * Number(value(s, "x")) + 1));
    expect(value(s, "({ int a[512]; for (int i = 0; i < 512; i++) a[i] = i * x; a[511] + a[1]; })")).toBe(String(512 * Number(value(s, "x"))));
    expect(state(s)).toEqual(before);
  });

  /**
   * `native: false`: the twin's own emulated run, with no evaluation at all, already differs from
   * its native one (brk grows one page less: malloc's first block sits 1280 bytes further into the
   * heap under the emulator, an emulation difference of static glibc's start-up), so the twin is
   * that emulated run.
   */
  const twins: { expr: string; check: [string, string]; native: boolean }[] = [
    { expr: "x = 99", check: ["x", "99"], native: true },
    { expr: "g_counter += 5, write(1, \"hi\\n\", 3)", check: ["g_counter", "15"], native: true },
    { expr: "free(big0), big0 = malloc(200000), big0[0] = 'N'", check: ["(int)big0[0]", "78"], native: false },
  ];

  for (const t of twins) {
    it(`a successful ${t.expr} keeps its effects, as a twin doing it at BREAK`, async () => {
      const twinExe = compileFixture("eval/undo.c", { flags: [...FLAGS, `-DAT_BREAK=${t.expr}`] });
      const twinNative = runNative(twinExe);
      const twin = t.native ? { stdout: twinNative.stdout, status: twinNative.status } : await runToEnd(await atBreak(twinExe));
      open?.dbg.close();
      expect(twin.stdout).not.toBe(nativeRun().stdout);
      const s = await atBreak(exe);
      s.dbg.expressions.evaluate(t.expr, 0);
      expect(value(s, t.check[0])).toBe(t.check[1]);
      expect(await runToEnd(s)).toEqual(twin);
    });
  }

  it("a breakpoint condition with a side effect, evaluated inside a call that then fails: both undone", async () => {
    const conditional = [{ line: lineOf("/* BREAK */") }, { line: lineOf("/* STOP */"), condition: "(g_counter += 1) < 0" }];
    const ok = await atBreak(exe);
    ok.dbg.setSourceBreakpoints("undo.c", conditional);
    // The condition runs (nested, in stop_here's frame) and its effect stays when the call returns.
    const r = ok.dbg.expressions.evaluate("write_then_stop()", 0, { ignoreBreakpoints: false }).value.location;
    expect(r.kind === "bytes" ? Buffer.from(r.bytes).readInt32LE(0) : r.kind).toBe(3003);
    ok.dbg.close();
    const s = await atBreak(exe);
    s.dbg.setSourceBreakpoints("undo.c", conditional);
    const before = state(s);
    const e = failure(() => s.dbg.expressions.evaluate("write_then_stop() + *np", 0, { ignoreBreakpoints: false }));
    expect(e.code).toBe("EVAL_SIGNAL");
    expect(state(s)).toEqual(before);
    s.dbg.setSourceBreakpoints("undo.c", [{ line: lineOf("/* BREAK */") }]);
    expect(await runToEnd(s)).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
  });

  it("a page the program made read-only and writes through mprotect comes back read-only with its bytes", async () => {
    const s = await atBreak(exe);
    const before = state(s);
    const e = failure(() => s.dbg.expressions.evaluate("protect_write_then_crash()", 0));
    expect(e.code).toBe("EVAL_SIGNAL");
    expect(state(s)).toEqual(before);
    const region = s.dbg.process.space.regionAt(BigInt(value(s, "(long)ro_page").split(" ")[0]!));
    expect(region?.prot).toBe(PROT_READ);
    expect(await runToEnd(s)).toEqual({ stdout: nativeRun().stdout, status: nativeRun().status });
  });
});
