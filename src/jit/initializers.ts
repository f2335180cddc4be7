/** A finalized module's .init_array / .fini_array entries, run in the inferior in the C runtime's order. */
import { JitdbgError } from "../errors.js";
import { localBytes, type JitModule } from "./module.js";

/** Runs the entries of every .init_array (priority order) or .fini_array (reversed) through `executor`. */
export function runInitArrays(m: JitModule, which: "init" | "fini", executor: ((address: bigint) => void) | undefined): void {
  const arrays = [...m.sections.values()].filter((s) => s.initKind === which).sort((a, b) => a.initPriority! - b.initPriority!);
  const entries: bigint[] = [];
  for (const s of arrays) {
    const buf = localBytes(s);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i + 8 <= s.size; i += 8) entries.push(dv.getBigUint64(i, true));
  }
  if (which === "fini") entries.reverse();
  if (entries.length === 0) return;
  if (!executor) throw new JitdbgError("JIT_NO_EXECUTOR", `"${m.name}" has ${which === "init" ? ".init_array" : ".fini_array"} entries but the linker was given no executor to run them`);
  for (const e of entries) if (e !== 0n && e !== 0xffff_ffff_ffff_ffffn) executor(e);
}
