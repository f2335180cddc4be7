/**
 * The machine code a compiled breakpoint condition runs in, in the program's own code path. The
 * condition is compiled in its site form (X86Codegen.siteEntry): its body with room around it,
 * and this file writes the rest into that room once the object is placed. The site jumps to the
 * prelude, which saves below the red zone the registers the body and the tails change (and the
 * flags, when the code after the site reads them), fills the slots of the condition's argument
 * block the body does not read in place (each a register plus a constant or minus it, or a
 * constant: the variables' DWARF locations at the site, worked out once), points rbp at the
 * frame's base unless the body is frameless, and falls through into the body. The body tests the condition and branches: a false one to the false tail, which puts the
 * registers back, runs the instructions moved from the site and jumps back after them; a true
 * one falls into the true tail, which counts the hit condition (in the program's memory) and only
 * when it is met puts the registers back and reaches the trap, a one-instruction hook that stops
 * for the debugger. No call and no return: the emulator runs prelude, body and test as one
 * translation block, and a false condition never leaves the emulated CPU.
 *
 * The frame's layout is site-form.ts's.
 */
import type { RegName } from "../../emu/registers.js";
import { siteForm, type SiteLayout } from "../../expr/index.js";
import type { DisplacedCode } from "./displaced-code.js";
import type { HitCondition } from "./breakpoints.js";

/** Where a slot's value comes from at each hit. */
export type SlotRecipe =
  | { kind: "constant"; value: bigint }
  /** reg + add, or add − reg when `negated` (an optimized loop's counter kept as its distance to the end). */
  | { kind: "register"; reg: RegName; add: bigint; negated?: boolean };

export interface TrampolineSlot {
  offset: number;
  /** 1, 2, 4 or 8 bytes. */
  size: number;
  recipe: SlotRecipe;
}

export interface TrampolineSpec {
  displaced: DisplacedCode;
  /** The condition's site body (placed and finalized) and the room around it. */
  body: bigint;
  layout: SiteLayout;
  argBlockSize: number;
  slots: readonly TrampolineSlot[];
  /** The body touches x87/SSE registers: their state is saved around it. */
  vectorState: boolean;
  /** General registers the body may change (saved with the trampoline's own). */
  clobbered: ReadonlySet<RegName>;
  /** The flags may be read after the site: saved around the condition. */
  flagsLive: boolean;
  /** Registers the code after the site writes before reading: a false condition need not put them back. */
  deadAtSite: ReadonlySet<RegName>;
  /** A hit condition, counted in the 8 bytes at `counter`. */
  hits?: { counter: bigint; test: HitCondition };
}

export interface Trampoline {
  /** What to write into the room: the prelude (ending where the body starts) and the two tails. */
  pieces: { at: bigint; code: Uint8Array }[];
  /** Where the site jumps: the prelude's start. */
  entry: bigint;
  /** Where the debugger's hook waits: reached only when the condition holds. */
  trap: bigint;
  /** The code that puts the registers back (rsp at the frame's base) and goes to the trap: where a fault in the body goes on. */
  restoreToTrap: bigint;
}

/** What the trampoline itself changes: rax fills the slots (rbp, with a frame, holds its base). */
const OWN: readonly RegName[] = ["rax"];
/** The general registers in encoding order (rax = 0 … r15 = 15). */
const REG_NAMES: readonly RegName[] = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/** The frame (site-form.ts): every place at a fixed offset from its base, where rsp is while the body is not running. */
class Frame {
  /** The registers saved, each in its own slot. */
  readonly regs: readonly RegName[];
  readonly saveArea: number;
  readonly fxRoom: number;
  readonly flagsSlot: number;
  readonly siteRsp: number;
  constructor(wanted: ReadonlySet<RegName>, readonly flags: boolean, argBlockSize: number, fx: boolean, readonly framed: boolean) {
    this.regs = siteForm.SAVE_ORDER.map((n) => REG_NAMES[n]!).filter((r) => wanted.has(r) || OWN.includes(r));
    const f = siteForm.siteFrame(argBlockSize, fx);
    this.saveArea = f.saveArea;
    this.fxRoom = f.fxRoom;
    this.flagsSlot = f.flags;
    this.siteRsp = f.siteRsp;
  }
  /** From the base to a register's slot. */
  slot(reg: RegName): number {
    return this.saveArea + 8 * siteForm.SAVE_ORDER.findIndex((n) => REG_NAMES[n] === reg);
  }
}

