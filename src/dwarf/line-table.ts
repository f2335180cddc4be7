/**
 * The decoded line table of one unit and its queries: address → row, file:line → addresses (like
 * gdb: is_stmt rows of the best line at or after the requested one), and a function's prologue end.
 */
import type { LineProgramHeader } from "./line-header.js";
import { pathMatches } from "./line-header.js";
import type { LineRow, LineSequence } from "./line-program.js";

export class LineTable {
  /** Sequences sorted by start address (empty sequences dropped). */
  readonly sequences: readonly LineSequence[];

  constructor(
    readonly header: LineProgramHeader,
    sequences: LineSequence[],
  ) {
    this.sequences = sequences.filter((s) => s.length > 0).sort((a, b) => cmp(a[0]!.address, b[0]!.address));
  }

  /** Every row in table order (sequences by address). */
  rows(): LineRow[] {
    return this.sequences.flat();
  }

  /** Full paths of the files this table names. */
  files(): string[] {
    return this.header.files.map((f) => f.path).filter((p) => p !== "");
  }

  mentionsFile(query: string): boolean {
    return this.header.files.some((f) => f.path !== "" && pathMatches(f.path, query));
  }

  /** The row that describes `pc`: the last row at or before it in the sequence covering it (is_stmt preferred). */
  rowFor(pc: bigint): LineRow | undefined {
    for (const seq of this.sequences) {
      const first = seq[0]!;
      const last = seq[seq.length - 1]!;
      if (pc < first.address || pc >= last.address) continue;
      let lo = 0;
      let hi = seq.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (seq[mid]!.address <= pc) lo = mid;
        else hi = mid - 1;
      }
      // Several rows at one address: like gdb, the last one, preferring an is_stmt row.
      const addr = seq[lo]!.address;
      for (let i = lo; i >= 0 && seq[i]!.address === addr; i--) if (seq[i]!.isStmt) return seq[i];
      return seq[lo];
    }
    return undefined;
  }

  /**
   * Addresses for file:line. Picks the smallest line ≥ `line` that has is_stmt rows in the file
   * (gdb's rule) and returns the start address of each run of rows for that line, ascending
   * (`everyRow`: the address of every is_stmt row of that line).
   */
  addressesFor(file: string, line: number, opts: { everyRow?: boolean } = {}): { line: number; addresses: bigint[] } | undefined {
    let best: number | undefined;
    for (const seq of this.sequences) {
      for (const row of seq) {
        if (row.endSequence || !row.isStmt || row.line < line) continue;
        if (!pathMatches(row.file, file)) continue;
        if (best === undefined || row.line < best) best = row.line;
      }
    }
    if (best === undefined) return undefined;
    const out = new Set<bigint>();
    for (const seq of this.sequences) {
      let prevMatched = false;
      for (const row of seq) {
        const match = !row.endSequence && row.isStmt && row.line === best && pathMatches(row.file, file);
        if (match && (!prevMatched || opts.everyRow)) out.add(row.address);
        // Rows for other lines at the same address do not start a new run.
        if (!row.endSequence && row.line !== best) prevMatched = false;
        else if (match) prevMatched = true;
      }
    }
    return { line: best, addresses: [...out].sort(cmp) };
  }

  /**
   * Where the prologue of the function at [low, high) ends: the first row flagged prologue_end, else
   * the address of the second line of the function (the first row past `low` for a different line),
   * like gdb and lldb. `low` when nothing better is known.
   */
  prologueEnd(low: bigint, high: bigint): bigint {
    const rows = this.rowsIn(low, high);
    const flagged = rows.find((r) => r.prologueEnd && r.address >= low);
    if (flagged) return flagged.address;
    const first = rows[0];
    if (!first) return low;
    for (const r of rows) {
      if (r.address > first.address && r.line !== first.line && r.line !== 0) return r.address;
    }
    return low;
  }

  /** Rows with low ≤ address < high, not end markers, in address order. */
  rowsIn(low: bigint, high: bigint): LineRow[] {
    const out: LineRow[] = [];
    for (const seq of this.sequences) {
      for (const r of seq) if (!r.endSequence && r.address >= low && r.address < high) out.push(r);
    }
    return out.sort((a, b) => cmp(a.address, b.address));
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
