/**
 * Breakpoints of every kind the user sets (source line, function, instruction, data), bound to
 * addresses in the loaded images. Each bound address gets one code hook of exactly one
 * instruction, so code without breakpoints runs at full speed; data breakpoints use memory-write
 * hooks limited to the watched range. Whether a hit stops (condition, hit count, logpoint) is
 * decided after the hook has stopped the CPU, where expressions can run.
 */
import type { Cpu, HookHandle } from "../../emu/cpu.js";
import { describeError } from "../../errors.js";
import { functionBreakAddresses, lineBreakAddresses, type CodeReader } from "./code-locations.js";
import type { ImageInfo } from "../image-info.js";
import type { RunControl } from "./run-control.js";
import type { ConditionSites } from "./condition-sites.js";

export type BreakpointKind = "source" | "function" | "instruction" | "data";

export interface BreakpointOptions {
  condition?: string;
  /** DAP hit condition: "N", "== N", ">= N", "> N", "% N" (every Nth). */
  hitCondition?: string;
  /** Logpoint: print this message (with {expression} parts) instead of stopping. */
  logMessage?: string;
}

export interface SourceBreakpointSpec extends BreakpointOptions {
  line: number;
  column?: number;
}

export interface DataWatchSpec extends BreakpointOptions {
  address: bigint;
  size: number;
  description?: string;
}

export interface Breakpoint {
  readonly id: number;
  readonly kind: BreakpointKind;
  verified: boolean;
  /** Why it is not verified, or where it was bound. */
  message?: string;
  /** For source breakpoints: the requested file and the line it was bound to. */
  source?: string;
  line?: number;
  requestedLine?: number;
  /** For function breakpoints. */
  functionName?: string;
  /** For instruction breakpoints: the requested address. */
  instruction?: bigint;
  /** For data breakpoints. */
  watch?: { address: bigint; size: number; description: string };
  addresses: bigint[];
  options: BreakpointOptions;
  hits: number;
  /** Why the program does not reach it now, though it is bound (its function is patched: `:patch`). */
  notReached?: string;
  /** Why its condition is evaluated by the debugger at each hit instead of in the program's path. */
  conditionNote?: string;
}

/** A patched function's body: calls jump from its entry to the patch, past it nothing is reached. */
export interface PatchedRange {
  name: string;
  entry: bigint;
  end: bigint;
}

/** What the controller decides after the hooks stopped at an address. */
export interface HitDecision {
  stop: boolean;
  breakpoints: Breakpoint[];
  /** Messages from logpoints, in order. */
  logs: string[];
  /** A condition that could not be evaluated stops the program and says why. */
  conditionErrors: string[];
}

export interface ConditionEvaluator {
  /** Truth of a C condition in the stopped frame; throws a JitdbgError when it cannot be evaluated. */
  condition(expression: string): Promise<boolean>;
  /** The text of an expression's value, for logpoint interpolation. */
  format(expression: string): Promise<string>;
}

export class BreakpointManager {
  private nextId = 1;
  private readonly bySource = new Map<string, Breakpoint[]>();
  private functionBps: Breakpoint[] = [];
  private instructionBps: Breakpoint[] = [];
  private dataBps: Breakpoint[] = [];
  private patched: readonly PatchedRange[] = [];
  /** Functions being patched now (no condition is compiled in them; setPatched says how it ended). */
  private patching: PatchedRange[] = [];
  private readonly codeHooks = new Map<bigint, HookHandle>();
  private readonly dataHooks = new Map<number, HookHandle>();
  /** For line breakpoint addresses: the scope (function or inlined call) each location belongs to. */
  private readonly lineOwners = new Map<bigint, string>();
  /** Conditions compiled into the program's path, by site; the breakpoint and what was compiled. */
  private sites: ConditionSites | undefined;
  private readonly compiled = new Map<bigint, { bp: Breakpoint; key: string; trap: bigint; armed: boolean }>();
  /** Why a site's condition was not compiled (kept until what is asked there changes). */
  private readonly refused = new Map<bigint, { key: string; reason: string; transient: boolean }>();
  /** A site waits to be compiled (the program's thread was not set up) or armed (a thread was inside its bytes). */
  private syncPending = false;
  /** Breakpoints whose condition note changed since the front end was last told. */
  private readonly noted = new Set<Breakpoint>();
  /** Steps run with the program's own bytes at every site (their hooks at the sites). */
  private suspended = false;
  /** Inlined frames a stop at an address hides (the debugger's rule), for the scope a compiled condition sees. */
  hiddenInlineAt: (address: bigint, bp: Breakpoint) => number = () => 0;

