/**
 * A small x86-64 encoder: the instructions the code generator uses, table-driven by operand form,
 * with rel32 labels and relocations recorded as ELF RELA entries. Everything is encoded in its
 * long form (rel32 jumps, disp32 unless 0/disp8) — correctness and predictability over size.
 */
import * as RELOC from "../../elf/constants.js";

export enum R {
  rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7,
  r8 = 8, r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r14 = 14, r15 = 15,
}

/** SSE registers share the numbering 0..15. */
export type Xmm = number;

/** Relocation target: a named symbol, or a section (through its section symbol). */
export type RelocTarget = { symbol: string } | { section: string };

export interface AsmReloc {
  offset: number;
  type: number;
  target: RelocTarget;
  addend: bigint;
}

/** A memory operand: [base + disp], or [rip + target] with a relocation. */
export type Mem = { base: R; disp: number } | { rip: RelocTarget; relocType: number; addend?: bigint };

export type Operand = { reg: number } | { mem: Mem };

/** Condition codes (the low nibble of Jcc/SETcc). */
export const CC = { o: 0, no: 1, b: 2, ae: 3, e: 4, ne: 5, be: 6, a: 7, s: 8, ns: 9, p: 10, np: 11, l: 12, ge: 13, le: 14, g: 15 } as const;
export type Cond = keyof typeof CC;

/** Operand-form encodings: [mandatory prefix or 0, REX.W, opcode bytes]. */
interface OpSpec {
  prefix: number;
  w: boolean;
  op: readonly number[];
}
const op = (prefix: number, w: boolean, ...bytes: number[]): OpSpec => ({ prefix, w, op: bytes });

/** reg, r/m forms: the `reg` field is the first operand of the mnemonic for loads, second for stores. */
export const OPS = {
  // integer, 64-bit
  add: op(0, true, 0x01), or: op(0, true, 0x09), and: op(0, true, 0x21), sub: op(0, true, 0x29), xor: op(0, true, 0x31),
  cmp: op(0, true, 0x39), test: op(0, true, 0x85),
  store64: op(0, true, 0x89), store32: op(0, false, 0x89), store16: op(0x66, false, 0x89), store8: op(0, false, 0x88),
  load64: op(0, true, 0x8b), load32: op(0, false, 0x8b), lea: op(0, true, 0x8d),
  movzx8: op(0, true, 0x0f, 0xb6), movzx16: op(0, true, 0x0f, 0xb7), movsx8: op(0, true, 0x0f, 0xbe), movsx16: op(0, true, 0x0f, 0xbf),
  movsxd: op(0, true, 0x63), imul: op(0, true, 0x0f, 0xaf),
  // SSE (reg = xmm)
  movsdLoad: op(0xf2, false, 0x0f, 0x10), movsdStore: op(0xf2, false, 0x0f, 0x11),
  movssLoad: op(0xf3, false, 0x0f, 0x10), movssStore: op(0xf3, false, 0x0f, 0x11),
  addsd: op(0xf2, false, 0x0f, 0x58), mulsd: op(0xf2, false, 0x0f, 0x59), subsd: op(0xf2, false, 0x0f, 0x5c), divsd: op(0xf2, false, 0x0f, 0x5e),
  addss: op(0xf3, false, 0x0f, 0x58), mulss: op(0xf3, false, 0x0f, 0x59), subss: op(0xf3, false, 0x0f, 0x5c), divss: op(0xf3, false, 0x0f, 0x5e),
  ucomisd: op(0x66, false, 0x0f, 0x2e), ucomiss: op(0, false, 0x0f, 0x2e),
  cvtsi2sd: op(0xf2, true, 0x0f, 0x2a), cvtsi2ss: op(0xf3, true, 0x0f, 0x2a),
  cvttsd2si: op(0xf2, true, 0x0f, 0x2c), cvttss2si: op(0xf3, true, 0x0f, 0x2c),
  cvtss2sd: op(0xf3, false, 0x0f, 0x5a), cvtsd2ss: op(0xf2, false, 0x0f, 0x5a),
  xorpd: op(0x66, false, 0x0f, 0x57),
  /** movq xmm, r/m64 */
  movqToXmm: op(0x66, true, 0x0f, 0x6e),
  /** movq r/m64, xmm (reg field = xmm) */
  movqFromXmm: op(0x66, true, 0x0f, 0x7e),
  movdToXmm: op(0x66, false, 0x0f, 0x6e),
  movdFromXmm: op(0x66, false, 0x0f, 0x7e),
} as const;
export type OpName = keyof typeof OPS;

