/**
 * gdb's value history by position: `$` is the last value the console kept, `$$` the one before,
 * `$$n` the one n back (`$$0` is `$`). The console keeps values as `$1`, `$2`, …; before a text
 * is compiled each such name is replaced by the `$N` it stands for now, so what a cached module
 * was compiled from is the text it means.
 */
import { exprError } from "./errors.js";
import { tokenize, type Token } from "./lexer.js";

const HISTORY = /^\$(\$\d*)?$/;

/** `source` with `$`, `$$` and `$$n` replaced by `$N`, counting back from `$last`. Text that does not tokenize is returned unchanged. */
export function withHistory(source: string, last: number): string {
  if (!source.includes("$")) return source;
  let tokens: Token[];
  try {
    tokens = tokenize(source);
  } catch {
    return source;
  }
  let out = source;
  for (const t of tokens.filter((x) => x.kind === "ident" && HISTORY.test(x.text)).reverse()) {
    const back = t.text === "$" ? 0 : t.text === "$$" ? 1 : Number(t.text.slice(2));
    const n = last - back;
    if (n < 1) throw exprError("EXPR_HISTORY", `'${t.text}' is ${back} value${back === 1 ? "" : "s"} back, but the value history has ${last === 0 ? "no values yet" : `only $1..$${last}`}`, t.pos);
    out = `${out.slice(0, t.pos)}$${n}${out.slice(t.pos + t.text.length)}`;
  }
  return out;
}