  constructor(
    private cpu: Cpu,
    private readonly control: RunControl,
    private readonly images: () => readonly ImageInfo[],
  ) {}

  all(): Breakpoint[] {
    return [...[...this.bySource.values()].flat(), ...this.functionBps, ...this.instructionBps, ...this.dataBps];
  }

  /** Replaces the breakpoints of one source file (DAP's setBreakpoints semantics). */
  setSourceBreakpoints(source: string, specs: SourceBreakpointSpec[]): Breakpoint[] {
    const old = this.bySource.get(source) ?? [];
    const bps = specs.map((s) => {
      const bp = this.reuseOrCreate(old, "source", (b) => b.source === source && b.requestedLine === s.line, s, { source, line: s.line, requestedLine: s.line });
      this.bindSource(bp, source, s.line);
      return bp;
    });
    this.bySource.set(source, bps);
    this.syncHooks();
    return bps;
  }

  setFunctionBreakpoints(specs: (BreakpointOptions & { name: string })[]): Breakpoint[] {
    const old = this.functionBps;
    this.functionBps = specs.map((s) => {
      const bp = this.reuseOrCreate(old, "function", (b) => b.functionName === s.name, s, { functionName: s.name });
      this.bindFunction(bp, s.name);
      return bp;
    });
    this.syncHooks();
    return this.functionBps;
  }

  setInstructionBreakpoints(specs: (BreakpointOptions & { address: bigint })[]): Breakpoint[] {
    const old = this.instructionBps;
    this.instructionBps = specs.map((s) => {
      const bp = this.reuseOrCreate(old, "instruction", (b) => b.instruction === s.address, s, { instruction: s.address });
      this.bindInstruction(bp, s.address);
      return bp;
    });
    this.syncHooks();
    return this.instructionBps;
  }

  setDataBreakpoints(specs: DataWatchSpec[]): Breakpoint[] {
    const old = this.dataBps;
    this.dataBps = specs.map((s) => {
      const bp = this.reuseOrCreate(old, "data", (b) => b.watch?.address === s.address && b.watch.size === s.size, s, {
        watch: { address: s.address, size: s.size, description: s.description ?? `0x${s.address.toString(16)}` },
      });
      bp.addresses = [];
      bp.verified = s.size > 0 && s.size <= 8;
      bp.message = bp.verified ? undefined : `a data breakpoint watches 1 to 8 bytes; ${s.size} were asked`;
      return bp;
    });
    this.syncDataHooks();
    return this.dataBps;
  }

  /**
   * Binds pending breakpoints after a library loaded, and unbinds those whose library went away;
   * returns the breakpoints whose verification changed (the front end is told about them).
   */
  rebind(): Breakpoint[] {
    const images = this.images();
    const stale = (bp: Breakpoint) => !bp.verified || bp.addresses.some((a) => !images.some((i) => i.contains(a)));
    const changed: Breakpoint[] = [];
    const retry = (bp: Breakpoint, bind: () => void) => {
      if (!stale(bp)) return;
      const was = bp.verified;
      bind();
      if (bp.verified !== was) changed.push(bp);
    };
    for (const [source, bps] of this.bySource) for (const bp of bps) retry(bp, () => this.bindSource(bp, source, bp.requestedLine!));
    for (const bp of this.functionBps) retry(bp, () => this.bindFunction(bp, bp.functionName!));
    this.syncHooks();
    return [...new Set([...changed, ...this.takeNoted()])];
  }

