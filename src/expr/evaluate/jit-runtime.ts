/**
 * The JIT linker set up inside a debugged process: the thread's TLS (adopting the thread pointer
 * the program's libc installed, and its PT_TLS block as module 1), a memory manager over the
 * process's address space, the program's symbols (and, for a dynamically linked program, the
 * loaded libraries') as the resolver, and the ThreadCaller that runs code on the inferior's
 * thread. One per process, made the first time an expression is compiled. Every linker call is
 * reported to the current listeners, so a test can check the order of one evaluation's calls.
 */
import { JitdbgError } from "../../errors.js";
import type { Image } from "../../inferior/images.js";
import type { Process } from "../../inferior/process.js";
import { JitLinker, type LinkerEvent } from "../../jit/linker.js";
import { AddressSpaceMemoryManager } from "../../jit/memory-manager.js";
import { TlsRuntime } from "../../jit/tls.js";
import { InferiorSymbols } from "./inferior-symbols.js";
import { LibrarySymbols } from "./library-symbols.js";
import { ThreadCaller, type HookControl } from "./runner.js";

/**
 * In a dynamically linked inferior the loader numbers TLS modules from 1 (in load order, dlopen
 * included); JIT modules get ids from here up so the two never collide in __tls_get_addr's table.
 */
const FIRST_JIT_TLS_MODULE = 256;
/** Budget for one indirect-function resolver call (they only read CPU features). */
const RESOLVER_TIMEOUT_MICROS = 100_000;

export class JitRuntime {
  readonly linker: JitLinker;
  readonly tls: TlsRuntime;
  readonly symbols: InferiorSymbols;
  readonly caller: ThreadCaller;
  private readonly listeners = new Set<(e: LinkerEvent) => void>();

  private constructor(
    readonly process: Process,
    hooks: HookControl,
  ) {
    const fs = process.cpu.reg("fs_base");
    const t = process.image.tls;
    const dynamic = process.interpreter !== undefined;
    this.tls = new TlsRuntime(process.space, process.cpu, {
      threadPointer: fs,
      template: t ? { image: t.image, memsz: t.memSize, align: t.align } : undefined,
      ...(dynamic ? { firstModuleId: FIRST_JIT_TLS_MODULE } : {}),
    });
    this.caller = new ThreadCaller(process, this.tls.trapAddress, hooks);
    const libraries = dynamic
      ? {
          symbols: new LibrarySymbols(process.images, {
            callResolver: (address, where) => this.callResolver(address, where),
            tlsModule: (image) => this.tlsModule(image),
          }),
          program: process.images.program,
        }
      : undefined;
    this.symbols = new InferiorSymbols(
      { file: process.image.file, bias: process.image.bias },
      (a) => {
        const b = new Uint8Array(8);
        return process.cpu.tryRead(a, b) ? new DataView(b.buffer).getBigUint64(0, true) : undefined;
      },
      libraries,
    );
    this.linker = new JitLinker({
      cpu: process.cpu,
      memory: new AddressSpaceMemoryManager(process.space, this.tls, true),
      tls: this.tls,
      resolver: this.symbols,
      observer: (e) => {
        for (const l of this.listeners) l(e);
      },
    });
  }

  /** The runtime for a process whose thread is set up (its libc has installed the thread pointer). */
  static create(process: Process, hooks: HookControl): JitRuntime {
    if (process.cpu.reg("fs_base") === 0n) {
      throw new JitdbgError(
        "EVAL_NO_THREAD",
        "the program has not set up its thread yet (no thread pointer), so compiled code cannot run in it; run to main (or any point after the C runtime's start-up) and evaluate again",
      );
    }
    return new JitRuntime(process, hooks);
  }

  /** Reports every linker call to `listener` until the returned function is called. */
  observe(listener: (e: LinkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The loader's TLS module id of a loaded image, after handing its block in this thread (from the
   * DTV, or tp - l_tls_offset) to the TLS runtime, so initial-exec and general-dynamic accesses both
   * reach it. Undefined when the image has no TLS or its block is not allocated yet.
   */
  tlsModule(image: Image): number | undefined {
    const info = this.process.tlsOf(image);
    if (!info || info.block === undefined) return undefined;
    const id = Number(info.moduleId);
    this.tls.adopt(id, info.block, Number(info.blockSize), Number(info.align));
    return id;
  }

  private callResolver(address: bigint, where: string): bigint {
    const o = this.caller.callFunction(address, [], RESOLVER_TIMEOUT_MICROS);
    const restored = "the program's state (registers, memory, files, signals) was restored";
    switch (o.kind) {
      case "returned":
        return o.rax;
      case "signal":
        throw new JitdbgError("EVAL_IFUNC", `${where} (0x${address.toString(16)}) received ${o.name} (${o.description}); ${restored}. Call a specific implementation by its own name instead`);
      case "timeout":
        throw new JitdbgError("EVAL_IFUNC", `${where} (0x${address.toString(16)}) did not return within ${RESOLVER_TIMEOUT_MICROS / 1000} ms (at 0x${o.pc.toString(16)}); ${restored}`);
      case "breakpoint":
        throw new JitdbgError("EVAL_IFUNC", `${where} stopped at a breakpoint: ${o.description}; ${restored}`);
      case "exited":
        throw new JitdbgError("EVAL_EXITED", `${where} (0x${address.toString(16)}) called exit(${o.status}); the exit was undone and ${restored}`);
      case "blocked":
        throw new JitdbgError("EVAL_BLOCKED", `${where} (0x${address.toString(16)}) waited for another thread (${o.description}); ${restored}`);
      case "cancelled": // nothing cancels a resolver: it runs to its end (runSteps)
        throw new JitdbgError("EVAL_IFUNC", `${where} (0x${address.toString(16)}) was cancelled; ${restored}`);
    }
  }
}
