/**
 * The dynamic section of an executable or shared object (PT_DYNAMIC): its tags, and the strings
 * DT_NEEDED / DT_SONAME / DT_RUNPATH name through DT_STRTAB, read from the file (no loading needed).
 */
import * as C from "./constants.js";
import { cString, type ElfFile } from "./reader.js";

export interface DynamicEntry {
  tag: bigint;
  value: bigint;
  /** Byte offset of this entry from the start of the dynamic section. */
  offset: number;
}

const DYN_SIZE = 16;

/** Entries up to DT_NULL; empty when the file has no PT_DYNAMIC. */
export function dynamicEntries(file: ElfFile): DynamicEntry[] {
  const seg = file.segments.find((p) => p.type === C.PT_DYNAMIC);
  if (!seg) return [];
  const data = file.segmentData(seg);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: DynamicEntry[] = [];
  for (let at = 0; at + DYN_SIZE <= data.length; at += DYN_SIZE) {
    const tag = v.getBigUint64(at, true);
    if (tag === BigInt(C.DT_NULL)) break;
    out.push({ tag, value: v.getBigUint64(at + 8, true), offset: at });
  }
  return out;
}

/** The file offset of a link-time address inside some PT_LOAD's file bytes. */
export function fileOffsetOf(file: ElfFile, vaddr: bigint): number | undefined {
  for (const p of file.segments) {
    if (p.type !== C.PT_LOAD) continue;
    if (vaddr >= p.vaddr && vaddr < p.vaddr + BigInt(p.filesz)) return p.offset + Number(vaddr - p.vaddr);
  }
  return undefined;
}

export interface DynamicInfo {
  needed: string[];
  soname?: string;
  runpath: string[];
  rpath: string[];
  /** Link-time address of the DT_DEBUG entry's value (where the loader stores &_r_debug). */
  debugSlot?: bigint;
}

export function dynamicInfo(file: ElfFile): DynamicInfo {
  const entries = dynamicEntries(file);
  const info: DynamicInfo = { needed: [], runpath: [], rpath: [] };
  const strtab = entries.find((e) => e.tag === BigInt(C.DT_STRTAB));
  const strOff = strtab ? fileOffsetOf(file, strtab.value) : undefined;
  const str = (off: bigint): string | undefined => (strOff === undefined || strOff + Number(off) >= file.bytes.length ? undefined : cString(file.bytes, strOff + Number(off)));
  const seg = file.segments.find((p) => p.type === C.PT_DYNAMIC);
  for (const e of entries) {
    const t = Number(e.tag);
    if (t === C.DT_NEEDED) {
      const s = str(e.value);
      if (s !== undefined) info.needed.push(s);
    } else if (t === C.DT_SONAME) info.soname = str(e.value);
    else if (t === C.DT_RUNPATH) info.runpath.push(...(str(e.value) ?? "").split(":").filter((x) => x !== ""));
    else if (t === C.DT_RPATH) info.rpath.push(...(str(e.value) ?? "").split(":").filter((x) => x !== ""));
    else if (t === C.DT_DEBUG && seg) info.debugSlot = seg.vaddr + BigInt(e.offset + 8);
  }
  return info;
}

/** The GNU build-id note as lower-case hex, if the file has one. */
export function buildId(file: ElfFile): string | undefined {
  for (const p of file.segments) {
    if (p.type !== C.PT_NOTE) continue;
    const d = file.segmentData(p);
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    let at = 0;
    while (at + 12 <= d.length) {
      const namesz = v.getUint32(at, true);
      const descsz = v.getUint32(at + 4, true);
      const type = v.getUint32(at + 8, true);
      const nameAt = at + 12;
      const descAt = nameAt + ((namesz + 3) & ~3);
      if (descAt + descsz > d.length) break;
      if (type === C.NT_GNU_BUILD_ID && namesz === 4 && cString(d, nameAt, nameAt + 4) === "GNU") {
        return Buffer.from(d.subarray(descAt, descAt + descsz)).toString("hex");
      }
      at = descAt + ((descsz + 3) & ~3);
    }
  }
  return undefined;
}
