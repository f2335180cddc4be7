/**
 * Cpu implemented on Unicorn 2 (libunicorn.so.2) through koffi. The only file that knows the
 * Unicorn C API; constants are those of unicorn.h 2.0.1 (see shared/notes/unicorn-from-node.md).
 */
import { readSync } from "node:fs";
import koffi, { type LibraryHandle, type TypeObject } from "koffi";
import { JitdbgError } from "../errors.js";
import { contextBytes, findOldException, resetOldException, setContextBytes } from "./exception-reset.js";
import type { CodeHook, Cpu, CpuContext, CpuObserver, CpuidHook, HookHandle, InterruptHook, MappedFile, MemAccess, MemHook, RunOptions, StopCause, SyscallHook } from "./cpu.js";
import { locateUnicorn } from "./locate.js";
import { DirtyStores } from "./dirty-stores.js";
import { HostMemory } from "./host-memory.js";
import type { SharedPart } from "./shared-memory.js";
import { StopGate } from "./stop-gate.js";
import { TlbFastPath } from "./tlb-fast-path.js";
import { OptimizerSwitch } from "./optimizer-switch.js";
import { SyscallRegisters } from "./syscall-registers.js";
import { X86_REG, registerWidth, type RegName } from "./registers.js";

const UC_ARCH_X86 = 4;
const UC_MODE_64 = 8;
const UC_HOOK_INTR = 1;
const UC_HOOK_INSN = 2;
const UC_HOOK_CODE = 4;
const UC_HOOK_BLOCK = 8;
const UC_HOOK_MEM_READ = 1 << 10;
const UC_HOOK_MEM_WRITE = 1 << 11;
const UC_HOOK_MEM_FETCH = 1 << 12;
const UC_HOOK_MEM_INVALID = 1008;
const UC_X86_INS_SYSCALL = 699;
const UC_X86_INS_CPUID = 113;
const PC_SYNC_RANGE = 0xffff_ffff_ffff_f000n;
/**
 * Soft-MMU TLB growth. QEMU sizes its TLB (256 entries at first) only when it flushes it, and
 * Unicorn 2.0.1 flushes it only when memory is mapped, so a program touching more than a few
 * hundred pages misses on most accesses. A run longer than TLB_SLICE block entries is cut into
 * slices at exact block boundaries (the stop gate), and between two slices a page is mapped and
 * unmapped at TLB_SCRATCH (outside any x86-64 user address) only to make Unicorn flush, and so
 * resize, its TLB (uc_ctl offers no TLB flush in 2.0.1). Measured: ~50 µs a flush with its
 * refills; a memory-random loop over 16 MiB runs 1.7x faster with 2^16-block slices (2^20: 1.25x,
 * the TLB doubling once a slice grows too late; 2^12: the flushes cost what growth gains).
 */
export const TLB_SLICE = 1 << 16;
const TLB_SCRATCH = 0xffff_ffff_ffff_e000n;
/**
 * uc_emu_start's `until` when the caller gives none. Unicorn ends a run cleanly when the pc
 * reaches `until`, so 0 would turn a jump to address 0 into a silent stop instead of a fetch
 * fault; a non-canonical address is one no x86-64 code ever runs at.
 */
const NO_UNTIL = 0x8000_0000_0000_0000n;
const HLT = 0xf4;
const UC_CTL_TB_REMOVE_CACHE_WRITE2 = 9 | (2 << 26) | (1 << 30);
const UC_PROT_WRITE = 2;
const UC_PROT_EXEC = 4;
const PAGE_SHIFT = 12n;
const PAGE_SIZE = 1n << PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1n;

const UC_ERR_READ_UNMAPPED = 6;
const UC_ERR_WRITE_UNMAPPED = 7;
const UC_ERR_FETCH_UNMAPPED = 8;
const UC_ERR_INSN_INVALID = 10;
const UC_ERR_WRITE_PROT = 12;
const UC_ERR_READ_PROT = 13;
const UC_ERR_FETCH_PROT = 14;

const MEM_TYPE: Record<number, { access: MemAccess; reason: "unmapped" | "protection" | "ok" }> = {
  16: { access: "read", reason: "ok" },
  17: { access: "write", reason: "ok" },
  18: { access: "fetch", reason: "ok" },
  19: { access: "read", reason: "unmapped" },
  20: { access: "write", reason: "unmapped" },
  21: { access: "fetch", reason: "unmapped" },
  22: { access: "write", reason: "protection" },
  23: { access: "read", reason: "protection" },
  24: { access: "fetch", reason: "protection" },
  25: { access: "read", reason: "ok" },
};

interface UnicornApi {
  uc_open: (arch: number, mode: number, out: [bigint | null]) => number;
  uc_close: (uc: bigint) => number;
  uc_strerror: (code: number) => string;
  uc_reg_read: (uc: bigint, reg: number, value: Uint8Array) => number;
  uc_reg_read_in_place: (uc: bigint, reg: number, value: BigUint64Array) => number;
  uc_reg_write_word: (uc: bigint, reg: number, value: BigUint64Array) => number;
  uc_reg_read_batch: (uc: bigint, regs: Int32Array, values: BigUint64Array, count: number) => number;
  uc_reg_write: (uc: bigint, reg: number, value: Uint8Array) => number;
  uc_mem_read: (uc: bigint, address: bigint, bytes: Uint8Array, size: number) => number;
  uc_mem_write: (uc: bigint, address: bigint, bytes: Uint8Array, size: number) => number;
  uc_mem_map: (uc: bigint, address: bigint, size: bigint, perms: number) => number;
  uc_mem_map_ptr: (uc: bigint, address: bigint, size: bigint, perms: number, ptr: bigint) => number;
  uc_mem_unmap: (uc: bigint, address: bigint, size: bigint) => number;
  uc_mem_protect: (uc: bigint, address: bigint, size: bigint, perms: number) => number;
  uc_emu_start: (uc: bigint, begin: bigint, until: bigint, timeout: bigint, count: number) => number;
  uc_emu_stop: (uc: bigint) => number;
  uc_hook_add: (uc: bigint, out: [bigint | number | null], type: number, cb: unknown, user: unknown, begin: bigint, end: bigint, ...extra: unknown[]) => number;
  uc_hook_del: (uc: bigint, hh: bigint | number) => number;
  uc_ctl: (uc: bigint, ctl: number, ...extra: unknown[]) => number;
  uc_context_alloc: (uc: bigint, out: [bigint | null]) => number;
  uc_context_save: (uc: bigint, ctx: bigint) => number;
  uc_context_restore: (uc: bigint, ctx: bigint) => number;
  uc_context_free: (ctx: bigint) => number;
  uc_context_reg_read: (ctx: bigint, reg: number, value: Uint8Array) => number;
  uc_context_reg_write: (ctx: bigint, reg: number, value: Uint8Array) => number;
  uc_context_size: (uc: bigint) => number | bigint;
  /** libunicorn's own `tlb_flush(uc->cpu)` (exported, not in unicorn.h); undefined when this build has none. */
  tlb_flush: ((uc: bigint) => void) | undefined;
}

