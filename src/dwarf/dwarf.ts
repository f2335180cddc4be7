/**
 * The DWARF of one ELF module behind one object: lazy per-unit parsing, line tables, CFI, the
 * program model and the queries the debugger needs. Corrupt units are recorded (see errors()) and
 * skipped; every other unit keeps working.
 */
import type { ElfFile } from "../elf/reader.js";
import { parseAranges, type ArangeEntry } from "./aranges.js";
import { CallFrameInfo, type CfiOptions } from "./cfi.js";
import { DebugInfo, type ParseStats, type UnitErrorRecord } from "./debug-info.js";
import type { Die } from "./die.js";
import { asDwarfError, whereAt, type DwarfErrorCode } from "./errors.js";
import { parseLineHeader, pathMatches, type LineProgramHeader } from "./line-header.js";
import { runLineProgram, type LineRow } from "./line-program.js";
import { LineTable } from "./line-table.js";
import { buildUnitModel, type FunctionScope, type InlinedScope, type ModelContext, type Scope, type UnitModel, type Variable } from "./program.js";
import { rangesContain, type AddressRange } from "./ranges.js";
import { DwarfSections, type SectionsOptions } from "./sections.js";
import { TypeFactory, type DwarfType } from "./types.js";
import type { Unit } from "./unit.js";

export interface FunctionAtPc {
  readonly unit: Unit;
  readonly function: FunctionScope;
  /** Inlined calls containing pc, outermost first (the last is the innermost "virtual frame"). */
  readonly inlined: InlinedScope[];
  /** Every scope containing pc, innermost first, ending with the function. */
  readonly scopes: Scope[];
}

export interface LineAddresses {
  /** The line actually used: the requested one or the next line with code. */
  readonly line: number;
  /** Full path of the matched file. */
  readonly file: string;
  readonly addresses: bigint[];
}

export class Dwarf {
  readonly info: DebugInfo;
  readonly types = new TypeFactory();
  private readonly lineHeaders = new Map<Unit, LineProgramHeader | null>();
  private readonly lineTables = new Map<Unit, LineTable | null>();
  private readonly models = new Map<Unit, UnitModel | null>();
  private readonly otherErrors: UnitErrorRecord[] = [];
  private arangesCache: ArangeEntry[] | undefined;
  private cfiCache: CallFrameInfo | undefined;
  private readonly modelCtx: ModelContext;

  constructor(readonly sections: DwarfSections) {
    this.info = new DebugInfo(sections, sections.path);
    this.modelCtx = { types: this.types, lineHeader: (u) => this.lineHeader(u) };
  }

  static fromElf(elf: ElfFile, opts: SectionsOptions = {}): Dwarf {
    return new Dwarf(DwarfSections.fromElf(elf, opts));
  }

  get units(): readonly Unit[] {
    return this.info.units;
  }

  get stats(): ParseStats {
    return this.info.stats;
  }

  get hasDebugInfo(): boolean {
    return this.info.units.length > 0;
  }

