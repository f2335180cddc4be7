/**
 * gdb's artificial arrays, `base@length`, take any integer expression as the length (`*p@n`),
 * while the front end's array types need a constant. Before an expression is checked, the text of
 * each length that is not an integer literal is evaluated on its own — by the caller, without
 * running code — and replaced by its value; the rest of the text is left as it was.
 */
import type { Expr } from "./ast.js";
import { parseInput, type TypeEnv } from "./parser.js";

/** `source` with each non-literal `@` length replaced by `valueOf(its text)`. Text that does not parse is returned unchanged (checking reports it). */
export function withArtificialLengths(source: string, env: TypeEnv, valueOf: (text: string) => bigint): string {
  if (!source.includes("@")) return source;
  let input;
  try {
    input = parseInput(source, env);
  } catch {
    return source;
  }
  if (input.k !== "expr") return source;
  const spans: { start: number; end: number }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== "object") return;
    const e = node as Expr;
    if (e.k === "artificial" && e.length.k !== "int") spans.push({ start: e.lengthStart, end: e.lengthEnd });
    for (const v of Object.values(node)) walk(v);
  };
  walk(input.expr);
  // Right to left, so earlier positions stay valid; a length inside another's is done with it.
  spans.sort((a, b) => b.start - a.start);
  let out = source;
  let limit = Infinity;
  for (const s of spans) {
    if (s.end > limit) continue;
    out = `${out.slice(0, s.start)}(${valueOf(source.slice(s.start, s.end))})${out.slice(s.end)}`;
    limit = s.start;
  }
  return out;
}
