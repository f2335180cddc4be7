/**
 * Breakpoint conditions compiled into the program's code path (issue 19): the condition is
 * compiled in its site form (site-form.ts) and linked into the inferior as any console expression
 * is, the instructions at the site are moved into the trampoline written in the room around its
 * body (displaced-code.ts, condition-trampoline.ts), and the site gets a jump there. A false
 * condition then costs about ten emulated instructions instead of a stop, a JavaScript evaluation
 * and a resume. Only a true one reaches the trampoline's trap, where the debugger's hook stops
 * the program and the stop is shown at the site.
 *
 * The condition sees what it would see at a stop there: it is compiled in the scope of a frame
 * made up at the site, and each argument slot's place (a register plus a constant — a frame base,
 * the CFA — or a constant address) is found by filling the block from two made-up register files
 * and seeing which register moved it. A variable in memory at a register plus a constant the body
 * reads there itself; the prelude fills the other slots. What cannot be done that way (a value
 * only in memory, an SSE register, code that calls or assigns) is refused with the reason, and
 * the breakpoint keeps the debugger's hook. The debugger shows the program's own bytes wherever it
 * reads code (`overlay`), and a fault inside a condition becomes a stop at the site that says so.
 */
import { JitdbgError, describeError } from "../../errors.js";
import { PROT_READ, PROT_WRITE } from "../../emu/cpu.js";
import type { RegName } from "../../emu/registers.js";
import type { Process } from "../../inferior/process.js";
import { USER_END, type Region } from "../../inferior/address-space.js";
import { ownedByDebugger } from "../../inferior/undo-log.js";
import { unqual, type CType } from "../../expr/types.js";
import type { JitModule } from "../../jit/module.js";
import type { ImageInfo } from "../image-info.js";
import { decodeLoaded, disassemblerLoaded } from "../inspect/disassembly.js";
import { DWARF_GPRS } from "../inspect/registers.js";
import { framesAt, type Frame } from "../inspect/stack.js";
import { threadStacks } from "../inspect/thread-backtraces.js";
import { displace, jmpRel32, type DisplacedCode } from "../run/displaced-code.js";
import { changedRegisters, deadRegisters, flagsLive } from "../run/register-use.js";
import { parseHitCondition } from "../run/breakpoints.js";
import { buildTrampoline, type SlotRecipe, type Trampoline, type TrampolineSpec } from "../run/condition-trampoline.js";
import type { SiteCondition } from "./expr-evaluator.js";
import { siteForm, type SiteLayout } from "../../expr/index.js";
import type { CompiledSite, ConditionSites, SiteRequest } from "../run/condition-sites.js";

export interface CompiledConditionHost {
  readonly process: Process;
  readonly images: readonly ImageInfo[];
  /** Whether the JIT can run in the program now. */
  ready(): boolean;
  /**
   * Compiles the condition's site form for the two frames (`placeOf` tells a slot's place from
   * its bytes in each), its code placed `near` (within a rel32 jump of the site) when there is room.
   */
  compile(text: string, frames: readonly [Frame, Frame], placeOf: (values: [Uint8Array, Uint8Array], size: number) => SlotRecipe | undefined, near: { low: bigint; high: bigint }): SiteCondition;
  release(module: JitModule): void;
}

interface Site extends CompiledSite {
  displaced: DisplacedCode;
  trampoline: Trampoline;
  module: JitModule;
  /** The condition's site body: what a fault there is (the debugger's, not the program's). */
  body: { start: bigint; end: bigint };
  layout: SiteLayout;
  counter: bigint | undefined;
  /** A fault in the condition, reported at the next stop at the trap. */
  fault?: string;
}

/** How far from a site its trampoline may go (rel32 reach, with room for the page). */
const NEAR_REACH = 0x7000_0000n;
const PAGE = 0x1000n;
/** Made-up register values: each register far from the others, and moved by a different amount in the second file. */
const BASE_A = (n: number): bigint => 0x1000_0000_0000n + BigInt(n) * 0x10_0000_0000n;
const BASE_B = (n: number): bigint => BASE_A(n) + 0x1000n * BigInt(n + 1);