/** Group opcodes: /digit extensions of one opcode byte. */
const GROUP = {
  not: [0xf7, 2], neg: [0xf7, 3], div: [0xf7, 6], idiv: [0xf7, 7],
  shlCl: [0xd3, 4], shrCl: [0xd3, 5], sarCl: [0xd3, 7],
  callInd: [0xff, 2],
  // x87 memory forms (long double): fld/fstp m80, m64, m32; fild/fisttp m64; fadd/fsub m32
  fld80: [0xdb, 5], fstp80: [0xdb, 7], fld64: [0xdd, 0], fstp64: [0xdd, 3], fld32: [0xd9, 0], fstp32: [0xd9, 3],
  fild64: [0xdf, 5], fisttp64: [0xdd, 1], fadd32: [0xd8, 0], fsub32: [0xd8, 4], fnstcw: [0xd9, 7], fldcw: [0xd9, 5],
} as const;

/**
 * x87 register forms. The `p` forms compute st1 op st0 into st1 and pop (fsubp: st1 − st0, fdivp:
 * st1 ÷ st0); fucomip compares st0 with st1 into ZF/PF/CF (as ucomisd does) and pops; fstp0 pops.
 */
const X87 = {
  faddp: [0xde, 0xc1], fmulp: [0xde, 0xc9], fsubp: [0xde, 0xe9], fdivp: [0xde, 0xf9],
  fucomip: [0xdf, 0xe9], fstp0: [0xdd, 0xd8], fldz: [0xd9, 0xee], fld1: [0xd9, 0xe8], fninit: [0xdb, 0xe3],
} as const;
export type X87Op = keyof typeof X87;

export class Asm {
  readonly bytes: number[] = [];
  readonly relocs: AsmReloc[] = [];
  private readonly labelAt: (number | undefined)[] = [];
  private readonly fixups: { at: number; label: number }[] = [];

  get pos(): number {
    return this.bytes.length;
  }

