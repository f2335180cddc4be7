/**
 * The initial process stack as Linux's create_elf_tables builds it: strings at the top, then
 * AT_RANDOM bytes, auxv, envp, argv and argc, with rsp 16-byte aligned at argc.
 */
import { PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import * as C from "../elf/constants.js";
import { PAGE, USER_END, type AddressSpace } from "./address-space.js";
import type { LoadedImage } from "./loader.js";

export const STACK_SIZE = 8n * 1024n * 1024n;

export interface InitialStack {
  rsp: bigint;
  stackLow: bigint;
  stackHigh: bigint;
  auxv: Map<number, bigint>;
}

export interface StackOptions {
  argv: string[];
  envp: string[];
  execfn: string;
  /** Value of AT_BASE (the interpreter's base; 0 for static programs). */
  interpBase?: bigint;
}

// What a current x86-64 CPU reports in AT_HWCAP (CPUID.1:EDX) with SSE2, as Linux passes it.
const HWCAP = 0x178bfbffn;

export function buildInitialStack(space: AddressSpace, image: LoadedImage, opts: StackOptions): InitialStack {
  // Linux randomizes the stack top within 16 GiB below the end of user space.
  const jitter = space.randomizeByDefault ? space.rng.below(0x400000n) * PAGE : 0n;
  const stackHigh = USER_END - jitter;
  const stackLow = stackHigh - STACK_SIZE;
  space.map(stackLow, STACK_SIZE, PROT_READ | PROT_WRITE, "stack", "[stack]");

  const enc = new TextEncoder();
  let sp = stackHigh - 8n; // the kernel leaves a null word at the very top
  const pushBytes = (bytes: Uint8Array): bigint => {
    sp -= BigInt(bytes.length);
    space.poke(sp, bytes);
    return sp;
  };
  const pushString = (s: string): bigint => pushBytes(cstr(enc, s));

  const execfnAddr = pushString(opts.execfn);
  const envAddrs = opts.envp.map(pushString);
  const argAddrs = opts.argv.map(pushString);
  const platformAddr = pushString("x86_64");
  sp &= ~0xfn;
  const randomAddr = pushBytes(space.rng.fill(new Uint8Array(16)));

  const auxv = new Map<number, bigint>([
    [C.AT_PHDR, image.phdr],
    [C.AT_PHENT, 56n],
    [C.AT_PHNUM, BigInt(image.file.header.phnum)],
    [C.AT_PAGESZ, PAGE],
    [C.AT_BASE, opts.interpBase ?? 0n],
    [C.AT_FLAGS, 0n],
    [C.AT_ENTRY, image.entry],
    [C.AT_UID, 0n],
    [C.AT_EUID, 0n],
    [C.AT_GID, 0n],
    [C.AT_EGID, 0n],
    [C.AT_SECURE, 0n],
    [C.AT_RANDOM, randomAddr],
    [C.AT_HWCAP, HWCAP],
    [C.AT_HWCAP2, 0n],
    [C.AT_CLKTCK, 100n],
    [C.AT_PLATFORM, platformAddr],
    [C.AT_EXECFN, execfnAddr],
    [C.AT_MINSIGSTKSZ, 2048n],
  ]);

  const words: bigint[] = [BigInt(opts.argv.length), ...argAddrs, 0n, ...envAddrs, 0n];
  for (const [k, v] of auxv) words.push(BigInt(k), v);
  words.push(BigInt(C.AT_NULL), 0n);
  sp -= BigInt(words.length * 8);
  sp &= ~0xfn;
  const buf = new Uint8Array(words.length * 8);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  space.poke(sp, buf);
  return { rsp: sp, stackLow, stackHigh, auxv };
}

function cstr(enc: TextEncoder, s: string): Uint8Array {
  const b = enc.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}