export class CompiledConditions implements ConditionSites {
  private readonly sites = new Map<bigint, Site>();
  private readonly byTrap = new Map<bigint, Site>();
  private counters: { region: Region; used: number } | undefined;
  private retired: Site[] = [];

  constructor(private readonly host: CompiledConditionHost) {}

  ready(): boolean {
    return disassemblerLoaded() && this.host.ready();
  }

  /** Whether pc is in a compiled condition's code (a fault there is the debugger's, not the program's). */
  inCondition(pc: bigint): boolean {
    return [...this.sites.values()].some((s) => pc >= s.body.start && pc < s.body.end);
  }

  /** Whether pc is in a trampoline or a condition's code (installed or retired). */
  owns(pc: bigint): boolean {
    return [...this.sites.values(), ...this.retired].some((s) => inSite(s, pc));
  }

  /** Compiles and installs (armed); the site, or why it cannot be done (the hook stays). */
  install(req: SiteRequest): CompiledSite | { refused: string; transient?: boolean } {
    try {
      return this.tryInstall(req);
    } catch (e) {
      // A RangeError here is code out of reach of the trampoline (a rel32 that cannot be re-encoded).
      if (e instanceof RangeError) return { refused: e.message };
      if (!(e instanceof JitdbgError)) throw e;
      return { refused: describeError(e) };
    }
  }

  /** Puts the program's bytes back and unloads the condition once no thread is in it. */
  remove(address: bigint): number | undefined {
    const s = this.sites.get(address);
    if (!s) return undefined;
    const hits = this.hits(address);
    this.disarm(address);
    this.sites.delete(address);
    this.byTrap.delete(s.trap);
    this.retired.push(s);
    this.releaseRetired();
    return hits;
  }

  /**
   * Conditions of removed sites are unloaded once no thread is inside them or their trampoline
   * (a thread preempted in the middle goes on there).
   */
  private releaseRetired(): void {
    if (this.retired.length === 0) return;
    const pcs = this.threadPcs();
    this.retired = this.retired.filter((s) => {
      if (pcs.some((pc) => inSite(s, pc))) return true;
      this.host.release(s.module);
      return false;
    });
    this.updateWindows();
  }

  /**
   * Tells the CPU where the trampolines and the conditions' code are: code it does not count, so
   * that a position in the program's execution (a recording's, the scheduler's turns) is the same
   * with the breakpoints or without. Ranges with only the debugger's memory between them are one
   * window; more than the CPU holds is a RangeError (the site is refused).
   */
  private updateWindows(extra?: Site): void {
    const sites = [...this.sites.values(), ...this.retired, ...(extra ? [extra] : [])];
    const ranges = sites.flatMap((x) => x.module.codeRanges()).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const windows: { start: bigint; end: bigint }[] = [];
    const space = this.host.process.space;
    const programBetween = (a: bigint, b: bigint) => space.list().some((r) => !ownedByDebugger(r) && r.start < b && r.end > a);
    for (const r of ranges) {
      const last = windows[windows.length - 1];
      if (last && (r.start <= last.end || !programBetween(last.end, r.start))) last.end = r.end > last.end ? r.end : last.end;
      else windows.push({ ...r });
    }
    this.host.process.cpu.setUncountedCode(windows);
  }

  /** Jump in place (false when a thread is inside the bytes it takes: the hook at the site stays). */
  arm(address: bigint, hits: number): boolean {
    const s = this.sites.get(address);
    if (!s || s.armed) return s?.armed ?? false;
    const end = address + BigInt(s.displaced.length);
    if (this.threadPcs().some((pc) => pc > address && pc < end)) return false;
    if (s.counter !== undefined) this.writeCounter(s.counter, hits);
    this.host.process.codePatches.apply(address, siteBytes(s));
    s.armed = true;
    return true;
  }