  /** Every recorded failure: unit headers, DIE trees, line programs. */
  errors(): UnitErrorRecord[] {
    const seen = new Set<string>();
    return [...this.info.errors(), ...this.otherErrors].filter((e) => {
      const k = `${e.unitOffset}:${e.error.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Call frame information (.eh_frame + .debug_frame), parsed on first use with these options. */
  cfi(opts: CfiOptions = {}): CallFrameInfo {
    this.cfiCache ??= new CallFrameInfo(this.sections, opts);
    return this.cfiCache;
  }

  // ---- line tables ----

  lineHeader(unit: Unit): LineProgramHeader | undefined {
    if (this.lineHeaders.has(unit)) return this.lineHeaders.get(unit) ?? undefined;
    let h: LineProgramHeader | null = null;
    try {
      const off = unit.lineProgramOffset;
      const sec = this.sections.get(".debug_line");
      if (off !== undefined && sec) {
        h = parseLineHeader(sec.data, off, { sections: this.sections, compDir: unit.compDir, addressSize: unit.addressSize, file: this.sections.path });
        this.info.stats.lineHeadersParsed++;
      }
    } catch (e) {
      this.record(unit, e, "DWARF_BAD_LINE_TABLE");
    }
    this.lineHeaders.set(unit, h);
    return h ?? undefined;
  }

  lineTable(unit: Unit): LineTable | undefined {
    if (this.lineTables.has(unit)) return this.lineTables.get(unit) ?? undefined;
    let t: LineTable | null = null;
    const h = this.lineHeader(unit);
    if (h) {
      try {
        const seqs = runLineProgram(this.sections.require(".debug_line", `the line table of the ${unit.label}`).data, h, this.sections.path);
        this.info.stats.lineProgramsRun++;
        t = new LineTable(h, seqs);
      } catch (e) {
        this.record(unit, e, "DWARF_BAD_LINE_TABLE");
      }
    }
    this.lineTables.set(unit, t);
    return t ?? undefined;
  }

  /** The line-table row for pc. */
  lineForAddress(pc: bigint): LineRow | undefined {
    const u = this.unitForPc(pc);
    if (u) {
      const row = this.lineTable(u)?.rowFor(pc);
      if (row) return row;
    }
    // Units without ranges for pc (e.g. assembly units): fall back to scanning tables.
    for (const unit of this.info.units) {
      if (unit === u) continue;
      const row = this.safeLineTable(unit)?.rowFor(pc);
      if (row) return row;
    }
    return undefined;
  }

  /**
   * Breakpoint addresses for file:line like gdb: the best line ≥ the requested one with is_stmt
   * code, one address per function (the lowest), across every unit whose line table names the file.
   * `perBlock`: every is_stmt address of the line instead (for a per-block filter like gdb's).
   * Only units whose file table mentions the file run their line programs.
   */
  addressesForLine(file: string, line: number, opts: { perBlock?: boolean } = {}): LineAddresses | undefined {
    const candidates: { unit: Unit; table: LineTable; line: number; addresses: bigint[] }[] = [];
    for (const unit of this.info.units) {
      const h = this.safeLineHeader(unit);
      if (!h || !h.files.some((f) => f.path !== "" && pathMatches(f.path, file))) continue;
      const table = this.lineTable(unit);
      const res = table?.addressesFor(file, line, { everyRow: opts.perBlock });
      if (table && res) candidates.push({ unit, table, ...res });
    }
    if (candidates.length === 0) return undefined;
    const best = Math.min(...candidates.map((c) => c.line));
    const out: bigint[] = [];
    let path = file;
    for (const c of candidates) {
      if (c.line !== best) continue;
      path = c.table.rows().find((r) => r.line === best && pathMatches(r.file, file))?.file ?? path;
      if (opts.perBlock) {
        // Every is_stmt row: the caller keeps one per block (gdb's filter).
        out.push(...c.addresses);
        continue;
      }
      // One address per function: keep the lowest address in each function.
      const byFunction = new Map<string, bigint>();
      for (const a of c.addresses) {
        const fn = this.safeModel(c.unit)?.functions.find((f) => rangesContain(f.ranges, a));
        const key = fn ? `f${fn.die.offset}` : `a${a}`;
        const prev = byFunction.get(key);
        if (prev === undefined || a < prev) byFunction.set(key, a);
      }
      out.push(...byFunction.values());
    }
    return { line: best, file: path, addresses: [...new Set(out)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }

  /** Address after the function's prologue (prologue_end flag, else the second line row). */
  prologueEnd(fn: FunctionScope): bigint {
    const table = this.safeLineTable(fn.die.unit);
    const low = fn.lowPc;
    const range = fn.ranges.find((r) => r.low <= fn.entryPc && fn.entryPc < r.high) ?? fn.ranges[0];
    if (!table || !range) return low;
    return table.prologueEnd(range.low, range.high);
  }

  // ---- units by pc ----

  /** The unit whose code contains pc (.debug_aranges when present, else each unit DIE's ranges). */
  unitForPc(pc: bigint): Unit | undefined {
    const ar = this.aranges();
    if (ar.length > 0) {
      let lo = 0;
      let hi = ar.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const e = ar[mid]!;
        if (pc < e.low) hi = mid - 1;
        else if (pc >= e.high) lo = mid + 1;
        else {
          const u = this.info.unitContaining(e.unitOffset);
          if (u) return u;
          break;
        }
      }
    }
    for (const u of this.info.units) {
      if (ar.some((e) => e.unitOffset === u.offset)) continue; // already covered by aranges
      try {
        if (rangesContain(u.ranges(u.root()), pc)) return u;
      } catch (e) {
        this.record(u, e, "DWARF_CORRUPT");
      }
    }
    return undefined;
  }

  private aranges(): ArangeEntry[] {
    if (!this.arangesCache) {
      const sec = this.sections.get(".debug_aranges");
      if (!sec) this.arangesCache = [];
      else {
        const r = parseAranges(sec.data, this.sections.path);
        for (const e of r.errors) this.otherErrors.push({ unitOffset: -1, error: e });
        this.arangesCache = r.entries;
      }
    }
    return this.arangesCache;
  }

  // ---- program model ----

  /** Functions, globals and types of a unit (parses the unit's DIE tree). Undefined if the unit is corrupt. */
  model(unit: Unit): UnitModel | undefined {
    return this.safeModel(unit);
  }

  functionAt(pc: bigint): FunctionAtPc | undefined {
    const first = this.unitForPc(pc);
    const units = first ? [first, ...this.info.units.filter((u) => u !== first)] : [];
    for (const unit of units) {
      const m = this.safeModel(unit);
      const fn = m?.functions.find((f) => rangesContain(f.ranges, pc));
      if (!fn) continue;
      const scopes = fn.chainAt(pc);
      const inlined = scopes.filter((s): s is InlinedScope => s.kind === "inlined").reverse();
      return { unit, function: fn, inlined, scopes };
    }
    return undefined;
  }

  /**
   * Variables visible at pc in the innermost frame (an inlined call counts as a frame), innermost
   * scope first, shadowed names removed.
   */
  localsAt(pc: bigint): Variable[] {
    const f = this.functionAt(pc);
    if (!f) return [];
    const out: Variable[] = [];
    const seen = new Set<string>();
    for (const s of f.scopes) {
      for (const v of s.variables) {
        if (seen.has(v.name)) continue;
        seen.add(v.name);
        out.push(v);
      }
      if (s.kind !== "block") break;
    }
    return out;
  }

  findFunction(name: string): FunctionScope | undefined {
    for (const u of this.info.units) {
      const fn = this.safeModel(u)?.functions.find((f) => f.name === name || f.linkageName === name);
      if (fn) return fn;
    }
    return undefined;
  }

  /** A global (or file-static) variable; `preferUnit` is searched first (for statics of the current file). */
  findGlobalVariable(name: string, preferUnit?: Unit): Variable | undefined {
    const order = preferUnit ? [preferUnit, ...this.info.units.filter((u) => u !== preferUnit)] : this.info.units;
    let staticMatch: Variable | undefined;
    for (const u of order) {
      for (const v of this.safeModel(u)?.globals ?? []) {
        if (v.name !== name) continue;
        if (v.kind === "global" || u === preferUnit) return v;
        staticMatch ??= v;
      }
    }
    return staticMatch;
  }

  /** A type by C name: "struct item", "union u", "enum color", a typedef or a base type name. */
  findType(name: string, preferUnit?: Unit): DwarfType | undefined {
    const key = name.trim().replace(/\s+/g, " ");
    const order = preferUnit ? [preferUnit, ...this.info.units.filter((u) => u !== preferUnit)] : this.info.units;
    let decl: Die | undefined;
    for (const u of order) {
      const d = this.safeModel(u)?.types.get(key);
      if (!d) continue;
      if (!d.flag(0x3c /* DW_AT_declaration */)) return this.types.typeOf(d);
      decl ??= d;
    }
    return decl ? this.types.typeOf(decl) : undefined;
  }

  typeOf(die: Die): DwarfType {
    return this.types.typeOf(die);
  }

  // ---- error containment ----

  private safeModel(unit: Unit): UnitModel | undefined {
    if (this.models.has(unit)) return this.models.get(unit) ?? undefined;
    let m: UnitModel | null = null;
    try {
      m = buildUnitModel(unit, this.modelCtx);
    } catch (e) {
      this.record(unit, e, "DWARF_CORRUPT");
    }
    this.models.set(unit, m);
    return m ?? undefined;
  }

  private safeLineHeader(unit: Unit): LineProgramHeader | undefined {
    try {
      return this.lineHeader(unit);
    } catch (e) {
      this.record(unit, e, "DWARF_CORRUPT");
      return undefined;
    }
  }

  private safeLineTable(unit: Unit): LineTable | undefined {
    try {
      return this.lineTable(unit);
    } catch (e) {
      this.record(unit, e, "DWARF_CORRUPT");
      return undefined;
    }
  }

  private record(unit: Unit, e: unknown, code: DwarfErrorCode): void {
    const err = asDwarfError(e, code, whereAt(unit.place, unit.offset), unit.label);
    if (unit.error === err) return;
    this.otherErrors.push({ unitOffset: unit.offset, error: err });
  }
}

export type { AddressRange };
