/**
 * What is kept between stops (a frame's name, line and scopes per pc; symbol and FDE indexes per
 * image) never carries a stop's registers or memory to another: each stop's frames and values are
 * its own, and a write at a stop is seen at once.
 */
import { describe, expect, it } from "vitest";
import { compileFixture } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import type { Debugger } from "../../src/debugger/debugger.js";

const SOURCES = ["debugger/main.c", "debugger/geometry.c"];
const build = (cc = "gcc", flags = ["-static", "-O0", "-g"]): string => compileFixture(SOURCES[0]!, { cc, flags, extraSources: SOURCES.slice(1) });

/** A Locals variable of a frame, as the Variables view shows it. */
function local(dbg: Debugger, frame: number, name: string): string | undefined {
  const locals = dbg.inspector.scopes(frame).find((s) => s.kind === "locals")!;
  return dbg.inspector.variables(locals.variablesReference).find((v) => v.name === name)?.value;
}

describe("caches across stops", () => {
  it("recursive frames at one pc each show their own n, at every depth", async () => {
    const { dbg } = launch(build());
    try {
      dbg.setSourceBreakpoints("geometry.c", [{ line: 28 }]); // if (n <= 1), in factorial
      let r = await dbg.start();
      for (let depth = 0; depth < 5; depth++) {
        expect(r.reason).toBe("breakpoint");
        const frames = dbg.stackTrace();
        const facts = frames.filter((f) => f.functionName === "factorial");
        expect(facts).toHaveLength(depth + 1);
        // The callers share a pc (the recursive call's return) but not a frame.
        expect(new Set(facts.slice(1).map((f) => f.pc)).size).toBeLessThanOrEqual(1);
        expect(new Set(facts.map((f) => f.cfa)).size).toBe(depth + 1);
        for (let i = 0; i <= depth; i++) expect(local(dbg, i, "n")).toBe(String(5 - depth + i));
        expect(frames[depth + 1]!.functionName).toBe("main");
        r = await dbg.continue();
      }
    } finally {
      dbg.close();
    }
  });

  it("values the program changed between two stops at the same pc are read again", async () => {
    const { dbg } = launch(build());
    try {
      dbg.setSourceBreakpoints("geometry.c", [{ line: 22 }]); // total += area(s), in total_area
      expect((await dbg.start()).reason).toBe("breakpoint");
      const pc = dbg.stackTrace()[0]!.pc;
      expect(local(dbg, 0, "total")).toBe("0");
      const first = local(dbg, 0, "s");
      expect(first).toMatch(/<shapes>$/);
      expect((await dbg.continue()).reason).toBe("breakpoint");
      expect(dbg.stackTrace()[0]!.pc).toBe(pc);
      expect(local(dbg, 0, "total")).toBe("16");
      expect(local(dbg, 0, "s")).not.toBe(first);
    } finally {
      dbg.close();
    }
  });

  it("a write at a stop is seen by the next read at that stop", async () => {
    const { dbg } = launch(build());
    try {
      dbg.setSourceBreakpoints("geometry.c", [{ line: 22 }]);
      expect((await dbg.start()).reason).toBe("breakpoint");
      expect(local(dbg, 0, "total")).toBe("0");
      const address = BigInt(dbg.inspector.evaluate("&total", 0).value.split(" ")[0]!);
      dbg.writeMemory(address, new Uint8Array([42, 0, 0, 0]));
      expect(local(dbg, 0, "total")).toBe("42");
      // The frames unwound again after the write are the same frames.
      expect(dbg.stackTrace().map((f) => f.functionName).slice(0, 2)).toEqual(["total_area", "main"]);
    } finally {
      dbg.close();
    }
  });

  it("an address's symbol and a name's address agree, whichever index is made first", () => {
    const { dbg } = launch(build());
    try {
      const symbols = dbg.images[0]!.symbols;
      const main = symbols.lookup(symbols.addressOf("main")!);
      expect(main).toMatchObject({ name: "main", offset: 0n });
      const { dbg: other } = launch(build());
      try {
        const fresh = other.images[0]!.symbols;
        // The address index first, then the names.
        expect(fresh.describe(main!.address + 4n)).toBe("main+0x4");
        expect(fresh.addressOf("factorial")).toBe(symbols.addressOf("factorial"));
        expect(fresh.symbol("factorial")?.name).toBe("factorial");
      } finally {
        other.close();
      }
    } finally {
      dbg.close();
    }
  });
  it("prepareStop unwinds the stop's stack before it is asked for: the same frames, the stack not read again; nothing while running or after the end", async () => {
    let regReads = 0;
    const { dbg } = launch(build());
    try {
      dbg.setSourceBreakpoints("geometry.c", [{ line: 14 }]); // int w = width(s), in area
      expect((await dbg.start()).reason).toBe("breakpoint");
      const cpu = dbg.process.cpu;
      const reg = cpu.reg.bind(cpu);
      cpu.reg = (name) => (regReads++, reg(name));
      dbg.prepareStop();
      const readsToUnwind = regReads;
      expect(readsToUnwind).toBeGreaterThan(0);
      const frames = dbg.stackTrace();
      expect(regReads).toBe(readsToUnwind); // the request took the prepared frames
      expect(frames[0]!.functionName).toBe("area");
      expect(frames.some((f) => f.functionName === "main")).toBe(true);
      // The next stop's frames are its own, prepared again.
      expect((await dbg.continue()).reason).toBe("breakpoint");
      dbg.prepareStop();
      const prepared = regReads;
      const next = dbg.stackTrace();
      expect(regReads).toBe(prepared);
      expect(next[0]!.functionName).toBe("area");
      expect(prepared).toBeGreaterThan(readsToUnwind); // unwound anew at the new stop, not the last stop's frames
      expect(next).not.toBe(frames);
      dbg.setSourceBreakpoints("geometry.c", []);
      const end = dbg.continue();
      dbg.prepareStop(); // running: nothing to unwind, no error
      expect((await end).reason).toBe("exited");
      dbg.prepareStop();
    } finally {
      dbg.close();
    }
  });
});
