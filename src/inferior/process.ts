/**
 * An emulated Linux process: one CPU, its address space, the loaded executable, its initial stack
 * and the syscall layer. run() executes until the process exits, is killed by a signal, or the
 * caller's limit or stop request ends the slice.
 */
import { readFileSync, readSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { JitdbgError } from "../errors.js";
import type { Cpu, HookHandle, MemAccess } from "../emu/cpu.js";
import { createUnicornCpu } from "../emu/unicorn.js";
import { ElfFile } from "../elf/reader.js";
import { Symbolizer } from "../elf/symbolizer.js";
import { AddressSpace } from "./address-space.js";
import { FdTable, FileView } from "./files.js";
import { Kernel, type ProcessIO } from "./kernel.js";
import { loadExecutable, PIE_BASE, type LoadedImage } from "./loader.js";
import { Rng } from "./random.js";
import { SIGFPE, SIGILL, SIGSEGV, SIGTRAP, signalName } from "./signals.js";
import { buildInitialStack, type InitialStack } from "./stack.js";
import { dispatchSyscall } from "./syscalls/table.js";

export interface ProcessOptions {
  /** argv; argv[0] defaults to the program path. */
  args?: string[];
  argv0?: string;
  /** Environment as NAME=value strings (default: empty, like `env -i`). */
  env?: string[];
  cwd?: string;
  /** Host paths the inferior may read (default: the program's directory). */
  allowedPaths?: string[];
  /** Fixed addresses and seeds (PIE base, mmap, stack, AT_RANDOM, getrandom). */
  reproducible?: boolean;
  /** Seed for the inferior's randomness; implies reproducible placement when given. */
  seed?: bigint;
  /** Load base for PIE executables. */
  base?: bigint;
  /** Standard input: bytes, or "host" to read the debugger's own stdin. */
  stdin?: Uint8Array | "host";
  onStdout?: (data: Uint8Array) => void;
  onStderr?: (data: Uint8Array) => void;
  onWarning?: (message: string) => void;
  /** An existing CPU to use (tests); default a new Unicorn engine. */
  cpu?: Cpu;
}

export type StopReason =
  | { kind: "exited"; status: number }
  | { kind: "signal"; signal: number; name: string; pc: bigint; address?: bigint; access?: MemAccess; description: string }
  | { kind: "stopped" }; // a stop request, a limit (count/timeout) or `until`

export interface RunLimits {
  until?: bigint;
  timeoutMicros?: number;
  count?: number;
}

const INTERRUPT_SIGNAL: Record<number, { signal: number; what: string }> = {
  0: { signal: SIGFPE, what: "integer divide error" },
  1: { signal: SIGTRAP, what: "debug trap" },
  3: { signal: SIGTRAP, what: "breakpoint instruction (int3)" },
  4: { signal: SIGSEGV, what: "overflow trap (into)" },
  5: { signal: SIGSEGV, what: "bound range exceeded" },
  6: { signal: SIGILL, what: "invalid opcode" },
  13: { signal: SIGSEGV, what: "general protection fault" },
  16: { signal: SIGFPE, what: "x87 floating-point exception" },
  17: { signal: 7, what: "alignment check" },
  19: { signal: SIGFPE, what: "SIMD floating-point exception" },
};

export class Process {
  readonly kernel: Kernel;
  readonly symbols: Symbolizer;
  readonly initialStack: InitialStack;
  private pendingSignal: { signal: number; what: string; pc: bigint } | undefined;
  private stopRequested = false;
  private readonly hooks: HookHandle[] = [];
  private closed = false;

  private constructor(
    readonly cpu: Cpu,
    readonly space: AddressSpace,
    readonly image: LoadedImage,
    files: FileView,
    io: ProcessIO,
    opts: ProcessOptions,
    argv: string[],
  ) {
    const warn = opts.onWarning ?? (() => {});
    this.kernel = new Kernel(cpu, space, files, new FdTable(), io, { pid: 4242, reproducible: !!opts.reproducible, onWarning: warn });
    this.symbols = new Symbolizer(image.file, image.bias);
    space.initBrk(image.end);
    this.initialStack = buildInitialStack(space, image, { argv, envp: opts.env ?? [], execfn: files.exePath });
    cpu.setReg("rsp", this.initialStack.rsp);
    cpu.setReg("rip", image.entry);
    cpu.setReg("rdx", 0n); // no rtld_fini for static programs
    this.hooks.push(cpu.hookSyscall(() => this.onSyscall()));
    this.hooks.push(cpu.hookInterrupt((n) => this.onInterrupt(n)));
  }

  /** Loads a static x86-64 executable from the host and prepares it to run at its entry. */
  static launch(path: string, opts: ProcessOptions = {}): Process {
    const full = resolve(path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new JitdbgError("LOAD_NOT_FOUND", `${path}: no such file`);
      if (code === "EISDIR") throw new JitdbgError("LOAD_NOT_FILE", `${path}: is a directory, not a program`);
      throw new JitdbgError("LOAD_UNREADABLE", `${path}: cannot be read (${code ?? (e as Error).message})`);
    }
    const file = ElfFile.parse(bytes, path);
    const reproducible = !!opts.reproducible || opts.seed !== undefined;
    const rng = new Rng(opts.seed ?? (reproducible ? 0x5eedn : undefined));
    const cpu = opts.cpu ?? createUnicornCpu();
    try {
      const space = new AddressSpace(cpu, rng, !reproducible);
      const image = loadExecutable(space, file, path, { base: opts.base ?? (reproducible ? PIE_BASE : undefined) });
      const files = new FileView(opts.allowedPaths ?? [dirname(full)], opts.cwd ?? process.cwd(), full);
      const argv = [opts.argv0 ?? path, ...(opts.args ?? [])];
      return new Process(cpu, space, image, files, makeIO(opts), opts, argv);
    } catch (e) {
      if (!opts.cpu) cpu.close();
      throw e;
    }
  }

  get pc(): bigint {
    return this.cpu.reg("rip");
  }

  get exited(): boolean {
    return this.kernel.ended;
  }

  /** Asks a running slice to end after the current instruction (safe from hooks). */
  requestStop(): void {
    this.stopRequested = true;
    this.cpu.stop();
  }

  /** Runs from the current pc until exit, a signal, a stop request or a limit. */
  run(limits: RunLimits = {}): StopReason {
    if (this.closed) throw new JitdbgError("PROCESS_CLOSED", "the process has been closed");
    const ended = this.endReason();
    if (ended) return ended;
    this.stopRequested = false;
    this.pendingSignal = undefined;
    const cause = this.cpu.run(this.pc, { until: limits.until, timeoutMicros: limits.timeoutMicros, count: limits.count });
    const after = this.endReason();
    if (after) return after;
    if (this.pendingSignal) {
      const { signal, what, pc } = this.pendingSignal;
      return { kind: "signal", signal, name: signalName(signal), pc, description: `${what} at ${this.symbols.describe(pc)}` };
    }
    const pc = this.pc;
    switch (cause.kind) {
      case "fault": {
        const how = cause.reason === "unmapped" ? "unmapped" : "protected";
        const verb = cause.access === "fetch" ? "execute" : cause.access;
        return {
          kind: "signal",
          signal: SIGSEGV,
          name: "SIGSEGV",
          pc,
          address: cause.address,
          access: cause.access,
          description: `invalid ${verb} of ${how} address 0x${cause.address.toString(16)} at ${this.symbols.describe(pc)}`,
        };
      }
      case "invalid-instruction":
        return { kind: "signal", signal: SIGILL, name: "SIGILL", pc, description: `illegal instruction at ${this.symbols.describe(pc)}` };
      case "exception":
        return { kind: "signal", signal: SIGSEGV, name: "SIGSEGV", pc, description: `CPU exception (${cause.message}) at ${this.symbols.describe(pc)}` };
      case "ok":
        return { kind: "stopped" };
    }
  }

  /** Runs to the end (exit or fatal signal), with no limit. */
  runToEnd(): Exclude<StopReason, { kind: "stopped" }> {
    for (;;) {
      const r = this.run();
      if (r.kind !== "stopped") return r;
      // A bare stop without a request (hlt, say) would loop forever: treat it as a fault.
      if (!this.stopRequested) {
        const pc = this.pc;
        return { kind: "signal", signal: SIGSEGV, name: "SIGSEGV", pc, description: `execution stopped unexpectedly at ${this.symbols.describe(pc)}` };
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.hooks) h.remove();
    this.kernel.fds.closeAll();
    this.cpu.close();
  }

  private endReason(): StopReason | undefined {
    const k = this.kernel;
    if (k.exitStatus !== undefined) return { kind: "exited", status: k.exitStatus };
    if (k.terminatingSignal !== undefined) {
      const pc = this.pc;
      const name = signalName(k.terminatingSignal);
      return { kind: "signal", signal: k.terminatingSignal, name, pc, description: `${name} raised by the program at ${this.symbols.describe(pc)}` };
    }
    return undefined;
  }

  private onSyscall(): void {
    const c = this.cpu;
    const nr = Number(c.reg("rax"));
    const args = [c.reg("rdi"), c.reg("rsi"), c.reg("rdx"), c.reg("r10"), c.reg("r8"), c.reg("r9")];
    const result = dispatchSyscall(this.kernel, nr, args);
    c.setReg("rax", result);
  }

  private onInterrupt(intno: number): void {
    const known = INTERRUPT_SIGNAL[intno];
    const pc = this.cpu.reg("rip");
    this.pendingSignal = known ? { ...known, pc } : { signal: SIGSEGV, what: `unexpected interrupt ${intno}`, pc };
    this.cpu.stop();
  }
}

function makeIO(opts: ProcessOptions): ProcessIO {
  const input = opts.stdin;
  let offset = 0;
  return {
    stdout: opts.onStdout ?? (() => {}),
    stderr: opts.onStderr ?? (() => {}),
    stdin: (max) => {
      if (input === "host") {
        const buf = Buffer.alloc(Math.min(max, 65536));
        try {
          const n = readHostStdin(buf);
          return buf.subarray(0, n);
        } catch {
          return new Uint8Array(0);
        }
      }
      if (!input) return new Uint8Array(0);
      const chunk = input.subarray(offset, offset + max);
      offset += chunk.length;
      return chunk;
    },
  };
}

function readHostStdin(buf: Buffer): number {
  for (;;) {
    try {
      return readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
      throw e;
    }
  }
}