interface Protos {
  code: TypeObject;
  mem: TypeObject;
  invalid: TypeObject;
  intr: TypeObject;
  syscall: TypeObject;
  cpuid: TypeObject;
}

let loaded: { api: UnicornApi; protos: Protos; path: string } | undefined;

function load(): { api: UnicornApi; protos: Protos; path: string } {
  if (loaded) return loaded;
  const path = locateUnicorn();
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new JitdbgError("EMU_LOAD", `cannot load Unicorn from ${path}: ${(e as Error).message}. Reinstall with \`npm install\` or \`apt-get install libunicorn2\`.`);
  }
  const f = (decl: string) => lib.func(decl) as unknown;
  const api = {
    uc_open: f("int uc_open(int arch, int mode, _Out_ void **uc)"),
    uc_close: f("int uc_close(void *uc)"),
    uc_strerror: f("const char *uc_strerror(int code)"),
    uc_reg_read: f("int uc_reg_read(void *uc, int regid, _Out_ uint8_t *value)"),
    // Not _Out_: koffi hands over the typed array's own memory and copies nothing back (a third
    // of the time of a read; the syscall hook reads seven registers a call).
    uc_reg_read_in_place: f("int uc_reg_read(void *uc, int regid, uint64_t *value)"),
    uc_reg_write_word: f("int uc_reg_write(void *uc, int regid, const uint64_t *value)"),
    uc_reg_read_batch: f("int uc_reg_read_batch(void *uc, int *regs, uint64_t *values, int count)"),
    uc_reg_write: f("int uc_reg_write(void *uc, int regid, const uint8_t *value)"),
    uc_mem_read: f("int uc_mem_read(void *uc, uint64_t address, _Out_ uint8_t *bytes, size_t size)"),
    uc_mem_write: f("int uc_mem_write(void *uc, uint64_t address, const uint8_t *bytes, size_t size)"),
    uc_mem_map: f("int uc_mem_map(void *uc, uint64_t address, size_t size, uint32_t perms)"),
    uc_mem_map_ptr: f("int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)"),
    uc_mem_unmap: f("int uc_mem_unmap(void *uc, uint64_t address, size_t size)"),
    uc_mem_protect: f("int uc_mem_protect(void *uc, uint64_t address, size_t size, uint32_t perms)"),
    uc_emu_start: f("int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)"),
    uc_emu_stop: f("int uc_emu_stop(void *uc)"),
    uc_hook_add: f("int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)"),
    uc_hook_del: f("int uc_hook_del(void *uc, size_t hh)"),
    uc_ctl: f("int uc_ctl(void *uc, int control, ...)"),
    uc_context_alloc: f("int uc_context_alloc(void *uc, _Out_ void **context)"),
    uc_context_save: f("int uc_context_save(void *uc, void *context)"),
    uc_context_restore: f("int uc_context_restore(void *uc, void *context)"),
    uc_context_free: f("int uc_context_free(void *context)"),
    uc_context_reg_read: f("int uc_context_reg_read(void *context, int regid, _Out_ uint8_t *value)"),
    uc_context_reg_write: f("int uc_context_reg_write(void *context, int regid, const uint8_t *value)"),
    uc_context_size: f("size_t uc_context_size(void *uc)"),
    tlb_flush: optional(() => f("void tcg_flush_softmmu_tlb_x86_64(void *uc)")),
  } as UnicornApi;
  const protos: Protos = {
    code: koffi.proto("void jitdbg_code_cb(void *uc, uint64_t address, uint32_t size, void *user)"),
    mem: koffi.proto("void jitdbg_mem_cb(void *uc, int type, uint64_t address, int size, int64_t value, void *user)"),
    invalid: koffi.proto("bool jitdbg_invalid_cb(void *uc, int type, uint64_t address, int size, int64_t value, void *user)"),
    intr: koffi.proto("void jitdbg_intr_cb(void *uc, uint32_t intno, void *user)"),
    syscall: koffi.proto("void jitdbg_syscall_cb(void *uc, void *user)"),
    cpuid: koffi.proto("int jitdbg_cpuid_cb(void *uc, void *user)"),
  };
  loaded = { api, protos, path };
  return loaded;
}

function optional<T>(load: () => unknown): T | undefined {
  try {
    return load() as T;
  } catch {
    return undefined;
  }
}

const big = (v: number | bigint): bigint => (typeof v === "bigint" ? v : BigInt(v));

let oldException: { offset: number | undefined } | undefined;

/**
 * Where old_exception sits in this library's context blob: found once on a scratch engine that
 * divides by zero twice (-1 fresh, 0 after the divide error, 8 after the double fault it causes).
 */
