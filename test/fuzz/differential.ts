/**
 * One differential run: a random program built by gcc at -O0 and -O2, its printf twin printing
 * each random expression's type and value natively, and jitdbg's console evaluating the same texts
 * at the program's breakpoint (the in-process Debugger, as test/eval does) with both back ends of
 * the one front end — compiled and run in the inferior (the console's, context "watch") and the
 * side-effect-free interpreter (hover's); every difference of type or value, or an error, is a
 * mismatch. At -O2 a value the program no longer has (`<optimized out>`, a pointer DW_OP_implicit_pointer
 * describes) or the address the text takes (`&local[2]`) of an object kept only in registers or as
 * constants, which gdb refuses too, is counted apart.
 */
import { spawnSync } from "node:child_process";
import { compileSource } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";
import { ExpressionGenerator } from "./expressions.js";
import { generateProgram } from "./program.js";
import { Rng } from "./rng.js";

export const FUZZ_BUILDS = [
  { label: "gcc -O0", flags: ["-static", "-O0", "-g", "-w"] },
  { label: "gcc -O2", flags: ["-static", "-O2", "-g", "-w"] },
];

export interface Mismatch {
  program: number;
  build: string;
  expr: string;
  expected: string;
  got: string;
}

export interface FuzzReport {
  /** Programs gcc could not build (its own crashes), with the first line of its message. */
  unbuilt: string[];
  evaluated: number;
  matched: number;
  /** Values the -O2 build no longer has at the breakpoint, or objects it has no address of (see above). */
  optimizedOut: number;
  mismatches: Mismatch[];
}

const STEM = "fuzz";

/** The program with its twin, and the expressions, for program `index` of `seed`. */
export function fuzzCase(seed: number, index: number, expressions: number): { source: string; exprs: string[] } {
  const rng = new Rng((seed * 1_000_003 + index * 7919) >>> 0);
  const program = generateProgram(rng);
  const gen = new ExpressionGenerator(rng, program.leaves);
  const exprs = Array.from({ length: expressions }, () => gen.expression());
  const source = program.source.replace("/*TWIN*/", exprs.map((e, i) => `SHOW(${i}, ${e});`).join("\n  "));
  return { source, exprs };
}

export async function fuzzProgram(seed: number, index: number, expressions: number): Promise<FuzzReport> {
  const { source, exprs } = fuzzCase(seed, index, expressions);
  const report: FuzzReport = { unbuilt: [], evaluated: 0, matched: 0, optimizedOut: 0, mismatches: [] };
  for (const b of FUZZ_BUILDS) {
    let exe: string;
    try {
      exe = compileSource(source, { flags: b.flags }, STEM);
    } catch (e) {
      const text = `${e instanceof Error ? e.message : String(e)}\n${String((e as { stderr?: unknown }).stderr ?? "")}`;
      if (!/internal compiler error/.test(text)) throw e; // a program the generator got wrong: loud
      report.unbuilt.push(`program ${index} (${b.label}): ${/internal compiler error[^\n]*/.exec(text)![0]}`);
      continue;
    }
    const native = spawnSync(exe, { encoding: "utf8" });
    if (native.status !== 0) throw new Error(`fuzz program ${index} of seed ${seed} (${b.label}) exited with ${native.status}: ${native.stderr}`);
    const expected = new Map<number, { type: string; value: string }>();
    for (const line of native.stdout.split("\n")) {
      const m = /^T(\d+): (.+) (\S+)$/.exec(line);
      if (m) expected.set(Number(m[1]), { type: m[2]!, value: m[3]! });
    }
    const { dbg } = launch(exe);
    try {
      // In marker, then back out to probe just after the call: at -O2 gcc schedules locals' stores
      // into the breakpoint's line, so its first instruction may come before them (DWARF says the
      // local is there already); after the call every store before it has run.
      dbg.setFunctionBreakpoints([{ name: "marker" }]);
      const stop = await dbg.start();
      if (stop.reason !== "function breakpoint") throw new Error(`fuzz program ${index} of seed ${seed} (${b.label}) did not stop in marker: ${stop.reason}`);
      const back = await dbg.stepOut();
      if (back.reason !== "step" || dbg.stackTrace()[0]!.functionName !== "probe") throw new Error(`fuzz program ${index} of seed ${seed} (${b.label}) did not return to probe: ${back.reason}`);
      exprs.forEach((expr, i) => {
        const want = expected.get(i);
        if (!want) throw new Error(`the twin printed nothing for T${i} (${expr})`);
        for (const [backEnd, context] of [["compiled", "watch"], ["interpreter", "hover"]] as const) {
          report.evaluated++;
          let got: { type: string; value: string };
          try {
            const v = dbg.inspector.evaluate(expr, 0, { context });
            got = { type: v.type ?? "?", value: v.value };
            if (b.flags.includes("-O2") && got.value.startsWith("<optimized out")) {
              report.optimizedOut++;
              continue;
            }
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            const noAddress = expr.includes("&") && /cannot take its address: the value is held in a register or computed/.test(message);
            if (b.flags.includes("-O2") && (/optimized out/.test(message) || noAddress)) {
              report.optimizedOut++;
              continue;
            }
            got = { type: "error", value: message };
          }
          if (same(want, got)) report.matched++;
          else report.mismatches.push({ program: index, build: `${b.label}, ${backEnd}`, expr, expected: `${want.type} ${want.value}`, got: `${got.type} ${got.value}` });
        }
      });
    } finally {
      dbg.close();
    }
  }
  return report;
}

/**
 * The console names a type as the program's DWARF spells it (gcc's "long unsigned int") or by its
 * typedef (sizeof's size_t); the twin as C's canonical spelling.
 */
const CANONICAL: Record<string, string> = {
  "long int": "long", "long unsigned int": "unsigned long", "short int": "short", "short unsigned int": "unsigned short",
  "long long int": "long long", "long long unsigned int": "unsigned long long", "size_t": "unsigned long", "unsigned": "unsigned int",
};

/** Programs 0..count-1 of a seed, their reports summed; `each` sees every program's report as it is done. */
export async function fuzzPrograms(seed: number, count: number, expressions: number, each?: (r: FuzzReport) => void): Promise<FuzzReport> {
  const total: FuzzReport = { unbuilt: [], evaluated: 0, matched: 0, optimizedOut: 0, mismatches: [] };
  for (let p = 0; p < count; p++) {
    const r = await fuzzProgram(seed, p, expressions);
    each?.(r);
    total.evaluated += r.evaluated;
    total.matched += r.matched;
    total.optimizedOut += r.optimizedOut;
    total.mismatches.push(...r.mismatches);
    total.unbuilt.push(...r.unbuilt);
  }
  return total;
}

/** The twin's type and value against the console's: types by name (where gcc's _Generic names one), values as numbers. */
function same(want: { type: string; value: string }, got: { type: string; value: string }): boolean {
  if (got.type === "error") return false;
  const type = CANONICAL[got.type] ?? got.type;
  if (want.type !== "other" && !type.startsWith("enum ") && want.type !== type) return false;
  if (want.type === "float" || want.type === "double") {
    const x = Number(want.value);
    const y = Number(got.value);
    return want.type === "float" ? Math.fround(x) === Math.fround(y) : x === y;
  }
  // A _Bool is shown as true/false; other integers first as a number (a char: `97 'a'`).
  const first = got.value === "true" ? "1" : got.value === "false" ? "0" : /^-?\d+/.exec(got.value)?.[0];
  if (first === undefined) return false;
  return BigInt(first) === BigInt(want.value);
}
