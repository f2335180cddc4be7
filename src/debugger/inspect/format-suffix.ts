/**
 * LLDB's display suffix: `expr,x` shows the result in hex. Split off in one place, for every way
 * an expression is evaluated (console, watch, hover); a console definition (`:c …`) is C text of
 * its own and is never split.
 */
export function splitFormatSuffix(text: string): { expression: string; hex: boolean } {
  const t = text.trim();
  const m = /^([\s\S]*),\s*x$/.exec(t);
  if (!m || t.startsWith(":c")) return { expression: t, hex: false };
  return { expression: m[1]!.trim(), hex: true };
}
