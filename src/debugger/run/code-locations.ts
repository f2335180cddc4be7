/**
 * Where breakpoints and step-ins land, by gdb's rules (gdb 13 on x86-64), so that our stops are
 * gdb's stops on the same binary:
 *
 * - A function breakpoint binds to every out-of-line copy of the function (after its prologue) and
 *   to the entry of every inlined copy (DW_TAG_inlined_subroutine).
 * - The prologue: a `prologue_end` row wins; else a gcc unit with location lists ("locations
 *   valid") is trusted as is (entry pc); else the `push %rbp; mov %rsp,%rbp` frame setup is skipped
 *   and, when that ends mid-line, the next line-table entry is used.
 * - A line breakpoint binds to the first is_stmt address of the line in each innermost block
 *   (function, inlined call, or lexical block with variables); an address at a function's entry
 *   moves past the prologue.
 * - An inlined block's entry is the start of its first non-empty range (gdb 13 ignores
 *   DW_AT_entry_pc).
 */
import type { Dwarf, FunctionScope, LineRow, LineTable, Scope, Unit } from "../../dwarf/index.js";
import { InlinedScope } from "../../dwarf/index.js";
import { rangesContain } from "../../dwarf/ranges.js";

/** gdb's entry pc of a block: its first non-empty range's start (DWARF order). */
export function blockEntry(s: Scope): bigint | undefined {
  return s.ranges[0]?.low;
}

/** Whether `pc` enters scope `s`: its entry, or a range start whose preceding byte lies outside it. */
export function scopeStartsAt(s: Scope, pc: bigint): boolean {
  if (blockEntry(s) === pc) return true;
  return s.ranges.length > 0 && rangesContain(s.ranges, pc) && !rangesContain(s.ranges, pc - 1n);
}

/** The innermost gdb "block" at pc: an inlined call, a lexical block with variables, or the function. */
function innermostBlock(fn: FunctionScope, pc: bigint): Scope {
  for (const s of fn.chainAt(pc)) {
    if (s.kind === "function" || s.kind === "inlined") return s;
    if (s.variables.length > 0 && s.ranges.length > 0) return s;
  }
  return fn;
}

const hasLocListCache = new WeakMap<Unit, boolean>();

/** gdb's "locations valid": a gcc unit where some variable has a location list (optimized code). */
function locationsValid(dwarf: Dwarf, unit: Unit): boolean {
  const producer = unit.producer ?? "";
  if (!/^GNU /.test(producer) || /clang/i.test(producer)) return false;
  let v = hasLocListCache.get(unit);
  if (v === undefined) {
    const walk = (s: Scope): boolean => s.variables.some((x) => x.location.kind === "list") || s.children.some(walk);
    v = (dwarf.model(unit)?.functions ?? []).some(walk);
    hasLocListCache.set(unit, v);
  }
  return v;
}

function isLlvm(unit: Unit): boolean {
  return /clang|LLVM|flang/i.test(unit.producer ?? "");
}

/** The row gdb's find_pc_line uses for pc, and where that line entry ends (the next entry). */
function lineEntryAt(table: LineTable, pc: bigint): { row: LineRow; end: bigint | undefined } | undefined {
  for (const seq of table.sequences) {
    if (pc < seq[0]!.address || pc >= seq[seq.length - 1]!.address) continue;
    let i = 0;
    while (i + 1 < seq.length && seq[i + 1]!.address <= pc) i++;
    let best = i;
    if (!seq[best]!.isStmt) {
      let t = best;
      while (t > 0 && seq[t - 1]!.address === seq[t]!.address && !seq[t]!.isStmt) t--;
      if (seq[t]!.isStmt) best = t;
    }
    let j = i + 1;
    while (j < seq.length - 1 && seq[j]!.line === seq[i]!.line && !seq[j]!.isStmt) j++;
    return { row: seq[best]!, end: j < seq.length ? seq[j]!.address : undefined };
  }
  return undefined;
}

/** amd64_analyze_prologue: the pc after `[endbr64] push %rbp; mov %rsp,%rbp`, or undefined (frameless). */
function framePointerSetupEnd(entry: bigint, read: (a: bigint, n: number) => Uint8Array | undefined): bigint | undefined {
  const b = read(entry, 12);
  if (!b) return undefined;
  let i = 0;
  if (b[0] === 0xf3 && b[1] === 0x0f && b[2] === 0x1e && b[3] === 0xfa) i = 4;
  if (b[i] !== 0x55) return undefined;
  const m = [b[i + 1], b[i + 2], b[i + 3]];
  if ((m[0] === 0x48 && m[1] === 0x89 && m[2] === 0xe5) || (m[0] === 0x48 && m[1] === 0x8b && m[2] === 0xec)) return entry + BigInt(i + 4);
  if ((m[0] === 0x89 && m[1] === 0xe5) || (m[0] === 0x8b && m[1] === 0xec)) return entry + BigInt(i + 3);
  return undefined;
}

