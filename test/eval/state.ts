/** Snapshots of what an evaluation must leave as it was: every register and the inferior's writable memory. */
import { createHash } from "node:crypto";
import { GPR_NAMES, XMM_NAMES } from "../../src/emu/registers.js";
import type { Debugger } from "../../src/debugger/debugger.js";

export interface Snapshot {
  registers: Record<string, string>;
  /** Hash per writable program region (data, bss, heap, stack above the red zone). */
  memory: Record<string, string>;
}

export function snapshot(dbg: Debugger): Snapshot {
  const cpu = dbg.process.cpu;
  const registers: Record<string, string> = {};
  for (const r of [...GPR_NAMES, "fs_base", "gs_base"] as const) registers[r] = cpu.reg(r).toString(16);
  for (const x of XMM_NAMES) registers[x] = Buffer.from(cpu.regBytes(x)).toString("hex");
  const memory: Record<string, string> = {};
  for (const region of dbg.process.space.list()) {
    if (region.kind === "jit" || region.kind === "runtime") continue; // the evaluator's own
    if (region.kind !== "image" && region.kind !== "heap" && region.kind !== "stack" && region.kind !== "mmap") continue;
    // The whole stack, scratch below the red zone included: the evaluator restores it.
    const b = new Uint8Array(Number(region.end - region.start));
    if (!cpu.tryRead(region.start, b)) continue;
    memory[`${region.name}@${region.start.toString(16)}`] = createHash("sha256").update(b).digest("hex");
  }
  return { registers, memory };
}
