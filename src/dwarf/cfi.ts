/**
 * Call frame information of one module (.eh_frame and .debug_frame), FDE lookup by pc, and one
 * unwind step: the caller's registers from the callee's, via callbacks into the stopped program.
 */
import { parseFdeAt, parseFrameSection, scanFdes, type Cie, type Fde, type FrameSectionKind } from "./cfi-entries.js";
import { cfiRowAt, type CfiRow, type RegisterRule } from "./cfi-rules.js";
import type { ErrorWhere } from "../errors.js";
import { DwarfError, hex } from "./errors.js";
import { evaluateValue, type ExprContext } from "./expr-eval.js";
import { CALLEE_SAVED, DWARF_REG, dwarfRegisterName } from "./registers.js";
import type { DwarfSections } from "./sections.js";

export interface CfiOptions {
  /** Load address of .eh_frame / .debug_frame, when not the section's sh_addr (e.g. a PIE's load bias applied). */
  readonly ehFrameAddress?: bigint;
  /** Added to every FDE address (the load bias of a PIE or shared object); default 0. */
  readonly loadBias?: bigint;
  /** Base for DW_EH_PE_datarel pointers, if the producer uses them. */
  readonly dataBase?: bigint;
  readonly textBase?: bigint;
}

export interface UnwindCallbacks {
  /** The callee frame's value of a DWARF register, undefined when unknown. */
  readRegister(reg: number): bigint | undefined;
  /** Little-endian unsigned integer of `size` bytes at `address`, undefined when unreadable. */
  readMemory(address: bigint, size: number): bigint | undefined;
}

export interface UnwindOptions {
  /**
   * True when `pc` is a return address (any frame but the innermost): the FDE and row are looked up
   * at pc-1, because a call at the very end of a function returns past it. Ignored for signal frames.
   */
  readonly isReturnAddress?: boolean;
}

/**
 * Where the caller's value of a register is kept: in a stack slot the callee saved it to, or in a
 * register of the callee (the same one when the callee left it alone); a register the unwinder
 * computes (the CFA as rsp, DW_CFA_val_*) has none, and so cannot be written.
 */
export type SavedRegisterHome = { kind: "memory"; address: bigint } | { kind: "register"; reg: number };

export interface UnwindResult {
  readonly fde: Fde;
  readonly row: CfiRow;
  /** Canonical frame address of the callee frame (= the caller's rsp on x86-64). */
  readonly cfa: bigint;
  /** The caller's registers that could be recovered (rsp and rip always when the step succeeds). */
  readonly registers: Map<number, bigint>;
  /** Registers the CFI marks undefined in the caller (or that could not be computed), with the reason. */
  readonly unavailable: Map<number, string>;
  /** Where each recovered caller register is kept, for writes to a caller frame's registers. */
  readonly homes: Map<number, SavedRegisterHome>;
  /** The caller's pc (the return address); undefined at the outermost frame (RA undefined). */
  readonly returnAddress: bigint | undefined;
}

/** CFI rows kept (then forgotten all at once). */
const ROWS_KEPT = 4096;

export class CallFrameInfo {
  /** FDEs sorted by start address; .eh_frame ones first on equal starts. */
  private parsed: { fdes: readonly Fde[]; errors: readonly DwarfError[] } | undefined;
  private readonly sectionAddress = new Map<FrameSectionKind, bigint>();
  /**
   * Every FDE's span in the order of `fdes` (record headers only; undefined when a record cannot be
   * read so): a look-up reads just the FDEs it meets, not the module's thousand (a static
   * program's libc; reading them all was most of a session's first stack trace).
   */
  private readonly index: { start: bigint; end: bigint; kind: FrameSectionKind; offset: number }[] | undefined;
  private readonly indexed = new Map<string, Fde | null>();
  private readonly cies = new Map<FrameSectionKind, Map<number, Cie>>();