function oldExceptionOffset(): number | undefined {
  if (oldException) return oldException.offset;
  oldException = { offset: undefined };
  const scratch = new UnicornCpu();
  try {
    const code = 0x10000n;
    scratch.map(code, 0x1000n, 7);
    scratch.write(code, Uint8Array.from([0x31, 0xc9, 0xf7, 0xf1, 0xf4])); // xor ecx,ecx; div ecx; hlt
    scratch.hookInterrupt(() => scratch.stop());
    scratch.setReg("rsp", code + 0x800n);
    const fresh = scratch.contextBlob();
    scratch.run(code, { until: code + 5n });
    const once = scratch.contextBlob();
    scratch.run(scratch.reg("rip"), { until: code + 5n });
    const twice = scratch.contextBlob();
    oldException.offset = findOldException(fresh, once, twice);
  } finally {
    scratch.close();
  }
  return oldException.offset;
}

/** Creates a fresh x86-64 engine. */
export function createUnicornCpu(): Cpu {
  return new UnicornCpu();
}

/** A uc_context: registers saved by uc_context_save, read and written in place. */
class UnicornContext implements CpuContext {
  private freed = false;
  private readonly buf = new Uint8Array(16);

  constructor(
    private readonly api: UnicornApi,
    readonly ptr: bigint,
    /** A saved thread's registers are the program's state too. */
    private readonly changed: () => void,
  ) {}

  reg(name: RegName): bigint {
    this.buf.fill(0);
    this.check(this.api.uc_context_reg_read(this.ptr, X86_REG[name], this.buf), `read saved register ${name}`);
    return new DataView(this.buf.buffer).getBigUint64(0, true);
  }

  setReg(name: RegName, value: bigint): void {
    this.changed();
    this.buf.fill(0);
    new DataView(this.buf.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.check(this.api.uc_context_reg_write(this.ptr, X86_REG[name], this.buf), `write saved register ${name}`);
  }

  free(): void {
    if (!this.freed) this.api.uc_context_free(this.ptr);
    this.freed = true;
  }

  private check(err: number, what: string): void {
    if (err !== 0) throw new JitdbgError("EMU_ERROR", `emulator: ${what} failed: ${this.api.uc_strerror(err)}`);
  }
}

class UnicornCpu implements Cpu {
  private readonly api: UnicornApi;
  private readonly protos: Protos;
  private readonly uc: bigint;
  private readonly hooks = new Set<{ hh: bigint | number; cb: bigint }>();
  private lastFault: { access: MemAccess; reason: "unmapped" | "protection"; address: bigint; pc: bigint } | undefined;
  private pendingError: unknown;
  /** Two words for reg/setReg: a register's value is written and read here, never allocated. */
  private readonly regWords = new BigUint64Array(2);
  private closed = false;
  private started = false;
  /** A hook took a CPU exception during this run (see clearExceptionInFlight). */
  private exceptionTaken = false;
  /** Page numbers of executable memory (map/protect/unmap keep it). */
  private readonly execPages = new Set<number>();
  /** Pages mapped since the last run began: no code has run from them, so none is translated. */
  private readonly freshPages = new Set<number>();
  /** Those of them also writable: while there are any, every store is checked for code (dirty-stores.ts). */
  private readonly writableExecPages = new Set<number>();
  /** The native store hook that skips Unicorn's per-store code check (undefined: this libunicorn cannot). */
  private readonly stores: DirtyStores | undefined;
  /** The host memory behind the mappings (host-memory.ts: cheap partial unmaps and re-protects). */
  private readonly host = new HostMemory();
  /** The syscall number and arguments, read in one call while the syscall hook runs. */
  private readonly syscallRegs: SyscallRegisters;
  private readonly gate: StopGate;
  /** True while a code hook's callback runs: only there does uc_emu_stop stop on a boundary. */
  private inCodeHook = false;
  private stopAsked = false;
  /** The uncounted code's ranges (setUncountedCode), also in the gate. */
  private uncounted: { start: bigint; end: bigint }[] = [];
  /** The run was stopped from a code hook: inside a block, before the hooked instruction. */
  private codeHookStop = false;
  private observer: CpuObserver | undefined;
  /** Live code hooks; `compiledIn` once a run translated blocks while it was the only one. */
  private readonly codeHooks = new Set<{ compiledIn: boolean }>();
  /** The instruction gate's hook while precise stops are on. */
  private insnGate: bigint | number | undefined;
  /** Inline loads and stores in translated code (tlb-fast-path.ts; undefined: this libunicorn cannot). */
  private readonly fastPath: TlbFastPath | undefined;
  /** Skips TCG's optimizer for this engine's translations while `optimize` is off (optimizer-switch.ts; undefined: this libunicorn cannot). */
  private readonly optimizer: OptimizerSwitch | undefined;
  private optimize = true;
  private allDrops = 0;
  private changeCount = 0;
  /** Memory hooks of jitdbg's own on reads and on writes (the pc-sync hook is not one). */
  private readHooks = 0;
  private writeHooks = 0;

