/**
 * Stores at the speed of loads. Unicorn 2.0.1 stubs QEMU's dirty-memory bitmap ("every page is
 * clean"), so every TLB entry of a writable page carries TLB_NOTDIRTY and every guest store takes
 * QEMU's self-modifying-code check (page_collection_lock, a tree allocated and freed per store):
 * ~125 ns a store against ~25 ns a load, the largest cost of call- and store-heavy code (measured
 * on a store-only loop: 66x qemu-user). Unicorn fixed it in 2.1 (commit d0103576); Debian ships 2.0.1.
 *
 * The engine gets one more native hook, on every store: it calls libunicorn's exported
 * tlb_set_dirty(uc->cpu, address), which clears TLB_NOTDIRTY from that page's TLB entries, so
 * the page's next stores skip the check until the entry is refilled. That is QEMU's own move once
 * a page holds no translated code. It is right only while no translated code can sit in a
 * writable page, which the engine keeps true (unicorn.ts): a page losing execute permission has
 * its translations dropped, and while any page is writable and executable the hook is switched
 * off and the TLB flushed, so every store to such a page is checked again. It is also off while
 * jitdbg has a write hook of its own: with inline stores (tlb-fast-path.ts) only a store to a
 * not-dirty page reaches Unicorn's helper, where hooks are called.
 */
import koffi from "koffi";
import { executableCode, nativeBytes, unicornSymbol } from "./native-page.js";

/** The hook's slots (u64), shared by the machine code below and the TypeScript side. */
const SET_DIRTY = 0; // tlb_set_dirty_x86_64
const ENABLED = 1; // 0: do nothing (a writable executable page exists)
const CPU_OFFSET = 2; // offsetof(struct uc_struct, cpu) in this build of libunicorn
const SLOTS = 3;

/**
 * void hook(uc_engine *uc, int type, uint64_t address, int size, int64_t value, uint64_t *slots)
 *   (System V: rdi, esi, rdx, ecx, r8, r9)
 *   if (slots[ENABLED]) return tlb_set_dirty(*(CPUState **)((char *)uc + slots[CPU_OFFSET]), address);
 */
const HOOK_CODE = Uint8Array.from([
  0x49, 0x83, 0x79, 0x08, 0x00, // cmp qword [r9 + 8], 0
  0x74, 0x0e, //                   je done
  0x49, 0x8b, 0x41, 0x10, //       mov rax, [r9 + 16]
  0x48, 0x8b, 0x3c, 0x07, //       mov rdi, [rdi + rax]   (uc->cpu)
  0x48, 0x89, 0xd6, //             mov rsi, rdx
  0x41, 0xff, 0x21, //             jmp [r9]               (tail call: tlb_set_dirty)
  0xc3, //                         done: ret
]);

let code: bigint | undefined;

/**
 * offsetof(struct uc_struct, cpu), read from libunicorn's own tcg_flush_softmmu_tlb_x86_64, whose
 * whole body is `tlb_flush(uc->cpu)`: `mov rdi, [rdi + disp]; jmp tlb_flush`. Undefined when the
 * code is not that (another build): the hook then stays off.
 */
function cpuOffset(unicornPath: string): number | undefined {
  const fn = unicornSymbol(unicornPath, "tcg_flush_softmmu_tlb_x86_64");
  if (fn === undefined) return undefined;
  const b = nativeBytes(fn, 8);
  const view = new DataView(b.buffer);
  if (b[0] === 0x48 && b[1] === 0x8b && b[2] === 0xbf && b[7] === 0xe9) return view.getInt32(3, true); // disp32
  if (b[0] === 0x48 && b[1] === 0x8b && b[2] === 0x7f && b[4] === 0xe9) return view.getInt8(3); // disp8
  return undefined;
}

/** One engine's store hook: register `callback` with `userData` as a UC_HOOK_MEM_WRITE hook on every address. */
export class DirtyStores {
  readonly callback: bigint;
  readonly userData: unknown;
  private readonly slots: BigUint64Array;

  private constructor(callback: bigint, setDirty: bigint, offset: number) {
    this.callback = callback;
    this.userData = koffi.alloc("uint64_t", SLOTS);
    this.slots = new BigUint64Array(koffi.view(this.userData, SLOTS * 8));
    this.slots[SET_DIRTY] = setDirty;
    this.slots[ENABLED] = 1n;
    this.slots[CPU_OFFSET] = BigInt(offset);
  }

  /** The hook for this libunicorn, or undefined when it does not export what the hook needs. */
  static create(unicornPath: string): DirtyStores | undefined {
    const setDirty = unicornSymbol(unicornPath, "tlb_set_dirty_x86_64");
    const offset = cpuOffset(unicornPath);
    if (setDirty === undefined || offset === undefined) return undefined;
    code ??= executableCode(HOOK_CODE, "store hook");
    return new DirtyStores(code, setDirty, offset);
  }

  get enabled(): boolean {
    return this.slots[ENABLED] !== 0n;
  }

  set enabled(on: boolean) {
    this.slots[ENABLED] = on ? 1n : 0n;
  }

  free(): void {
    koffi.free(this.userData);
  }
}
