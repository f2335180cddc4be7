/**
 * Values at a breakpoint equal what the program itself prints there: values.c prints its
 * arguments, locals, globals and thread-locals (in our display format) on the line where we stop,
 * and we compare the Inspector's scopes with that printout.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, hasCompiler } from "../helpers/compile.js";
import { hasGdb } from "../helpers/gdb.js";
import { lineOf } from "./markers.js";

const BUILDS = [
  { cc: "gcc", flags: ["-static", "-O0", "-g"] },
  { cc: "gcc", flags: ["-static", "-O0", "-gdwarf-4"] },
  { cc: "clang", flags: ["-static", "-O0", "-gdwarf-4"] },
  { cc: "clang", flags: ["-static", "-O0", "-gdwarf-5"] },
  { cc: "gcc", flags: ["-static", "-O2", "-g"] },
  { cc: "clang", flags: ["-static", "-O2", "-gdwarf-4"] },
];

/** The program's "name=value" lines. */
function printout(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1).replace(/\(nil\)/g, "0x0"));
  }
  return m;
}

/** Every variable of the top frame's scopes (arguments, locals, globals, thread-locals) by name. */
function scopeValues(dbg: Debugger): Map<string, string> {
  const out = new Map<string, string>();
  for (const scope of dbg.inspector.scopes(0)) {
    if (scope.kind === "registers") continue;
    for (const v of dbg.inspector.variables(scope.variablesReference)) if (!out.has(v.name)) out.set(v.name, v.value);
  }
  return out;
}

/** Arguments and locals gdb shows at the first stop on `line` (`info args`, `info locals`). */
function gdbFrameVariables(exe: string, line: number): string[] {
  const r = spawnSync("gdb", ["-batch", "-nx", "-ex", `break values.c:${line}`, "-ex", "run", "-ex", "info args", "-ex", "info locals", exe], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .map((l) => /^([A-Za-z_]\w*) = /.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

function compare(name: string, mine: string, printed: string): void {
  if (/^-?\d+\.\d+(e[-+]?\d+)?$/i.test(printed)) {
    // Floating point: ours is the shortest text that reads back as the same number; the program prints 17 (float: 9) digits.
    const x = Number(printed);
    if (name.includes("float")) expect(Math.fround(Number(mine)), name).toBe(Math.fround(x));
    else {
      expect(Number(mine), name).toBe(x);
      expect(mine, `${name} is the shortest round-trip text`).toBe(String(x));
    }
  } else if (/^0x[0-9a-f]+$/.test(printed)) {
    expect(mine.split(" ")[0], name).toBe(printed); // pointers: ours adds the symbol pointed at
  } else {
    expect(mine, name).toBe(printed);
  }
}

describe("values at a breakpoint equal the program's own printout", () => {
  for (const b of BUILDS) {
    it.skipIf(!hasCompiler(b.cc))(`${b.cc} ${b.flags.join(" ")}`, async () => {
      const exe = compileFixture("debugger/values.c", b);
      const stdout: string[] = [];
      const dbg = Debugger.launch({ program: exe, reproducible: true }, { output: (c, t) => void (c === "stdout" && stdout.push(t)) });
      let ours: Map<string, string>;
      try {
        const [bp] = dbg.setSourceBreakpoints("values.c", [{ line: lineOf("debugger/values.c", "@print") }]);
        expect(bp!.verified).toBe(true);
        expect((await dbg.start()).reason).toBe("breakpoint");
        ours = scopeValues(dbg);
        expect((await dbg.continue()).reason).toBe("exited");
      } finally {
        dbg.close();
      }
      const theirs = printout(stdout.join(""));
      expect(theirs.size).toBeGreaterThan(25);
      const optimized = b.flags.includes("-O2");
      let compared = 0;
      for (const [name, printed] of theirs) {
        if (name === "total") continue;
        const mine = ours.get(name);
        if (optimized && (mine === undefined || mine.startsWith("<optimized out"))) continue;
        expect(mine, `no value for ${name}`).toBeDefined();
        compare(name, mine!, printed);
        compared++;
      }
      // At -O2 the compiler decides what survives (gcc even inlines inspect() where it hides
      // behind main's line): compare what has a location, and list what gdb lists.
      if (optimized && hasGdb()) {
        const names = gdbFrameVariables(exe, lineOf("debugger/values.c", "@print"));
        for (const n of names) expect(ours.has(n), `gdb lists ${n}`).toBe(true);
      } else expect(compared).toBeGreaterThan(25);
    });
  }
});
