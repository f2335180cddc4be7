/**
 * Breakpoint conditions compiled into the program's path (issue 19): a million hits of a false
 * condition never stop the emulated CPU, the true one stops at the right iteration with the
 * right locals, and the program's output equals its native run.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, runNative } from "../helpers/compile.js";
import { lineOf } from "../debugger/markers.js";

const HOT = "conditions/hot_loop.c";

async function session(exe: string, body: (dbg: Debugger, stdout: string[], important: string[]) => Promise<void>): Promise<void> {
  const stdout: string[] = [];
  const important: string[] = [];
  const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : c === "important" ? important : []).push(t) });
  try {
    await body(dbg, stdout, important);
  } finally {
    dbg.close();
  }
}

const value = (dbg: Debugger, expr: string): string => dbg.inspector.evaluate(expr, 0, { context: "hover" }).value;

/** The DWARF location of variable `name` at pc, as llvm-dwarfdump prints its location list entry. */
function registerAt(exe: string, name: string, pc: bigint): string | undefined {
  const out = execFileSync("llvm-dwarfdump", [`--name=${name}`, exe], { encoding: "utf8" });
  for (const m of out.matchAll(/\[0x([0-9a-f]+), 0x([0-9a-f]+)\): (.*)/g)) {
    if (pc >= BigInt(`0x${m[1]}`) && pc < BigInt(`0x${m[2]}`)) return m[3]!.trim();
  }
  return undefined;
}

