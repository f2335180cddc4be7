/**
 * Placing a parsed module: its synthetic GOT and stub sections, a reservation from the memory
 * manager for its code, read-only and writable groups, each section's target address and local
 * buffer (filled from the object), and its TLS block laid out as PT_TLS would be.
 */
import type { JitMemoryManager, Placement, ProtGroup } from "./memory-manager.js";
import { groupSize } from "./memory-manager.js";
import type { JitModule, JitSection, SectionGroup } from "./module.js";
import { RelocationTable } from "./relocation-table.js";
import { relocKind } from "./relocations/x86_64.js";
import type { TlsRuntime } from "./tls.js";

const GOT_SECTION = "[got]";
const STUB_SECTION = "[stubs]";

function syntheticSection(index: number, name: string, group: SectionGroup, size: number, align: number): JitSection {
  return { index, name, group, size, align, nobits: false, address: 0n, local: undefined, tlsOffset: 0, relocations: new RelocationTable(), moved: false };
}

/** Reserves and assigns target space for every section of a freshly parsed module (releasing it all on failure). */
export function placeModule(m: JitModule, placement: Placement, memory: JitMemoryManager, tls: TlsRuntime): void {
  const elf = m.source!;
  const base = elf.sections.length;
  if (m.needsGot) {
    m.gotSection = syntheticSection(base + 1, GOT_SECTION, "rodata", m.got.size, 8);
    m.sections.set(m.gotSection.index, m.gotSection);
  }
  if (m.stubs.size > 0) {
    m.stubSection = syntheticSection(base + 2, STUB_SECTION, "code", m.stubs.size, 16);
    m.sections.set(m.stubSection.index, m.stubSection);
  }
  const by: Record<ProtGroup, JitSection[]> = { code: [], rodata: [], data: [] };
  const tlsSections: JitSection[] = [];
  let maxAlign = 1;
  for (const s of m.sections.values()) {
    if (s.group === "tls") tlsSections.push(s);
    else {
      by[s.group].push(s);
      maxAlign = Math.max(maxAlign, s.align);
    }
  }
  // Sections needing more than page alignment may need up to that much slack at the group start.
  const slack = maxAlign > 4096 ? maxAlign : 0;
  memory.reserve(m.key, { code: groupSize(by.code) + slack, rodata: groupSize(by.rodata) + slack, data: groupSize(by.data) + slack, maxAlign }, placement);
  try {
    for (const group of ["code", "rodata", "data"] as const) {
      for (const s of by[group]) {
        const a = group === "code" ? memory.allocateCodeSection(m.key, s.size, s.align, s.name) : memory.allocateDataSection(m.key, s.size, s.align, s.name, group === "rodata", s.nobits);
        s.address = a.address;
        s.local = a.local;
        if (s.local && s.index < base) s.local.set(elf.sectionData(elf.sections[s.index]!));
      }
    }
    if (tlsSections.length > 0) placeTls(m, tlsSections, memory, tls);
  } catch (e) {
    memory.release(m.key);
    throw e;
  }
  rememberRelaxable(m);
  m.source = undefined;
}

/** .tdata before .tbss, as a linker lays out PT_TLS: the image is the initialized prefix. */
function placeTls(m: JitModule, sections: JitSection[], memory: JitMemoryManager, tls: TlsRuntime): void {
  const elf = m.source!;
  let off = 0;
  let align = 1;
  sections.sort((a, b) => Number(a.nobits) - Number(b.nobits));
  for (const s of sections) {
    off = Math.ceil(off / s.align) * s.align;
    s.tlsOffset = off;
    off += s.size;
    align = Math.max(align, s.align);
  }
  m.tls = memory.allocateTlsBlock(m.key, Math.max(off, 1), align);
  for (const s of sections) {
    s.address = tls.addressOf(m.tls.tpOffset) + BigInt(s.tlsOffset);
    if (!s.nobits) s.local = Uint8Array.from(elf.sectionData(elf.sections[s.index]!));
  }
}

/** Remembers the instruction bytes a GOT relaxation may rewrite, so re-application can undo it. */
function rememberRelaxable(m: JitModule): void {
  for (const s of m.sections.values()) {
    if (!s.local) continue;
    const t = s.relocations;
    for (let i = 0; i < t.length; i++) {
      const off = t.offsets[i]!;
      if (relocKind(t.types[i]!)!.relaxable && off >= 2) t.setOriginal(i, s.local[off - 2]! | (s.local[off - 1]! << 8));
    }
  }
}
