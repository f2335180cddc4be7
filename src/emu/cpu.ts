/**
 * The narrow interface the rest of jitdbg uses to drive an x86-64 CPU emulator. Only
 * src/emu/unicorn.ts knows the C API behind it, so another engine (a WebAssembly build of
 * Unicorn, say) can be swapped in by implementing this file's interface.
 */
import type { RegName } from "./registers.js";
import type { SharedPart } from "./shared-memory.js";

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const PROT_ALL = 7;

export type MemAccess = "read" | "write" | "fetch";

/** Why emulation stopped. */
export type StopCause =
  | { kind: "ok" } // reached `until`, or stop() was called
  | { kind: "budget" } // the block budget ran out (at a block boundary)
  | { kind: "fault"; access: MemAccess; reason: "unmapped" | "protection"; address: bigint }
  | { kind: "invalid-instruction" }
  | { kind: "exception"; code: number; message: string };

export interface RunOptions {
  /**
   * Address at which to stop (0n: never). Unicorn compiles this check into the block translated
   * at that address, so only an address whose block is translated while it is the target (a
   * trap nothing else reaches) is reliable; elsewhere use a code hook.
   */
  until?: bigint;
  /** At most this many translation-block entries, then stop before the next (0: no limit). */
  blocks?: number;
}

export type CodeHook = (address: bigint, size: number) => void;
export type MemHook = (access: MemAccess, address: bigint, size: number, value: bigint) => void;
export type InterruptHook = (intno: number) => void;
export type SyscallHook = () => void;
/** Before a `cpuid` runs: true when the hook has set eax, ebx, ecx and edx itself (the instruction is skipped), false to let it run. */
export type CpuidHook = () => boolean;

/**
 * Told of every change made to the machine from outside its own execution (by the kernel, the
 * debugger): a recording logs them, since they are what replaying the program's instructions
 * cannot reproduce. Each call comes before the change, except `mapped` and `restoredContext`
 * (after: the bytes and registers are then there to read; `restoringContext` comes before).
 */
export interface CpuObserver {
  write(address: bigint, data: Uint8Array): void;
  setReg(name: RegName, value: bigint): void;
  setRegBytes(name: RegName, bytes: Uint8Array): void;
  restoringContext(): void;
  restoredContext(): void;
  /** `withBytes`: the mapping came with bytes (a file's, shared memory's), not zeros. */
  mapped(address: bigint, size: bigint, prot: number, withBytes: boolean): void;
  unmapping(address: bigint, size: bigint): void;
  protecting(address: bigint, size: bigint, prot: number): void;
  /** A run is about to start: what came before it happened at one position. */
  running(): void;
  /** A run ended (registers and the block count are exact). */
  ran(): void;
  /** The position changed without a run or a change of the program's state (leaveUncountedCode). */
  moved(): void;
}

export interface HookHandle {
  remove(): void;
}

/** A saved copy of the CPU's registers (one per thread, say), readable and writable while saved. */
export interface CpuContext {
  reg(name: RegName): bigint;
  setReg(name: RegName, value: bigint): void;
  free(): void;
}

/** Bytes of a host file that fill the start of a new mapping: a private copy-on-write view, as MAP_PRIVATE gives. */
export interface MappedFile {
  /** An open descriptor of this process for the file (readable). */
  fd: number;
  offset: number;
  /** Bytes from `offset` (at most the mapping's size; fewer where the file ends). */
  length: number;
  /**
   * Nothing can shrink the file while it is mapped, so the host may map it rather than copy it
   * (a page past a truncated file's end would fault in the debugger itself, not in the program).
   */
  stable: boolean;
}

export interface Cpu {
  /** Maps zeroed memory, or memory holding `file`'s bytes followed by zeros. */
  map(address: bigint, size: bigint, prot: number, file?: MappedFile): void;
  /** Maps memory shared with other engines (MAP_SHARED): `part`'s bytes from its offset on. */
  mapShared(address: bigint, size: bigint, prot: number, part: SharedPart): void;
  unmap(address: bigint, size: bigint): void;
  protect(address: bigint, size: bigint, prot: number): void;
  read(address: bigint, size: number): Uint8Array;
  /** Reads into an existing buffer; returns false instead of throwing when unmapped. */
  tryRead(address: bigint, into: Uint8Array): boolean;
  /**
   * One byte a page of the page-aligned range: 1 where the page is known to hold only zeros
   * without reading it (memory nothing has touched); undefined when nothing is known.
   */
  zeroPages(address: bigint, size: number): Uint8Array | undefined;
  write(address: bigint, data: Uint8Array): void;
  /** Forgets translated code in a range after its bytes changed (JIT writes, breakpoint patches). */
  invalidateCode(begin: bigint, end: bigint): void;