  /**
   * The debugger follows another process (a child it forked, or the program it executed): the
   * hooks leave the old CPU (`oldAlive`: it runs on without them; else its engine is gone) and
   * every breakpoint binds again in the images now loaded, keeping its id and hit count (gdb's
   * follow-exec-mode same). Data breakpoints stay on their addresses in a forked child (the same
   * memory) and lose them after an execve (that memory is gone). Returns the breakpoints whose
   * binding changed.
   */
  moveTo(cpu: Cpu, how: { oldAlive: boolean; keepData: boolean }): Breakpoint[] {
    if (how.oldAlive) {
      this.dispose();
      this.cpu.setPreciseStops(false);
    } else {
      this.codeHooks.clear();
      this.dataHooks.clear();
    }
    this.cpu = cpu;
    this.lineOwners.clear();
    const changed: Breakpoint[] = [];
    const again = (bp: Breakpoint, bind: () => void) => {
      const was = `${bp.verified} ${bp.addresses.join(",")} ${bp.line}`;
      bind();
      if (`${bp.verified} ${bp.addresses.join(",")} ${bp.line}` !== was) changed.push(bp);
    };
    for (const [source, bps] of this.bySource) for (const bp of bps) again(bp, () => this.bindSource(bp, source, bp.requestedLine!));
    for (const bp of this.functionBps) again(bp, () => this.bindFunction(bp, bp.functionName!));
    for (const bp of this.instructionBps) again(bp, () => this.bindInstruction(bp, bp.instruction!));
    if (!how.keepData) {
      for (const bp of this.dataBps.filter((b) => b.verified)) {
        bp.verified = false;
        bp.message = "the watched memory belonged to the program before execve; set the data breakpoint again in the new program";
        changed.push(bp);
      }
    }
    this.syncHooks();
    this.syncDataHooks();
    return changed;
  }

  /** The scope key (code-locations scopeKey) a line breakpoint location at `address` belongs to. */
  lineOwnerAt(address: bigint): string | undefined {
    return this.lineOwners.get(address);
  }

  hasCodeBreakpointAt(address: bigint): boolean {
    return this.codeHooks.has(address);
  }

  /**
   * Conditions compiled into the program (undefined: none, every condition is the debugger's):
   * set when the debugger can compile for the process it follows.
   */
  get conditionSites(): ConditionSites | undefined {
    return this.sites;
  }

  useConditionSites(sites: ConditionSites | undefined, how: { oldGone: boolean } = { oldGone: false }): void {
    // The old process's sites come out of it, unless it is gone (an execve) or forgotten by the caller.
    if (this.sites && sites !== this.sites && !how.oldGone) for (const site of [...this.compiled.keys()]) this.uncompile(site);
    this.compiled.clear();
    this.refused.clear();
    this.sites = sites;
    this.syncHooks();
  }

  /**
   * Installs the conditions that could not be compiled before (the program's thread was not set
   * up); returns the breakpoints whose condition note changed.
   */
  refreshCompiled(opts: { retryPassing?: boolean } = {}): Breakpoint[] {
    let retry = this.syncPending;
    if (opts.retryPassing) {
      for (const [site, r] of [...this.refused]) {
        if (!r.transient) continue;
        this.refused.delete(site);
        retry = true;
      }
    }
    // Every hit the debugger decides comes here: a sync only when a site may compile now.
    if (retry && this.sites?.ready()) this.syncHooks();
    return this.takeNoted();
  }

  /**
   * Whether a condition waits to be compiled into the program (its site could not compile yet, or
   * was refused for a passing reason): the debugger then lets the disassembler finish loading
   * before it resumes, so that the condition is compiled before the program runs.
   */
  compilationPending(): boolean {
    if (this.syncPending) return true;
    for (const r of this.refused.values()) if (r.transient) return true;
    return false;
  }

