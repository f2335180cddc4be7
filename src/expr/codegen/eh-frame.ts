/**
 * .eh_frame for the compiled functions: one CIE (gcc's: "zR", pc-relative sdata4 addresses, CFA =
 * rsp+8 at entry) and one FDE per function describing `push rbp; mov rbp, rsp; ... leave; ret`,
 * so an unwinder stepping out of JIT code finds the caller.
 */
import * as RELOC from "../../elf/constants.js";
import type { AsmReloc } from "./asm.js";
import type { FunctionCode } from "./x86_64.js";

const DW_CFA_advance_loc = 0x40;
const DW_CFA_offset = 0x80;
const DW_CFA_advance_loc1 = 0x02;
const DW_CFA_advance_loc2 = 0x03;
const DW_CFA_def_cfa = 0x0c;
const DW_CFA_def_cfa_register = 0x0d;
const DW_CFA_def_cfa_offset = 0x0e;
const DW_EH_PE_pcrel_sdata4 = 0x1b;
const RSP = 7;
const RBP = 6;
const RA = 16;

/** Appends a DW_CFA_advance_loc* of `delta` to `out`. */
function advance(out: number[], delta: number): void {
  if (delta < 0x40) out.push(DW_CFA_advance_loc | delta);
  else if (delta < 0x100) out.push(DW_CFA_advance_loc1, delta);
  else out.push(DW_CFA_advance_loc2, delta & 0xff, delta >> 8);
}

/** Pads a CIE/FDE body so its total length (with the 4-byte length field) is a multiple of 8; the record with its length. */
function record(body: number[]): number[] {
  let n = body.length;
  while ((n + 4) % 8 !== 0) n++; // DW_CFA_nop
  const out = [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  for (let i = 0; i < n; i++) out.push(body[i] ?? 0);
  return out;
}

/** The CIE, the same for every object (made once). */
let cieBytes: number[] | undefined;

export function buildEhFrame(functions: FunctionCode[]): { bytes: Uint8Array; relocs: AsmReloc[] } {
  const cie = (cieBytes ??= record([
    0, 0, 0, 0, // CIE id
    1, // version
    0x7a, 0x52, 0, // "zR"
    1, // code alignment factor
    0x78, // data alignment factor -8 (sleb128)
    RA, // return address column
    1, DW_EH_PE_pcrel_sdata4, // augmentation data: FDE pointer encoding
    DW_CFA_def_cfa, RSP, 8,
    DW_CFA_offset | RA, 1,
  ]));
  const out = cie.slice();
  const relocs: AsmReloc[] = [];
  for (const f of functions) {
    if (!f.cfi) continue; // a site body: no frame of its own
    const start = out.length;
    const ciePointer = start + 4; // distance from this field back to the CIE at offset 0
    const body = [
      ciePointer & 0xff, (ciePointer >> 8) & 0xff, (ciePointer >> 16) & 0xff, ciePointer >>> 24,
      0, 0, 0, 0, // pc_begin, relocated
      f.size & 0xff, (f.size >> 8) & 0xff, (f.size >> 16) & 0xff, f.size >>> 24,
      0, // augmentation data length
    ];
    advance(body, f.cfi.afterPush);
    body.push(DW_CFA_def_cfa_offset, 16, DW_CFA_offset | RBP, 2);
    advance(body, f.cfi.afterMov - f.cfi.afterPush);
    body.push(DW_CFA_def_cfa_register, RBP);
    advance(body, f.cfi.afterLeave - f.cfi.afterMov);
    body.push(DW_CFA_def_cfa, RSP, 8);
    relocs.push({ offset: start + 8, type: RELOC.R_X86_64_PC32, target: { section: ".text" }, addend: BigInt(f.start) });
    const r = record(body);
    for (let i = 0; i < r.length; i++) out.push(r[i]!);
  }
  return { bytes: new Uint8Array(out), relocs };
}