  constructor() {
    const { api, protos, path } = load();
    this.api = api;
    this.protos = protos;
    const out: [bigint | null] = [null];
    this.check(api.uc_open(UC_ARCH_X86, UC_MODE_64, out), "uc_open");
    this.uc = big(out[0] ?? 0n);
    this.syscallRegs = new SyscallRegisters((ids, values, count) => api.uc_reg_read_batch(this.uc, ids, values, count));
    // The exact-stop gate (stop-gate.ts): the engine's only block hook, added before anything is
    // translated so every block carries it. It must stay the only one (Unicorn inlines a sole hook).
    this.gate = new StopGate(path);
    const hh: [bigint | number | null] = [null];
    this.check(api.uc_hook_add(this.uc, hh, UC_HOOK_BLOCK, this.gate.callback, this.gate.userData, 1n, 0n), "add the stop gate's block hook");
    this.stores = DirtyStores.create(path);
    if (this.stores) this.check(api.uc_hook_add(this.uc, hh, UC_HOOK_MEM_WRITE, this.stores.callback, this.stores.userData, 1n, 0n), "add the store hook");
    // Record the address of every invalid access so a fault can be reported precisely.
    this.addHook(UC_HOOK_MEM_INVALID, this.protos.invalid, 1n, 0n, (_uc: unknown, type: number, address: number | bigint) => {
      const t = MEM_TYPE[type];
      // Remember the exact pc (see the pc-sync hook below) and put it back after uc_emu_start.
      if (t && t.reason !== "ok") this.lastFault = { access: t.access, reason: t.reason, address: big(address), pc: this.reg("rip") };
      return false;
    });
    // Unicorn 2.0.1 syncs RIP before memory accesses only while some memory hook exists; without
    // one a fault reports the start of the translated block. A hook on a never-used range makes
    // every fault's pc exact; the fast path keeps it from slowing the accesses down.
    this.optimizer = OptimizerSwitch.create(path);
    this.fastPath = TlbFastPath.create(path, this.uc, () => big(this.addHook(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, this.protos.mem, PC_SYNC_RANGE, PC_SYNC_RANGE, () => {}).hh));
  }

  map(address: bigint, size: bigint, prot: number, file?: MappedFile): void {
    this.changeCount++;
    const host = this.host.allocate(address, size, file);
    const err = host === undefined ? this.api.uc_mem_map(this.uc, address, size, prot) : this.api.uc_mem_map_ptr(this.uc, address, size, prot, host.host);
    if (err !== 0 && host !== undefined) this.host.discard(host.host);
    if (err !== 0) this.check(err, `map ${hex(address)}+${hex(size)}`);
    if (file && !host?.fromFile && file.length > 0) {
      // The host would not map the file: its bytes are copied in.
      const bytes = new Uint8Array(file.length);
      const n = readSync(file.fd, bytes, 0, file.length, file.offset);
      this.writeBytes(address, bytes.subarray(0, n));
    }
    this.noteMapped(address, size, prot);
    this.observer?.mapped(address, size, prot, file !== undefined);
  }

  mapShared(address: bigint, size: bigint, prot: number, part: SharedPart): void {
    this.changeCount++;
    const host = this.host.adopt(address, size, part);
    const err = this.api.uc_mem_map_ptr(this.uc, address, size, prot, host);
    if (err !== 0) this.host.discard(host);
    if (err !== 0) this.check(err, `map shared ${hex(address)}+${hex(size)}`);
    this.noteMapped(address, size, prot);
    this.observer?.mapped(address, size, prot, true);
  }

  unmap(address: bigint, size: bigint): void {
    this.observer?.unmapping(address, size);
    this.changeCount++;
    this.noteExecutable(address, size, 0); // while the pages are there to drop translations from
    const err = this.api.uc_mem_unmap(this.uc, address, size);
    if (err !== 0) this.check(err, `unmap ${hex(address)}+${hex(size)}`);
    this.host.release(address, size);
  }

  protect(address: bigint, size: bigint, prot: number): void {
    this.observer?.protecting(address, size, prot);
    this.changeCount++;
    const err = this.api.uc_mem_protect(this.uc, address, size, prot);
    if (err !== 0) this.check(err, `protect ${hex(address)}+${hex(size)}`);
    // Unicorn flushes the TLB only when a page's writability changes; a page that stops being
    // readable would still be read by inline loads through its old entry.
    if (this.fastPath && this.started) this.flushTlb();
    this.noteExecutable(address, size, prot);
  }

  /**
   * New pages: executable ones hold no translated code yet (fresh). Pages that were not mapped
   * are in none of the page sets (unmap takes them out), so a mapping without execute permission
   * changes nothing here.
   */
  private noteMapped(address: bigint, size: bigint, prot: number): void {
    if (!(prot & UC_PROT_EXEC)) return;
    this.noteExecutable(address, size, prot);
    const end = Number((address + size + PAGE_MASK) >> PAGE_SHIFT);
    for (let p = Number(address >> PAGE_SHIFT); p < end; p++) this.freshPages.add(p);
  }

  /**
   * Keeps the sets of executable (and writable executable) pages. Translated code exists only in
   * pages executable now: a page losing execute permission has its translations dropped, since
   * stores to it from then on may skip the code check (dirty-stores.ts).
   */
  private noteExecutable(address: bigint, size: bigint, prot: number): void {
    const first = Number(address >> PAGE_SHIFT);
    const end = Number((address + size + PAGE_MASK) >> PAGE_SHIFT);
    const hadWritableCode = this.writableExecPages.size > 0;
    if (prot & UC_PROT_EXEC) {
      const writable = (prot & UC_PROT_WRITE) !== 0;
      for (let p = first; p < end; p++) {
        this.execPages.add(p);
        if (writable) this.writableExecPages.add(p);
        else this.writableExecPages.delete(p);
      }
    } else if (this.execPages.size > 0) {
      // Only executable pages change (writable executable ones are among them): over a range
      // larger than the set (a library's reservation), the set's pages in it.
      const drop = (p: number) => {
        if (!this.execPages.has(p)) return;
        if (this.started) this.invalidateCode(BigInt(p) << PAGE_SHIFT, (BigInt(p) + 1n) << PAGE_SHIFT);
        this.execPages.delete(p);
        this.writableExecPages.delete(p);
      };
      if (end - first <= this.execPages.size) for (let p = first; p < end; p++) drop(p);
      else for (const p of [...this.execPages]) if (p >= first && p < end) drop(p);
    }
    if (this.writableExecPages.size > 0 !== hadWritableCode) this.updateStoreShortcut();
  }