  /** The breakpoints whose condition note changed since the last call (their responses or events say it). */
  takeNoted(): Breakpoint[] {
    const out = [...this.noted];
    this.noted.clear();
    return out;
  }

  /** The site whose compiled condition's trap is at `address`. */
  siteOfTrap(address: bigint): bigint | undefined {
    for (const [site, c] of this.compiled) if (c.trap === address) return site;
    return undefined;
  }

  /** The trap of the armed compiled condition at `site` (resuming from a stop there goes through it). */
  armedTrapAt(site: bigint): bigint | undefined {
    const c = this.compiled.get(site);
    return c?.armed ? c.trap : undefined;
  }

  /** Why the breakpoint's condition is evaluated by the debugger, when it was not compiled. */
  refusalAt(address: bigint): string | undefined {
    return this.refused.get(address)?.reason;
  }

  /**
   * Steps see and run the program's own instructions: the jumps to compiled conditions come out
   * (their hooks go to the sites, conditions evaluated by the debugger) and go back after.
   */
  suspendCompiled(on: boolean): void {
    if (this.suspended === on) return;
    this.suspended = on;
    for (const [site, c] of this.compiled) {
      if (on && c.armed) {
        const hits = this.sites?.disarm(site);
        if (hits !== undefined) c.bp.hits = hits;
        c.armed = false;
      }
    }
    this.syncHooks();
  }

  /** Hit counts of compiled conditions, as the program counted them (at every stop). */
  syncProgramHits(): void {
    for (const [site, c] of this.compiled) {
      if (!c.armed) continue;
      const hits = this.sites?.hits(site);
      if (hits !== undefined) c.bp.hits = hits;
    }
  }

  /** The program's bytes where compiled conditions put jumps (for the debugger's views of code). */
  programCode(address: bigint, bytes: Uint8Array): Uint8Array {
    return this.sites ? this.sites.overlay(address, bytes) : bytes;
  }

  /** A function is about to be patched: conditions compiled in its body come out first (the patch owns its entry). */
  beforePatch(range: PatchedRange): void {
    this.patching.push(range);
    this.syncHooks();
  }

  breakpointsAt(address: bigint): Breakpoint[] {
    address = this.siteOfTrap(address) ?? address;
    return this.all().filter((b) => b.kind !== "data" && b.verified && b.addresses.includes(address));
  }

  dataBreakpoint(id: number): Breakpoint | undefined {
    return this.dataBps.find((b) => b.id === id);
  }

  /**
   * Counts the hit, evaluates conditions and logpoints, and says whether to stop. At a compiled
   * condition's trap (`checkedAt` its site) the program has checked the condition and hit condition.
   */
  async decide(bps: Breakpoint[], evaluator: ConditionEvaluator, checkedAt?: bigint): Promise<HitDecision> {
    const decision: HitDecision = { stop: false, breakpoints: [], logs: [], conditionErrors: [] };
    const checked = checkedAt !== undefined ? this.compiled.get(checkedAt)?.bp : undefined;
    for (const bp of bps) {
      const { condition, hitCondition, logMessage } = bp.options;
      if (bp === checked) {
        bp.hits = this.sites?.hits(checkedAt!) ?? bp.hits + 1;
        if (logMessage !== undefined) decision.logs.push(await interpolate(logMessage, evaluator));
        else {
          decision.stop = true;
          decision.breakpoints.push(bp);
        }
        continue;
      }
      if (condition && condition.trim() !== "") {
        try {
          if (!(await evaluator.condition(condition))) continue;
        } catch (e) {
          decision.stop = true;
          decision.breakpoints.push(bp);
          decision.conditionErrors.push(`breakpoint ${bp.id}: cannot evaluate condition '${condition}': ${describeError(e)}`);
          continue;
        }
      }
      bp.hits++;
      if (hitCondition && !hitConditionMet(hitCondition, bp.hits)) continue;
      if (logMessage !== undefined) {
        decision.logs.push(await interpolate(logMessage, evaluator));
        continue;
      }
      decision.stop = true;
      decision.breakpoints.push(bp);
    }
    return decision;
  }

