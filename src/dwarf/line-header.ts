/** Line-number program headers, DWARF 2–5, with their directory and file tables turned into paths. */
import { posix } from "node:path";
import { ByteReader, stringAt } from "./byte-reader.js";
import { DW_LNCT } from "./constants.js";
import { DwarfError, hex } from "./errors.js";
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
  readonly where: string;
}

export function joinPath(dir: string | undefined, name: string): string {
  if (name.startsWith("/") || !dir) return posix.normalize(name);
  return posix.normalize(posix.join(dir, name));
}

export function parseLineHeader(data: Uint8Array, offset: number, ctx: LineHeaderContext): LineProgramHeader {
  const where = `${ctx.where}: .debug_line program at ${hex(offset)}`;
  const { is64, end, contentStart } = readUnitLength(data, offset, `${ctx.where}: .debug_line`);
  const r = new ByteReader(data, where, contentStart, end);
  const version = r.u16();
  if (version < 2 || version > 5) {
    throw new DwarfError("DWARF_UNSUPPORTED_VERSION", `${where}: line table version ${version}; jitdbg reads versions 2 to 5`, { section: ".debug_line", offset });
  }
  let addressSize = ctx.addressSize;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLength = r.offset(is64);
  const programStart = r.pos + headerLength;
  if (programStart > end) throw new DwarfError("DWARF_CORRUPT", `${where}: header length ${hex(headerLength)} runs past the end of the program`, { section: ".debug_line", offset });
  const minInstLength = r.u8();
  const maxOpsPerInst = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new DwarfError("DWARF_CORRUPT", `${where}: line_range is 0`, { section: ".debug_line", offset });
  const standardOpcodeLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardOpcodeLengths.push(r.u8());

  const directories: string[] = [];
  const files: LineFile[] = [];
  const compDir = ctx.compDir;
  const dirPath = (d: string): string => joinPath(compDir, d);

  if (version >= 5) {
    const fctx: FormContext = { addressSize, is64, unitOffset: 0, version };
    const str = (v: AttrValue): string => {
      if (v.kind === "string") return v.value;
      if (v.kind === "strp") return stringAt(ctx.sections.require(v.section, where).data, v.offset, `${ctx.where}: ${v.section}`);
      throw new DwarfError("DWARF_UNSUPPORTED", `${where}: path entry uses a string form (${v.kind}) jitdbg cannot resolve in a line table`, { section: ".debug_line", offset });
    };
    const num = (v: AttrValue): number => (v.kind === "constant" ? Number(v.value) : 0);
    const readEntries = (what: string): Map<number, AttrValue>[] => {
      const formatCount = r.u8();
      const format: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) format.push([r.ulebNum(), r.ulebNum()]);
      const count = r.ulebNum();
      const out: Map<number, AttrValue>[] = [];
      for (let i = 0; i < count; i++) {
        const m = new Map<number, AttrValue>();
        for (const [type, form] of format) m.set(type, readForm(r, form, fctx));
        out.push(m);
      }
      if (count > 0 && !format.some(([t]) => t === DW_LNCT.path)) throw new DwarfError("DWARF_CORRUPT", `${where}: ${what} entries have no DW_LNCT_path`, { section: ".debug_line", offset });
      return out;
    };
    for (const e of readEntries("directory")) {
      const p = e.get(DW_LNCT.path);
      directories.push(p ? str(p) : "");
    }
    // Directory 0 is the compilation directory itself; others are relative to it.
    const dir0 = directories[0] ?? compDir ?? "";
    const fullDirs = directories.map((d, i) => (i === 0 ? d : joinPath(dir0, d)));
    for (const e of readEntries("file name")) {
      const p = e.get(DW_LNCT.path);
      const name = p ? str(p) : "";
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
