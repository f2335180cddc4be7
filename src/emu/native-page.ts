/**
 * Native callbacks for the engine: a few bytes of x86-64 machine code on a page of their own, and
 * addresses of functions inside libunicorn for them to call. Hooks that run on every block or
 * every store cannot be JavaScript (microseconds a call); these cost nanoseconds. Node's own JIT
 * needs executable memory, so mapping a page read+write, filling it and turning it read+execute
 * works wherever Node does.
 */
import koffi from "koffi";
import { JitdbgError } from "../errors.js";

const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_PRIVATE = 2;
const MAP_ANONYMOUS = 0x20;
const RTLD_NOW = 2;
const PAGE = 4096;

interface Libc {
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  mprotect: (addr: unknown, len: number, prot: number) => number;
  munmap: (addr: bigint, len: number) => number;
  dlopen: (path: string, flags: number) => unknown;
  dlsym: (handle: unknown, name: string) => unknown;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load("libc.so.6");
  libc = {
    mmap: lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)") as Libc["mmap"],
    mprotect: lib.func("int mprotect(void *addr, size_t len, int prot)") as Libc["mprotect"],
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
  if (c.mprotect(page, PAGE, PROT_READ | PROT_EXEC) !== 0) {
    throw new JitdbgError("EMU_GATE", `cannot make the emulator's ${what} executable (mprotect PROT_EXEC refused): jitdbg needs executable memory, as Node's own JIT does`);
  }
  return koffi.address(page);
}

/** `size` bytes of zeroed read+write memory (pages only as they are touched); its address, or undefined when mmap fails. */
export function anonymousMemory(size: number): bigint | undefined {
  const mem = loadLibc().mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const at = mem === null ? undefined : koffi.address(mem);
  return at === undefined || at === 0xffff_ffff_ffff_ffffn ? undefined : at;
}

/** Returns memory from anonymousMemory (whole pages of it) to the system. */
export function releaseMemory(address: bigint, size: number): void {
  loadLibc().munmap(address, size);
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