  dispose(): void {
    for (const h of this.codeHooks.values()) h.remove();
    for (const h of this.dataHooks.values()) h.remove();
    this.codeHooks.clear();
    this.dataHooks.clear();
  }

  private reuseOrCreate(old: Breakpoint[], kind: BreakpointKind, same: (b: Breakpoint) => boolean, options: BreakpointOptions, fields: Partial<Breakpoint>): Breakpoint {
    // Keep id and hit count of a breakpoint that is set again (DAP resends the whole list).
    const prev = old.find(same);
    const opts = { condition: options.condition, hitCondition: options.hitCondition, logMessage: options.logMessage };
    if (prev) {
      this.syncProgramHits();
      // A new hit condition counts from now on (LLDB's ignore count starts when it is set).
      if ((prev.options.hitCondition ?? "") !== (opts.hitCondition ?? "")) prev.hits = 0;
      prev.options = opts;
      return prev;
    }
    return { id: this.nextId++, kind, verified: false, addresses: [], options: opts, hits: 0, ...fields };
  }

  private bindSource(bp: Breakpoint, source: string, line: number): void {
    for (const image of this.images()) {
      const found = image.dwarf ? lineBreakAddresses(image.dwarf, source, line, this.reader(image)) : undefined;
      if (!found || found.addresses.length === 0) continue;
      for (const [a, owner] of found.owners) this.lineOwners.set(a + image.bias, owner);
      bp.addresses = found.addresses.map((a) => a + image.bias);
      bp.line = found.line;
      bp.verified = true;
      bp.message = undefined;
      return;
    }
    bp.addresses = [];
    bp.verified = false;
    const withDebug = this.images().filter((i) => i.dwarf);
    bp.message =
      withDebug.length === 0
        ? "the program has no debug information: rebuild it with -g"
        : `no code at or after line ${line} of ${source} in ${withDebug.map((i) => i.name).join(", ")} (is the file part of the program?)`;
  }

  private bindInstruction(bp: Breakpoint, address: bigint): void {
    const image = this.images().find((i) => i.contains(address));
    bp.addresses = [address];
    bp.verified = image !== undefined;
    bp.message = image ? `${image.symbols.describe(address)}` : `0x${address.toString(16)} is not inside the program or a loaded library`;
  }

  private bindFunction(bp: Breakpoint, name: string): void {
    for (const image of this.images()) {
      const found = image.dwarf ? functionBreakAddresses(image.dwarf, name, this.reader(image)) : [];
      if (found.length > 0) {
        bp.addresses = found.map((a) => a + image.bias);
        bp.verified = true;
        bp.message = undefined;
        return;
      }
      const sym = image.symbols.addressOf(name);
      if (sym !== undefined) {
        bp.addresses = [sym];
        bp.verified = true;
        bp.message = undefined;
        return;
      }
    }
    bp.addresses = [];
    bp.verified = false;
    bp.message = `no function named '${name}' in the program or its loaded libraries`;
  }

  /** Code bytes of an image at link-time addresses. */
  private reader(image: ImageInfo): CodeReader {
    return (a, n) => {
      const b = new Uint8Array(n);
      return this.cpu.tryRead(a + image.bias, b) ? this.programCode(a + image.bias, b) : undefined;
    };
  }

  /**
   * The functions patched now: breakpoints past their entries are marked not reached (the
   * frames already inside still reach them). Returns those whose mark changed.
   */
  setPatched(ranges: readonly PatchedRange[]): Breakpoint[] {
    this.patched = ranges;
    this.patching = [];
    return this.markNotReached();
  }

