/**
 * The exact-stop gate: the one way jitdbg ends an emulation run anywhere but inside a code hook.
 *
 * Unicorn ends a run asked to stop from outside a code hook (its time-out thread, uc_emu_stop from
 * a memory hook) at the next check of its exit flag, and it checks that flag after *every memory
 * access*, in the middle of an instruction: the registers, memory and rip then describe no
 * instruction boundary and resuming from rip re-runs part of an instruction (see
 * shared/notes/unicorn-stops-and-speed.md). The one place a check is known to sit on a boundary is
 * the start of a translation block. So the engine gets a single block hook, installed before
 * anything is translated and never removed, whose callback is a few bytes of machine code: it
 * counts block entries and, once the count reaches the run's limit (or a stop was requested by
 * setting the limit to 0), records the address of the block it is about to enter and calls
 * uc_emu_stop. The exit check that follows the block hook then leaves before the block's first
 * instruction: registers and memory are exact, and rip is the recorded address.
 *
 * The callback is native code because a block hook runs on every block: a JavaScript callback
 * costs microseconds each, this one a few nanoseconds (Unicorn 2 inlines the call of a sole block
 * hook into the translated code); native-page.ts maps it.
 *
 * Uncounted code: the debugger's own code in the program's path (a compiled breakpoint condition's
 * trampoline) must not move the count, or a position recorded with a breakpoint would not be the
 * same instruction replayed without it, and the scheduler's turns would shift. So blocks entered
 * in up to four windows are not counted and never stopped at, and neither is the first block
 * entered after leaving them: the site's jump ended the program's block early, and the block the
 * trampoline goes back to is the rest of it.
 */
import koffi from "koffi";
import { JitdbgError } from "../errors.js";
import { executableCode, unicornSymbol } from "./native-page.js";

/** Layout of the gate (u64 slots), shared by the machine code below and the TypeScript side. */
const BLOCKS = 0; // block entries so far
const LIMIT = 1; // stop on the entry that would make BLOCKS exceed this (0: at the next block)
const PC = 2; // address of the block not entered, when the gate stopped the run
const STOP_FN = 3; // uc_emu_stop
const STOPPED = 4; // 1 when the block gate ended the run, 2 when the instruction gate did (inside a block)
const STOP_BEFORE_INSN = 5; // non-zero: the instruction gate stops before the next instruction
const IN_WINDOW = 6; // 1 while the blocks entered are in an uncounted window
const WINDOWS = 7; // non-zero: some window is set
const WINDOW = 8; // (start, size) pairs, size 0 for none
export const MAX_WINDOWS = 4;
const SLOTS = WINDOW + 2 * MAX_WINDOWS;

/**
 * void gate(uc_engine *uc, uint64_t address, uint32_t size, uint64_t *gate)  (System V: rdi, rsi, edx, rcx)
 *   if (gate[WINDOWS]) {
 *     if (address is in a window) { gate[IN_WINDOW] = 1; return; }
 *     if (gate[IN_WINDOW]) { gate[IN_WINDOW] = 0; return; }
 *   }
 *   if (gate[BLOCKS] >= gate[LIMIT]) { gate[PC] = address; gate[STOPPED] = 1; return uc_emu_stop(uc); }
 *   gate[BLOCKS]++;
 */
const window = (k: number): number[] => {
  const start = 8 * (WINDOW + 2 * k);
  return [
    0x48, 0x89, 0xf0, //                 mov rax, rsi
    0x48, 0x2b, 0x41, start, //          sub rax, [rcx + start]
    0x48, 0x3b, 0x41, start + 8, //      cmp rax, [rcx + size]
    0x72, 0x37 - 13 * k, //              jb inside
  ];
};
const GATE_CODE = Uint8Array.from([
  0x48, 0x83, 0x79, 8 * WINDOWS, 0x00, // cmp qword [rcx + 56], 0
  0x75, 0x1f, //                   jne windows
  0x48, 0x8b, 0x01, //             counted: mov rax, [rcx]
  0x48, 0x3b, 0x41, 0x08, //       cmp rax, [rcx + 8]
  0x73, 0x07, //                   jae stop
  0x48, 0xff, 0xc0, //             inc rax
  0x48, 0x89, 0x01, //             mov [rcx], rax
  0xc3, //                         ret
  0x48, 0x89, 0x71, 0x10, //       stop: mov [rcx + 16], rsi
  0x48, 0xc7, 0x41, 0x20, 0x01, 0x00, 0x00, 0x00, // mov qword [rcx + 32], 1
  0xff, 0x61, 0x18, //             jmp [rcx + 24]   (tail call: uc_emu_stop(uc))
  ...window(0), //                 windows: each window in turn
  ...window(1),
  ...window(2),
  ...window(3),
  0x48, 0x83, 0x79, 8 * IN_WINDOW, 0x00, // cmp qword [rcx + 48], 0
  0x74, 0xa6, //                   je counted
  0x48, 0xc7, 0x41, 8 * IN_WINDOW, 0x00, 0x00, 0x00, 0x00, // mov qword [rcx + 48], 0   (the block after a window)
  0xc3, //                         ret
  0x48, 0xc7, 0x41, 8 * IN_WINDOW, 0x01, 0x00, 0x00, 0x00, // inside: mov qword [rcx + 48], 1
  0xc3, //                         ret
]);