  /**
   * The dirty-store shortcut (dirty-stores.ts) is on unless a page is writable and executable (its
   * stores must be checked for code) or a write hook of jitdbg's exists (with inline stores, only a
   * store to a not-dirty page reaches Unicorn's helper, and with it the hooks).
   */
  private updateStoreShortcut(): void {
    if (!this.stores) return;
    const on = this.writableExecPages.size === 0 && this.writeHooks === 0;
    if (on === this.stores.enabled) return;
    this.stores.enabled = on;
    // TLB entries the hook already cleared would let stores skip the check or the hooks.
    if (!on && this.started) this.flushTlb();
  }

  /**
   * Drops the translations of the executable pages in [begin, end] (every one when begin > end),
   * a page at a time: Unicorn 2.0.1's range removal maps only the first page of a range to its
   * RAM address and assumes the rest follow it, which pages of separate mappings do not, and its
   * full flush memsets the whole 1 GiB code buffer (tcg_region_assign): 0.1–2 s, a gigabyte touched.
   */
  private dropTranslationsIn(begin: bigint, end: bigint): void {
    const all = begin > end;
    if (all) this.allDrops++;
    const lo = all ? 0 : Number(begin >> PAGE_SHIFT);
    const hi = all ? Infinity : Number(end >> PAGE_SHIFT);
    for (const p of this.execPages) {
      if (p < lo || p > hi) continue;
      const at = BigInt(p) << PAGE_SHIFT;
      this.check(this.api.uc_ctl(this.uc, UC_CTL_TB_REMOVE_CACHE_WRITE2, "uint64_t", at, "uint64_t", at + PAGE_SIZE), "remove translation cache");
    }
  }


  read(address: bigint, size: number): Uint8Array {
    const buf = new Uint8Array(size);
    if (size === 0 || this.readDirect(address, buf)) return buf;
    const err = this.api.uc_mem_read(this.uc, address, buf, size);
    if (err !== 0) this.check(err, `read ${size} bytes at ${hex(address)}`, "EMU_MEM_UNREADABLE");
    return buf;
  }

  tryRead(address: bigint, into: Uint8Array): boolean {
    if (into.length === 0 || this.readDirect(address, into)) return true;
    return this.api.uc_mem_read(this.uc, address, into, into.length) === 0;
  }

  zeroPages(address: bigint, size: number): Uint8Array | undefined {
    return this.host.zeroPages(address, size);
  }

  /** Copies from the host memory behind the guest when one block holds the whole range (host-memory.ts). */
  private readDirect(address: bigint, into: Uint8Array): boolean {
    return this.host.read(address, into);
  }

  write(address: bigint, data: Uint8Array): void {
    if (data.length !== 0) this.observer?.write(address, data);
    this.writeBytes(address, data);
  }

  private writeBytes(address: bigint, data: Uint8Array): void {
    this.changeCount++;
    if (data.length === 0) return;
    // Straight into the host memory, after dropping the translations of code the bytes replace
    // (uc_mem_write would do the same, but a write-protected page costs it two rebuilds of the
    // engine's memory map, to unprotect and protect it again).
    if (this.holdsCode(address, data.length)) this.invalidateCode(address, address + BigInt(data.length));
    if (this.host.write(address, data)) return;
    const err = this.api.uc_mem_write(this.uc, address, data, data.length);
    if (err !== 0) this.check(err, `write ${data.length} bytes at ${hex(address)}`, "EMU_MEM_UNWRITABLE");
  }

  /**
   * Whether a page of [address, address + length) may hold translations: it is executable and was
   * mapped before the last run began (a program's and its libraries' images are written into
   * pages nothing has run from yet).
   */
  private holdsCode(address: bigint, length: number): boolean {
    if (this.execPages.size === 0) return false;
    const last = Number((address + BigInt(length) - 1n) >> PAGE_SHIFT);
    for (let p = Number(address >> PAGE_SHIFT); p <= last; p++) if (this.execPages.has(p) && !this.freshPages.has(p)) return true;
    return false;
  }

  invalidateCode(begin: bigint, end: bigint): void {
    // A page at a time (see dropTranslationsIn); within one page the removal is exact.
    for (let at = begin; at < end; at = (at & ~PAGE_MASK) + PAGE_SIZE) {
      const stop = (at & ~PAGE_MASK) + PAGE_SIZE < end ? (at & ~PAGE_MASK) + PAGE_SIZE : end;
      this.check(this.api.uc_ctl(this.uc, UC_CTL_TB_REMOVE_CACHE_WRITE2, "uint64_t", at, "uint64_t", stop), "remove translation cache");
    }
  }

  reg(name: RegName): bigint {
    const fetched = this.syscallRegs.get(name);
    if (fetched !== undefined) return fetched;
    const w = this.regWords;
    w[0] = 0n; // segment registers fill only their low bytes
    const err = this.api.uc_reg_read_in_place(this.uc, X86_REG[name], w);
    if (err !== 0) this.check(err, `read register ${name}`);
    return w[0]!;
  }

  setReg(name: RegName, value: bigint): void {
    this.observer?.setReg(name, value);
    this.writeReg(name, value);
  }

  private writeReg(name: RegName, value: bigint): void {
    this.changeCount++;
    this.syscallRegs.invalidate();
    const w = this.regWords;
    w[0] = BigInt.asUintN(64, value);
    const err = this.api.uc_reg_write_word(this.uc, X86_REG[name], w);
    if (err !== 0) this.check(err, `write register ${name}`);
  }

  regBytes(name: RegName): Uint8Array {
    const buf = new Uint8Array(16);
    this.check(this.api.uc_reg_read(this.uc, X86_REG[name], buf), `read register ${name}`);
    return buf.subarray(0, registerWidth(name));
  }

  setRegBytes(name: RegName, bytes: Uint8Array): void {
    this.observer?.setRegBytes(name, bytes);
    this.changeCount++;
    this.syscallRegs.invalidate();
    const buf = new Uint8Array(16);
    buf.set(bytes.subarray(0, 16));
    this.check(this.api.uc_reg_write(this.uc, X86_REG[name], buf), `write register ${name}`);
  }