/** Each register's number in an instruction's encoding (its index in REG_NAMES). */
const REG_CODE: Readonly<Record<string, number>> = Object.fromEntries(REG_NAMES.map((r, n) => [r, n]));

/** A tiny assembler for code at a known address: bytes with rel32 fix-ups to labels or addresses. */
class Code {
  private bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; target: string | bigint }[] = [];

  constructor(readonly base: bigint) {}

  get length(): number {
    return this.bytes.length;
  }
  get here(): bigint {
    return this.base + BigInt(this.bytes.length);
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
  /** A 32-bit relative branch: opcode bytes, then the displacement to a label or an address. */
  branch(target: string | bigint, ...opcode: number[]): this {
    this.emit(...opcode);
    this.fixups.push({ at: this.bytes.length, target });
    return this.i32(0);
  }
  finish(): Uint8Array {
    const out = Uint8Array.from(this.bytes);
    const dv = new DataView(out.buffer);
    for (const f of this.fixups) {
      const to = typeof f.target === "bigint" ? f.target - this.base : BigInt(this.labels.get(f.target)!);
      const rel = to - BigInt(f.at + 4);
      if (rel < -(1n << 31n) || rel >= 1n << 31n) throw new RangeError("the trampoline's branch does not reach its target");
      dv.setInt32(f.at, Number(rel), true);
    }
    return out;
  }
}

/** Builds the prelude and the tails for the site body at `spec.body`. */
export function buildTrampoline(spec: TrampolineSpec): Trampoline {
  const { layout } = spec;
  const wanted = new Set([...spec.clobbered, ...(spec.hits ? (["rcx", "rdx"] as RegName[]) : []), ...(layout.frameless ? [] : (["rbp"] as RegName[]))]);
  // The room for x87/SSE state is the compiler's to make (its offsets are in the body's code).
  if (spec.vectorState && !layout.fx) throw new RangeError("the condition's code uses x87/SSE registers, and its frame has no room to save them (a debugger bug; please report the condition)");
  const frame = new Frame(wanted, spec.flagsLive, spec.argBlockSize, layout.fx, !layout.frameless);
  const falseAt = spec.body + BigInt(layout.falseTail);

  // The prelude has no branch: assembled anywhere, its length then places it right before the body.
  const pre = new Code(0n);
  if (frame.flags) {
    leaRsp(pre, -siteForm.RED_ZONE); // the red zone stays the program's
    pre.emit(0x9c); // pushfq: into the flags' slot
    leaRsp(pre, -frame.flagsSlot);
  } else leaRsp(pre, -frame.siteRsp);
  for (const r of frame.regs) moveRsp(pre, 0x89, r, frame.slot(r)); // mov [rsp+slot], r
  for (const s of spec.slots) fillSlot(pre, s, frame);
  if (!layout.frameless) pre.emit(0x48, 0x89, 0xe5); // mov rbp, rsp: the frame's base
  if (spec.vectorState) {
    fxArea(pre, frame);
    pre.emit(0x48, 0x0f, 0xae, 0x00); // fxsave64 [rax]
  }
  const prelude = pre.finish();
  if (prelude.length > layout.preludeRoom) throw new RangeError(`the condition's trampoline needs ${prelude.length} bytes before it, ${layout.preludeRoom} are reserved`);

  const trueAt = spec.body + BigInt(layout.trueTail);
  const t = new Code(trueAt);
  if (spec.hits) countHit(t, spec.hits, falseAt);
  const restoreToTrap = t.here;
  restore(t, spec.vectorState, frame, new Set());
  t.branch("trap", 0xe9); // the trap starts a translation block of its own
  t.label("trap");
  const trap = t.here;
  t.raw(spec.displaced.encode(trap));

  const f = new Code(falseAt);
  restore(f, spec.vectorState, frame, spec.deadAtSite);
  f.raw(spec.displaced.encode(f.here));

  const tails = [t, f].map((c) => ({ at: c.base, code: c.finish() }));
  for (const x of tails) if (x.code.length > layout.tailRoom) throw new RangeError(`the condition's trampoline needs ${x.code.length} bytes after it, ${layout.tailRoom} are reserved`);
  const entry = spec.body - BigInt(prelude.length);
  return { pieces: [{ at: entry, code: prelude }, ...tails], entry, trap, restoreToTrap };
}

/** rax = the 16-byte aligned x87/SSE save area (rsp the frame's base). */
function fxArea(c: Code, frame: Frame): void {
  c.emit(0x48, 0x8d, 0x84, 0x24).i32(frame.fxRoom + 15); // lea rax, [rsp+fxRoom+15]
  c.emit(0x48, 0x83, 0xe0, 0xf0); // and rax, -16
}