/**
 * The instruction gate, a code hook on every address while precise stops are wanted:
 * void insn_gate(uc_engine *uc, uint64_t address, uint32_t size, uint64_t *gate)
 *   if (gate[STOP_BEFORE_INSN]) { gate[PC] = address; gate[STOPPED] = 1; return uc_emu_stop(uc); }
 * Unicorn syncs rip and the flags before a code hook and checks for a stop right after it, so
 * this stop, unlike one requested from a memory hook, lands on the instruction boundary.
 */
const INSN_GATE_CODE = Uint8Array.from([
  0x48, 0x83, 0x79, 0x28, 0x00, // cmp qword [rcx + 40], 0
  0x75, 0x01, //                   jne stop
  0xc3, //                         ret
  0x48, 0x89, 0x71, 0x10, //       stop: mov [rcx + 16], rsi
  0x48, 0xc7, 0x41, 0x20, 0x02, 0x00, 0x00, 0x00, // mov qword [rcx + 32], 2
  0xff, 0x61, 0x18, //             jmp [rcx + 24]
]);
const INSN_GATE_OFFSET = 128;

const UNLIMITED = 0xffff_ffff_ffff_ffffn;

let shared: { code: bigint; insnCode: bigint } | undefined;

/** The gates' machine code, mapped once per Node process. */
function gateCode(): { code: bigint; insnCode: bigint } {
  if (!shared) {
    const bytes = new Uint8Array(INSN_GATE_OFFSET + INSN_GATE_CODE.length);
    bytes.set(GATE_CODE);
    bytes.set(INSN_GATE_CODE, INSN_GATE_OFFSET);
    const code = executableCode(bytes, "stop gate");
    shared = { code, insnCode: code + BigInt(INSN_GATE_OFFSET) };
  }
  return shared;
}

/** The address of uc_emu_stop in the loaded libunicorn. */
function stopFunction(unicornPath: string): bigint {
  const address = unicornSymbol(unicornPath, "uc_emu_stop");
  if (address === undefined) throw new JitdbgError("EMU_GATE", `cannot find uc_emu_stop in ${unicornPath}: is it libunicorn.so.2?`);
  return address;
}

/** One engine's gate: its counters and the callback to register as the engine's block hook. */
export class StopGate {
  /** Pass as the block hook's callback... */
  readonly callback: unknown;
  /** ...the instruction gate's code hook callback (same user data)... */
  readonly instructionCallback: unknown;
  /** ...and as its user data. */
  readonly userData: unknown;
  private readonly slots: BigUint64Array;

  constructor(unicornPath: string) {
    const { code, insnCode } = gateCode();
    this.callback = code;
    this.instructionCallback = insnCode;
    this.userData = koffi.alloc("uint64_t", SLOTS);
    this.slots = new BigUint64Array(koffi.view(this.userData, SLOTS * 8));
    this.slots.fill(0n);
    this.slots[STOP_FN] = stopFunction(unicornPath);
    this.slots[LIMIT] = UNLIMITED;
  }

  /** Block entries since the engine was created (a block resumed in its middle counts again: the caller takes that back). */
  get blocks(): bigint {
    return this.slots[BLOCKS]!;
  }

  set blocks(count: bigint) {
    this.slots[BLOCKS] = count;
  }

  /** Sets the uncounted windows (at most MAX_WINDOWS; empty: none). */
  setWindows(windows: readonly { start: bigint; end: bigint }[]): void {
    if (windows.length > MAX_WINDOWS) throw new RangeError(`at most ${MAX_WINDOWS} uncounted code windows`);
    for (let k = 0; k < MAX_WINDOWS; k++) {
      const w = windows[k];
      this.slots[WINDOW + 2 * k] = w ? w.start : 0n;
      this.slots[WINDOW + 2 * k + 1] = w ? w.end - w.start : 0n;
    }
    this.slots[WINDOWS] = windows.length > 0 ? 1n : 0n;
    if (windows.length === 0) this.slots[IN_WINDOW] = 0n;
  }

  /** Whether the blocks being entered are in a window (the next block outside one is not counted). */
  get inWindow(): boolean {
    return this.slots[IN_WINDOW] === 1n;
  }

  set inWindow(on: boolean) {
    this.slots[IN_WINDOW] = on ? 1n : 0n;
  }

  /** Before a run: allow `blocks` more block entries (0 or undefined: no limit). */
  arm(blocks: number | undefined): void {
    this.slots[STOPPED] = 0n;
    this.slots[STOP_BEFORE_INSN] = 0n;
    this.slots[LIMIT] = blocks ? this.slots[BLOCKS]! + BigInt(blocks) : UNLIMITED;
  }

  /** During a run, from any hook: end it before the next block is entered, or the next instruction where the instruction gate is installed. */
  requestStop(): void {
    this.slots[LIMIT] = 0n;
    this.slots[STOP_BEFORE_INSN] = 1n;
  }

  /**
   * After a run: where the gate stopped it, if it did — before entering a block, or (the
   * instruction gate) before an instruction inside the block being executed.
   */
  takeStop(): { pc: bigint; insideBlock: boolean } | undefined {
    const stopped = this.slots[STOPPED]!;
    this.slots[STOPPED] = 0n;
    this.slots[STOP_BEFORE_INSN] = 0n;
    this.slots[LIMIT] = UNLIMITED;
    return stopped === 0n ? undefined : { pc: this.slots[PC]!, insideBlock: stopped === 2n };
  }

  free(): void {
    koffi.free(this.userData);
  }
}
