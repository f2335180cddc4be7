/**
 * The machine code a compiled breakpoint condition runs in, in the program's own code path: the
 * site jumps here; every register and the flags are saved below the red zone, the condition's
 * argument block is filled from the saved registers (each slot a register plus a constant, or a
 * constant: the variables' DWARF locations at the site, worked out once), the condition object is
 * called as the debugger would call it, and only when it is true (and the hit condition is met,
 * counted in the program's memory) does the thread reach the trap, a one-instruction hook that
 * stops for the debugger. Either way the registers are put back and the instructions moved from
 * the site run, then execution goes on after them: a false condition never leaves the emulated CPU.
 *
 * Layout: [save, fill, call, test] [true: restore, jmp trap] [false: restore] [copy] [trap: copy].
 */
import type { RegName } from "../../emu/registers.js";
import type { DisplacedCode } from "./displaced-code.js";
import type { HitCondition } from "./breakpoints.js";

/** Where a slot's value comes from at each hit. */
export type SlotRecipe = { kind: "constant"; value: bigint } | { kind: "register"; reg: RegName; add: bigint };

export interface TrampolineSlot {
  offset: number;
  /** 1, 2, 4 or 8 bytes. */
  size: number;
  recipe: SlotRecipe;
}


export interface TrampolineSpec {
  displaced: DisplacedCode;
  entry: bigint;
  argBlockSize: number;
  slots: readonly TrampolineSlot[];
  /** How the condition's value is tested for truth. */
  result: { kind: "integer"; size: 1 | 2 | 4 | 8 } | { kind: "float"; size: 4 | 8 };
  /** The condition's code touches x87/SSE registers: their state is saved around it. */
  vectorState: boolean;
  /** General registers the condition's code may change (the trampoline saves these and its own). */
  clobbered: ReadonlySet<RegName>;
  /** The flags may be read after the site: saved around the condition. */
  flagsLive: boolean;
  /** Registers the code after the site writes before reading: a false condition need not put them back. */
  deadAtSite: ReadonlySet<RegName>;
  /** A hit condition, counted in the 8 bytes at `counter`. */
  hits?: { counter: bigint; test: HitCondition };
}

export interface Trampoline {
  code: Uint8Array;
  /** Where the debugger's hook waits: reached only when the condition holds. */
  trap: bigint;
  /** The return address of the condition's call (finds the saved registers after a fault). */
  returnPoint: bigint;
  /**
   * Offset from the condition's argument block to the slot holding the saved registers' address;
   * undefined when the condition's code leaves rbx, which then holds it.
   */
  saveSlot: number | undefined;
  /** The code that puts the registers back from the save area in rbx and goes to the trap. */
  restoreToTrap: bigint;
}

/** The order registers are pushed in (those saved: the trampoline's own and what the condition changes). */
const PUSH_ORDER: readonly RegName[] = ["rax", "rcx", "rdx", "rbx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
/** What the trampoline itself changes: rbx holds the save area, rax, rdi and rsi carry the call. */
const OWN: readonly RegName[] = ["rax", "rbx", "rsi", "rdi"];
const RED_ZONE = 128;
const FX_AREA = 512;

/**
 * The registers saved and where: below the red zone (and the flags, when saved), one 8-byte slot
 * each in PUSH_ORDER from the save area's start. Stores and loads at fixed offsets, not pushes and
 * pops: the emulator then updates rsp twice, not at every register.
 */
class SaveArea {
  readonly regs: readonly RegName[];
  constructor(wanted: ReadonlySet<RegName>, readonly flags: boolean) {
    this.regs = PUSH_ORDER.filter((r) => wanted.has(r) || OWN.includes(r));
  }
  offset(reg: RegName): number | undefined {
    const k = this.regs.indexOf(reg);
    return k < 0 ? undefined : k * 8;
  }
  get size(): number {
    return this.regs.length * 8;
  }
  /** From the save area's start to the site's rsp. */
  get siteRsp(): bigint {
    return BigInt(this.size + (this.flags ? 8 : 0) + RED_ZONE);
  }
}

const REG_CODE: Record<string, number> = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 };

