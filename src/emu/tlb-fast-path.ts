/**
 * Loads and stores at QEMU's speed while every fault still names its instruction.
 *
 * Unicorn 2.0.1 asks one question twice when it translates a block: "does any memory hook
 * exist?" Its x86 front end, if so, stores the instruction's address into rip before every
 * memory access (so a fault names the exact instruction); its TCG back end, if so, sends every
 * access through the C helper instead of the inline TLB look-up (so hooks see every access:
 * ~25 ns a load instead of ~1). jitdbg needs the first and, while it has no memory hook of its
 * own on the accesses, not the second: the helper runs anyway on a TLB miss, and a miss is the
 * only way to reach an unmapped or protected page (the TLB is flushed when mappings or
 * protections change), so faults and their exact rip stay as they are.
 *
 * The two questions are asked in two functions: the front end's gen_intermediate_code and the
 * back end's tcg_gen_code, which tb_gen_code calls through libunicorn's GOT. That GOT slot is
 * pointed at a few bytes of machine code that, for the engine now running, empties its read and
 * write hook lists while the back end runs and puts them back after (no hook is called during
 * code generation). The slots say which engine's lists to empty; 0 means "leave them", which is
 * exactly Unicorn's own behaviour. Stores still reach the helper while a page's TLB entry is
 * flagged (Unicorn marks every writable page not-dirty), so the store hooks (dirty-stores.ts,
 * and jitdbg's own write watches while the dirty shortcut is off) still see what they must.
 */
import koffi from "koffi";
import { redirectGotSlots } from "./got-redirect.js";

/** The wrapper's slots (u64), shared by the machine code below and the TypeScript side. */
const REAL = 0; // tcg_gen_code_x86_64
const READ_HEAD = 1; // &uc->hook[UC_HOOK_MEM_READ_IDX].head of the running engine, or 0
const WRITE_HEAD = 2; // &uc->hook[UC_HOOK_MEM_WRITE_IDX].head of the running engine
const SLOTS = 3;

/**
 * int wrapper(TCGContext *s, TranslationBlock *tb)
 *   if (!slots[READ_HEAD]) return real(s, tb);
 *   save and clear *slots[READ_HEAD], *slots[WRITE_HEAD]; r = real(s, tb); restore them; return r;
 * The slots' address is patched into the movabs at SLOTS_IMM.
 */
const WRAPPER_CODE = [
  0x49, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, // movabs r11, slots
  0x49, 0x83, 0x7b, 0x08, 0x00, //       cmp qword [r11 + 8], 0
  0x74, 0x3a, //                         je plain
  0x53, //                               push rbx
  0x41, 0x54, //                         push r12
  0x41, 0x55, //                         push r13           (rsp 16-aligned for the call)
  0x4c, 0x89, 0xdb, //                   mov rbx, r11
  0x48, 0x8b, 0x43, 0x08, //             mov rax, [rbx + 8]
  0x4c, 0x8b, 0x20, //                   mov r12, [rax]
  0x48, 0xc7, 0x00, 0, 0, 0, 0, //       mov qword [rax], 0
  0x48, 0x8b, 0x43, 0x10, //             mov rax, [rbx + 16]
  0x4c, 0x8b, 0x28, //                   mov r13, [rax]
  0x48, 0xc7, 0x00, 0, 0, 0, 0, //       mov qword [rax], 0
  0xff, 0x13, //                         call [rbx]         (the real tcg_gen_code)
  0x48, 0x8b, 0x4b, 0x08, //             mov rcx, [rbx + 8]
  0x4c, 0x89, 0x21, //                   mov [rcx], r12
  0x48, 0x8b, 0x4b, 0x10, //             mov rcx, [rbx + 16]
  0x4c, 0x89, 0x29, //                   mov [rcx], r13
  0x41, 0x5d, //                         pop r13
  0x41, 0x5c, //                         pop r12
  0x5b, //                               pop rbx
  0xc3, //                               ret
  0x41, 0xff, 0x23, //                   plain: jmp [r11]
];
const SLOTS_IMM = 2;

const BACK_END = "tcg_gen_code_x86_64";

interface Installed {
  slots: BigUint64Array;
}

/** The u64 at `address` (koffi gives a number when it fits). */
function word(address: bigint): bigint {
  return BigInt(koffi.decode(address, "uint64_t") as bigint | number);
}

/** One per process (the GOT is): undefined when this libunicorn cannot take it. */
let installed: Installed | undefined | null = null;

/** Points libunicorn's GOT slot of the back end at the wrapper, once per process. */
function install(unicornPath: string): Installed | undefined {
  if (installed !== null) return installed;
  const slots = redirectGotSlots(unicornPath, BACK_END, { code: WRAPPER_CODE, slotsImm: SLOTS_IMM, slotCount: SLOTS, realSlot: REAL, name: "translation back-end wrapper" });
  installed = slots && { slots };
  return installed;
}

/** The fast path of one engine: which of its hook lists the wrapper empties while it runs. */
export class TlbFastPath {
  private constructor(
    private readonly shared: Installed,
    private readonly readHead: bigint,
    private readonly writeHead: bigint,
  ) {}

  /**
   * For the engine `uc`: `addHook` adds its read+write pc-sync hook (its first read hook, its
   * last write hook) and returns the hook's handle. The hook lists are found by what adding it
   * changed in the engine's struct, so no field offset of this build is assumed, and only words
   * that became list items are followed. Undefined when the library or the lists are not as expected.
   */
  static create(unicornPath: string, uc: bigint, addHook: () => bigint): TlbFastPath | undefined {
    const shared = install(unicornPath);
    // calloc'd: glibc's chunk header (the word before) gives the struct's size with 3 flag bits.
    const size = shared ? Number(word(uc - 8n) & ~7n) - 16 : 0;
    const valid = size > 0 && size < 1 << 22;
    const snapshot = () => (valid ? (koffi.decode(uc, koffi.array("uint64_t", size / 8)) as BigUint64Array) : new BigUint64Array(0));
    const before = snapshot();
    const hook = addHook();
    if (!shared || !valid) return undefined;
    const after = snapshot();
    // The read list was empty: its head and tail (consecutive words) went from 0 to the new item.
    let read = -1;
    for (let i = 0; i + 1 < after.length; i++) {
      if (before[i] !== 0n || before[i + 1] !== 0n || after[i] === 0n || after[i] !== after[i + 1]) continue;
      if (read >= 0) return undefined; // ambiguous
      read = i;
    }
    if (read < 0 || word(after[read]! + 8n) !== hook) return undefined;
    // struct list is { head, tail, delete_fn }: UC_HOOK_MEM_WRITE_IDX's list is the next one,
    // and its tail is now an item of the same hook.
    const write = read + 3;
    const tail = after[write + 1];
    if (tail === undefined || tail === before[write + 1] || word(tail + 8n) !== hook) return undefined;
    return new TlbFastPath(shared, uc + BigInt(read * 8), uc + BigInt(write * 8));
  }

  /** Before this engine runs: translations it makes take the inline path (`on`) or Unicorn's helper. */
  arm(on: boolean): void {
    this.shared.slots[READ_HEAD] = on ? this.readHead : 0n;
    this.shared.slots[WRITE_HEAD] = on ? this.writeHead : 0n;
  }

  /** After the run: no engine's lists are touched outside one. */
  disarm(): void {
    this.shared.slots[READ_HEAD] = 0n;
  }
}
