/**
 * Translation without TCG's optimizer, for code that runs once.
 *
 * tcg_gen_code runs tcg_optimize (constant folding, copy propagation) over every block before
 * register allocation; QEMU keeps the pass behind a compile-time switch (USE_TCG_OPTIMIZATIONS),
 * and the passes after it take its input as well as its output: skipping it changes how fast a
 * block is translated and how fast its code runs, never what the code computes. For the dynamic
 * loader, whose ~1,600 blocks of a hello world run about once each, the optimizer costs more
 * than it saves (measured: launch to exit of a dynamic hello 15% faster with it skipped until the
 * program's entry; with it skipped everywhere, the emulator benchmark's workloads ran within
 * their noise).
 *
 * tcg_gen_code calls tcg_optimize through libunicorn's GOT, so that slot is pointed at a few
 * bytes of machine code that return at once while the running engine asks for it, and otherwise
 * jump to the real pass. With any other libunicorn (no such slot) nothing changes.
 */
import { redirectGotSlots } from "./got-redirect.js";

const SKIP = 0; // non-zero while the running engine's translations skip the optimizer
const REAL = 1; // tcg_optimize_x86_64
const SLOTS = 2;

/** void stub(TCGContext *s): if (slots[SKIP]) return; else jump to slots[REAL]. */
const STUB_CODE = [
  0x49, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, // movabs r11, slots
  0x49, 0x83, 0x3b, 0x00, //             cmp qword [r11], 0
  0x75, 0x04, //                         jne skip
  0x41, 0xff, 0x63, 0x08, //             jmp [r11 + 8]
  0xc3, //                               skip: ret
];
const SLOTS_IMM = 2;
const PASS = "tcg_optimize_x86_64";

/** One per process (the GOT is): undefined when this libunicorn cannot take it. */
let installed: BigUint64Array | undefined | null = null;

function install(unicornPath: string): BigUint64Array | undefined {
  if (installed !== null) return installed;
  installed = redirectGotSlots(unicornPath, PASS, { code: STUB_CODE, slotsImm: SLOTS_IMM, slotCount: SLOTS, realSlot: REAL, name: "translation optimizer switch" });
  return installed;
}

/** Whether the engine now running translates without the optimizer. */
export class OptimizerSwitch {
  private constructor(private readonly slots: BigUint64Array) {}

  /** Undefined when this libunicorn's GOT has no slot for the pass. */
  static create(unicornPath: string): OptimizerSwitch | undefined {
    const slots = install(unicornPath);
    return slots && new OptimizerSwitch(slots);
  }

  /** Before an engine runs: its translations skip the optimizer (`skip`) or not. */
  arm(skip: boolean): void {
    this.slots[SKIP] = skip ? 1n : 0n;
  }

  /** After the run: another engine's translations are its own business. */
  disarm(): void {
    this.slots[SKIP] = 0n;
  }
}
