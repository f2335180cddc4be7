/**
 * Fix-and-continue: `:patch <C function definition>` replaces a function of the program while it
 * runs, `:unpatch <name>` puts it back. The new body is compiled by the console's compiler against
 * the program's types and globals and linked as a JIT module; the original's first bytes become a
 * jump to it, so every later call — direct, through a function pointer taken earlier, from
 * another JIT module — runs the new code, while frames already inside the old body finish there.
 *
 * Refused, with the reason, where that would not be what the user asked for: a definition whose
 * type is not the function's (callers pass what the old prototype says), a function the compiler
 * also inlined (those copies keep the old code), one too short to hold the jump, and a function a
 * frame is inside of while its own code jumps back into the bytes the jump takes.
 */
import { JitdbgError } from "../../errors.js";
import { InlinedScope, type FunctionScope, type Scope as DwarfScope } from "../../dwarf/index.js";
import type { CompileResult } from "../../expr/index.js";
import type { Scope } from "../../expr/scope.js";
import { sameType, typeName, type FunctionType } from "../../expr/types.js";
import type { JitLinker } from "../../jit/linker.js";
import type { JitModule } from "../../jit/module.js";
import type { Process } from "../../inferior/process.js";
import type { ImageInfo } from "../image-info.js";
import type { PatchedRange } from "../run/breakpoints.js";
import { decodeLoaded } from "../inspect/disassembly.js";
import { threadStacks } from "../inspect/thread-backtraces.js";
import { USER_END } from "../../inferior/address-space.js";

interface Patch {
  name: string;
  entry: bigint;
  /** The end of the old body. */
  end: bigint;
  /** The bytes the jump replaced. */
  original: Uint8Array;
  jump: Uint8Array;
  module: JitModule;
  /** The process the patch is in (an execve replaces it, and the patch with it). */
  process: Process;
}

export interface PatchHost {
  readonly process: Process;
  readonly images: readonly ImageInfo[];
  linker(): JitLinker;
  /** Told the patched bodies after every patch and unpatch. */
  changed(ranges: PatchedRange[]): void;
  /** Told a body before its entry is patched (breakpoint conditions compiled there come out first). */
  beforePatch?(range: PatchedRange): void;
}

/** How far from a function its patch module may go (rel32 reach, less room for the module). */
const NEAR_REACH = 0x7000_0000n;
/** jmp rel32, when the new code is within ±2 GiB of the entry. */
const NEAR_JUMP = 5;
/** movabs r11, target; jmp r11 (r11 is free at a function's entry: no argument travels in it). */
const FAR_JUMP = 13;

export class FunctionPatches {
  private readonly patches = new Map<string, Patch>();
  /** Modules of replaced patches that a frame may still run in (removed once none does). */
  private retired: JitModule[] = [];

  constructor(private readonly host: PatchHost) {}

