/**
 * Finalizing a relocated module — write it into the inferior, protect its pages, install its TLS
 * image, register its .eh_frame, keep only the relocations the retention policy keeps — and
 * de-finalizing one to re-link it (pages writable, kept external relocations re-applied, written,
 * re-protected). Both invalidate the emulator's translations of the module's code.
 */
import type { Cpu } from "../emu/cpu.js";
import { applySection, fillGotAndStubs } from "./apply.js";
import type { EhFrameRegistry } from "./eh-frame-registry.js";
import type { JitMemoryManager } from "./memory-manager.js";
import type { JitModule } from "./module.js";
import type { ResolvedSymbols } from "./resolution.js";
import type { TlsRuntime } from "./tls.js";

export type RetentionPolicy = "all" | "external" | "none";

/** What finalizing touches outside the module. */
export interface FinalizationTarget {
  cpu: Cpu;
  memory: JitMemoryManager;
  tls: TlsRuntime;
  ehFrames: EhFrameRegistry;
}

/** Writes the module into the inferior, protects it, registers its CFI, keeps only retained relocations. */
export function finalizeModule(m: JitModule, target: FinalizationTarget, retention: RetentionPolicy): void {
  const cpu = target.cpu; // pages are still writable from the reservation: no protection change
  let tlsImage: Uint8Array | undefined;
  for (const s of m.sections.values()) {
    if (s.group === "tls") {
      if (!tlsImage) tlsImage = new Uint8Array(m.tls!.size);
      if (s.local) tlsImage.set(s.local, s.tlsOffset);
      continue;
    }
    if (s.local) cpu.write(s.address, s.local);
    else if (s.moved && s.size > 0) cpu.write(s.address, new Uint8Array(s.size)); // moved zero-fill onto reused memory
  }
  if (m.tls) target.tls.install(m.tls, tlsImage ?? new Uint8Array(0));
  target.memory.finalizeMemory(m.key);
  invalidateCode(m, target);
  const eh = m.section(".eh_frame");
  if (eh && eh.local) target.ehFrames.register({ module: m.name, key: m.key, address: eh.address, size: eh.size, bytes: Uint8Array.from(eh.local), code: m.codeRanges() });
  m.state = "finalized";
  m.keptExternal = retention !== "none";
  for (const s of m.sections.values()) {
    const t = s.relocations;
    if (retention === "none") t.retain(() => false);
    else if (retention === "external") t.retain((i) => t.isExternal(i));
  }
}

/** Re-applies a finalized module's external relocations with fresh resolutions, in place in the inferior. */
export function refinalizeModule(m: JitModule, target: FinalizationTarget, resolved: ResolvedSymbols): void {
  target.memory.makeWritable(m.key);
  fillGotAndStubs(m, resolved);
  for (const s of m.sections.values()) {
    if (s.group === "tls") continue;
    const touched = s.relocations.length > 0 || s === m.gotSection || s === m.stubSection;
    if (!touched) continue;
    applySection(m, s, resolved, true);
    if (s.local) target.cpu.write(s.address, s.local);
  }
  target.memory.finalizeMemory(m.key);
  invalidateCode(m, target);
}

function invalidateCode(m: JitModule, target: FinalizationTarget): void {
  for (const r of target.memory.ranges(m.key)) if (r.group === "code") target.cpu.invalidateCode(r.start, r.end);
}