  private markNotReached(): Breakpoint[] {
    const changed: Breakpoint[] = [];
    for (const bp of this.all()) {
      const r = bp.kind === "data" ? undefined : this.patched.find((p) => bp.addresses.some((a) => a > p.entry && a < p.end));
      const why = r && `not reached while '${r.name}' is patched: its calls run the patch (':unpatch ${r.name}' puts it back)`;
      if (why === bp.notReached) continue;
      bp.notReached = why;
      changed.push(bp);
    }
    return changed;
  }

  private syncHooks(): void {
    this.markNotReached(); // after every binding change: a breakpoint set in a patched function is marked at once
    const bySite = new Map<bigint, Breakpoint[]>();
    for (const bp of this.all()) {
      if (bp.kind === "data" || !bp.verified) continue;
      for (const a of bp.addresses) bySite.set(a, [...(bySite.get(a) ?? []), bp]);
    }
    this.syncCompiled(bySite);
    const wanted = new Set<bigint>();
    for (const site of bySite.keys()) {
      const c = this.compiled.get(site);
      wanted.add(c?.armed ? c.trap : site);
    }
    for (const [addr, hook] of this.codeHooks) {
      if (!wanted.has(addr)) {
        hook.remove();
        this.codeHooks.delete(addr);
      }
    }
    for (const addr of wanted) {
      if (this.codeHooks.has(addr)) continue;
      const hook = this.cpu.hookCode(addr, addr, (pc) => {
        if (this.control.consumeSuppression(pc)) return;
        this.control.stopFromHook({ kind: "breakpoint", address: pc });
      });
      this.codeHooks.set(addr, hook);
    }
  }

  /**
   * Compiles the conditions of sites with one conditional breakpoint (or hit condition) into the
   * program, removes those no longer asked for, and arms or disarms them as steps need.
   */
  private syncCompiled(bySite: Map<bigint, Breakpoint[]>): void {
    for (const [site, c] of [...this.compiled]) {
      const bps = bySite.get(site);
      const key = bps ? compileKey(bps) : "";
      // Hits counted by the program go to the breakpoint unless what it counts for changed.
      if (!bps || key !== c.key || this.inPatched(site)) this.uncompile(site, key === c.key);
    }
    for (const [site, r] of [...this.refused]) if (compileKey(bySite.get(site) ?? []) !== r.key) this.refused.delete(site);
    const sites = this.sites;
    this.syncPending = false;
    if (!sites) return;
    for (const [site, bps] of bySite) {
      const key = compileKey(bps);
      const c = this.compiled.get(site);
      if (c) {
        // A thread inside the bytes the jump takes keeps the hook at the site until the next sync.
        if (!this.suspended && !c.armed) c.armed = sites.arm(site, c.bp.hits);
        if (!this.suspended && !c.armed) this.syncPending = true;
        continue;
      }
      if (key === "" || this.suspended || this.refused.has(site) || this.inPatched(site)) continue;
      if (!sites.ready()) {
        this.syncPending = true;
        continue;
      }
      const bp = bps[0]!;
      const r = sites.install({ address: site, condition: bp.options.condition, hitCondition: bp.options.hitCondition, hiddenInline: this.hiddenInlineAt(site, bp), hits: bp.hits });
      // A passing reason (a thread inside the bytes) is tried again when the user resumes.
      if ("refused" in r) this.refused.set(site, { key, reason: r.refused, transient: r.transient ?? false });
      else this.compiled.set(site, { bp, key, trap: r.trap, armed: r.armed });
    }
    for (const [site, bps] of bySite) {
      const why = this.refused.get(site)?.reason;
      const note = why && `its condition is evaluated by the debugger at each hit, not in the program's code: ${why}`;
      for (const bp of bps) {
        if (bp.conditionNote === note) continue;
        bp.conditionNote = note;
        this.noted.add(bp);
      }
    }
  }

  private uncompile(site: bigint, keepHits = true): void {
    const c = this.compiled.get(site);
    if (!c) return;
    const hits = this.sites?.remove(site);
    if (hits !== undefined && keepHits) c.bp.hits = hits;
    this.compiled.delete(site);
  }

