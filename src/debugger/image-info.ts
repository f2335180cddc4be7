/**
 * What the debugger knows about one loaded image (the program, later each library and JIT
 * module): its ELF symbols, its DWARF (parsed lazily, per unit), its call frame information, all
 * expressed in run-time addresses through the image's load bias.
 */
import { Dwarf } from "../dwarf/index.js";
import type { CallFrameInfo, FunctionAtPc, LineRow } from "../dwarf/index.js";
import type { ElfFile } from "../elf/reader.js";
import { Symbolizer } from "../elf/symbolizer.js";

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** The addresses of one source line's code around a pc, for stepping. */
export interface LineRange {
  start: bigint;
  end: bigint;
  line: number;
  file: string;
}

export class ImageInfo {
  private dwarfCache: Dwarf | null | undefined;
  private cfiCache: CallFrameInfo | undefined;
  readonly symbols: Symbolizer;

  constructor(
    readonly path: string,
    readonly file: ElfFile,
    /** Run-time address minus link-time address. */
    readonly bias: bigint,
    /** [low, high) of the image's mapped code and data, in run-time addresses. */
    readonly low: bigint,
    readonly high: bigint,
  ) {
    this.symbols = new Symbolizer(file, bias);
  }

  get name(): string {
    return this.path.split("/").pop() ?? this.path;
  }

  contains(pc: bigint): boolean {
    return pc >= this.low && pc < this.high;
  }

  /** The image's DWARF, or undefined when it has none (stripped, libc without -dbg). */
  get dwarf(): Dwarf | undefined {
    if (this.dwarfCache === undefined) {
      const d = Dwarf.fromElf(this.file);
      this.dwarfCache = d.hasDebugInfo ? d : null;
    }
    return this.dwarfCache ?? undefined;
  }

  /** .eh_frame and .debug_frame, with FDE addresses in run-time terms. */
  get cfi(): CallFrameInfo {
    this.cfiCache ??= Dwarf.fromElf(this.file).cfi({ loadBias: this.bias });
    return this.cfiCache;
  }

  lineRow(pc: bigint): LineRow | undefined {
    return this.dwarf?.lineForAddress(pc - this.bias);
  }

  sourceAt(pc: bigint): SourceLocation | undefined {
    const row = this.lineRow(pc);
    if (!row || row.line === 0) return undefined;
    return { file: row.file, line: row.line, column: row.column };
  }

  functionAt(pc: bigint): FunctionAtPc | undefined {
    return this.dwarf?.functionAt(pc - this.bias);
  }

  /** The contiguous addresses around pc that belong to pc's line (rows of the same line merged). */
  lineRange(pc: bigint): LineRange | undefined {
    const d = this.dwarf;
    const rel = pc - this.bias;
    const unit = d?.unitForPc(rel);
    const table = unit ? d?.lineTable(unit) : undefined;
    if (!table) return undefined;
    for (const seq of table.sequences) {
      if (rel < seq[0]!.address || rel >= seq[seq.length - 1]!.address) continue;
      let i = 0;
      while (i + 1 < seq.length && seq[i + 1]!.address <= rel) i++;
      const row = seq[i]!;
      let s = i;
      while (s > 0 && seq[s - 1]!.line === row.line && seq[s - 1]!.file === row.file) s--;
      let e = i + 1;
      while (e < seq.length - 1 && (seq[e]!.line === row.line || seq[e]!.line === 0) && seq[e]!.file === row.file) e++;
      return { start: seq[s]!.address + this.bias, end: seq[e]!.address + this.bias, line: row.line, file: row.file };
    }
    return undefined;
  }

  /** Whether pc starts a statement row of a real line (where a source-level step may stop). */
  isStatementStart(pc: bigint): boolean {
    const d = this.dwarf;
    const rel = pc - this.bias;
    const unit = d?.unitForPc(rel);
    const table = unit ? d?.lineTable(unit) : undefined;
    if (!table) return false;
    for (const seq of table.sequences) {
      if (rel < seq[0]!.address || rel >= seq[seq.length - 1]!.address) continue;
      return seq.some((r) => r.address === rel && r.isStmt && r.line !== 0 && !r.endSequence);
    }
    return false;
  }

  /** Function name at pc from DWARF, else from the ELF symbol table. */
  functionName(pc: bigint): string | undefined {
    const f = this.functionAt(pc);
    if (f) return f.inlined.length > 0 ? f.inlined[f.inlined.length - 1]!.name : f.function.name;
    return this.symbols.lookup(pc)?.name;
  }
}
