/**
 * Debugger speed, side by side with gdb where there is a counterpart:
 *
 * - open a large static program with full debug info (a generated C program of many units and
 *   functions) and resolve a `file:line` breakpoint, against `gdb -batch -ex 'break file:N' prog`;
 * - inferior speed with 100 breakpoints in code that never runs, against none (goal ≥ 0.95);
 * - one `next` over a line that loops, against running the same loop to a breakpoint.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Debugger } from "../src/debugger/debugger.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { fmt, median } from "./stats.js";

const UNITS = 120;
const FUNCTIONS = 60;
const RUNS = 3;
const SPEED_ITERATIONS = 30_000_000;

function unitSource(u: number): string {
  const out = [`#include "common.h"`, `struct rec${u} { int id; double weight; char name[16]; struct rec${u} *next; unsigned bits : 3; };`, `static struct rec${u} table${u}[8];`, `int counter${u};`];
  for (let f = 0; f < FUNCTIONS; f++) {
    out.push(
      `int u${u}_f${f}(int n) {`,
      `  struct rec${u} *r = &table${u}[n & 7];`,
      `  int acc = n;`,
      `  for (int i = 0; i < n; i++) {`,
      `    acc += i * ${f + 1} + r->id;`,
      `    r->weight += acc * 0.5;`,
      `  }`,
      `  counter${u} += acc;`,
      `  return acc + ${f > 0 ? `u${u}_f${f - 1}(n - 1)` : "0"};`,
      `}`,
    );
  }
  return out.join("\n") + "\n";
}

/** Line of `acc += ...` in function `f` of a unit (where the "never runs" breakpoints go). */
function bodyLine(f: number): number {
  return 4 + f * 10 + 5;
}

const MAIN = `#include <stdio.h>
#include <stdlib.h>
#include "common.h"
int never(int n);
static unsigned long hot(unsigned long n) {
  unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += (i * 2654435761u) >> 7; /* @loop */
  return acc; /* @after */
}
int main(int argc, char **argv) {
  unsigned long r = hot(argc > 1 ? strtoul(argv[1], 0, 10) : 3000000);
  if (argc > 100) r += never(argc);
  printf("%lu\\n", r);
  return 0;
}
`;

function generate(): { exe: string; target: { file: string; line: number }; loopLine: number } {
  const dir = join(repoRoot, ".cache", "bench-debugger");
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, "main.c")];
  // Written when they differ (an unchanged file keeps its time stamp, and the build its cache).
  const put = (f: string, text: string) => {
    if (!existsSync(f) || readFileSync(f, "utf8") !== text) writeFileSync(f, text);
  };
  put(join(dir, "common.h"), "int never(int n);\n");
  put(join(dir, "main.c"), MAIN);
  const calls: string[] = [];
  for (let u = 0; u < UNITS; u++) {
    const f = join(dir, `unit${u}.c`);
    put(f, unitSource(u));
    files.push(f);
    calls.push(`  s += u${u}_f${FUNCTIONS - 1}(n);`);
  }
  const decls = [...Array(UNITS).keys()].map((u) => `int u${u}_f${FUNCTIONS - 1}(int n);`).join("\n");
  const neverFile = join(dir, "never.c");
  writeFileSync(neverFile, `${decls}\nint never(int n) {\n  int s = 0;\n${calls.join("\n")}\n  return s;\n}\n`);
  files.push(neverFile);
  const exe = compileFixture(files[0]!, { cc: "gcc", flags: ["-static", "-O0", "-g"], extraSources: files.slice(1) });
  return { exe, target: { file: `unit${UNITS - 7}.c`, line: bodyLine(FUNCTIONS - 3) }, loopLine: MAIN.split("\n").findIndex((l) => l.includes("@loop")) + 1 };
}

