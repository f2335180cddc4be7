/**
 * One unit of .debug_info. Its header is read eagerly (by DebugInfo); its first DIE on first use
 * (for the unit's name, bases, ranges and line program); its whole DIE tree only when asked.
 * A failure while building the tree is recorded on the unit (`error`) and does not affect others.
 */
import type { ErrorWhere, JitdbgError } from "../errors.js";
import type { AbbrevTable } from "./abbrev.js";
import { ByteReader, stringAt } from "./byte-reader.js";
import { DW_AT } from "./constants.js";
import { Die, type Attribute } from "./die.js";
import { asDwarfError, DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";
import { readForm, type AttrValue, type FormContext } from "./forms.js";
import { readDebugLoc, readLocList, type LocationListEntry } from "./loclists.js";
import { listIndexToOffset, readDebugRanges, readRngList, type AddressRange, type ListContext } from "./ranges.js";
import type { DebugInfo } from "./debug-info.js";
import type { UnitHeader } from "./unit-header.js";

export class Unit implements FormContext, ListContext {
  /** The error that made this unit's DIE tree unreadable, once one was hit. */
  error: JitdbgError | undefined;
  private abbrevCache: AbbrevTable | undefined;
  private rootCache: Die | undefined;
  private rootError: JitdbgError | undefined;
  private treeCache: Map<number, Die> | undefined;

  constructor(
    readonly info: DebugInfo,
    readonly header: UnitHeader,
  ) {}

  get offset(): number { return this.header.offset; }
  get unitOffset(): number { return this.header.offset; }
  get version(): number { return this.header.version; }
  get addressSize(): number { return this.header.addressSize; }
  get is64(): boolean { return this.header.is64; }
  /** "unit at 0x0": the unit as messages name it. */
  get label(): string { return `unit at ${hex(this.header.offset)}`; }
  /** Where the unit's DIEs are read, for errors: the file, .debug_info, this unit. */
  get place(): DwarfPlace { return { ...this.info.place, record: this.label }; }
  /** The file, and the unit as the reader of a list (ListContext), for errors. */
  get file(): string { return this.info.file; }
  get listUser(): string { return this.label; }
  get treeParsed(): boolean { return this.treeCache !== undefined; }

  contains(offset: number): boolean {
    return offset >= this.header.offset && offset < this.header.end;
  }

  abbrevs(): AbbrevTable {
    this.abbrevCache ??= this.info.abbrevTable(this.header.abbrevOffset);
    return this.abbrevCache;
  }

  /**
   * The unit DIE alone (DW_TAG_compile_unit / partial_unit), without reading its children. Works
   * even when the tree below it is corrupt, so line tables and unit ranges stay available.
   */
  root(): Die {
    if (this.rootCache) return this.rootCache;
    if (this.rootError) throw this.rootError;
    try {
      const r = new ByteReader(this.info.infoData, this.place, this.header.dieOffset, this.header.end);
      const die = this.readDie(r);
      if (!die) throw new DwarfError("DWARF_CORRUPT", r.whereAt(this.header.dieOffset), `the ${this.label} has no DIE (first abbreviation code is 0)`);
      this.info.stats.rootsParsed++;
      this.rootCache = die;
      return die;
    } catch (e) {
      this.rootError = asDwarfError(e, "DWARF_CORRUPT", this.whereAt(this.header.offset), this.label);
      this.error ??= this.rootError;
      throw this.rootError;
    }
  }

  /** The unit DIE with its whole tree of children (parsed once). Throws (and records) on corrupt input. */
  tree(): Die {
    this.ensureTree();
    return this.rootCache!;
  }

  /** All DIEs of the unit by offset. */
  dieAt(offset: number): Die | undefined {
    if (this.rootCache && offset === this.rootCache.offset && !this.treeCache) return this.rootCache;
    return this.ensureTree().get(offset);
  }

  private ensureTree(): Map<number, Die> {
    if (this.treeCache) return this.treeCache;
    if (this.error) throw this.error;
    try {
      const r = new ByteReader(this.info.infoData, this.place, this.header.dieOffset, this.header.end);
      const byOffset = new Map<number, Die>();
      const stack: Die[] = [];
      let root: Die | undefined;
      while (!r.atEnd) {
        const die = this.readDie(r);
        if (!die) {
          if (stack.length === 0) continue; // padding after the tree
          stack.pop();
          continue;
        }
        byOffset.set(die.offset, die);
        const parent = stack[stack.length - 1];
        if (parent) {
          die.parent = parent;
          parent.children.push(die);
        } else if (!root) {
          root = die;
        } else {
          throw new DwarfError("DWARF_CORRUPT", die.where, `a second top-level DIE at ${hex(die.offset)} in the ${this.label}; the unit's child lists are not terminated properly`);
        }
        if (die.hasChildren) stack.push(die);
      }
      if (!root) throw new DwarfError("DWARF_CORRUPT", this.whereAt(this.header.dieOffset), `the ${this.label} has no DIE`);
      this.rootCache = root;
      this.treeCache = byOffset;
      this.info.stats.treesParsed++;
      return byOffset;
    } catch (e) {
      this.error = asDwarfError(e, "DWARF_CORRUPT", this.whereAt(this.header.offset), this.label);
      throw this.error;
    }
  }

  private readDie(r: ByteReader): Die | undefined {
    const offset = r.pos;
    const code = r.ulebNum();
    if (code === 0) return undefined;
    const abbrev = this.abbrevs().get(code);
    if (!abbrev) {
      throw new DwarfError(
        "DWARF_BAD_ABBREV_CODE",
        r.whereAt(offset),
        `DIE at ${hex(offset)} uses abbreviation code ${code}, which the abbreviation table of the ${this.label} (at .debug_abbrev ${hex(this.header.abbrevOffset)}) does not define; the unit is corrupt`,
      );
    }
    const attrs: Attribute[] = new Array(abbrev.specs.length);
    for (let i = 0; i < abbrev.specs.length; i++) {
      const s = abbrev.specs[i]!;
      attrs[i] = { at: s.at, form: s.form, value: readForm(r, s.form, this, s.implicitConst) };
    }
    return new Die(this, offset, abbrev.tag, abbrev.hasChildren, attrs);
  }

  // ---- unit-level attributes (from the unit DIE) ----

  private baseCache = new Map<number, number | undefined>();
  private base(at: number, dflt: number | undefined): number | undefined {
    if (this.baseCache.has(at)) return this.baseCache.get(at);
    const v = this.root().attr(at);
    const b = v === undefined ? dflt : v.kind === "sec_offset" ? v.offset : v.kind === "constant" ? Number(v.value) : dflt;
    this.baseCache.set(at, b);
    return b;
  }

  private get headerSize(): number {
    return this.is64 ? 16 : 8;
  }

  get strOffsetsBase(): number | undefined { return this.base(DW_AT.str_offsets_base, this.headerSize); }
  get addrBase(): number | undefined { return this.base(DW_AT.addr_base, this.headerSize); }
  get rnglistsBase(): number | undefined { return this.base(DW_AT.rnglists_base, this.is64 ? 20 : 12); }
  get loclistsBase(): number | undefined { return this.base(DW_AT.loclists_base, this.is64 ? 20 : 12); }

  get name(): string | undefined { return this.root().string(DW_AT.name); }
  get compDir(): string | undefined { return this.root().string(DW_AT.comp_dir); }
  get producer(): string | undefined { return this.root().string(DW_AT.producer); }
  get language(): number | undefined { return this.root().num(DW_AT.language); }

  /** Offset of the unit's line program in .debug_line (DW_AT_stmt_list). */
  get lineProgramOffset(): number | undefined {
    const v = this.root().attr(DW_AT.stmt_list);
    if (!v) return undefined;
    if (v.kind === "sec_offset") return v.offset;
    if (v.kind === "constant") return Number(v.value);
    return undefined;
  }

  get baseAddress(): bigint {
    const v = this.root().attr(DW_AT.low_pc);
    return (v && this.address(v)) ?? 0n;
  }

  // ---- resolving attribute values ----

  string(v: AttrValue): string | undefined {
    switch (v.kind) {
      case "string":
        return v.value;
      case "strp": {
        const form = `DW_FORM_${v.section === ".debug_str" ? "strp" : "line_strp"}`;
        const sec = this.info.sections.require(v.section, `the ${this.label} (${form})`);
        return stringAt(sec.data, v.offset, this.usePlace(v.section, form));
      }
      case "strx": {
        const sec = this.info.sections.require(".debug_str_offsets", `the ${this.label} (DW_FORM_strx)`);
        const size = this.is64 ? 8 : 4;
        const r = new ByteReader(sec.data, this.usePlace(".debug_str_offsets", `DW_FORM_strx ${v.index}`), (this.strOffsetsBase ?? 0) + v.index * size);
        const off = r.offset(this.is64);
        const str = this.info.sections.require(".debug_str", `the ${this.label} (DW_FORM_strx)`);
        return stringAt(str.data, off, this.usePlace(".debug_str", `DW_FORM_strx ${v.index}`));
      }
      default:
        return undefined;
    }
  }

  addrx(index: number): bigint {
    const sec = this.info.sections.require(".debug_addr", `the ${this.label} (DW_FORM_addrx / DW_OP_addrx)`);
    const r = new ByteReader(sec.data, this.usePlace(".debug_addr", `address index ${index}`), (this.addrBase ?? 0) + index * this.addressSize);
    return r.address(this.addressSize);
  }

  address(v: AttrValue): bigint | undefined {
    if (v.kind === "address") return v.value;
    if (v.kind === "addrx") return this.addrx(v.index);
    return undefined;
  }

  /** The address ranges a DIE covers: DW_AT_low_pc/high_pc or DW_AT_ranges. */
  ranges(die: Die): AddressRange[] {
    const lowV = die.attr(DW_AT.low_pc);
    const highV = die.attr(DW_AT.high_pc);
    if (lowV && highV) {
      const low = this.address(lowV);
      if (low === undefined) return [];
      const high = highV.kind === "constant" ? low + highV.value : this.address(highV);
      return high !== undefined && high > low ? [{ low, high }] : [];
    }
    const rv = die.attr(DW_AT.ranges);
    if (!rv) {
      if (lowV && die.offset === this.header.dieOffset) return [];
      if (lowV) {
        const low = this.address(lowV);
        return low === undefined ? [] : [{ low, high: low + 1n }];
      }
      return [];
    }
    if (this.version >= 5) {
      const sec = this.info.sections.require(".debug_rnglists", `the ${die.label} (DW_AT_ranges)`);
      let off: number;
      if (rv.kind === "rnglistx") off = listIndexToOffset(sec.data, this.rnglistsBase ?? 0, rv.index, this.is64, this.usePlace(".debug_rnglists", `DW_AT_ranges of the ${die.label}`));
      else if (rv.kind === "sec_offset") off = rv.offset;
      else return [];
      return readRngList(sec.data, off, this.rangeContext(die));
    }
    const sec = this.info.sections.require(".debug_ranges", `the ${die.label} (DW_AT_ranges)`);
    const off = rv.kind === "sec_offset" ? rv.offset : rv.kind === "constant" ? Number(rv.value) : undefined;
    return off === undefined ? [] : readDebugRanges(sec.data, off, this.rangeContext(die));
  }

  private rangeContext(die: Die): ListContext {
    // The unit DIE's own DW_AT_ranges are relative to 0 unless it has DW_AT_low_pc too.
    const unit = this;
    return {
      file: this.info.file,
      listUser: `DW_AT_ranges of the ${die.label}`,
      addressSize: this.addressSize,
      is64: this.is64,
      get baseAddress(): bigint { return die.offset === unit.header.dieOffset && !die.has(DW_AT.low_pc) ? 0n : unit.baseAddress; },
      addrx: (i) => this.addrx(i),
    };
  }

  /** Location list of a DW_AT_location (or similar) attribute of list class; undefined if it is not a list. */
  locationList(v: AttrValue): LocationListEntry[] | undefined {
    if (v.kind === "loclistx") {
      const sec = this.info.sections.require(".debug_loclists", `the ${this.label} (DW_FORM_loclistx)`);
      const off = listIndexToOffset(sec.data, this.loclistsBase ?? 0, v.index, this.is64, this.usePlace(".debug_loclists", `location list ${v.index}`));
      return readLocList(sec.data, off, this);
    }
    const off = v.kind === "sec_offset" ? v.offset : v.kind === "constant" && this.version < 4 && (v.size === 4 || v.size === 8) ? Number(v.value) : undefined;
    if (off === undefined) return undefined;
    if (this.version >= 5) return readLocList(this.info.sections.require(".debug_loclists", `the ${this.label} (location list)`).data, off, this);
    return readDebugLoc(this.info.sections.require(".debug_loc", `the ${this.label} (location list)`).data, off, this);
  }

  /** A place in another section of this file that the unit reads, with what it reads there for messages. */
  private usePlace(section: string, what: string): DwarfPlace {
    return { file: this.info.file, section, record: `${what} of the ${this.label}` };
  }

  /** The place of a .debug_info offset, for errors. */
  private whereAt(offset: number): ErrorWhere {
    return whereAt(this.info.place, offset);
  }

}
