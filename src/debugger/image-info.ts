/**
 * What the debugger knows about one loaded image (the program, later each library and JIT
 * module): its ELF symbols, its DWARF (parsed lazily, per unit), its call frame information, all
 * expressed in run-time addresses through the image's load bias.
 */
import { Dwarf } from "../dwarf/index.js";
import type { CallFrameInfo, FunctionAtPc, LineRow } from "../dwarf/index.js";
import type { ElfFile } from "../elf/reader.js";
import type { Symbolizer } from "../elf/symbolizer.js";
import type { Image } from "../inferior/images.js";
import { BoundedMemo } from "./bounded-memo.js";

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
  /** What DWARF says about a pc never changes, and a stop or a step asks the same pcs many times. */
  private readonly functionsAt = new BoundedMemo<bigint, FunctionAtPc | undefined>();
  private readonly rowsAt = new BoundedMemo<bigint, LineRow | undefined>();
  private readonly namesAt = new BoundedMemo<bigint, string | undefined>();

  /** Wraps one image the process has loaded (the program, the dynamic loader, a library). */
  constructor(readonly image: Image) {}

  get path(): string {
    return this.image.path;
  }

  get file(): ElfFile {
    return this.image.file;
  }

  /** Run-time address minus link-time address. */
  get bias(): bigint {
    return this.image.bias;
  }

  /** [low, high) of the image's mapped segments, in run-time addresses. */
  get low(): bigint {
    return this.image.range.start;
  }

  get high(): bigint {
    return this.image.range.end;
  }

  /** ELF symbols (with a stripped library's separate debug file, when installed). */
  get symbols(): Symbolizer {
    return this.image.symbols;
  }

  get name(): string {
    return this.image.name;
  }

  contains(pc: bigint): boolean {
    return this.image.contains(pc);
  }

  /** The image's DWARF, or undefined when it has none (stripped, libc without -dbg). */
  get dwarf(): Dwarf | undefined {
    if (this.dwarfCache === undefined) {
      const file = this.image.tryFile();
      const d = file ? Dwarf.fromElf(file) : undefined;
      this.dwarfCache = d?.hasDebugInfo ? d : null;
    }
    return this.dwarfCache ?? undefined;
  }

  /** .eh_frame and .debug_frame, with FDE addresses in run-time terms. */
  get cfi(): CallFrameInfo | undefined {
    if (this.cfiCache === undefined) {
      const file = this.image.tryFile();
      if (!file) return undefined;
      this.cfiCache = Dwarf.fromElf(file).cfi({ loadBias: this.bias });
    }
    return this.cfiCache;
  }

  lineRow(pc: bigint): LineRow | undefined {
    return this.rowsAt.get(pc, (at) => this.dwarf?.lineForAddress(at - this.bias));
  }

  sourceAt(pc: bigint): SourceLocation | undefined {
    const row = this.lineRow(pc);
    if (!row || row.line === 0) return undefined;
    return { file: row.file, line: row.line, column: row.column };
  }

  functionAt(pc: bigint): FunctionAtPc | undefined {
    return this.functionsAt.get(pc, (at) => this.dwarf?.functionAt(at - this.bias));
  }

  /** The line-table sequence covering a link-time pc, if any. */
  private sequenceAt(rel: bigint): readonly LineRow[] | undefined {
    const d = this.dwarf;
    const unit = d?.unitForPc(rel);
    const table = unit ? d?.lineTable(unit) : undefined;
    return table?.sequences.find((seq) => rel >= seq[0]!.address && rel < seq[seq.length - 1]!.address);
  }

  /** The contiguous addresses around pc that belong to pc's line (rows of the same line merged). */
  lineRange(pc: bigint): LineRange | undefined {
    const rel = pc - this.bias;
    const seq = this.sequenceAt(rel);
    if (!seq) return undefined;
    let i = 0;
    while (i + 1 < seq.length && seq[i + 1]!.address <= rel) i++;
    const row = seq[i]!;
    let s = i;
    while (s > 0 && seq[s - 1]!.line === row.line && seq[s - 1]!.file === row.file) s--;
    let e = i + 1;
    while (e < seq.length - 1 && (seq[e]!.line === row.line || seq[e]!.line === 0) && seq[e]!.file === row.file) e++;
    return { start: seq[s]!.address + this.bias, end: seq[e]!.address + this.bias, line: row.line, file: row.file };
  }

  /**
   * The function containing pc: its entry and every address in it that starts a statement of a
   * real line (where a source-level step may stop), in load addresses.
   */
  statementStarts(pc: bigint): { entry: bigint; starts: bigint[] } | undefined {
    const f = this.functionAt(pc)?.function;
    const d = this.dwarf;
    const unit = d?.unitForPc(pc - this.bias);
    const table = unit ? d?.lineTable(unit) : undefined;
    if (!f || !table) return undefined;
    const starts: bigint[] = [];
    for (const seq of table.sequences) {
      for (const r of seq) if (r.isStmt && r.line !== 0 && !r.endSequence && f.contains(r.address)) starts.push(r.address + this.bias);
    }
    return { entry: f.entryPc + this.bias, starts: [...new Set(starts)] };
  }

  /** Whether pc starts a statement row of a real line (where a source-level step may stop). */
  isStatementStart(pc: bigint): boolean {
    const rel = pc - this.bias;
    return this.sequenceAt(rel)?.some((r) => r.address === rel && r.isStmt && r.line !== 0 && !r.endSequence) ?? false;
  }

  /** Function name at pc from DWARF, else from the ELF symbol table. */
  functionName(pc: bigint): string | undefined {
    return this.namesAt.get(pc, (at) => {
      const f = this.functionAt(at);
      if (f) return f.inlined.length > 0 ? f.inlined[f.inlined.length - 1]!.name : f.function.name;
      return this.symbols.lookup(at)?.name;
    });
  }
}
