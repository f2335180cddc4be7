/**
 * Expression diagnostics: one error per compile, with the 1-based column it points at and, where a
 * near name exists, a "did you mean" suggestion computed by edit distance.
 */
import { hasCode, JitdbgError, type ErrorCode } from "../errors.js";

/** The expression codes of src/error-codes.ts. */
export type ExprErrorCode = Extract<ErrorCode, `EXPR_${string}`>;

export class ExprError extends JitdbgError {
  constructor(
    code: ExprErrorCode,
    /** The diagnostic without the "error: " prefix. */
    override readonly text: string,
    /** 1-based column in the source line; 0 when the error has no position. */
    readonly column: number,
  ) {
    super(code, `error: ${text}`, column > 0 ? { column } : undefined);
    this.name = "ExprError";
  }

  /** `<col>: error: ...` followed by the source line and a caret under the column. */
  render(source: string): string {
    if (this.column <= 0) return this.message;
    const line = source.split("\n")[0] ?? "";
    return `${this.column}: ${this.message}\n  ${line}\n  ${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}

/** Whether the front end rejected the text (an EXPR_ code): the text's fault, not the debugger's. */
export function isExpressionError(e: unknown): e is JitdbgError & { readonly code: ExprErrorCode } {
  return e instanceof JitdbgError && e.code.startsWith("EXPR_");
}

/**
 * What a Scope throws for a name it knows but cannot place in this frame or thread (a library's
 * thread-local without a block yet, a computed location in another image, an indirect function whose
 * resolver failed): like an expression error, the text cannot be evaluated here.
 */
export const SCOPE_ERROR_CODES = ["EVAL_LOCATION", "EVAL_TLS_LOCATION", "EVAL_TLS_UNAVAILABLE", "EVAL_IFUNC"] as const satisfies readonly ErrorCode[];

/** An expression error or a scope error: why a text cannot be checked or evaluated here. */
export function isTextError(e: unknown): e is JitdbgError {
  return isExpressionError(e) || hasCode(e, ...SCOPE_ERROR_CODES);
}

/** Offsets in the source are 0-based; columns are 1-based. */
export function exprError(code: ExprErrorCode, text: string, offset: number): ExprError {
  return new ExprError(code, text, offset + 1);
}

/** Optimal-string-alignment distance: edits, with a swap of neighbours counting as one ("nmae"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a third of the name's length (at least 1, at most 3 edits). */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  // One- and two-letter names are too short for a guess to mean anything.
  const limit = name.length <= 2 ? 0 : Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = closest(name, candidates);
  return s === undefined ? "" : `; did you mean '${s}'?`;
}