  constructor(
    private readonly sections: DwarfSections,
    private readonly opts: CfiOptions = {},
  ) {
    this.file = sections.path;
    const bias = opts.loadBias ?? 0n;
    const index: { start: bigint; end: bigint; kind: FrameSectionKind; offset: number }[] = [];
    let complete = true;
    for (const kind of [".eh_frame", ".debug_frame"] as const) {
      const sec = sections.get(kind);
      if (!sec) continue;
      this.sectionAddress.set(kind, kind === ".eh_frame" ? (opts.ehFrameAddress ?? sec.address + bias) : 0n);
      const cies = new Map<number, Cie>();
      this.cies.set(kind, cies);
      const spans = complete ? scanFdes(sec.data, kind, this.bases(kind), this.file, cies) : undefined;
      if (!spans) complete = false;
      else for (const f of spans) index.push(kind === ".debug_frame" ? { kind, offset: f.offset, start: f.start + bias, end: f.end + bias } : { kind, ...f });
    }
    this.index = complete ? index.filter((f) => f.end > f.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)) : undefined;
  }

  /** FDEs sorted by start address; .eh_frame ones first on equal starts (both sections read whole on first use). */
  get fdes(): readonly Fde[] {
    return this.parseAll().fdes;
  }

  /** Records of either section that could not be read. */
  get errors(): readonly DwarfError[] {
    return this.parseAll().errors;
  }

  private parseAll(): { fdes: readonly Fde[]; errors: readonly DwarfError[] } {
    if (this.parsed) return this.parsed;
    const all: Fde[] = [];
    const errors: DwarfError[] = [];
    const bias = this.opts.loadBias ?? 0n;
    for (const kind of [".eh_frame", ".debug_frame"] as const) {
      const sec = this.sections.get(kind);
      if (!sec) continue;
      const res = parseFrameSection(sec.data, kind, this.bases(kind), this.file);
      for (const f of res.fdes) all.push(kind === ".debug_frame" && bias !== 0n ? { ...f, pcBegin: f.pcBegin + bias, pcEnd: f.pcEnd + bias } : f);
      errors.push(...res.errors);
    }
    const fdes = all.filter((f) => f.pcEnd > f.pcBegin).sort((a, b) => (a.pcBegin < b.pcBegin ? -1 : a.pcBegin > b.pcBegin ? 1 : 0));
    return (this.parsed = { fdes, errors });
  }

  private bases(kind: FrameSectionKind): { sectionAddress: bigint; dataBase?: bigint; textBase?: bigint } {
    return { sectionAddress: this.sectionAddress.get(kind) ?? 0n, dataBase: this.opts.dataBase, textBase: this.opts.textBase };
  }

  /** The FDE an index entry names, read when first met (null: damaged; the whole read reports why). */
  private indexedFde(entry: { kind: FrameSectionKind; offset: number }): Fde | undefined {
    const key = `${entry.kind}:${entry.offset}`;
    let fde = this.indexed.get(key);
    if (fde === undefined) {
      try {
        const f = parseFdeAt(this.sections.get(entry.kind)!.data, entry.offset, entry.kind, this.bases(entry.kind), this.file, this.cies.get(entry.kind)!);
        const bias = this.opts.loadBias ?? 0n;
        fde = !f ? null : entry.kind === ".debug_frame" && bias !== 0n ? { ...f, pcBegin: f.pcBegin + bias, pcEnd: f.pcEnd + bias } : f;
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        fde = null;
      }
      this.indexed.set(key, fde);
    }
    return fde ?? undefined;
  }

  /** The file, for errors. */
  private readonly file: string;
  /**
   * Rows by FDE, each with the addresses it covers: a row never changes, every stop unwinds through
   * the same pcs again, and a step to a new line of a function is in one of its few rows (a row
   * whose end is not known covers its pc alone).
   */
  private readonly rows = new Map<Fde, { start: bigint; end: bigint; row: CfiRow }[]>();
  private rowCount = 0;

  private row(fde: Fde, pc: bigint): CfiRow {
    let kept = this.rows.get(fde);
    if (kept) for (const k of kept) if (pc >= k.start && pc < k.end) return k.row;
    const row = cfiRowAt(fde, pc, this.sectionAddress.get(fde.cie.section) ?? 0n, this.file);
    if (++this.rowCount > ROWS_KEPT) {
      this.rows.clear();
      this.rowCount = 1;
      kept = undefined;
    }
    if (!kept) this.rows.set(fde, (kept = []));
    kept.push(row.end !== undefined ? { start: row.address, end: row.end, row } : { start: pc, end: pc + 1n, row });
    return row;
  }

  /** The FDE covering `pc`, or undefined. */
  findFde(pc: bigint): Fde | undefined {
    if (this.index) return this.findIndexed(pc);
    const f = this.fdes;
    let lo = 0;
    let hi = f.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid]!.pcBegin <= pc) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Overlapping FDEs are rare (both .eh_frame and .debug_frame): scan back a little.
    for (let i = best; i >= 0 && i > best - 4; i--) if (pc >= f[i]!.pcBegin && pc < f[i]!.pcEnd) return f[i];
    return undefined;
  }

  /** findFde over the index: the same search, reading only the FDE found. */
  private findIndexed(pc: bigint): Fde | undefined {
    const f = this.index!;
    let lo = 0;
    let hi = f.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid]!.start <= pc) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 4; i--) {
      if (pc < f[i]!.start || pc >= f[i]!.end) continue;
      const fde = this.indexedFde(f[i]!);
      if (fde) return fde;
    }
    return undefined;
  }

  /** Per row: the registers an unwind step computes (callee-saved, rsp, the return address, those the row names), once. */
  private readonly applied = new WeakMap<CfiRow, { ra: number; regs: readonly number[] }>();

  private appliedRegisters(row: CfiRow, ra: number): readonly number[] {
    const kept = this.applied.get(row);
    if (kept && kept.ra === ra) return kept.regs;
    const regs = [...new Set<number>([...CALLEE_SAVED, DWARF_REG.rsp, ra, ...row.registers.keys()])];
    this.applied.set(row, { ra, regs });
    return regs;
  }

  /** The CFA rule and register rules in effect at `pc`. */
  rowAt(pc: bigint): CfiRow | undefined {
    const fde = this.findFde(pc);
    if (!fde) return undefined;
    return this.row(fde, pc);
  }

  /**
   * One unwind step at `pc` with the callee's registers: computes the CFA and the caller's registers.
   * Returns undefined when no FDE covers the pc (the caller should fall back, e.g. to frame pointers).
   */
  unwind(pc: bigint, cb: UnwindCallbacks, opts: UnwindOptions = {}): UnwindResult | undefined {
    let lookup = opts.isReturnAddress ? pc - 1n : pc;
    let fde = this.findFde(lookup);
    if (fde?.cie.signalFrame && lookup !== pc) {
      lookup = pc;
      fde = this.findFde(pc);
    }
    if (!fde) return undefined;
    const row = this.row(fde, lookup);
    // Where and which FDE, for errors only (made when one is reported).
    const fdeWhere = (): ErrorWhere => ({ file: this.file, section: fde.cie.section, offset: fde.offset });
    const exprCtx = (extra: Partial<ExprContext>): ExprContext => ({
      readRegister: (r) => cb.readRegister(r),
      readMemory: (a, s) => cb.readMemory(a, s),
      place: { where: fdeWhere(), what: `CFI expression of the FDE at ${hex(fde.offset)}` },
      ...extra,
    });

    let cfa: bigint;
    if (row.cfa.kind === "reg-offset") {
      const base = cb.readRegister(row.cfa.reg);
      if (base === undefined) {
        throw new DwarfError("DWARF_UNWIND_REGISTER", fdeWhere(), `cannot compute the CFA at pc ${hex(pc)} (the FDE at ${hex(fde.offset)}): register ${dwarfRegisterName(row.cfa.reg)} is not known in this frame`);
      }
      cfa = BigInt.asUintN(64, base + row.cfa.offset);
    } else {
      const v = evaluateValue(row.cfa.expr, exprCtx({}));
      if (v.kind !== "value") throw new DwarfError("DWARF_UNWIND_EXPRESSION", fdeWhere(), `cannot compute the CFA at pc ${hex(pc)} (the FDE at ${hex(fde.offset)}): ${v.reason}`);
      cfa = v.value;
    }

    const registers = new Map<number, bigint>();
    const unavailable = new Map<number, string>();
    const homes = new Map<number, SavedRegisterHome>();
    const apply = (reg: number, rule: RegisterRule | undefined): void => {
      if (!rule) {
        if (reg === DWARF_REG.rsp) registers.set(reg, cfa);
        else if (CALLEE_SAVED.includes(reg)) {
          const v = cb.readRegister(reg);
          if (v !== undefined) {
            registers.set(reg, v);
            homes.set(reg, { kind: "register", reg });
          }
        }
        return;
      }
      switch (rule.kind) {
        case "undefined":
          unavailable.set(reg, "undefined in the caller (CFI rule DW_CFA_undefined)");
          return;
        case "same-value": {
          const v = cb.readRegister(reg);
          if (v === undefined) unavailable.set(reg, "not known in the callee");
          else {
            registers.set(reg, v);
            homes.set(reg, { kind: "register", reg });
          }
          return;
        }
        case "offset": {
          const addr = BigInt.asUintN(64, cfa + rule.offset);
          const v = cb.readMemory(addr, 8);
          if (v === undefined) unavailable.set(reg, `saved at ${hex(addr)}, which cannot be read`);
          else {
            registers.set(reg, v);
            homes.set(reg, { kind: "memory", address: addr });
          }
          return;
        }
        case "val-offset":
          registers.set(reg, BigInt.asUintN(64, cfa + rule.offset));
          return;
        case "register": {
          const v = cb.readRegister(rule.reg);
          if (v === undefined) unavailable.set(reg, `held in ${dwarfRegisterName(rule.reg)}, which is not known`);
          else {
            registers.set(reg, v);
            homes.set(reg, { kind: "register", reg: rule.reg });
          }
          return;
        }
        case "expression":
        case "val-expression": {
          const v = evaluateValue(rule.expr, exprCtx({ initialStack: [cfa] }));
          if (v.kind !== "value") {
            unavailable.set(reg, v.reason);
            return;
          }
          if (rule.kind === "val-expression") {
            registers.set(reg, v.value);
            return;
          }
          const m = cb.readMemory(v.value, 8);
          if (m === undefined) unavailable.set(reg, `saved at ${hex(v.value)}, which cannot be read`);
          else {
            registers.set(reg, m);
            homes.set(reg, { kind: "memory", address: v.value });
          }
        }
      }
    };
    const ra = fde.cie.returnAddressRegister;
    for (const r of this.appliedRegisters(row, ra)) apply(r, row.registers.get(r));
    let returnAddress: bigint | undefined = registers.get(ra);
    if (row.registers.get(ra)?.kind === "undefined") returnAddress = undefined;
    if (returnAddress !== undefined) {
      registers.set(DWARF_REG.rip, returnAddress);
      const raHome = homes.get(ra);
      if (raHome) homes.set(DWARF_REG.rip, raHome);
    }
    if (!row.registers.has(DWARF_REG.rsp)) {
      registers.set(DWARF_REG.rsp, cfa);
      homes.delete(DWARF_REG.rsp);
    }
    return { fde, row, cfa, registers, unavailable, homes, returnAddress };
  }
}