/** Reads code bytes at link-time addresses (from the ELF file, before or while it runs). */
export type CodeReader = (address: bigint, size: number) => Uint8Array | undefined;

function functionEntry(fn: FunctionScope): bigint {
  return blockEntry(fn) ?? fn.lowPc;
}

/** gdbarch_skip_prologue (amd64) followed by the mid-line adjustment: where `step` into fn stops. */
export function stepInAddress(dwarf: Dwarf, fn: FunctionScope, read: CodeReader): bigint {
  const entry = functionEntry(fn);
  const table = dwarf.lineTable(fn.die.unit);
  if (!table) return entry;
  let pc: bigint;
  if (isLlvm(fn.die.unit)) pc = dwarf.prologueEnd(fn);
  else pc = framePointerSetupEnd(entry, read) ?? entry;
  if (pc < entry) pc = entry;
  return midLineToNext(table, fn, pc);
}

function midLineToNext(table: LineTable, fn: FunctionScope, pc: bigint): bigint {
  const e = lineEntryAt(table, pc);
  if (e && e.row.address !== pc && e.end !== undefined && e.end >= functionEntry(fn) && e.end < fn.highPc) return e.end;
  return pc;
}

/** skip_prologue_sal for a function: where `break fn` puts the out-of-line copy's breakpoint. */
export function functionBreakAddress(dwarf: Dwarf, fn: FunctionScope, read: CodeReader): bigint {
  const entry = functionEntry(fn);
  const table = dwarf.lineTable(fn.die.unit);
  if (!table) return entry;
  const range = fn.ranges.find((r) => r.low <= entry && entry < r.high) ?? fn.ranges[0]!;
  const flagged = table.rowsIn(range.low, range.high).find((r) => r.prologueEnd);
  if (flagged) return flagged.address;
  if (locationsValid(dwarf, fn.die.unit)) return entry;
  return stepInAddress(dwarf, fn, read);
}

/** Every copy of function `name`: out-of-line bodies (after the prologue) and inlined entries. */
export function functionBreakAddresses(dwarf: Dwarf, name: string, read: CodeReader): bigint[] {
  const out = new Set<bigint>();
  for (const unit of dwarf.units) {
    const fns = dwarf.model(unit)?.functions ?? [];
    for (const fn of fns) {
      if (fn.name === name || fn.linkageName === name) out.add(functionBreakAddress(dwarf, fn, read));
      const walk = (s: Scope): void => {
        for (const c of s.children) {
          if (c instanceof InlinedScope && c.name === name) {
            const e = blockEntry(c);
            if (e !== undefined) out.add(e);
          }
          walk(c);
        }
      };
      walk(fn);
    }
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * gdb's line breakpoint addresses: the line's is_stmt addresses (from Dwarf.addressesForLine), the
 * first in each innermost block, moved past the prologue when at a function's entry.
 */
export function lineBreakAddresses(dwarf: Dwarf, file: string, line: number, read: CodeReader): { line: number; file: string; addresses: bigint[]; owners: Map<bigint, string> } | undefined {
  const found = dwarf.addressesForLine(file, line, { perBlock: true });
  if (!found) return undefined;
  const seen = new Set<string>();
  const out = new Set<bigint>();
  const owners = new Map<bigint, string>();
  for (const a of found.addresses) {
    const at = dwarf.functionAt(a);
    if (!at) {
      out.add(a);
      continue;
    }
    const block = innermostBlock(at.function, a);
    const key = `${block.die.unit.offset}:${block.die.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fn = at.function;
    let pc = a;
    if (a === functionEntry(fn)) {
      const skipped = functionBreakAddress(dwarf, fn, read);
      if (skipped > pc) pc = skipped;
    }
    out.add(pc);
    // The function (or inlined call) the location belongs to, from its address before any
    // prologue skip: at the stop, that inlined frame stays visible (gdb's location symbol).
    const owner = at.function.chainAt(a).find((x) => x.kind === "inlined" || x.kind === "function") ?? fn;
    owners.set(pc, scopeKey(owner));
  }
  return { line: found.line, file: found.file, addresses: [...out].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)), owners };
}

/** Identity of a scope across queries (its unit and DIE offsets). */
export function scopeKey(s: Scope): string {
  return `${s.die.unit.offset}:${s.die.offset}`;
}
