/** Line-number program headers, DWARF 2–5, with their directory and file tables turned into paths. */
import { posix } from "node:path";
import { ByteReader, stringAt } from "./byte-reader.js";
import { DW_LNCT } from "./constants.js";
import { DwarfError, hex, whereAt, type DwarfPlace } from "./errors.js";
import { readForm, type AttrValue, type FormContext } from "./forms.js";
import type { DwarfSections } from "./sections.js";
import { readUnitLength } from "./unit-header.js";

export interface LineFile {
  /** The name as recorded (may be relative). */
  readonly name: string;
  readonly dirIndex: number;
  /** Full path: directory and compilation directory applied. */
  readonly path: string;
  readonly md5?: Uint8Array;
}

export interface LineProgramHeader {
  readonly offset: number;
  readonly end: number;
  readonly version: number;
  readonly is64: boolean;
  readonly addressSize: number;
  readonly minInstLength: number;
  readonly maxOpsPerInst: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  readonly standardOpcodeLengths: readonly number[];
  readonly directories: string[];
  /** Indexed by the file register: from 1 in DWARF 2–4 (index 0 unused), from 0 in DWARF 5. */
  readonly files: LineFile[];
  readonly programStart: number;
}

export interface LineHeaderContext {
  readonly sections: DwarfSections;
  /** DW_AT_comp_dir of the unit (directory index 0 before DWARF 5). */
  readonly compDir?: string;
  /** Address size of the unit (DWARF 5 headers carry their own). */
  readonly addressSize: number;
  /** The file, for errors. */
  readonly file: string;
}

/** Where a line program is read, for errors: the file, .debug_line and the program at `offset`. */
export function linePlace(file: string | undefined, offset: number): DwarfPlace {
  return { file, section: ".debug_line", record: `line program at ${hex(offset)}` };
}

export function joinPath(dir: string | undefined, name: string): string {
  if (name.startsWith("/") || !dir) return posix.normalize(name);
  return posix.normalize(posix.join(dir, name));
}

export function parseLineHeader(data: Uint8Array, offset: number, ctx: LineHeaderContext): LineProgramHeader {
  const place = linePlace(ctx.file, offset);
  const { is64, end, contentStart } = readUnitLength(data, offset, { file: ctx.file, section: ".debug_line" }, "line program");
  const r = new ByteReader(data, place, contentStart, end);
  const versionAt = r.pos;
  const version = r.u16();
  if (version < 2 || version > 5) {
    throw new DwarfError("DWARF_UNSUPPORTED_VERSION", r.whereAt(versionAt), `line table version ${version}${r.inRecord}; jitdbg reads versions 2 to 5`);
  }
  let addressSize = ctx.addressSize;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLengthAt = r.pos;
  const headerLength = r.offset(is64);
  const programStart = r.pos + headerLength;
  if (programStart > end) throw new DwarfError("DWARF_CORRUPT", r.whereAt(headerLengthAt), `header length ${hex(headerLength)} runs past the end of the program${r.inRecord}`);
  const minInstLength = r.u8();
  const maxOpsPerInst = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRangeAt = r.pos;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new DwarfError("DWARF_CORRUPT", r.whereAt(lineRangeAt), `line_range is 0${r.inRecord}`);
  const standardOpcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(r.u8());

  const directories: string[] = [];
  const files: LineFile[] = [];
  const compDir = ctx.compDir;
  const dirPath = (d: string): string => joinPath(compDir, d);

  if (version >= 5) {
    const fctx: FormContext = { addressSize, is64, unitOffset: 0, version };
    const str = (v: AttrValue, at: number): string => {
      if (v.kind === "string") return v.value;
      if (v.kind === "strp") return stringAt(ctx.sections.require(v.section, `the ${place.record}`).data, v.offset, { file: ctx.file, section: v.section, record: `path of the ${place.record}` });
      throw new DwarfError("DWARF_UNSUPPORTED", r.whereAt(at), `a path entry uses a string form (${v.kind}) jitdbg cannot resolve in a line table${r.inRecord}`);
    };
    const num = (v: AttrValue): number => (v.kind === "constant" ? Number(v.value) : 0);
    /** The entries and, for messages, the offset each starts at. */
    const readEntries = (what: string): { at: number; values: Map<number, AttrValue> }[] => {
      const formatAt = r.pos;
      const formatCount = r.u8();
      const format: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) format.push([r.ulebNum(), r.ulebNum()]);
      const count = r.ulebNum();
      const out: { at: number; values: Map<number, AttrValue> }[] = [];
      for (let i = 0; i < count; i++) {
        const at = r.pos;
        const m = new Map<number, AttrValue>();
        for (const [type, form] of format) m.set(type, readForm(r, form, fctx));
        out.push({ at, values: m });
      }
      if (count > 0 && !format.some(([t]) => t === DW_LNCT.path)) throw new DwarfError("DWARF_CORRUPT", r.whereAt(formatAt), `${what} entries have no DW_LNCT_path${r.inRecord}`);
      return out;
    };
    for (const { at, values: e } of readEntries("directory")) {
      const p = e.get(DW_LNCT.path);
      directories.push(p ? str(p, at) : "");
    }
    // Directory 0 is the compilation directory itself; others are relative to it.
    const dir0 = directories[0] ?? compDir ?? "";
    const fullDirs = directories.map((d, i) => (i === 0 ? d : joinPath(dir0, d)));
    for (const { at, values: e } of readEntries("file name")) {
      const p = e.get(DW_LNCT.path);
      const name = p ? str(p, at) : "";
      const di = e.get(DW_LNCT.directory_index);
      const dirIndex = di ? num(di) : 0;
      const md5v = e.get(DW_LNCT.MD5);
      files.push({ name, dirIndex, path: joinPath(fullDirs[dirIndex] ?? dir0, name), md5: md5v?.kind === "data16" ? md5v.bytes : undefined });
    }
  } else {
    for (;;) {
      const d = r.cstr();
      if (d === "") break;
      directories.push(d);
    }
    files.push({ name: "", dirIndex: 0, path: "" }); // file numbers start at 1
    for (;;) {
      const name = r.cstr();
      if (name === "") break;
      const dirIndex = r.ulebNum();
      r.uleb();
      r.uleb();
      files.push({ name, dirIndex, path: joinPath(dirIndex === 0 ? compDir : dirPath(directories[dirIndex - 1] ?? ""), name) });
    }
  }
  return {
    offset, end, version, is64, addressSize, minInstLength, maxOpsPerInst, defaultIsStmt, lineBase, lineRange,
    opcodeBase, standardOpcodeLengths, directories, files, programStart,
  };
}

/** True when `path` names the same file as the user's `query` (full path, trailing components, or basename). */
export function pathMatches(path: string, query: string): boolean {
  if (path === query) return true;
  const q = posix.normalize(query);
  if (q.startsWith("/")) return path === q;
  return path === q || path.endsWith(`/${q}`);
}