function timed<T>(fn: () => T): [number, T] {
  const t = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

function hasGdb(): boolean {
  return spawnSync("gdb", ["--version"]).status === 0;
}

export async function benchDebugger(): Promise<string> {
  const { exe, target, loopLine } = generate();
  const lines = [`debugger: generated program of ${UNITS} units x ${FUNCTIONS} functions (gcc -O0 -g -static), median of ${RUNS} runs`];

  // 1. Open and resolve file:line.
  const ours: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [ms, ok] = timed(() => {
      const dbg = Debugger.launch({ program: exe, reproducible: true });
      try {
        return dbg.setSourceBreakpoints(target.file, [{ line: target.line }])[0]!.verified;
      } finally {
        dbg.close();
      }
    });
    if (!ok) throw new Error(`breakpoint ${target.file}:${target.line} did not bind`);
    ours.push(ms);
  }
  const o = median(ours);
  if (hasGdb()) {
    const gdb: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [ms, r] = timed(() => spawnSync("gdb", ["-batch", "-nx", "-ex", `break ${target.file}:${target.line}`, exe], { encoding: "utf8" }));
      if (!r.stdout.includes("Breakpoint 1 at")) throw new Error(`gdb did not set the breakpoint: ${r.stdout}${r.stderr}`);
      gdb.push(ms);
    }
    const g = median(gdb);
    lines.push(`  open + break ${target.file}:${target.line}: jitdbg ${fmt(o)} ms, gdb -batch ${fmt(g)} ms (process start included)   ratio ${(o / g).toFixed(2)}x gdb`);
  } else lines.push(`  open + break ${target.file}:${target.line}: jitdbg ${fmt(o)} ms (gdb not installed)`);

  // 2. Inferior speed with 100 breakpoints in code that never runs: a loop long enough (30 M
  // iterations) that the run, not the set-up, is measured; the set-up's cost is printed too.
  const runWith = async (count: number): Promise<number> => {
    const dbg = Debugger.launch({ program: exe, args: [String(SPEED_ITERATIONS)], reproducible: true });
    try {
      for (let u = 0; u < count; u++) {
        const unit = u % UNITS;
        const bps = dbg.setSourceBreakpoints(`unit${unit}.c`, [{ line: bodyLine(Math.floor(u / UNITS) + 1) }]);
        if (!bps[0]!.verified) throw new Error(`unit${unit}.c breakpoint did not bind`);
      }
      const [ms, r] = await timedAsync(() => dbg.start());
      if (r.reason !== "exited") throw new Error(`the program stopped: ${r.reason}`);
      return ms;
    } finally {
      dbg.close();
    }
  };
  const none: number[] = [];
  const hundred: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    none.push(await runWith(0));
    hundred.push(await runWith(100));
  }
  const n0 = median(none);
  const n100 = median(hundred);
  lines.push(`  run to the end (${SPEED_ITERATIONS / 1e6} M iterations): no breakpoints ${fmt(n0)} ms, 100 breakpoints in code that never runs ${fmt(n100)} ms   speed ratio ${(n0 / n100).toFixed(3)} (goal >= 0.95; ${fmt(n100 - n0)} ms more in all)`);

  // 3. `next` over a line that loops 3,000,000 times, against running it to a breakpoint.
  const nexts: number[] = [];
  const conts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const how of ["next", "continue"] as const) {
      const dbg = Debugger.launch({ program: exe, reproducible: true });
      try {
        dbg.setSourceBreakpoints("main.c", [{ line: loopLine }]);
        await dbg.start();
        if (how === "continue") dbg.setSourceBreakpoints("main.c", [{ line: loopLine + 1 }]);
        const [ms, r] = await timedAsync(() => (how === "next" ? dbg.next() : dbg.continue()));
        const at = r.reason === "exited" ? undefined : dbg.stackTrace()[0]?.source?.line;
        if (at !== loopLine + 1) throw new Error(`${how} ended at line ${at}, not ${loopLine + 1}`);
        (how === "next" ? nexts : conts).push(ms);
      } finally {
        dbg.close();
      }
    }
  }
  const nx = median(nexts);
  const ct = median(conts);
  lines.push(`  next over a line looping 3e6 times ${fmt(nx)} ms, continue over it ${fmt(ct)} ms   ratio ${(nx / ct).toFixed(2)}x`);
  return lines.join("\n");
}