  /**
   * Applies a compiled definition (`defines` has one function, emitted as `symbol`) as a patch of
   * the program's function of that name.
   */
  patch(result: CompileResult, scope: Scope, symbol: string): string {
    const def = result.defines[0];
    if (!def || result.kind !== "function") throw new JitdbgError("PATCH_NOT_FUNCTION", "':patch' takes a function definition, e.g. ':patch int area(int w, int h) { return w * h; }'");
    this.forgetReplacedProcess();
    const fn = this.programFunction(def.name);
    const old = scope.lookup(def.name);
    const oldType = old?.kind === "function" ? old.type : undefined;
    if (!oldType) throw new JitdbgError("PATCH_NO_PROTOTYPE", `'${def.name}' has no prototype in the program's debug information, so the patch's type cannot be checked against what its callers pass; build it with -g`);
    if (!sameType(oldType, def.type)) {
      throw new JitdbgError("PATCH_TYPE", `the patch of '${def.name}' has type '${typeName(def.type)}' but the program's function has type '${typeName(oldType)}': its callers pass and expect what the old type says; keep the parameters and the return type`);
    }
    this.refuseInlined(def.name);
    const previous = this.patches.get(def.name);
    const linker = this.host.linker();
    const entry = fn.image.bias + fn.scope.entryPc;
    this.host.beforePatch?.({ name: def.name, entry, end: fn.image.bias + fn.scope.highPc });
    // Within ±2 GiB of the function, so that a 5-byte jump reaches it (small functions have no room for more).
    const near = { low: entry > NEAR_REACH ? entry - NEAR_REACH : 0x10000n, high: entry + NEAR_REACH < USER_END ? entry + NEAR_REACH : USER_END };
    const module = linker.addObject(result.object, `patch:${def.name}`, { placement: near });
    try {
      linker.finalize(module);
      const target = module.symbolLoadAddress(module.exports.get(symbol) ?? -1);
      if (target === undefined) throw new JitdbgError("PATCH_NO_SYMBOL", `the patch module defines no '${def.name}'`);
      const jump = jumpTo(entry, target);
      const size = fn.image.bias + fn.scope.highPc - entry;
      if (BigInt(jump.length) > size) throw new JitdbgError("PATCH_TOO_SHORT", `'${def.name}' is ${size} bytes long, too short for the ${jump.length}-byte jump to its patch`);
      if (!previous) this.refuseReentry(def.name, entry, fn.image.bias + fn.scope.lowPc, fn.image.bias + fn.scope.highPc, jump.length);
      const original = previous?.original ?? this.host.process.cpu.read(entry, jump.length);
      // The program's code pages are read-only to it; the debugger writes them as the kernel does.
      this.host.process.space.poke(entry, jump);
      this.patches.set(def.name, { name: def.name, entry, end: fn.image.bias + fn.scope.highPc, original, jump, module, process: this.host.process });
    } catch (e) {
      linker.removeModule(module);
      this.host.changed(this.ranges()); // nothing changed: the breakpoints hear it is over
      throw e;
    }
    if (previous) this.retire(previous.module);
    this.host.changed(this.ranges());
    return `patched ${typeName(def.type.ret)} ${def.name}(${paramsText(def.type)}): calls from now on run the new code (frames already in it finish in the old one; breakpoints on its lines past the entry are not reached while it is patched)`;
  }

  /** Puts the original function back. */
  unpatch(name: string): string {
    this.forgetReplacedProcess();
    const p = this.patches.get(name);
    if (!p) {
      const names = [...this.patches.keys()];
      throw new JitdbgError("PATCH_UNKNOWN", `'${name}' is not patched${names.length ? ` (patched: ${names.join(", ")})` : ""}`);
    }
    this.host.process.space.poke(p.entry, p.original);
    this.patches.delete(name);
    this.retire(p.module);
    this.host.changed(this.ranges());
    return `unpatched ${name}: calls from now on run the program's own code again`;
  }

  /** The patched functions' bodies (breakpoints past their entries are not reached). */
  ranges(): PatchedRange[] {
    return [...this.patches.values()].map((p) => ({ name: p.name, entry: p.entry, end: p.end }));
  }

  /** The one out-of-line definition of `name` among the loaded images with debug information. */
  private programFunction(name: string): { scope: FunctionScope; image: ImageInfo } {
    const found: { scope: FunctionScope; image: ImageInfo }[] = [];
    for (const image of this.host.images) {
      const dwarf = image.dwarf;
      if (!dwarf) continue;
      for (const unit of dwarf.units) {
        for (const fn of dwarf.model(unit)?.functions ?? []) if (fn.name === name && fn.ranges.length > 0) found.push({ scope: fn, image });
      }
    }
    if (found.length === 0) throw new JitdbgError("PATCH_NO_FUNCTION", `the program has no function '${name}' with debug information to patch (a console function is redefined without ':patch')`);
    if (found.length > 1) {
      const where = found.map((f) => `${f.scope.declaration.file?.split("/").pop() ?? "?"}:${f.scope.declaration.line ?? "?"}`).join(", ");
      throw new JitdbgError("PATCH_AMBIGUOUS", `the program has ${found.length} functions named '${name}' (${where}); patching one of several static functions is not supported`);
    }
    return found[0]!;
  }