  private inPatched(address: bigint): boolean {
    return [...this.patched, ...this.patching].some((p) => address >= p.entry && address < p.end);
  }

  private syncDataHooks(): void {
    for (const h of this.dataHooks.values()) h.remove();
    this.dataHooks.clear();
    const watched = this.dataBps.filter((bp) => bp.verified && bp.watch);
    // A watch must stop right after the writing instruction: only the instruction gate does that.
    this.cpu.setPreciseStops(watched.length > 0);
    for (const bp of watched) {
      const { address, size } = bp.watch!;
      const end = address + BigInt(size);
      // Unicorn tests a hook's range against the first byte written: a wider store starting up to
      // 15 bytes before the watch still overlaps it.
      const hook = this.cpu.hookMemory(["write"], address - 15n, end - 1n, (_access, at, len) => {
        if (at + BigInt(len) <= address || at >= end) return;
        // Called before the write lands: remember the old value; the new one is read at the stop,
        // right after the instruction. Unicorn syncs rip before a memory hook: the writer.
        const buf = new Uint8Array(size);
        const old = this.cpu.tryRead(address, buf) ? littleEndian(buf) : 0n;
        this.control.stopFromHook({ kind: "data", watchId: bp.id, address, size, oldValue: old, newValue: 0n, writer: this.cpu.reg("rip") });
      });
      this.dataHooks.set(bp.id, hook);
    }
  }
}

/**
 * What a site's compiled condition is made of: one breakpoint with a condition or a hit
 * condition ("" when the site's breakpoints are not for compiling: none conditional, or several).
 */
function compileKey(bps: readonly Breakpoint[]): string {
  if (bps.length !== 1) return "";
  const bp = bps[0]!;
  const { condition, hitCondition, logMessage } = bp.options;
  if (!condition?.trim() && !hitCondition?.trim()) return "";
  return `${bp.id}\u0000${condition ?? ""}\u0000${hitCondition ?? ""}\u0000${logMessage !== undefined}`;
}

export function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/**
 * Whether the `hits`-th hit (counted since the hit condition was set) stops, as LLDB and CodeLLDB
 * read DAP's hit condition: a plain N skips N-1 hits and then stops every time (N-1 is LLDB's
 * ignore count); `==N` only the Nth, `>=N`/`>N`/`<=N`/`<N` by comparison, `%N` every Nth.
 */
export function hitConditionMet(cond: string, hits: number): boolean {
  const h = parseHitCondition(cond);
  if (!h) return true; // an unreadable hit condition never hides a stop
  const n = Number(h.n);
  switch (h.op) {
    case "==":
      return hits === n;
    case ">":
      return hits > n;
    case "<=":
      return hits <= n;
    case "<":
      return hits < n;
    case "%":
      return n > 0 && hits % n === 0;
    default:
      return hits >= n; // "N" and ">=N"
  }
}

export interface HitCondition {
  /** A plain N reads as ">=". */
  op: "==" | ">=" | ">" | "%" | "<=" | "<";
  n: bigint;
}

/** DAP's hit condition text ("N", "==N", ">=N", ">N", "<=N", "<N", "%N"), or undefined when it is none of those. */
export function parseHitCondition(text: string): HitCondition | undefined {
  const m = /^\s*(==|>=|>|%|<=|<)?\s*(\d+)\s*$/.exec(text);
  return m ? { op: (m[1] ?? ">=") as HitCondition["op"], n: BigInt(m[2]!) } : undefined;
}

async function interpolate(message: string, evaluator: ConditionEvaluator): Promise<string> {
  let out = "";
  let i = 0;
  while (i < message.length) {
    const open = message.indexOf("{", i);
    if (open < 0) break;
    const close = message.indexOf("}", open + 1);
    if (close < 0) break;
    out += message.slice(i, open);
    const expr = message.slice(open + 1, close);
    try {
      out += await evaluator.format(expr);
    } catch (e) {
      out += `<error: ${describeError(e)}>`;
    }
    i = close + 1;
  }
  return out + message.slice(i);
}
