/**
 * Test support: test/fixtures/eval/structs.c with the twins of struct-cases.ts filled in, built
 * with gcc at test time. Console functions get native twins named `cf_x_native`; struct results
 * are stored by their twin in a global `twin_N` the console shows next to its own result.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSource, fixturesDir } from "../helpers/compile.js";
import type { Build } from "./fixture.js";
import { DEFINITIONS, DUMPS, EFFECTS, READBACKS, type StructCase } from "./struct-cases.js";

export const STEM = "eval-structs";

const template = readFileSync(join(fixturesDir, "eval", "structs.c"), "utf8");

/** C for a console text: console functions become their native twins. */
export function native(text: string): string {
  return text.replace(/\bcf_(\w+)/g, "cf_$1_native");
}

/** The same store on the program's own copy (n_ for g_). */
function onCopy(text: string): string {
  return native(text).replace(/\bg_/g, "n_");
}

function twin(i: number, c: StructCase): string {
  const e = native(c.c ?? c.expr);
  switch (c.kind) {
    case "int": return `printf("T${i}: %lld\\n", (long long)(${e}));`;
    case "double": return `printf("T${i}: %.17g\\n", (double)(${e}));`;
    case "struct": return `twin_${i} = (${e});`;
  }
}

export function source(cases: StructCase[]): string {
  const globals = cases.map((c, i) => (c.kind === "struct" ? `__typeof__(${native(c.c ?? c.expr)}) twin_${i};` : "")).filter((g) => g !== "");
  const effects = [
    ...EFFECTS.map((e, i) => (e.kind === "int" ? `printf("E${i}: %lld\\n", (long long)(${onCopy(e.expr)}));` : `(void)(${onCopy(e.expr)});`)),
    ...READBACKS.map((r, i) => `printf("G${i}: %lld\\n", (long long)(${r})); printf("N${i}: %lld\\n", (long long)(${onCopy(r)}));`),
    ...DUMPS.map((d, i) => `dump("B", ${2 * i}, &g_${d.name}, ${d.size}); dump("B", ${2 * i + 1}, &n_${d.name}, ${d.size});`),
  ];
  return template
    .replace("/*DEFS*/", DEFINITIONS.map((d) => `static NI ${native(d)}`).join("\n"))
    .replace("/*GLOBALS*/", globals.join("\n"))
    .replace("/*TWINS*/", cases.map((c, i) => twin(i, c)).join("\n  "))
    .replace("/*EFFECTS*/", effects.join("\n  "));
}

export function build(b: Build, cases: StructCase[]): { exe: string; src: string } {
  const src = source(cases);
  // -Wno-psabi: gcc notes ABI changes of the past for some of these types.
  return { exe: compileSource(src, { flags: [...b.flags, "-Wno-psabi"] }, STEM), src };
}