/** mov [rsp+off], r (opcode 0x89) or mov r, [rsp+off] (0x8b). */
function moveRsp(c: Code, opcode: 0x89 | 0x8b, r: RegName, off: number): void {
  const n = REG_CODE[r]!;
  c.emit(n >= 8 ? 0x4c : 0x48, opcode, 0x84 | ((n & 7) << 3), 0x24).i32(off);
}

/** lea rsp, [rsp+by] */
function leaRsp(c: Code, by: number): void {
  if (by === 0) return;
  c.emit(0x48, 0x8d, 0xa4, 0x24).i32(by);
}

/**
 * Puts the registers back (but those in `skip`: the site's code writes them before reading
 * them), and rsp where the site had it; rsp is the frame's base (with a frame, rbp is).
 */
function restore(c: Code, vectorState: boolean, frame: Frame, skip: ReadonlySet<RegName>): void {
  if (frame.framed) c.emit(0x48, 0x89, 0xec); // mov rsp, rbp: the body leaves rsp wherever its frame put it
  if (vectorState) {
    fxArea(c, frame);
    c.emit(0x48, 0x0f, 0xae, 0x08); // fxrstor64 [rax]
  }
  for (const r of frame.regs) if (!skip.has(r)) moveRsp(c, 0x8b, r, frame.slot(r));
  if (frame.flags) {
    leaRsp(c, frame.flagsSlot);
    c.emit(0x9d); // popfq
    leaRsp(c, siteForm.RED_ZONE);
  } else leaRsp(c, frame.siteRsp);
}

/**
 * rax = the slot's value, then stored at [rsp + offset] with the slot's size (rsp is the frame's
 * base). Registers are as at the site except rax (the previous slot's, so read from the save
 * area) and rsp; the rest are read where they are.
 */
function fillSlot(c: Code, s: TrampolineSlot, frame: Frame): void {
  const r = s.recipe;
  if (r.kind === "constant") c.emit(0x48, 0xb8).i64(r.value);
  else if (r.negated) {
    if (r.reg === "rsp") {
      c.emit(0x48, 0x89, 0xe0); // mov rax, rsp
      addConstant(c, BigInt(frame.siteRsp));
    } else if (r.reg === "rax") moveRsp(c, 0x8b, "rax", frame.slot("rax")); // mov rax, [rsp+slot]
    else {
      const n = REG_CODE[r.reg]!;
      c.emit(n >= 8 ? 0x4c : 0x48, 0x89, 0xc0 | ((n & 7) << 3)); // mov rax, reg
    }
    c.emit(0x48, 0xf7, 0xd8); // neg rax
    addConstant(c, r.add);
  } else if (r.reg === "rsp") {
    c.emit(0x48, 0x89, 0xe0); // mov rax, rsp
    addConstant(c, BigInt(frame.siteRsp) + r.add);
  } else if (r.reg === "rax") {
    moveRsp(c, 0x8b, "rax", frame.slot("rax")); // mov rax, [rsp+slot]
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

/** Counts a true condition (atomically: any thread may run it) and goes to the false tail unless the hit condition is met. */
function countHit(c: Code, hits: NonNullable<TrampolineSpec["hits"]>, falseTail: bigint): void {
  c.emit(0xb8).i32(1); // mov eax, 1
  c.emit(0x48, 0xb9).i64(hits.counter); // movabs rcx, counter
  c.emit(0xf0, 0x48, 0x0f, 0xc1, 0x01); // lock xadd [rcx], rax
  c.emit(0x48, 0xff, 0xc0); // inc rax: this hit's number
  c.emit(0x48, 0xb9).i64(hits.test.n); // movabs rcx, n
  if (hits.test.op === "%") {
    c.emit(0x31, 0xd2); // xor edx, edx
    c.emit(0x48, 0xf7, 0xf1); // div rcx
    c.emit(0x48, 0x85, 0xd2); // test rdx, rdx
    c.branch(falseTail, 0x0f, 0x85); // jnz false
    return;
  }
  c.emit(0x48, 0x39, 0xc8); // cmp rax, rcx
  const skipUnless: Record<string, number> = { ">=": 0x82, "==": 0x85, ">": 0x86, "<=": 0x87, "<": 0x83 }; // jb, jne, jbe, ja, jae
  c.branch(falseTail, 0x0f, skipUnless[hits.test.op]!);
}

const up16 = (n: number): number => Math.ceil(Math.max(n, 8) / 16) * 16;

