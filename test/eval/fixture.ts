/**
 * Test support: test/fixtures/eval/probe.c with its printf twins generated from the cases, built
 * with gcc at test time, and a debugger session stopped at its BREAK1 line.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSource, fixturesDir } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import type { Debugger } from "../../src/debugger/debugger.js";

export type Kind = "int" | "double" | "ptr" | "str" | "point";

export interface Case {
  expr: string;
  kind: Kind;
  /** The C expression for the twin (default: expr). */
  c?: string;
  /** false: not compared in -O2 builds (see cases.ts). */
  o2?: boolean;
}

export interface Build {
  label: string;
  flags: string[];
}

export const BUILDS: Build[] = [
  { label: "gcc -static -O0", flags: ["-static", "-O0", "-g"] },
  { label: "gcc -static -O2", flags: ["-static", "-O2", "-g"] },
  { label: "gcc -static-pie -O0", flags: ["-static-pie", "-O0", "-g"] },
];

const template = readFileSync(join(fixturesDir, "eval", "probe.c"), "utf8");

function twin(i: number, c: Case): string {
  const e = c.c ?? c.expr;
  switch (c.kind) {
    case "int": return `printf("T${i}: %lld\\n", (long long)(${e}));`;
    case "double": return `printf("T${i}: %.17g\\n", (double)(${e}));`;
    case "ptr": return `printf("T${i}: 0x%lx\\n", (unsigned long)(${e}));`;
    case "str": return `printf("T${i}: \\"%s\\"\\n", (${e}));`;
    case "point": return `{ struct point q = (${e}); printf("T${i}: {x = %d, y = %d}\\n", q.x, q.y); }`;
  }
}

/** The printf statements of the twins of `cases` (one per line, `Ti: value`). */
export function twinStatements(cases: Case[]): string {
  return cases.map((c, i) => twin(i, c)).join("\n  ");
}

/** The fixture with twins for `cases` and POST prints for `post` (C expressions). */
export function source(cases: Case[], post: string[] = []): string {
  return template
    .replace("/*TWINS*/", twinStatements(cases))
    .replace("/*POST*/", post.map((p, i) => `printf("P${i}: %.17g\\n", (double)(${p}));`).join("\n  "));
}

export function build(b: Build, cases: Case[], post: string[] = []): { exe: string; src: string } {
  const src = source(cases, post);
  const exe = compileSource(src, { flags: b.flags }, "eval-probe");
  return { exe, src };
}

export function lineOf(src: string, marker: string): number {
  const i = src.split("\n").findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no ${marker} in the fixture`);
  return i + 1;
}

export interface Session {
  dbg: Debugger;
  output: string[];
  src: string;
}

/** Launched and stopped at BREAK1 (BREAK2 also has a breakpoint); `stem`: the name compileSource gave the source. */
export async function atBreak1(exe: string, src: string, stem = "eval-probe"): Promise<Session> {
  const { dbg, output } = launch(exe);
  const file = srcName(exe, src, stem);
  dbg.setSourceBreakpoints(file, [{ line: lineOf(src, "/* BREAK1 */") }, { line: lineOf(src, "/* BREAK2 */") }]);
  const r = await dbg.start();
  if (r.reason !== "breakpoint") throw new Error(`expected to stop at BREAK1, got ${r.reason}`);
  return { dbg, output, src };
}

/** The file name compileSource gave the generated source (under .cache/fixtures). */
export function srcName(_exe: string, src: string, stem = "eval-probe"): string {
  return `${stem}-${createHash("sha256").update(src).digest("hex").slice(0, 16)}.c`;
}

/** Our formatted value reduced to what the twin prints. */
export function normalize(kind: Kind, value: string): string {
  switch (kind) {
    case "int": return String(BigInt(value.split(" ")[0]!));
    case "double": return String(Number(value));
    case "ptr": return `0x${BigInt(value.split(" ")[0]!).toString(16)}`;
    case "str": return /("(?:[^"\\]|\\.)*")/.exec(value)?.[1] ?? value;
    case "point": return value;
  }
}

/** The twin's printed value, reduced the same way. */
export function twinValue(kind: Kind, printed: string): string {
  return kind === "double" ? String(Number(printed)) : printed;
}

export function twinLines(output: string[], prefix: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of output.join("").split("\n")) {
    const m = new RegExp(`^${prefix}(\\d+): (.*)$`).exec(line);
    if (m) out.set(Number(m[1]), m[2]!);
  }
  return out;
}