  run(begin: bigint, opts: RunOptions = {}): StopCause {
    this.observer?.running();
    const cause = this.runSlices(begin, opts);
    this.observer?.ran();
    return cause;
  }

  private runSlices(begin: bigint, opts: RunOptions): StopCause {
    this.changeCount++;
    // Slices of at most TLB_SLICE blocks, the TLB flushed between them (see TLB_SLICE).
    let left = opts.blocks ? opts.blocks : Infinity;
    for (;;) {
      const slice = Math.min(left, TLB_SLICE);
      const before = this.gate.blocks;
      const cause = this.runSlice(begin, { until: opts.until, blocks: slice });
      left -= Number(this.gate.blocks - before);
      if (cause.kind !== "budget" || left <= 0) return cause;
      this.flushTlb();
      begin = this.reg("rip");
    }
  }

  /**
   * Makes Unicorn flush its soft-MMU TLB, the only time QEMU resizes it (see TLB_SLICE): through
   * libunicorn's own flush where it exports one (~2 µs), else by mapping and unmapping a page (~50 µs).
   */
  private flushTlb(): void {
    if (this.api.tlb_flush && this.started) {
      this.api.tlb_flush(this.uc);
      return;
    }
    this.check(this.api.uc_mem_map(this.uc, TLB_SCRATCH, PAGE_SIZE, 0), "map the TLB flush page");
    this.check(this.api.uc_mem_unmap(this.uc, TLB_SCRATCH, PAGE_SIZE), "unmap the TLB flush page");
  }

  private runSlice(begin: bigint, opts: RunOptions): StopCause {
    this.started = true;
    this.freshPages.clear();
    this.syscallRegs.invalidate();
    this.lastFault = undefined;
    this.pendingError = undefined;
    this.stopAsked = false;
    if (this.codeHooks.size === 1 && this.insnGate === undefined) for (const h of this.codeHooks) h.compiledIn = true;
    this.gate.arm(opts.blocks);
    // Never Unicorn's time-out or instruction count: a time-out stops mid-instruction, and the
    // count hook is added without dropping translated blocks, so they run uncounted.
    this.fastPath?.arm(this.readHooks === 0);
    this.optimizer?.arm(!this.optimize);
    const err = this.api.uc_emu_start(this.uc, begin, opts.until ?? NO_UNTIL, 0n, 0);
    this.optimizer?.disarm();
    this.fastPath?.disarm();
    if (this.exceptionTaken) this.clearExceptionInFlight();
    const gateStop = this.gate.takeStop();
    if (gateStop !== undefined) this.writeReg("rip", gateStop.pc);
    // A run a code hook (or the instruction gate) stopped inside a block resumes by entering a
    // block there again: take that entry back now, so the count says the same at the same
    // instruction whether or not the debugger stopped on the way.
    // Not in uncounted code: resuming there enters no counted block.
    if (this.stopAsked ? this.codeHookStop || gateStop?.insideBlock === true : false) {
      if (this.uncounted.length === 0 || !this.inUncountedCode(gateStop?.pc ?? this.reg("rip"))) this.gate.blocks -= 1n;
    }
    this.codeHookStop = false;
    if (this.pendingError !== undefined) {
      // A hook threw: it stopped the engine; surface its error to the caller unchanged.
      const e = this.pendingError;
      this.pendingError = undefined;
      throw e;
    }
    if (err === 0) {
      if (gateStop !== undefined) return this.stopAsked ? { kind: "ok" } : { kind: "budget" };
      const rip = this.reg("rip");
      if (this.stopAsked || (opts.until !== undefined && rip === opts.until)) return { kind: "ok" };
      // Nobody asked for this end: the code ran into NO_UNTIL (a fetch no mapping can serve) or
      // the CPU halted. Resuming would go on past it, as if nothing had happened.
      if (rip === NO_UNTIL) return { kind: "fault", access: "fetch", reason: "unmapped", address: rip };
      const before = new Uint8Array(1);
      if (this.tryRead(rip - 1n, before) && before[0] === HLT) {
        // Unicorn leaves rip after the hlt; in user mode it faults, at the hlt itself.
        this.writeReg("rip", rip - 1n);
        return { kind: "exception", code: 0, message: "hlt, a privileged instruction" };
      }
      return { kind: "exception", code: 0, message: "the CPU stopped by itself" };
    }
    const fault = this.lastFault as { address: bigint; pc: bigint } | undefined;
    if (fault) this.writeReg("rip", fault.pc);
    switch (err) {
      case UC_ERR_READ_UNMAPPED:
      case UC_ERR_WRITE_UNMAPPED:
      case UC_ERR_FETCH_UNMAPPED:
      case UC_ERR_READ_PROT:
      case UC_ERR_WRITE_PROT:
      case UC_ERR_FETCH_PROT: {
        const access: MemAccess = err === UC_ERR_READ_UNMAPPED || err === UC_ERR_READ_PROT ? "read" : err === UC_ERR_WRITE_UNMAPPED || err === UC_ERR_WRITE_PROT ? "write" : "fetch";
        const reason = err <= UC_ERR_FETCH_UNMAPPED ? "unmapped" : "protection";
        return { kind: "fault", access, reason, address: fault?.address ?? this.reg("rip") };
      }
      case UC_ERR_INSN_INVALID:
        return { kind: "invalid-instruction" };
      default:
        return { kind: "exception", code: err, message: this.api.uc_strerror(err) };
    }
  }

  stop(): void {
    // In a code hook Unicorn leaves before the hooked instruction, with rip synced: exact. Anywhere
    // else uc_emu_stop would leave after the next memory access, so the gate stops the run instead.
    this.stopAsked = true;
    this.gate.requestStop();
    if (this.inCodeHook) {
      this.codeHookStop = true;
      this.api.uc_emu_stop(this.uc);
    }
  }

