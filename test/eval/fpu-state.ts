/** The inferior's x87 and SSE state (registers, control and status words, tags, MXCSR), to check that an evaluation leaves it as it was. */
import type { Cpu } from "../../src/emu/cpu.js";
import type { RegName } from "../../src/emu/registers.js";

const REGS: RegName[] = ["fpcw", "fpsw", "fptag", "mxcsr"];
const STACK: RegName[] = ["st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"];
const XMM = Array.from({ length: 16 }, (_, i) => `xmm${i}` as RegName);

export function fpuState(cpu: Cpu): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of REGS) out[r] = cpu.reg(r).toString(16);
  for (const r of [...STACK, ...XMM]) out[r] = Buffer.from(cpu.regBytes(r)).toString("hex");
  return out;
}