describe("conditions compiled into the program", () => {
  for (const opt of ["-O0", "-O2"]) {
    it(`a condition true on iteration 999,999 of 1,000,000 stops once there (gcc ${opt})`, async () => {
      const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", opt, "-g"] });
      const native = runNative(exe);
      await session(exe, async (dbg, stdout) => {
        const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i == 999999" }]);
        expect(bp!.verified).toBe(true);
        let r = await dbg.start();
        // The first hit may come before the thread could run compiled code; from then on the program tests it.
        expect(r.reason).toBe("breakpoint");
        expect(value(dbg, "i")).toBe("999999");
        if (opt === "-O2") expect(registerAt(exe, "i", bp!.addresses[0]!)).toMatch(/^DW_OP_reg/);
        expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!)).toBeUndefined();
        expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
        expect(dbg.stackTrace()[0]!.source?.line).toBe(lineOf(HOT, "@hot"));
        r = await dbg.continue();
        expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
        expect(stdout.join("")).toBe(native.stdout);
      });
    });
  }

  it("hit conditions and logpoints in the same loop", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const line = lineOf(HOT, "@hot");
      dbg.setSourceBreakpoints("hot_loop.c", [{ line, condition: "(h & 0xfff) == 0x123", hitCondition: "3" }]);
      const seen: string[] = [];
      let r = await dbg.start();
      while (r.reason === "breakpoint" && seen.length < 3) {
        seen.push(value(dbg, "i"));
        r = await dbg.continue();
      }
      // Natively the same loop: which iterations have (h & 0xfff) == 0x123 before the line runs.
      expect(seen.length).toBe(3);
      expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => a - b));
      dbg.setSourceBreakpoints("hot_loop.c", []);
      await dbg.continue();
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("the hit at which a condition compiles is decided by the program: true on the first iteration, it stops there once", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i == 0 || i == 2", hitCondition: ">=1" }]);
      let r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      // Compiled once, for the program's path; the debugger evaluated no hit of it.
      expect(dbg.expressions.compiles).toBe(1);
      expect(value(dbg, "i")).toBe("0");
      expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
      expect(bp!.hits).toBe(1);
      r = await dbg.continue();
      expect(value(dbg, "i")).toBe("2");
      expect(bp!.hits).toBe(2);
      r = await dbg.continue();
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("a condition mixing a double, a pointer's member and && stops at each hit the program counts (x87/SSE state and flags kept)", async () => {
    const MIXED = "conditions/mixed_loop.c";
    const exe = compileFixture(MIXED, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    const native = runNative(exe).stdout;
    const [, first, count] = /first (\d+) count (\d+)/.exec(native)!.map(Number);
    expect(count).toBeGreaterThan(2);
    await session(exe, async (dbg, stdout) => {
      const [bp] = dbg.setSourceBreakpoints("mixed_loop.c", [{ line: lineOf(MIXED, "@mixed"), condition: "acc > 100.0 && (h & 0xfff) == 0x5a5 && p->x >= 0" }]);
      const seen: number[] = [];
      let r = await dbg.start();
      while (r.reason === "breakpoint") {
        seen.push(Number(value(dbg, "i")));
        expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!)).toBeUndefined();
        r = await dbg.continue();
      }
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(seen.length).toBe(count);
      expect(seen[0]).toBe(first);
      expect(stdout.join("")).toBe(native);
    });
  });

  it("a counter gcc -O1 keeps as a constant minus a register is compiled too, and stops at the right iteration", async () => {
    const SRC = "fidelity/memrandom.c";
    const exe = compileFixture(SRC, { cc: "gcc", flags: ["-static", "-O1", "-g"] });
    const native = runNative(exe, ["2"]).stdout;
    const stdout: string[] = [];
    const dbg = Debugger.launch({ program: exe, args: ["2"], reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : []).push(t) });
    try {
      const [bp] = dbg.setSourceBreakpoints("memrandom.c", [{ line: lineOf(SRC, "@hot"), condition: "r == 1 && i == 123456" }]);
      let r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!)).toBeUndefined();
      expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
      expect([value(dbg, "r"), value(dbg, "i")]).toEqual(["1", "123456"]);
      r = await dbg.continue();
      expect(r.reason).toBe("exited");
      expect(stdout.join("")).toBe(native);
    } finally {
      dbg.close();
    }
  });

  it("never-true conditions of every shape run compiled (frameless, with a frame, SSE, x87) and leave the output native", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    const native = runNative(exe, ["200000"]).stdout;
    for (const condition of ["(double)i > 1e300", "(long double)i > 1e30L", "i == -1 || h == 3", "(i & 0xff) == 0x100 && hits > i", "(&i)[0] == -2"]) {
      const stdout: string[] = [];
      const dbg = Debugger.launch({ program: exe, args: ["200000"], reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : []).push(t) });
      try {
        const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition }]);
        let r = await dbg.start();
        // The first hit may be the debugger's (before the C runtime set the thread up); from then on it is compiled.
        while (r.reason === "breakpoint") r = await dbg.continue();
        expect(r.reason, condition).toBe("exited");
        expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!), condition).toBeUndefined();
        expect(stdout.join(""), condition).toBe(native);
      } finally {
        dbg.close();
      }
    }
  });

  it("-O2 locals in callee-saved registers are read in place, beside one copied from a caller-saved register (gcc -O2)", async () => {
    const LOOP = "conditions/call_loop.c";
    const exe = compileFixture(LOOP, { cc: "gcc", flags: ["-static", "-O2", "-g"] });
    const native = runNative(exe).stdout;
    // The first reads i (rbx) and small (rbp) in place, frameless; the second also needs h (rax, copied): rbp is then the frame's, small copied too.
    for (const condition of ["i == 333333 && small >= 0", "h != 0 && small >= 0 && i == 333333"]) {
      const stdout: string[] = [];
      const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => (c === "stdout" ? stdout : []).push(t) });
      try {
        const [bp] = dbg.setSourceBreakpoints("call_loop.c", [{ line: lineOf(LOOP, "@call"), condition }]);
        let r = await dbg.start();
        expect(r.reason, condition).toBe("breakpoint");
        expect(dbg.breakpoints.refusalAt(bp!.addresses[0]!), condition).toBeUndefined();
        expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!), condition).toBeDefined();
        expect(registerAt(exe, "i", bp!.addresses[0]!)).toMatch(/^DW_OP_reg/);
        expect(value(dbg, "i"), condition).toBe("333333");
        r = await dbg.continue();
        expect(r, condition).toMatchObject({ reason: "exited", exitCode: 0 });
        expect(stdout.join(""), condition).toBe(native);
      } finally {
        dbg.close();
      }
    }
  });

  it("a condition that faults stops at the site and says why; the program goes on unchanged", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout, important) => {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i > 5 && *(int *)0 == 1" }]);
      let r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      // The first hits may be the debugger's; continue until the program's own check faults.
      while (r.reason === "breakpoint" && !important.join("").includes("SIGSEGV")) r = await dbg.continue();
      expect(important.join("")).toContain("cannot evaluate condition");
      expect(dbg.stackTrace()[0]!.source?.line).toBe(lineOf(HOT, "@hot"));
      expect(value(dbg, "i")).toBe("6");
      dbg.setSourceBreakpoints("hot_loop.c", []);
      expect(dbg.readMemory(bp!.addresses[0]!, 8).data).toEqual(dbg.process.cpu.read(bp!.addresses[0]!, 8));
      r = await dbg.continue();
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("a logpoint with a condition prints only the true hits, formatted by the debugger", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O2", "-g"] });
    const logs: string[] = [];
    const stdout: string[] = [];
    const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => (c === "console" ? logs : c === "stdout" ? stdout : []).push(t) });
    try {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i % 250000 == 0", logMessage: "iteration {i}" }]);
      expect((await dbg.start()).reason).toBe("exited");
      expect(logs.filter((l) => l.startsWith("iteration"))).toEqual(["iteration 0\n", "iteration 250000\n", "iteration 500000\n", "iteration 750000\n"]);
      expect(bp!.conditionNote).toBeUndefined();
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    } finally {
      dbg.close();
    }
  });

  it("a site with a rip-relative store runs it moved; removing the breakpoint puts the program's bytes back", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O0", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@store"), condition: "i == 500000" }]);
      const site = bp!.addresses[0]!;
      const original = dbg.process.cpu.read(site, 16);
      const moved = await dbg.disassemble(site, 2);
      expect(moved.map((i) => i.text).join("; ")).toContain("rip");
      expect((await dbg.start()).reason).toBe("breakpoint");
      expect(dbg.breakpoints.armedTrapAt(site)).toBeDefined();
      // The program's code has the jump; every view of it the program's own bytes.
      expect(dbg.process.cpu.read(site, 16)).not.toEqual(original);
      expect(dbg.readMemory(site, 16).data).toEqual(original);
      expect((await dbg.disassemble(site, 2)).map((i) => i.text)).toEqual(moved.map((i) => i.text));
      const h = value(dbg, "h");
      dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i == 500001" }]);
      expect(dbg.process.cpu.read(site, 16)).toEqual(original);
      expect((await dbg.continue()).reason).toBe("breakpoint");
      // The store ran from its moved copy, to the same global.
      expect(value(dbg, "g_last")).toBe(h);
      dbg.setSourceBreakpoints("hot_loop.c", []);
      expect((await dbg.continue()).reason).toBe("exited");
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("a site whose moved bytes hold a jump target keeps the debugger's hook and says why", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O2", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const main = dbg.images[0]!.symbols.addressOf("main")!;
      const code = await dbg.disassemble(main, 40);
      // The loop's head is the target of its backward branch; take the instruction just before it.
      const back = code.find((i) => /^j/.test(i.text) && /0x[0-9a-f]+$/.test(i.text) && BigInt(i.text.match(/0x[0-9a-f]+$/)![0]) < i.address)!;
      const head = BigInt(back.text.match(/0x[0-9a-f]+$/)![0]);
      const before = code.find((i) => i.address < head && i.address + BigInt(i.bytes.length) >= head && head - i.address < 5n)!;
      expect(before).toBeDefined();
      const [bp] = dbg.setInstructionBreakpoints([{ address: before.address, condition: "1" }]);
      expect((await dbg.start()).reason).toBe("instruction breakpoint");
      expect(dbg.process.pc).toBe(before.address);
      expect(bp!.conditionNote).toMatch(/evaluated by the debugger at each hit.*jumps to/);
      expect(dbg.breakpoints.armedTrapAt(before.address)).toBeUndefined();
      expect((await dbg.continue()).reason).toBe("exited");
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("threads run the compiled condition concurrently; it stops for the one thread it names", async () => {
    const exe = compileFixture("threads/mutex_counter.c", { cc: "gcc", flags: ["-O0", "-g", "-pthread"] });
    const native = runNative(exe, ["4", "20000"]);
    const stdout: string[] = [];
    const dbg = Debugger.launch({ program: exe, args: ["4", "20000"], reproducible: true }, { output: (c, t) => void (c === "stdout" && stdout.push(t)) });
    try {
      const line = readFileSync(join(fixturesDir, "threads/mutex_counter.c"), "utf8").split("\n").findIndex((l) => l.includes("counter++;")) + 1;
      const [bp] = dbg.setSourceBreakpoints("mutex_counter.c", [{ line, condition: "s->id == 2 && s->done == 15000" }]);
      let r = await dbg.start();
      expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
      while (r.reason === "breakpoint" && value(dbg, "s->id") !== "2") r = await dbg.continue();
      expect(r.reason).toBe("breakpoint");
      expect(value(dbg, "s->done")).toBe("15000");
      expect((await dbg.continue()).reason).toBe("exited");
      expect(stdout.join("")).toBe(native.stdout);
    } finally {
      dbg.close();
    }
  });

  it("a forked child runs the parent's compiled condition's code as the program's own", async () => {
    const exe = compileFixture("conditions/forked_loop.c", { cc: "gcc", flags: ["-O0", "-g"] });
    await session(exe, async (dbg, stdout) => {
      const [bp] = dbg.setSourceBreakpoints("forked_loop.c", [{ line: lineOf("conditions/forked_loop.c", "@churn"), condition: "i == 150000" }]);
      let r = await dbg.start();
      expect(r.reason).toBe("breakpoint");
      expect(value(dbg, "i")).toBe("150000");
      expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
      r = await dbg.continue();
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe).stdout);
    });
  });

  it("a pause while the program runs a compiled condition stops in the program's code, not the trampoline", async () => {
    const exe = compileFixture(HOT, { cc: "gcc", flags: ["-static", "-O2", "-g"] });
    const stdout: string[] = [];
    const dbg = Debugger.launch({ program: exe, args: ["30000000"], reproducible: true }, { output: (c, t) => void (c === "stdout" && stdout.push(t)) });
    try {
      const [bp] = dbg.setSourceBreakpoints("hot_loop.c", [{ line: lineOf(HOT, "@hot"), condition: "i == -1" }]);
      const image = dbg.images[0]!;
      let paused = 0;
      let r: Awaited<ReturnType<Debugger["start"]>> | undefined;
      for (let k = 0; k < 6; k++) {
        const timer = setTimeout(() => dbg.pause(), 60);
        r = await (k === 0 ? dbg.start() : dbg.continue());
        clearTimeout(timer);
        if (r.reason === "exited") break;
        expect(r.reason).toBe("pause");
        paused++;
        expect(image.contains(dbg.process.pc)).toBe(true);
        // main, or mix inlined into it.
        expect(dbg.stackTrace().map((f) => f.functionName)).toContain("main");
      }
      expect(paused).toBeGreaterThan(2);
      expect(dbg.breakpoints.armedTrapAt(bp!.addresses[0]!)).toBeDefined();
      dbg.setSourceBreakpoints("hot_loop.c", []);
      if (r!.reason !== "exited") r = await dbg.continue();
      expect(r).toMatchObject({ reason: "exited", exitCode: 0 });
      expect(stdout.join("")).toBe(runNative(exe, ["30000000"]).stdout);
    } finally {
      dbg.close();
    }
  });
});