  setPreciseStops(on: boolean): void {
    if (on === (this.insnGate !== undefined)) return;
    // Code hooks apply to blocks translated after they exist: drop all translations both ways.
    if (this.started) this.dropTranslationsIn(1n, 0n);
    if (on) {
      const hh: [bigint | number | null] = [null];
      this.check(this.api.uc_hook_add(this.uc, hh, UC_HOOK_CODE, this.gate.instructionCallback, this.gate.userData, 1n, 0n), "add the instruction gate");
      this.insnGate = hh[0] ?? 0;
    } else {
      this.api.uc_hook_del(this.uc, this.insnGate!);
      this.insnGate = undefined;
    }
  }

  setOptimizedTranslation(on: boolean): void {
    this.optimize = on;
  }

  get optimizedTranslation(): boolean {
    return this.optimize;
  }

  get changes(): number {
    return this.changeCount;
  }

  get blockCount(): bigint {
    return this.gate.blocks;
  }

  setBlockCount(count: bigint): void {
    this.gate.blocks = count;
  }

  setUncountedCode(ranges: readonly { start: bigint; end: bigint }[]): void {
    // A closed engine's gate is freed memory.
    if (this.closed) return;
    this.gate.setWindows(ranges);
    this.uncounted = [...ranges];
  }

  inUncountedCode(pc: bigint): boolean {
    for (const r of this.uncounted) if (pc >= r.start && pc < r.end) return true;
    return false;
  }

  leaveUncountedCode(pc: bigint): void {
    // Stopped inside, the count was left as is (resuming there counts nothing); resuming at a
    // program instruction enters a counted block, so the stop takes it back as any other does.
    this.writeReg("rip", pc);
    this.gate.inWindow = false;
    this.gate.blocks -= 1n;
    this.observer?.moved();
  }

  enterUncountedCode(pc: bigint): void {
    // The program's block resumed at the site would have counted once; the trampoline's, and the
    // block it goes back to, do not.
    this.writeReg("rip", pc);
    this.gate.inWindow = true;
    this.gate.blocks += 1n;
    this.observer?.moved();
  }

  observe(observer: CpuObserver | undefined): void {
    this.observer = observer;
  }

  get inlineMemory(): boolean {
    return this.fastPath !== undefined;
  }

  get translationDrops(): number {
    return this.allDrops;
  }

  hookCode(begin: bigint, end: bigint, hook: CodeHook): HookHandle {
    // Unicorn 2.0.1 checks code hooks when it translates a block: blocks translated before this
    // hook existed would never call it: drop those blocks (a full flush costs ~130 ms, so a
    // single-address hook drops only its own block). Before the first run nothing is translated.
    // Unicorn 2.0.1's range removal only reaches blocks at page-stride addresses (measured), so
    // only a single-address hook can use it; wider hooks flush everything.
    const dropTranslations = () => {
      if (!this.started) return;
      if (begin === end) this.invalidateCode(begin, end + 1n);
      else this.dropTranslationsIn(begin, end);
    };
    dropTranslations();
    const record = { compiledIn: false };
    this.codeHooks.add(record);
    const handle = this.addHook(UC_HOOK_CODE, this.protos.code, begin, end, (_uc: unknown, address: number | bigint, size: number) => {
      this.inCodeHook = true;
      try {
        hook(big(address), size);
      } finally {
        this.inCodeHook = false;
      }
    });
    return {
      remove: () => {
        if (!this.codeHooks.delete(record)) return;
        // While a code hook is the only one, Unicorn compiles a direct call of its callback into
        // the blocks it translates; on removal it drops only the blocks that *start* in the
        // hook's range, so a block holding the address further in would still call the freed
        // callback: drop them. A hook that was never alone during a run is only ever called
        // through Unicorn's hook list, which skips removed hooks.
        if (record.compiledIn) dropTranslations();
        handle.remove();
      },
    };
  }