  /** The program's bytes back; the hits counted in the program's memory. */
  disarm(address: bigint): number | undefined {
    const s = this.sites.get(address);
    if (!s || !s.armed) return undefined;
    this.host.process.codePatches.revert(address);
    s.armed = false;
    return this.hits(address);
  }

  /** Hits counted by the program (hit conditions only). */
  hits(address: bigint): number | undefined {
    const s = this.sites.get(address);
    if (!s || s.counter === undefined) return undefined;
    const b = new Uint8Array(8);
    return this.host.process.cpu.tryRead(s.counter, b) ? Number(new DataView(b.buffer).getBigUint64(0, true)) : undefined;
  }

  siteOfTrap(trap: bigint): CompiledSite | undefined {
    return this.byTrap.get(trap);
  }

  site(address: bigint): CompiledSite | undefined {
    return this.sites.get(address);
  }

  /** A fault the last trap stop reports (the condition could not be evaluated), taken. */
  takeFault(address: bigint): string | undefined {
    const s = this.sites.get(address);
    const f = s?.fault;
    if (s) s.fault = undefined;
    return f;
  }

  /** `bytes` read from `address` as the program's own code (the sites' jumps replaced by their original bytes). */
  overlay(address: bigint, bytes: Uint8Array): Uint8Array {
    return this.host.process.codePatches.overlay(address, bytes);
  }

  /**
   * A fault at `pc`: inside a compiled condition, the thread is sent to put its registers back
   * and go to the trap, and the stop there says why the condition failed. True when it was one.
   */
  recoverFault(pc: bigint, description: string): boolean {
    const s = [...this.sites.values()].find((x) => pc >= x.body.start && pc < x.body.end);
    // A frameless body reads only the program's variables in place (nothing it dereferences):
    // no register holds its frame's base to go on from.
    if (!s || s.layout.frameless) return false;
    // The body never changes rbp: it still holds the frame's base, where the restore code reads the registers.
    const cpu = this.host.process.cpu;
    cpu.setReg("rsp", cpu.reg("rbp"));
    cpu.setReg("rip", s.trampoline.restoreToTrap);
    s.fault = description;
    return true;
  }

  /** Every site forgotten, its bytes put back in `into` when that process still has them (a forked child's copy). */
  forget(into: Process | undefined): void {
    for (const s of this.sites.values()) if (into && s.armed) into.space.poke(s.address, s.displaced.original);
    this.sites.clear();
    this.byTrap.clear();
    this.retired = [];
    this.counters = undefined;
    if (!this.host.process.isClosed) this.host.process.cpu.setUncountedCode([]);
  }

