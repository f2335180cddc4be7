/**
 * A ready-to-link emulated process for the JIT: CPU, address space, TLS runtime, memory manager,
 * linker and an executor, with an optional host executable whose symbols resolve undefined names.
 * A bare host (no libc) is mapped with the lead's loader; a libc host runs as a Process up to its
 * `main`, so its libc is initialized (TLS, IRELATIVE, stdio) before JIT code calls into it.
 * The host's indirect functions bind to what their resolvers pick, run here on the executor; those
 * calls, like the JIT modules' initializers, leave the registers as they were (a libc host waits at
 * its main with argc/argv/envp and main's return address in place).
 */
import { readFileSync } from "node:fs";
import type { Cpu } from "../emu/cpu.js";
import { createUnicornCpu } from "../emu/unicorn.js";
import { ElfFile } from "../elf/reader.js";
import { JitdbgError } from "../errors.js";
import { AddressSpace } from "../inferior/address-space.js";
import { loadExecutable, type LoadedImage } from "../inferior/loader.js";
import { Process } from "../inferior/process.js";
import { Rng } from "../inferior/random.js";
import { Executor } from "./executor.js";
import { JitLinker, type LinkerEvent, type RetentionPolicy } from "./linker.js";
import { AddressSpaceMemoryManager, type Placement } from "./memory-manager.js";
import { ElfSymbolResolver } from "./resolver.js";
import { TlsRuntime } from "./tls.js";

export interface JitSessionOptions {
  /** Seed for placement (reproducible when given). */
  seed?: bigint | number;
  /** Host executable: "bare" maps it without running it; "process" runs it to main first. */
  host?: { path: string; mode: "bare" | "process"; onStdout?: (d: Uint8Array) => void; onStderr?: (d: Uint8Array) => void };
  retention?: RetentionPolicy;
  placement?: Placement;
  observer?: (e: LinkerEvent) => void;
  /** Wraps the CPU (tests count writes through a proxy). */
  wrapCpu?: (cpu: Cpu) => Cpu;
  /** Keep released modules' mappings for later modules (AddressSpaceMemoryManager's reuseReleased). */
  reuseReleasedMemory?: boolean;
}

/** Budget for one indirect-function resolver call (they only read the CPU features). */
const RESOLVER_TIMEOUT_MICROS = 1_000_000;

export class JitSession {
  readonly executor: Executor;
  readonly linker: JitLinker;
  readonly memory: AddressSpaceMemoryManager;
  /** The host executable's symbols (undefined without a host). */
  readonly hostSymbols: ElfSymbolResolver | undefined;

  private constructor(
    readonly cpu: Cpu,
    readonly space: AddressSpace,
    readonly tls: TlsRuntime,
    readonly image: LoadedImage | undefined,
    readonly process: Process | undefined,
    opts: JitSessionOptions,
  ) {
    this.memory = new AddressSpaceMemoryManager(space, tls, opts.reuseReleasedMemory);
    this.executor = new Executor(cpu, space, tls.trapAddress);
    this.hostSymbols = image ? new ElfSymbolResolver(image.file, image.bias, (address, name) => this.callResolver(address, name)) : undefined;
    this.linker = new JitLinker({
      cpu,
      memory: this.memory,
      tls,
      resolver: this.hostSymbols,
      retention: opts.retention,
      placement: opts.placement,
      observer: opts.observer,
      executor: (address) => void this.callPreserving(address),
    });
  }

  static create(opts: JitSessionOptions = {}): JitSession {
    const host = opts.host;
    if (host?.mode === "process") {
      const proc = Process.launch(host.path, { seed: opts.seed === undefined ? undefined : BigInt(opts.seed), onStdout: host.onStdout, onStderr: host.onStderr });
      const main = new ElfSymbolResolver(proc.image.file, proc.image.bias).lookup("main");
      if (!main) throw new JitdbgError("JIT_HOST_NO_MAIN", { file: host.path }, `has no "main" symbol, so its C runtime cannot be run up to the point where JIT code may call it; link the host with a main, or strip nothing`);
      const stop = proc.run({ until: main.address });
      if (stop.kind !== "stopped" || proc.pc !== main.address) {
        throw new JitdbgError("JIT_HOST_START", { file: host.path }, `did not reach main while initializing its C runtime (${stop.kind === "signal" ? stop.description : stop.kind})`);
      }
      const cpu = opts.wrapCpu ? opts.wrapCpu(proc.cpu) : proc.cpu;
      const t = proc.image.tls;
      const tls = new TlsRuntime(proc.space, cpu, {
        threadPointer: proc.cpu.reg("fs_base"),
        template: t ? { image: t.image, memsz: t.memSize, align: t.align } : undefined,
      });
      return new JitSession(cpu, proc.space, tls, proc.image, proc, opts);
    }
    const raw = createUnicornCpu();
    const cpu = opts.wrapCpu ? opts.wrapCpu(raw) : raw;
    const space = new AddressSpace(cpu, new Rng(opts.seed), true);
    let image: LoadedImage | undefined;
    if (host) {
      const file = ElfFile.parse(readFileSync(host.path), host.path);
      image = loadExecutable(space, file, host.path);
    }
    const t = image?.tls;
    const tls = new TlsRuntime(space, cpu, { template: t ? { image: t.image, memsz: t.memSize, align: t.align } : undefined });
    return new JitSession(cpu, space, tls, image, undefined, opts);
  }

  /** Calls a JIT (or host) function by name or address and returns rax. */
  call(target: string | bigint, args: bigint[] = []): bigint {
    let address: bigint | undefined;
    if (typeof target === "bigint") address = target;
    else address = this.linker.getSymbolLoadAddress(target) ?? this.hostSymbols?.lookup(target)?.address;
    if (address === undefined) throw new JitdbgError("JIT_NO_ENTRY", `no function named "${target}" in the linked modules`);
    return this.executor.call(address, args);
  }

  /** Reads `size` bytes at a JIT symbol's load address. */
  read(name: string, size: number): Uint8Array {
    const a = this.linker.getSymbolLoadAddress(name);
    if (a === undefined) throw new JitdbgError("JIT_NO_SYMBOL", `no symbol named "${name}" in the linked modules`, { symbol: name });
    return this.cpu.read(a, size);
  }

  /** Runs a function on the executor and puts every register back as it was; returns rax. */
  private callPreserving(address: bigint, timeoutMicros?: number): bigint {
    const ctx = this.cpu.saveContext();
    try {
      return this.executor.call(address, [], timeoutMicros === undefined ? {} : { timeoutMicros });
    } finally {
      this.cpu.restoreContext(ctx);
      ctx.free();
    }
  }

  /** Runs the host's resolver of indirect function `name` (x86-64 glibc passes no arguments). */
  private callResolver(address: bigint, name: string): bigint {
    try {
      return this.callPreserving(address, RESOLVER_TIMEOUT_MICROS);
    } catch (e) {
      if (!(e instanceof JitdbgError)) throw e;
      throw new JitdbgError("JIT_HOST_IFUNC", `the resolver of the host's indirect function "${name}" (0x${address.toString(16)}) failed, so "${name}" cannot be bound: ${e.message}`);
    }
  }

  close(): void {
    if (this.process) this.process.close();
    else this.cpu.close();
  }
}