  private u8(...b: number[]): void {
    for (const x of b) this.bytes.push(x & 0xff);
  }
  private u32(v: number): void {
    this.u8(v, v >>> 8, v >>> 16, v >>> 24);
  }
  private u64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((u >> (8n * i)) & 0xffn));
  }

  /** `n` copies of byte `b` (room another writer fills later). */
  fill(b: number, n: number): void {
    for (let i = 0; i < n; i++) this.bytes.push(b & 0xff);
  }
  /** Bytes written earlier replaced by `b`, from `at`. */
  overwrite(at: number, b: readonly number[]): void {
    b.forEach((x, i) => (this.bytes[at + i] = x & 0xff));
  }

  /** Patches a 32-bit field written earlier (frame sizes known only at the end). */
  patch32(at: number, v: number): void {
    for (let i = 0; i < 4; i++) this.bytes[at + i] = (v >>> (8 * i)) & 0xff;
  }

  /** Prefix, REX, opcode, ModRM (+SIB, disp, relocation) for a reg, r/m form. */
  private modrm(spec: OpSpec, reg: number, rm: Operand, immBytes = 0): void {
    if (spec.prefix) this.u8(spec.prefix);
    let rex = spec.w ? 0x48 : 0;
    if (reg & 8) rex |= 0x44;
    if ("reg" in rm && rm.reg & 8) rex |= 0x41;
    if ("mem" in rm && "base" in rm.mem && rm.mem.base & 8) rex |= 0x41;
    if (rex) this.u8(rex | 0x40);
    this.u8(...spec.op);
    const r = (reg & 7) << 3;
    if ("reg" in rm) {
      this.u8(0xc0 | r | (rm.reg & 7));
      return;
    }
    const m = rm.mem;
    if ("rip" in m) {
      this.u8(0x05 | r);
      // The CPU adds the address of the next instruction: the field plus any immediate after it.
      this.relocs.push({ offset: this.pos, type: m.relocType, target: m.rip, addend: (m.addend ?? 0n) - 4n - BigInt(immBytes) });
      this.u32(0);
      return;
    }
    const base = m.base & 7;
    const sib = base === 4; // rsp/r12 need a SIB byte
    if (m.disp === 0 && base !== 5) {
      this.u8(0x00 | r | base);
      if (sib) this.u8(0x24);
    } else if (m.disp >= -128 && m.disp <= 127) {
      this.u8(0x40 | r | base);
      if (sib) this.u8(0x24);
      this.u8(m.disp);
    } else {
      this.u8(0x80 | r | base);
      if (sib) this.u8(0x24);
      this.u32(m.disp);
    }
  }

  /** `name reg, r/m` (loads, SSE ops) or `name r/m, reg` (stores, ALU with 0x01-style opcodes). */
  rm(name: OpName, reg: number, rm: Operand): void {
    this.modrm(OPS[name], reg, rm);
  }
  /** ALU register-register: `name dst, src` (dst is r/m). */
  rr(name: "add" | "or" | "and" | "sub" | "xor" | "cmp" | "test", dst: R, src: R): void {
    this.modrm(OPS[name], src, { reg: dst });
  }
  /** 64-bit register move. */
  mov(dst: R, src: R): void {
    if (dst !== src) this.modrm(OPS.store64, src, { reg: dst });
  }
  group(name: keyof typeof GROUP, rm: Operand, w = true): void {
    const [opc, digit] = GROUP[name];
    this.modrm(op(0, w, opc), digit, rm);
  }
  /** `shl/shr/sar r64, imm8` */
  shiftImm(kind: "shl" | "shr" | "sar", reg: R, n: number): void {
    const digit = kind === "shl" ? 4 : kind === "shr" ? 5 : 7;
    this.modrm(op(0, true, 0xc1), digit, { reg });
    this.u8(n);
  }
  /** add/sub/and/cmp r64, imm32 (sign-extended) */
  aluImm(kind: "add" | "sub" | "and" | "cmp" | "xor" | "or", reg: R, imm: number): void {
    const digit = { add: 0, sub: 5, and: 4, cmp: 7, xor: 6, or: 1 }[kind];
    if (imm >= -128 && imm <= 127) {
      this.modrm(op(0, true, 0x83), digit, { reg });
      this.u8(imm);
    } else {
      this.modrm(op(0, true, 0x81), digit, { reg });
      this.u32(imm);
    }
  }
  /** imul r64, r/m64, imm32 */
  imulImm(dst: R, src: R, imm: number): void {
    this.modrm(op(0, true, 0x69), dst, { reg: src });
    this.u32(imm);
  }
  /** btc r64, imm8 (flips the sign bit of a double held in a GPR) */
  btcImm(reg: R, bit: number): void {
    this.modrm(op(0, true, 0x0f, 0xba), 7, { reg });
    this.u8(bit);
  }
  /** Loads a 64-bit constant in the shortest correct form. */
  movImm(reg: R, v: bigint): void {
    const s = BigInt.asIntN(64, v);
    if (s >= -0x80000000n && s <= 0x7fffffffn) {
      this.modrm(op(0, true, 0xc7), 0, { reg });
      this.u32(Number(s));
    } else if (s >= 0n && s <= 0xffffffffn) {
      // mov r32, imm32 zero-extends
      if (reg & 8) this.u8(0x41);
      this.u8(0xb8 + (reg & 7));
      this.u32(Number(s));
    } else this.movabs(reg, s);
  }
  /** movabs r64, imm64, optionally with an R_X86_64_64 relocation on the immediate. */
  movabs(reg: R, v: bigint, reloc?: RelocTarget): void {
    this.u8(0x48 | (reg & 8 ? 1 : 0), 0xb8 + (reg & 7));
    if (reloc) this.relocs.push({ offset: this.pos, type: RELOC.R_X86_64_64, target: reloc, addend: v });
    this.u64(reloc ? 0n : v);
  }
  /** setcc r8 (al, cl, dl, bl only: no REX needed) then nothing else. */
  setcc(cc: Cond, reg: R.rax | R.rcx | R.rdx): void {
    this.u8(0x0f, 0x90 + CC[cc], 0xc0 | reg);
  }
  /** movzx eax, al style: zero-extends the low byte of reg into reg. */
  movzxByte(reg: R.rax | R.rcx | R.rdx): void {
    this.u8(0x0f, 0xb6, 0xc0 | (reg << 3) | reg);
  }
  push(reg: R): void {
    if (reg & 8) this.u8(0x41);
    this.u8(0x50 + (reg & 7));
  }
  pop(reg: R): void {
    if (reg & 8) this.u8(0x41);
    this.u8(0x58 + (reg & 7));
  }
  ret(): void { this.u8(0xc3); }
  leave(): void { this.u8(0xc9); }
  cqo(): void { this.u8(0x48, 0x99); }
  repMovsb(): void { this.u8(0xf3, 0xa4); }
  repStosb(): void { this.u8(0xf3, 0xaa); }
  /** sub rsp, imm32 with the immediate's position returned for later patching. */
  subRspPatchable(): number {
    this.u8(0x48, 0x81, 0xec);
    const at = this.pos;
    this.u32(0);
    return at;
  }
  /** add rax, fs:[0] — the thread pointer, for initial-exec TLS. */
  addRaxFs0(): void {
    this.u8(0x64, 0x48, 0x03, 0x04, 0x25, 0, 0, 0, 0);
  }
  /**
   * The general-dynamic TLS sequence exactly as the psABI fixes it (linkers pattern-match it to
   * relax GD to IE/LE): data16 lea rdi,[rip+x@tlsgd]; data16 data16 rex.W call __tls_get_addr@plt.
   */
  tlsGdCall(symbol: string): void {
    this.u8(0x66, 0x48, 0x8d, 0x3d);
    this.relocs.push({ offset: this.pos, type: RELOC.R_X86_64_TLSGD, target: { symbol }, addend: -4n });
    this.u32(0);
    this.u8(0x66, 0x66, 0x48, 0xe8);
    this.relocs.push({ offset: this.pos, type: RELOC.R_X86_64_PLT32, target: { symbol: "__tls_get_addr" }, addend: -4n });
    this.u32(0);
  }
  /** call rel32 to a symbol through R_X86_64_PLT32. */
  callSymbol(symbol: string): void {
    this.u8(0xe8);
    this.relocs.push({ offset: this.pos, type: RELOC.R_X86_64_PLT32, target: { symbol }, addend: -4n });
    this.u32(0);
  }
  callReg(reg: R): void {
    this.group("callInd", { reg }, false);
  }
  x87(name: X87Op): void {
    this.u8(...X87[name]);
  }

  // ---- labels

  newLabel(): number {
    this.labelAt.push(undefined);
    return this.labelAt.length - 1;
  }
  bind(label: number): void {
    this.labelAt[label] = this.pos;
  }
  jmp(label: number): void {
    this.u8(0xe9);
    this.fixups.push({ at: this.pos, label });
    this.u32(0);
  }
  jcc(cc: Cond, label: number): void {
    this.u8(0x0f, 0x80 + CC[cc]);
    this.fixups.push({ at: this.pos, label });
    this.u32(0);
  }
  /** Resolves label references; call once, after the last instruction. */
  resolveLabels(): void {
    for (const f of this.fixups) {
      const target = this.labelAt[f.label];
      if (target === undefined) throw new Error(`asm: label ${f.label} never bound`);
      this.patch32(f.at, target - (f.at + 4));
    }
    this.fixups.length = 0;
  }
}
