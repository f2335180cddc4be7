/** Line numbers of "@marker" comments (written as a C block comment holding only the marker) in fixtures, so tests do not hard-code line numbers. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir } from "../helpers/compile.js";

export function lineOf(fixture: string, marker: string): number {
  const lines = readFileSync(join(fixturesDir, fixture), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(`/* ${marker} */`));
  if (i < 0) throw new Error(`marker ${marker} not found in ${fixture}`);
  return i + 1;
}