  /** Inlined copies would go on running the old code. */
  private refuseInlined(name: string): void {
    const calls: string[] = [];
    const walk = (s: DwarfScope): void => {
      for (const c of s.children) {
        if (c instanceof InlinedScope && c.name === name) calls.push(`${c.call.file?.split("/").pop() ?? "?"}:${c.call.line ?? "?"}`);
        walk(c);
      }
    };
    for (const image of this.host.images) {
      const dwarf = image.dwarf;
      if (!dwarf) continue;
      for (const unit of dwarf.units) for (const fn of dwarf.model(unit)?.functions ?? []) walk(fn);
    }
    if (calls.length > 0) {
      throw new JitdbgError("PATCH_INLINED", `'${name}' was also inlined into its callers at ${[...new Set(calls)].join(", ")}; those copies would keep the old code (rebuild with -fno-inline, or patch the callers)`);
    }
  }

  /**
   * A frame inside the old body goes on there; if that code jumps back into the bytes the jump
   * takes, it would land inside the jump. Refused then (with the disassembler still loading, any
   * frame inside the body is refused).
   */
  private refuseReentry(name: string, entry: bigint, low: bigint, high: bigint, length: number): void {
    const inside = this.framesIn(low, high).filter((pc) => pc !== entry);
    if (inside.length === 0) return;
    const code = this.host.process.cpu.read(low, Number(high - low));
    const insns = decodeLoaded(code, low);
    const end = entry + BigInt(length);
    const reentry = insns?.find((i) => /^(j|call|loop)/.test(i.mnemonic) && /^0x[0-9a-f]+$/.test(i.opStr) && BigInt(i.opStr) > entry && BigInt(i.opStr) < end);
    if (insns && !reentry) return;
    const why = reentry ? `its code jumps back to 0x${BigInt(reentry.opStr).toString(16)}, inside the ${length} bytes the jump to the patch takes` : "the disassembler is still loading, so jumps back into its first bytes cannot be ruled out";
    throw new JitdbgError("PATCH_ACTIVE", `a frame is inside '${name}' (at 0x${inside[0]!.toString(16)}) and ${why}; step out of it (stepOut) and patch again`);
  }

  /** pcs (and return addresses) of every thread's frames in [low, high). */
  private framesIn(low: bigint, high: bigint): bigint[] {
    return threadStacks(this.host.process, this.host.images, 256, { pcsOnly: true }).flatMap((s) => s.frames.map((f) => f.pc).filter((pc) => pc >= low && pc < high));
  }

  /** A replaced patch's module goes once no frame runs in it; until then it stays loaded. */
  private retire(module: JitModule): void {
    this.retired.push(module);
    const linker = this.host.linker();
    this.retired = this.retired.filter((m) => {
      if (m.codeRanges().some((r) => this.framesIn(r.start, r.end).length > 0)) return true;
      linker.removeModule(m);
      return false;
    });
  }

  /** After an execve the old image and its patches are gone. */
  private forgetReplacedProcess(): void {
    for (const [name, p] of this.patches) if (p.process !== this.host.process) this.patches.delete(name);
  }
}

/** The bytes that send execution at `from` to `target`: a rel32 jump when it reaches, else through r11. */
export function jumpTo(from: bigint, target: bigint): Uint8Array {
  const rel = target - (from + BigInt(NEAR_JUMP));
  if (rel >= -(1n << 31n) && rel < 1n << 31n) {
    const b = new Uint8Array(NEAR_JUMP);
    b[0] = 0xe9;
    new DataView(b.buffer).setInt32(1, Number(rel), true);
    return b;
  }
  const b = new Uint8Array(FAR_JUMP);
  b.set([0x49, 0xbb], 0); // movabs r11, imm64
  new DataView(b.buffer).setBigUint64(2, target, true);
  b.set([0x41, 0xff, 0xe3], 10); // jmp r11
  return b;
}

function paramsText(t: FunctionType): string {
  return t.params.map((p) => typeName(p)).join(", ") + (t.variadic ? ", ..." : "") || "void";
}