  reg(name: RegName): bigint;
  setReg(name: RegName, value: bigint): void;
  /** Raw bytes of a wide register (xmm: 16, st: 10). */
  regBytes(name: RegName): Uint8Array;
  setRegBytes(name: RegName, bytes: Uint8Array): void;

  /**
   * Runs from `begin` until `until`, a fault, stop() or the block budget. Every way it ends but a
   * fault leaves registers and memory at an instruction boundary, with rip there.
   */
  run(begin: bigint, opts?: RunOptions): StopCause;
  /**
   * From a hook: end the run at the next exact boundary — in a code hook before the hooked
   * instruction, in any other hook (memory, syscall, interrupt) before the next block.
   */
  stop(): void;
  /**
   * While on, stop() from a memory hook ends the run before the next instruction rather than the
   * next block (every instruction then passes a native check: about 2x slower; switching drops
   * all translations). For data breakpoints, which must stop right after the writing instruction.
   */
  setPreciseStops(on: boolean): void;
  /**
   * Whether blocks translated from now on go through the translator's optimizer (the default).
   * Without it a block translates faster and runs a little slower, computing the same: for code
   * that runs about once (the dynamic loader's). Blocks already translated stay as they are.
   */
  setOptimizedTranslation(on: boolean): void;
  /** Whether blocks translated now go through the optimizer (setOptimizedTranslation). */
  readonly optimizedTranslation: boolean;
  /**
   * Counts what can change the registers and memory reads see — writes, register and context
   * changes, mappings, runs — so a reader may keep what it derived while the count stays the same.
   */
  readonly changes: number;
  /**
   * The program's position in translation-block entries: the blocks entered before the one
   * executing now. Exact across stops: a block resumed in its middle (after a code hook stopped
   * the run there) counts once, so the same instruction has the same count however often the
   * debugger stopped on the way (a recording's positions and the scheduler's turns rely on it).
   * Read inside a code hook it includes the block being executed.
   */
  readonly blockCount: bigint;
  /** Puts the count back (the debugger's own runs, expression calls, are not the program's; a replay restores a checkpoint's). */
  setBlockCount(count: bigint): void;
  /**
   * Code the debugger puts in the program's path (compiled breakpoint conditions' trampolines and
   * code): blocks entered there, and the first block entered after leaving it, are not counted
   * (nor stopped at by a block budget), so a position is the same instruction with that code in
   * the path or not. At most 4 ranges (RangeError beyond); an empty list removes them.
   */
  setUncountedCode(ranges: readonly { start: bigint; end: bigint }[]): void;
  /** Whether pc is in uncounted code. */
  inUncountedCode(pc: bigint): boolean;
  /**
   * A thread stopped in uncounted code goes on at `pc`, an instruction of the program, as though
   * it had stopped there without entering that code (rip and the count; not a change of the
   * program's state: observers are not told).
   */
  leaveUncountedCode(pc: bigint): void;
  /** The reverse: a thread stopped at a program instruction goes on at `pc` in uncounted code (a trampoline that runs the instruction for it). */
  enterUncountedCode(pc: bigint): void;
  /** Starts (or, with undefined, ends) telling `observer` of changes from outside the machine's execution. */
  observe(observer: CpuObserver | undefined): void;
  /**
   * Whether translated code does its loads and stores inline, through the TLB, while no read hook
   * exists (false: every access goes through the engine's helper, as with Unicorn's own default).
   */
  readonly inlineMemory: boolean;
  /** Times every translation was dropped (precise stops switched, a read hook's first or last, a wide code hook): each costs a re-translation of the hot code. */
  readonly translationDrops: number;

  hookCode(begin: bigint, end: bigint, hook: CodeHook): HookHandle;
  /**
   * `firstStorePerPage`: the hook needs to see only the first store to each page after it is added
   * (an undo log saving a page before it changes): later stores to a page may skip it and run at
   * full speed. Without it, a write hook sees every store (a data breakpoint).
   */
  hookMemory(kinds: readonly MemAccess[], begin: bigint, end: bigint, hook: MemHook, opts?: { firstStorePerPage?: boolean }): HookHandle;
  hookSyscall(hook: SyscallHook): HookHandle;
  /**
   * Calls `hook` before each `cpuid` instruction at an address in [begin, end]. Decided when the
   * instruction runs, not when it is translated: adding or removing it drops no translations, and
   * instructions other than cpuid pay nothing (a code hook would be called at every instruction of its range).
   */
  hookCpuid(begin: bigint, end: bigint, hook: CpuidHook): HookHandle;
  hookInterrupt(hook: InterruptHook): HookHandle;

  /** The registers now, into a new context or over `into` (reusing its storage). */
  saveContext(into?: CpuContext): CpuContext;
  /** A copy of a saved context (or its registers over `into`), the CPU untouched. */
  copyContext(from: CpuContext, into?: CpuContext): CpuContext;
  restoreContext(ctx: CpuContext): void;
  close(): void;
}
