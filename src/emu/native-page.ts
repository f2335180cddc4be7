/**
 * Native callbacks for the engine: a few bytes of x86-64 machine code on a page of their own, and
 * addresses of functions inside libunicorn for them to call. Hooks that run on every block or
 * every store cannot be JavaScript (microseconds a call); these cost nanoseconds. Node's own JIT
 * needs executable memory, so mapping a page read+write, filling it and turning it read+execute
 * works wherever Node does.
 */
import { openSync, readSync } from "node:fs";
import koffi, { type KoffiFunc } from "koffi";
import { JitdbgError } from "../errors.js";

const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const RTLD_NOW = 2;
const PAGE = 4096;

interface Libc {
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  mmapAt: (addr: bigint, len: number, prot: number, flags: number, fd: number, off: number) => bigint | number;
  mprotect: (addr: bigint, len: number, prot: number) => number;
  munmap: (addr: bigint, len: number) => number;
  dlopen: KoffiFunc<(path: string, flags: number) => unknown>;
  dlsym: (handle: unknown, name: string) => unknown;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load("libc.so.6");
  libc = {
    mmap: lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)") as Libc["mmap"],
    mmapAt: lib.func("uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, intptr_t off)") as Libc["mmapAt"],
    mprotect: lib.func("int mprotect(uintptr_t addr, size_t len, int prot)") as Libc["mprotect"],
    munmap: lib.func("int munmap(void *addr, size_t len)") as Libc["munmap"],
    dlopen: lib.func("void *dlopen(const char *path, int flags)") as Libc["dlopen"],
    dlsym: lib.func("void *dlsym(void *handle, const char *name)") as Libc["dlsym"],
  };
  return libc;
}

/** Maps `code` (at most a page) read+execute; returns the address of its first byte. `what` names it in errors. */
export function executableCode(code: Uint8Array, what: string): bigint {
  const c = loadLibc();
  const page = c.mmap(null, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page === null || koffi.address(page) === 0xffff_ffff_ffff_ffffn) {
    throw new JitdbgError("EMU_GATE", `cannot map a page for the emulator's ${what} (mmap failed): is the process out of memory?`);
  }
  new Uint8Array(koffi.view(page, PAGE)).set(code);
  if (c.mprotect(koffi.address(page), PAGE, PROT_READ | PROT_EXEC) !== 0) {
    throw new JitdbgError("EMU_GATE", `cannot make the emulator's ${what} executable (mprotect PROT_EXEC refused): jitdbg needs executable memory, as Node's own JIT does`);
  }
  return koffi.address(page);
}

/** The largest memory this process reads and writes through a typed-array view rather than a call. */
const MAX_VIEW = 1 << 30;

/**
 * `size` bytes of zeroed read+write memory (pages only as they are touched): its address and,
 * up to MAX_VIEW bytes, a view of it; undefined when mmap fails.
 */
export function anonymousMemory(size: number): { address: bigint; bytes: Uint8Array | undefined } | undefined {
  const at = anonymousPages(size);
  return at === undefined ? undefined : { address: at, bytes: size <= MAX_VIEW ? memoryView(at, size) : undefined };
}

/**
 * `size` bytes of zeroed read+write memory (pages only as they are touched), without a view: its
 * address, or undefined when mmap fails. A view costs in proportion to its size (~90 µs a MiB,
 * V8's accounting of external memory), so callers that touch a few pages make views of those.
 */
