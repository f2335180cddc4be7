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
const SPAN_SIZE = 7; // the windows' span: from the lowest start to the highest end (0: no windows)
const SPAN_START = 8;
const WINDOW = 9; // (start, size) pairs, size 0 for none
export const MAX_WINDOWS = 4;
const SLOTS = WINDOW + 2 * MAX_WINDOWS;

/**
 * void gate(uc_engine *uc, uint64_t address, uint32_t size, uint64_t *gate)  (System V: rdi, rsi, edx, rcx)
 *   if (gate[SPAN_SIZE]) {
 *     if (address is in the span and in a window) { gate[IN_WINDOW] = 1; return; }
 *     if (gate[IN_WINDOW]) { gate[IN_WINDOW] = 0; return; }
 *   }
 *   if (gate[BLOCKS] >= gate[LIMIT]) { gate[PC] = address; gate[STOPPED] = 1; return uc_emu_stop(uc); }
 *   gate[BLOCKS]++;
 * Outside the span (nearly every block) that is six instructions more than without windows.
 *
 *    0: cmp qword [rcx+56], 0       ; the span's size
 *    5: jne windows
 *    7: counted: mov rax, [rcx]
 *    a: cmp rax, [rcx+8]
 *    e: jae stop
 *   10: inc rax
 *   13: mov [rcx], rax
 *   16: ret
 *   17: stop: mov [rcx+16], rsi
 *   1b: mov qword [rcx+32], 1
 *   23: jmp [rcx+24]                ; tail call: uc_emu_stop(uc)
 *   26: windows: mov rax, rsi
 *   29: sub rax, [rcx+64]           ; address - the span's start
 *   2d: cmp rax, [rcx+56]
 *   31: jb inspan
 *   33: outside: cmp qword [rcx+48], 0
 *   38: je counted
 *   3a: mov qword [rcx+48], 0       ; the block after a window: the rest of the one the jump cut short
 *   42: ret
 *   43: inspan: mov rax, rsi; sub rax, [rcx+72]; cmp rax, [rcx+80]; jb inside   ; window 0
 *   50:   ... window 1 ([rcx+88], [rcx+96]), window 2 ([rcx+104], [rcx+112]),
 *   6a:   window 3 ([rcx+120], [rcx+128]: a 32-bit displacement)
 *   7a: jmp outside
 *   7c: inside: mov qword [rcx+48], 1
 *   84: ret
 * (assembled by GNU as from that source; the bytes below are its output.)
 */
const GATE_CODE = Uint8Array.from(
  Buffer.from(
    "4883793800751f488b01483b4108730748ffc0488901c34889711048c7412001000000ff6118" +
      "4889f0482b4140483b41387210488379300074cd48c7413000000000c3" +
      "4889f0482b4148483b4150722c4889f0482b4158483b4160721f4889f0482b4168483b41707212" +
      "4889f0482b4178483b81800000007202ebb748c7413001000000c3",
    "hex",
  ),
);

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
const INSN_GATE_OFFSET = 160;

const UNLIMITED = 0xffff_ffff_ffff_ffffn;

let shared: { code: bigint; insnCode: bigint } | undefined;

/** The gates' machine code, mapped once per Node process. */
function gateCode(): { code: bigint; insnCode: bigint } {
  if (!shared) {
    if (GATE_CODE.length > INSN_GATE_OFFSET) throw new Error("stop gate: the block gate's code overlaps the instruction gate's");
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
    let low = UNLIMITED;
    let high = 0n;
    for (let k = 0; k < MAX_WINDOWS; k++) {
      const w = windows[k];
      this.slots[WINDOW + 2 * k] = w ? w.start : 0n;
      this.slots[WINDOW + 2 * k + 1] = w ? w.end - w.start : 0n;
      if (w && w.start < low) low = w.start;
      if (w && w.end > high) high = w.end;
    }
    this.slots[SPAN_START] = windows.length > 0 ? low : 0n;
    this.slots[SPAN_SIZE] = windows.length > 0 ? high - low : 0n;
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
