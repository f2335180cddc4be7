/**
 * Display formats typed with an expression, split off in one place for every way an expression is
 * evaluated (console, watch, hover): LLDB's suffix `expr,x` and gdb's prefix `/x expr` show the
 * result in hex, gdb's `/d expr` in decimal (the default, so watch texts written for gdb work).
 * A console definition (`:c …`) or command (`:patch …`) is text of its own and is never split.
 */
export function splitFormatSuffix(text: string): { expression: string; hex: boolean } {
  const t = text.trim();
  if (t.startsWith(":")) return { expression: t, hex: false };
  const prefix = /^\/([xd])\s+([\s\S]+)$/.exec(t);
  if (prefix) return { expression: prefix[2]!.trim(), hex: prefix[1] === "x" };
  // The suffix is the last comma's: `, x` and nothing after (a regular expression's backtracking
  // over the whole text cost more than the rest of this at every evaluation).
  const comma = t.lastIndexOf(",");
  if (comma < 0 || t.slice(comma + 1).trim() !== "x") return { expression: t, hex: false };
  return { expression: t.slice(0, comma).trim(), hex: true };
}