export function anonymousPages(size: number): bigint | undefined {
  const at = BigInt(loadLibc().mmapAt(0n, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  return at === 0xffff_ffff_ffff_ffffn ? undefined : at;
}

/** A typed-array view of `size` bytes of this process's memory at `address` (no copy). */
export function memoryView(address: bigint, size: number): Uint8Array {
  return new Uint8Array(koffi.view(address, size));
}

/**
 * Replaces the pages at `address` (memory from anonymousMemory) with a private copy-on-write
 * mapping of `length` bytes of the file `fd` from `offset` (page-aligned): pages come from the
 * page cache as they are touched. False when the system refuses (the memory is then unchanged).
 */
export function mapFileOver(address: bigint, length: number, fd: number, offset: number): boolean {
  const at = loadLibc().mmapAt(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, offset);
  return BigInt(at) === address;
}

/**
 * Like mapFileOver, but shared (MAP_SHARED): stores reach the file and every other mapping of it,
 * as a shared file mapping's do. `fd` must be open for reading and writing.
 */
export function mapSharedFileOver(address: bigint, length: number, fd: number, offset: number): boolean {
  const at = loadLibc().mmapAt(address, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, offset);
  return BigInt(at) === address;
}

/** Puts fresh zeroed private pages at [address, address + length) (memory from anonymousMemory), whatever was mapped there. */
export function zeroOver(address: bigint, length: number): boolean {
  const at = loadLibc().mmapAt(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
  return BigInt(at) === address;
}

let pagemap: number | null | undefined;
const PM_PRESENT = 1n << 63n;
const PM_SWAPPED = 1n << 62n;

/**
 * Which of the `pages` pages from `address` (page-aligned) the system has never given memory: one
 * byte a page, 1 where the page is neither present nor swapped out (/proc/self/pagemap). In
 * private anonymous memory such a page reads as zeros. Undefined when pagemap cannot be read.
 */
export function unbackedPages(address: bigint, pages: number): Uint8Array | undefined {
  if (pagemap === undefined) {
    try {
      pagemap = openSync("/proc/self/pagemap", "r");
    } catch {
      pagemap = null; // no /proc, or not readable here: nothing is known
    }
  }
  if (pagemap === null || pages === 0) return pages === 0 ? new Uint8Array(0) : undefined;
  const entries = new BigUint64Array(pages);
  const want = pages * 8;
  const got = readSync(pagemap, new Uint8Array(entries.buffer), 0, want, (address / BigInt(PAGE)) * 8n);
  if (got !== want) return undefined;
  const out = new Uint8Array(pages);
  for (let i = 0; i < pages; i++) if ((entries[i]! & (PM_PRESENT | PM_SWAPPED)) === 0n) out[i] = 1;
  return out;
}

/** Returns memory from anonymousMemory (whole pages of it) to the system. */
export function releaseMemory(address: bigint, size: number): void {
  loadLibc().munmap(address, size);
}

/**
 * Makes the pages holding [address, address + length) of a loaded library read+write (`writable`)
 * or read-only again (as full RELRO leaves its GOT). False when the system refuses.
 */
export function mprotectRange(address: bigint, length: number, writable: boolean): boolean {
  const first = address & ~BigInt(PAGE - 1);
  const end = (address + BigInt(length) + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1);
  return loadLibc().mprotect(first, Number(end - first), writable ? PROT_READ | PROT_WRITE : PROT_READ) === 0;
}

/**
 * Opens the library at `path` (dlopen, RTLD_NOW) on a libuv worker thread; nothing waits for it.
 * The handle stays open for the process's life, so a later dlopen of the same path finds it loaded.
 */
export function openLibraryInBackground(path: string): void {
  loadLibc().dlopen.async(path, RTLD_NOW, () => undefined);
}

/** Where the loaded libunicorn's addresses start (glibc's dlopen handle is its link_map, whose first field is l_addr). */
export function libraryBase(unicornPath: string): bigint | undefined {
  const handle = loadLibc().dlopen(unicornPath, RTLD_NOW);
  return handle === null ? undefined : BigInt(koffi.decode(handle, "uint64_t") as bigint | number);
}

const symbols = new Map<string, bigint | undefined>();

/** The address of a function exported by the loaded libunicorn, or undefined when it exports none of that name. */
export function unicornSymbol(unicornPath: string, name: string): bigint | undefined {
  const key = `${unicornPath}\0${name}`;
  if (!symbols.has(key)) {
    const c = loadLibc();
    const handle = c.dlopen(unicornPath, RTLD_NOW);
    const sym = handle === null ? null : c.dlsym(handle, name);
    symbols.set(key, sym === null ? undefined : koffi.address(sym));
  }
  return symbols.get(key);
}

/** `length` bytes of this process's memory at `address` (code of a loaded library, say). */
export function nativeBytes(address: bigint, length: number): Uint8Array {
  return Uint8Array.from(koffi.decode(address, koffi.array("uint8_t", length)) as number[]);
}
