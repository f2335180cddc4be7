/**
 * The JIT linker set up inside a debugged process: the thread's TLS (adopting the thread pointer
 * the program's libc installed, and its PT_TLS block as module 1), a memory manager over the
 * process's address space, and the program's symbols as the resolver. One per process, made the
 * first time an expression is compiled. Every linker call is reported to the current listeners,
 * so a test can check the order of one evaluation's calls.
 */
import { JitdbgError } from "../../errors.js";
import type { Process } from "../../inferior/process.js";
import { JitLinker, type LinkerEvent } from "../../jit/linker.js";
import { AddressSpaceMemoryManager } from "../../jit/memory-manager.js";
import { TlsRuntime } from "../../jit/tls.js";
import { InferiorSymbols } from "./inferior-symbols.js";

export class JitRuntime {
  readonly linker: JitLinker;
  readonly tls: TlsRuntime;
  readonly symbols: InferiorSymbols;
  private readonly listeners = new Set<(e: LinkerEvent) => void>();

  private constructor(readonly process: Process) {
    const fs = process.cpu.reg("fs_base");
    const t = process.image.tls;
    this.tls = new TlsRuntime(process.space, process.cpu, {
      threadPointer: fs,
      template: t ? { image: t.image, memsz: t.memSize, align: t.align } : undefined,
    });
    this.symbols = new InferiorSymbols({ file: process.image.file, bias: process.image.bias }, (a) => {
      const b = new Uint8Array(8);
      return process.cpu.tryRead(a, b) ? new DataView(b.buffer).getBigUint64(0, true) : undefined;
    });
    this.linker = new JitLinker({
      cpu: process.cpu,
      memory: new AddressSpaceMemoryManager(process.space, this.tls),
      tls: this.tls,
      resolver: this.symbols,
      observer: (e) => {
        for (const l of this.listeners) l(e);
      },
    });
  }

  /** The runtime for a process whose thread is set up (its libc has installed the thread pointer). */
  static create(process: Process): JitRuntime {
    if (process.cpu.reg("fs_base") === 0n) {
      throw new JitdbgError(
        "EVAL_NO_THREAD",
        "the program has not set up its thread yet (no thread pointer), so compiled code cannot run in it; run to main (or any point after the C runtime's start-up) and evaluate again",
      );
    }
    return new JitRuntime(process);
  }

  /** Reports every linker call to `listener` until the returned function is called. */
  observe(listener: (e: LinkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
