/**
 * The fuzzer on demand: `npm run fuzz -- --seed N --count M [--expressions K]` runs M programs of
 * seed N (K expressions each, at -O0 and -O2) and prints every mismatch with the program's index,
 * so `fuzzCase(N, index, K)` rebuilds it; exits 1 when any was found. A program gcc itself cannot
 * build (an internal compiler error) is reported and skipped.
 */
import { fuzzPrograms } from "./differential.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} takes a non-negative integer, got '${process.argv[i + 1] ?? ""}'`);
    process.exit(2);
  }
  return v;
}

const seed = option("seed", Date.now() % 100000);
const count = option("count", 20);
const expressions = option("expressions", 60);
const total = await fuzzPrograms(seed, count, expressions, (r) => {
  for (const u of r.unbuilt) console.log(`${u}: skipped`);
  for (const m of r.mismatches) console.log(`program ${m.program} (${m.build}): ${m.expr}\n  gcc:    ${m.expected}\n  jitdbg: ${m.got}`);
});
console.log(`seed ${seed}: ${count} programs, ${total.evaluated} evaluations: ${total.matched} match, ${total.optimizedOut} optimized out at -O2, ${total.mismatches.length} mismatches${total.unbuilt.length ? `, ${total.unbuilt.length} builds gcc could not make` : ""}`);
process.exit(total.mismatches.length > 0 ? 1 : 0);