  private tryInstall(req: SiteRequest): CompiledSite | { refused: string; transient?: boolean } {
    const { address } = req;
    const image = this.host.images.find((i) => i.contains(address));
    const at = image?.functionAt(address);
    const cfi = image?.cfi?.rowAt(address);
    if (!image || !at) return { refused: "no debug information for the code at the breakpoint" };
    const cfaRule = cfi?.cfa;
    if (!cfaRule || cfaRule.kind !== "reg-offset") return { refused: "no call frame information for the code at the breakpoint" };
    const fn = at.function;
    const low = fn.ranges.reduce((m, r) => (r.low < m ? r.low : m), fn.ranges[0]!.low) + image.bias;
    const high = fn.ranges.reduce((m, r) => (r.high > m ? r.high : m), 0n) + image.bias;
    if (fn.ranges.length > 1) return { refused: "the function's code is in several pieces" };
    const code = decodeLoaded(this.host.process.cpu.read(low, Number(high - low)), low);
    if (!code) return { refused: "the disassembler is still loading" };
    const plan = displace(address, { functionCode: code, threadPcs: this.threadPcs() });
    if (plan.kind === "refused") return { refused: plan.reason, ...(plan.transient ? { transient: true } : {}) };
    // Recording, the program must go on from the trampoline where the moved bytes end, into the
    // rest of the block the jump cut short: only then is the count of blocks that of the program alone.
    if (plan.code.transfersControl && this.host.process.history) return { refused: "time travel is recording, and an instruction moved for the jump to the condition jumps, calls, returns or enters the kernel" };
    const test = req.hitCondition?.trim() ? parseHitCondition(req.hitCondition) : undefined;
    if (req.hitCondition?.trim() && !test) return { refused: `the hit condition '${req.hitCondition}' is not N, ==N, >=N, >N, <=N, <N or %N` };
    if (test?.op === "%" && test.n === 0n) return { refused: "the hit condition %0 never stops" };
    const frames = ([BASE_A, BASE_B] as const).map((base) => {
      const regs = new Map<number, bigint>();
      for (const n of DWARF_GPRS.keys()) regs.set(n, base(n));
      regs.set(16, address);
      const cfa = BigInt.asUintN(64, regs.get(cfaRule.reg)! + cfaRule.offset);
      // A frame at no stop: its registers are the map's (index 0 would read the CPU's).
      return { ...framesAt((pc) => this.host.images.find((i) => i.contains(pc)), address, regs, cfa, req.hiddenInline)[0]!, index: -1 };
    }) as [Frame, Frame];
    const near = { low: address > NEAR_REACH ? address - NEAR_REACH : 0x10000n, high: address + NEAR_REACH < USER_END ? address + NEAR_REACH : USER_END };
    const cond = this.host.compile(req.condition?.trim() || "1", frames, recipeOf, near);
    try {
      if (!truthTest(cond.resultType)) throw new JitdbgError("EVAL_CONDITION_TYPE", "the condition's value is not an integer, pointer, float or double");
      // The slots the body reads where the program keeps them need no filling.
      const slots = cond.slots.filter((s) => !cond.layout.direct.has(s.offset));
      if (slots.some((s) => s.recipe === undefined)) throw new JitdbgError("EVAL_UNAVAILABLE", "a variable of the condition is not at a register plus a constant at the breakpoint (an SSE register, or a place read from memory)");
      if (slots.some((s) => ![1, 2, 4, 8].includes(s.size))) throw new JitdbgError("EVAL_UNAVAILABLE", "a variable of the condition is passed in an odd-sized slot");
      const counter = test ? this.counterSlot() : undefined;
      const siteIndex = code.findIndex((i) => i.address === address);
      const body = { start: cond.entry, end: cond.entry + BigInt(cond.layout.trueTail) };
      const spec: TrampolineSpec = {
        displaced: plan.code,
        body: cond.entry,
        layout: cond.layout,
        argBlockSize: cond.argBlockSize,
        slots: slots as TrampolineSpec["slots"],
        ...whatTheBodyTouches(body, this.host.process),
        flagsLive: flagsLive(code, siteIndex),
        deadAtSite: deadRegisters(code, siteIndex),
        ...(test && counter !== undefined ? { hits: { counter, test } } : {}),
      };
      // The body reads variables through the program's callee-saved registers (site-form.ts): it must never write one.
      const bases = [...spec.clobbered].filter((r) => siteForm.DIRECT_BASE_NAMES.includes(r));
      if (bases.length > 0) throw new JitdbgError("EVAL_UNAVAILABLE", `the condition's code changes ${bases.join(", ")}, where it reads the program's variables (a debugger bug; please report the condition)`);
      const trampoline = buildTrampoline(spec);
      if (trampoline.entry < near.low || trampoline.entry > near.high) throw new JitdbgError("EVAL_UNAVAILABLE", "no room for the condition's code within reach of a jump from the breakpoint");
      for (const p of trampoline.pieces) this.host.process.space.poke(p.at, p.code);
      const site: Site = { address, trap: trampoline.trap, armed: false, displaced: plan.code, trampoline, module: cond.module, body, layout: cond.layout, counter };
      this.updateWindows(site);
      this.sites.set(address, site);
      this.byTrap.set(site.trap, site);
      this.arm(address, req.hits);
      return site;
    } catch (e) {
      this.host.release(cond.module);
      throw e;
    }
  }