/** A tiny assembler: bytes with rel32 fix-ups to labels. */
class Code {
  private bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; label: string }[] = [];

  get length(): number {
    return this.bytes.length;
  }
  emit(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  i32(v: number): this {
    return this.emit(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  }
  i64(v: bigint): this {
    const u = BigInt.asUintN(64, v);
    for (let k = 0n; k < 64n; k += 8n) this.bytes.push(Number((u >> k) & 0xffn));
    return this;
  }
  label(name: string): this {
    this.labels.set(name, this.bytes.length);
    return this;
  }
  offsetOf(name: string): number {
    return this.labels.get(name)!;
  }
  /** A 32-bit relative branch: opcode bytes, then the displacement to `label`. */
  branch(label: string, ...opcode: number[]): this {
    this.emit(...opcode);
    this.fixups.push({ at: this.bytes.length, label });
    return this.i32(0);
  }
  finish(): Uint8Array {
    const out = Uint8Array.from(this.bytes);
    const dv = new DataView(out.buffer);
    for (const f of this.fixups) dv.setInt32(f.at, this.labels.get(f.label)! - (f.at + 4), true);
    return out;
  }
}

/** Builds the trampoline to run at `at` (within ±2 GiB of the site and the displaced code's targets). */
export function buildTrampoline(spec: TrampolineSpec, at: bigint): Trampoline {
  const c = new Code();
  const area = new SaveArea(new Set([...spec.clobbered, ...(spec.hits ? (["rcx", "rdx"] as RegName[]) : [])]), spec.flagsLive);
  const argSpace = up16(spec.argBlockSize);
  const frame = argSpace + 16 + 16; // argument block, 16-byte result (the condition writes all the bytes tested), the save-area slot (and padding)
  // rbx holds the save area unless the condition's code may change it; then the block keeps it too.
  const saveSlot = spec.clobbered.has("rbx") ? frame - 8 : undefined;
  if (area.flags) {
    c.emit(0x48, 0x8d, 0x64, 0x24, 0x80); // lea rsp, [rsp-128]: the red zone stays the program's
    c.emit(0x9c); // pushfq
    leaRsp(c, -area.size);
  } else leaRsp(c, -(RED_ZONE + area.size));
  for (const r of area.regs) moveSlot(c, 0x89, r, area.offset(r)!); // mov [rsp+off], r
  c.emit(0x48, 0x89, 0xe3); // mov rbx, rsp: the save area, kept across the call (callee-saved)
  c.emit(0x48, 0x83, 0xe4, 0xf0); // and rsp, -16
  if (spec.vectorState) {
    c.emit(0x48, 0x81, 0xec).i32(FX_AREA); // sub rsp, 512
    c.emit(0x48, 0x0f, 0xae, 0x04, 0x24); // fxsave64 [rsp]
  }
  c.emit(0x48, 0x81, 0xec).i32(frame); // sub rsp, frame
  for (const s of spec.slots) fillSlot(c, s, area);
  if (saveSlot !== undefined) c.emit(0x48, 0x89, 0x9c, 0x24).i32(saveSlot); // mov [rsp+saveSlot], rbx
  c.emit(0x48, 0x8d, 0x3c, 0x24); // lea rdi, [rsp]
  c.emit(0x48, 0x8d, 0xb4, 0x24).i32(argSpace); // lea rsi, [rsp+argSpace]
  const rel = spec.entry - (at + BigInt(c.length) + 5n);
  if (rel >= -(1n << 31n) && rel < 1n << 31n) c.emit(0xe8).i32(Number(rel)); // call entry (a direct call chains in the emulator's translation cache)
  else {
    c.emit(0x48, 0xb8).i64(spec.entry); // movabs rax, entry
    c.emit(0xff, 0xd0); // call rax
  }
  const returnPoint = at + BigInt(c.length);
  testResult(c, spec.result, argSpace);
  c.branch("false", 0x0f, 0x84); // jz false
  if (spec.hits) countHit(c, spec.hits);
  c.label("true");
  restore(c, spec.vectorState, area, new Set());
  c.branch("trap", 0xe9);
  c.label("false");
  restore(c, spec.vectorState, area, spec.deadAtSite);
  c.label("copy");
  const copy = spec.displaced.encode(at + BigInt(c.length));
  c.raw(copy);
  c.label("trap");
  const trap = at + BigInt(c.length);
  c.raw(spec.displaced.encode(trap));
  return { code: c.finish(), trap, returnPoint, saveSlot, restoreToTrap: at + BigInt(c.offsetOf("true")) };
}

/** mov [rsp+off], r (opcode 0x89) or mov r, [rsp+off] (0x8b). */
function moveSlot(c: Code, opcode: 0x89 | 0x8b, r: RegName, off: number): void {
  const n = REG_CODE[r]!;
  c.emit(n >= 8 ? 0x4c : 0x48, opcode, 0x84 | ((n & 7) << 3), 0x24).i32(off);
}

/** lea rsp, [rsp+by] */
function leaRsp(c: Code, by: number): void {
  if (by === 0) return;
  c.emit(0x48, 0x8d, 0xa4, 0x24).i32(by);
}

/**
 * Puts the registers back from the save area in rbx (but those in `skip`: the site's code writes
 * them before reading them), and rsp where the site had it.
 */
function restore(c: Code, vectorState: boolean, area: SaveArea, skip: ReadonlySet<RegName>): void {
  if (vectorState) {
    c.emit(0x48, 0x89, 0xd8); // mov rax, rbx
    c.emit(0x48, 0x83, 0xe0, 0xf0); // and rax, -16
    c.emit(0x48, 0x0f, 0xae, 0x88).i32(-FX_AREA); // fxrstor64 [rax-512]
  }
  c.emit(0x48, 0x89, 0xdc); // mov rsp, rbx
  // rbx last: it addresses the area (never skipped: the area's own register).
  for (const r of area.regs) if (r !== "rbx" && !skip.has(r)) moveSlot(c, 0x8b, r, area.offset(r)!);
  moveSlot(c, 0x8b, "rbx", area.offset("rbx")!);
  if (area.flags) {
    leaRsp(c, area.size);
    c.emit(0x9d); // popfq
    leaRsp(c, RED_ZONE);
  } else leaRsp(c, area.size + RED_ZONE);
}

/**
 * rax = the slot's value, then stored at [rsp + offset] with the slot's size. Registers are as
 * at the site except rax (the previous slot's), rbx (the save area) and rsp: those come from
 * the save area; the rest are read where they are.
 */
function fillSlot(c: Code, s: TrampolineSlot, area: SaveArea): void {
  const r = s.recipe;
  if (r.kind === "constant") c.emit(0x48, 0xb8).i64(r.value);
  else if (r.reg === "rsp") {
    c.emit(0x48, 0x89, 0xd8); // mov rax, rbx
    addConstant(c, area.siteRsp + r.add);
  } else if (r.reg === "rax" || r.reg === "rbx") {
    c.emit(0x48, 0x8b, 0x83).i32(area.offset(r.reg)!); // mov rax, [rbx+off]
    addConstant(c, r.add);
  } else {
    const n = REG_CODE[r.reg]!;
    const add = BigInt.asIntN(64, r.add);
    if (add < -(1n << 31n) || add >= 1n << 31n) {
      c.emit(0x48, 0xb8).i64(add); // movabs rax, add
      c.emit(n >= 8 ? 0x4c : 0x48, 0x01, 0xc0 | ((n & 7) << 3)); // add rax, reg
    } else {
      // lea rax, [reg + add] (rbp/r13 and rsp/r12 need their special forms: disp32 and a SIB byte).
      c.emit(n >= 8 ? 0x49 : 0x48, 0x8d, 0x80 | (n & 7));
      if ((n & 7) === 4) c.emit(0x24);
      c.i32(Number(add));
    }
  }
  switch (s.size) {
    case 8:
      c.emit(0x48, 0x89, 0x84, 0x24).i32(s.offset);
      break;
    case 4:
      c.emit(0x89, 0x84, 0x24).i32(s.offset);
      break;
    case 2:
      c.emit(0x66, 0x89, 0x84, 0x24).i32(s.offset);
      break;
    case 1:
      c.emit(0x88, 0x84, 0x24).i32(s.offset);
      break;
    default:
      throw new RangeError(`a ${s.size}-byte argument slot`);
  }
}

function addConstant(c: Code, add: bigint): void {
  const v = BigInt.asIntN(64, add);
  if (v === 0n) return;
  if (v < -(1n << 31n) || v >= 1n << 31n) throw new RangeError(`a variable's offset 0x${v.toString(16)} from its register does not fit a 32-bit displacement`);
  c.emit(0x48, 0x8d, 0x80).i32(Number(v)); // lea rax, [rax+v]
}

/** Sets ZF when the result is zero (floats: either zero; a NaN is true, as in C). */
function testResult(c: Code, result: TrampolineSpec["result"], at: number): void {
  if (result.kind === "float") {
    if (result.size === 4) {
      c.emit(0x8b, 0x84, 0x24).i32(at); // mov eax, [rsp+at]
      c.emit(0x25).i32(0x7fff_ffff); // and eax, 0x7fffffff
    } else {
      c.emit(0x48, 0x8b, 0x84, 0x24).i32(at); // mov rax, [rsp+at]
      c.emit(0x48, 0xd1, 0xe0); // shl rax, 1
    }
    return;
  }
  switch (result.size) {
    case 1:
      c.emit(0x80, 0xbc, 0x24).i32(at).emit(0);
      break;
    case 2:
      c.emit(0x66, 0x83, 0xbc, 0x24).i32(at).emit(0);
      break;
    case 4:
      c.emit(0x83, 0xbc, 0x24).i32(at).emit(0);
      break;
    case 8:
      c.emit(0x48, 0x83, 0xbc, 0x24).i32(at).emit(0);
      break;
  }
}

/** Counts a true condition (atomically: any thread may run it) and goes to "false" unless the hit condition is met. */
function countHit(c: Code, hits: NonNullable<TrampolineSpec["hits"]>): void {
  c.emit(0xb8).i32(1); // mov eax, 1
  c.emit(0x48, 0xb9).i64(hits.counter); // movabs rcx, counter
  c.emit(0xf0, 0x48, 0x0f, 0xc1, 0x01); // lock xadd [rcx], rax
  c.emit(0x48, 0xff, 0xc0); // inc rax: this hit's number
  c.emit(0x48, 0xb9).i64(hits.test.n); // movabs rcx, n
  if (hits.test.op === "%") {
    c.emit(0x31, 0xd2); // xor edx, edx
    c.emit(0x48, 0xf7, 0xf1); // div rcx
    c.emit(0x48, 0x85, 0xd2); // test rdx, rdx
    c.branch("false", 0x0f, 0x85); // jnz false
    return;
  }
  c.emit(0x48, 0x39, 0xc8); // cmp rax, rcx
  const skipUnless: Record<string, number> = { ">=": 0x82, "==": 0x85, ">": 0x86, "<=": 0x87, "<": 0x83 }; // jb, jne, jbe, ja, jae
  c.branch("false", 0x0f, skipUnless[hits.test.op]!);
}

const up16 = (n: number): number => Math.ceil(Math.max(n, 8) / 16) * 16;