  hookMemory(kinds: readonly MemAccess[], begin: bigint, end: bigint, hook: MemHook, opts: { firstStorePerPage?: boolean } = {}): HookHandle {
    // Fetch hooks are decided at translation. Read hooks need every load in Unicorn's helper,
    // which inline loads (tlb-fast-path.ts) skip: the first one drops the inline translations.
    // Write hooks need only the dirty-store shortcut off (see updateStoreShortcut), except one that
    // wants only each page's first store: with the shortcut on, a page's first store after a TLB
    // flush or refill still takes the helper (and the hooks) and marks the page's entry dirty, so
    // its next stores are inline. The flush makes every page's next store a first one again.
    const firstOnly = opts.firstStorePerPage === true;
    if (firstOnly && begin <= end && ((begin & 0xfffn) !== 0n || ((end + 1n) & 0xfffn) !== 0n)) {
      throw new RangeError("a hook of each page's first store covers whole pages");
    }
    const reads = kinds.includes("read") ? 1 : 0;
    const writes = kinds.includes("write") && !firstOnly ? 1 : 0;
    if (firstOnly && this.started) this.flushTlb();
    if (this.started && kinds.includes("fetch")) this.dropTranslationsIn(begin, end);
    this.countMemoryHooks(reads, writes);
    let type = 0;
    if (reads) type |= UC_HOOK_MEM_READ;
    if (kinds.includes("write")) type |= UC_HOOK_MEM_WRITE;
    if (kinds.includes("fetch")) type |= UC_HOOK_MEM_FETCH;
    const handle = this.addHook(type, this.protos.mem, begin, end, (_uc: unknown, t: number, address: number | bigint, size: number, value: number | bigint) =>
      hook(MEM_TYPE[t]?.access ?? "read", big(address), size, big(value)),
    );
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        handle.remove();
        this.countMemoryHooks(-reads, -writes);
      },
    };
  }

  private countMemoryHooks(reads: number, writes: number): void {
    const inlineBefore = this.readHooks === 0;
    this.readHooks += reads;
    this.writeHooks += writes;
    // Translations made for the other mode are dropped: helper-only code would stay slow, and
    // inline loads would bypass the new read hook.
    if (this.fastPath && this.started && inlineBefore !== (this.readHooks === 0)) this.dropTranslationsIn(1n, 0n);
    this.updateStoreShortcut();
  }

  hookSyscall(hook: SyscallHook): HookHandle {
    return this.addHook(
      UC_HOOK_INSN,
      this.protos.syscall,
      1n,
      0n,
      () => {
        this.syscallRegs.fetch();
        try {
          hook();
        } finally {
          this.syscallRegs.invalidate();
        }
      },
      "int",
      UC_X86_INS_SYSCALL,
    );
  }

  hookCpuid(begin: bigint, end: bigint, hook: CpuidHook): HookHandle {
    // helper_cpuid calls UC_HOOK_INSN hooks whose range holds rip (synced before the helper).
    return this.addHook(UC_HOOK_INSN, this.protos.cpuid, begin, end, () => (hook() ? 1 : 0), "int", UC_X86_INS_CPUID);
  }

  hookInterrupt(hook: InterruptHook): HookHandle {
    return this.addHook(UC_HOOK_INTR, this.protos.intr, 1n, 0n, (_uc: unknown, intno: number) => {
      this.exceptionTaken = true;
      hook(intno);
    });
  }

  /** After a run in which a hook took an exception: the engine is told none is being delivered (exception-reset.ts). */
  private clearExceptionInFlight(): void {
    this.exceptionTaken = false;
    const offset = oldExceptionOffset();
    if (offset === undefined) return;
    const size = this.contextBlobSize();
    resetOldException(
      {
        save: () => {
          const ctx = this.saveContext() as UnicornContext;
          return { address: ctx.ptr, size, restore: () => this.restoreContext(ctx), free: () => ctx.free() };
        },
      },
      offset,
    );
  }

  /** The saved-context blob of this engine now (for exception-reset's one-time look-up). */
  contextBlob(): Uint8Array {
    const ctx = this.saveContext() as UnicornContext;
    try {
      return contextBytes({ address: ctx.ptr, size: this.contextBlobSize() });
    } finally {
      ctx.free();
    }
  }

  saveContext(into?: CpuContext): CpuContext {
    if (into instanceof UnicornContext) {
      this.check(this.api.uc_context_save(this.uc, into.ptr), "context save");
      return into;
    }
    const out: [bigint | null] = [null];
    this.check(this.api.uc_context_alloc(this.uc, out), "context alloc");
    const ctx = new UnicornContext(this.api, big(out[0] ?? 0n), () => this.changeCount++);
    this.check(this.api.uc_context_save(this.uc, ctx.ptr), "context save");
    return ctx;
  }

  /** Bytes of a saved context after uc_context's header (context_size, mode, arch). */
  private contextBlobSize(): number {
    return Number(this.api.uc_context_size(this.uc)) - 16;
  }

  copyContext(from: CpuContext, into?: CpuContext): CpuContext {
    if (!(from instanceof UnicornContext)) throw new JitdbgError("EMU_ERROR", "emulator: copyContext was given a context this engine did not save");
    let to = into instanceof UnicornContext ? into : undefined;
    if (!to) {
      const out: [bigint | null] = [null];
      this.check(this.api.uc_context_alloc(this.uc, out), "context alloc");
      to = new UnicornContext(this.api, big(out[0] ?? 0n), () => this.changeCount++);
    }
    // The same engine's contexts have the same layout.
    setContextBytes({ address: to.ptr }, contextBytes({ address: from.ptr, size: this.contextBlobSize() }));
    return to;
  }

  restoreContext(ctx: CpuContext): void {
    this.changeCount++;
    if (!(ctx instanceof UnicornContext)) throw new JitdbgError("EMU_ERROR", "emulator: restoreContext was given a context this engine did not save");
    this.observer?.restoringContext();
    this.syscallRegs.invalidate();
    this.check(this.api.uc_context_restore(this.uc, ctx.ptr), "context restore");
    this.observer?.restoredContext();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.hooks) koffi.unregister(h.cb);
    this.hooks.clear();
    this.api.uc_close(this.uc);
    this.host.releaseAll();
    this.gate.free();
    this.stores?.free();
    this.syscallRegs.free();
  }

  private addHook(type: number, proto: TypeObject, begin: bigint, end: bigint, fn: (...args: never[]) => unknown, ...extra: unknown[]): HookHandle & { hh: bigint | number } {
    // A JS exception cannot cross the C frame: catch it, stop the engine, rethrow from run().
    const guarded = (...args: never[]) => {
      try {
        return fn(...args);
      } catch (e) {
        this.pendingError ??= e;
        this.stop();
        return false;
      }
    };
    const cb = koffi.register(guarded, koffi.pointer(proto));
    const out: [bigint | number | null] = [null];
    const err = this.api.uc_hook_add(this.uc, out, type, cb, null, begin, end, ...extra);
    if (err !== 0) {
      koffi.unregister(cb);
      this.check(err, "hook add");
    }
    const rec = { hh: out[0] ?? 0, cb };
    this.hooks.add(rec);
    return {
      hh: rec.hh,
      remove: () => {
        if (!this.hooks.delete(rec)) return;
        this.api.uc_hook_del(this.uc, rec.hh);
        koffi.unregister(rec.cb);
      },
    };
  }

  private check(err: number, what: string, code: "EMU_ERROR" | "EMU_MEM_UNREADABLE" | "EMU_MEM_UNWRITABLE" = "EMU_ERROR"): void {
    if (err !== 0) throw new JitdbgError(code, `emulator: ${what} failed: ${this.api.uc_strerror(err)}`);
  }
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