  private counterSlot(): bigint {
    if (!this.counters || this.counters.used >= Number(PAGE / 8n)) {
      const region = this.host.process.space.allocate(PAGE, { prot: PROT_READ | PROT_WRITE, kind: "jit", name: "[jit-condition-hits]" });
      this.counters = { region, used: 0 };
    }
    return this.counters.region.start + BigInt(8 * this.counters.used++);
  }

  private writeCounter(at: bigint, n: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    this.host.process.space.poke(at, b);
  }

  /** pcs and return addresses of every thread's frames: none may be inside bytes a jump takes. */
  private threadPcs(): bigint[] {
    return threadStacks(this.host.process, this.host.images, 64, { pcsOnly: true }).flatMap((s) => s.frames.map((f) => f.pc));
  }
}

/** The site's jump, then traps in the rest of the moved bytes (nothing jumps there: displace checked). */
function siteBytes(s: Site): Uint8Array {
  const b = new Uint8Array(s.displaced.length).fill(0xcc);
  b.set(jmpRel32(s.address, s.trampoline.entry), 0);
  return b;
}

/** Whether pc is in the site's trampoline or its condition's code (the one section holds both). */
function inSite(s: Site, pc: bigint): boolean {
  return s.module.codeRanges().some((r) => pc >= r.start && pc < r.end);
}

/** A slot's place from its bytes under the two register files: a register plus a constant, or a constant. */
function recipeOf(values: [Uint8Array, Uint8Array], size: number): SlotRecipe | undefined {
  const bits = BigInt(8 * Math.min(size, 8));
  const read = (b: Uint8Array): bigint => {
    let v = 0n;
    for (let i = Math.min(b.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  };
  const [a, b] = values.map(read) as [bigint, bigint];
  if (a === b) return { kind: "constant", value: a };
  for (const [n, reg] of DWARF_GPRS) {
    if (reg === "rip") continue;
    const da = BigInt.asUintN(Number(bits), a - BASE_A(n));
    const db = BigInt.asUintN(Number(bits), b - BASE_B(n));
    if (da === db) return { kind: "register", reg: reg as RegName, add: BigInt.asIntN(Number(bits), da) };
    // A constant minus the register (the registers move by different positive amounts: no other reading fits).
    const na = BigInt.asUintN(Number(bits), a + BASE_A(n));
    const nb = BigInt.asUintN(Number(bits), b + BASE_B(n));
    if (na === nb) return { kind: "register", reg: reg as RegName, add: BigInt.asIntN(Number(bits), na), negated: true };
  }
  return undefined;
}

/** Whether the site body can test the value for truth: an integer, pointer, float or double. */
function truthTest(type: CType): boolean {
  const t = unqual(type);
  if (t.kind === "float") return t.size === 4 || t.size === 8;
  if (t.kind === "enum") return truthTest(t.underlying);
  return t.kind === "pointer" || t.kind === "int";
}

/**
 * What the condition's site body uses, from one decoding of it: the general registers it may
 * change (all, when that cannot be told) and whether it touches x87 or SSE registers (their state
 * is then saved around it; so too while the disassembler cannot tell).
 */
function whatTheBodyTouches(body: { start: bigint; end: bigint }, process: Process): { clobbered: ReadonlySet<RegName>; vectorState: boolean } {
  const all = new Set<RegName>(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]);
  const insns = decodeLoaded(process.cpu.read(body.start, Number(body.end - body.start)), body.start);
  if (!insns) return { clobbered: all, vectorState: true };
  const vectorState = insns.some((i) => /\b[xyz]mm\d|\bst\(|\bmm\d/.test(i.opStr) || /^f/.test(i.mnemonic));
  return { clobbered: changedRegisters(insns) ?? all, vectorState };
}
