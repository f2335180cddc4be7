/**
 * What the syscall handlers see of the emulated process: its CPU, address space, files and I/O,
 * its threads and clock, plus the process-wide kernel state (signal actions, exit status).
 * Handlers live in syscalls/, one file per area.
 */
import { basename } from "node:path";
import type { Cpu } from "../emu/cpu.js";
import type { AddressSpace } from "./address-space.js";
import { isHostError } from "../errors.js";
import { EmulatedClock } from "./clock.js";
import type { FdSnapshot, FdTable } from "./files.js";
import type { FileView, FileViewState } from "./file-view.js";
import { Credentials } from "./credentials.js";
import { launchScheduling, type Scheduling } from "./scheduling.js";
import { Signals, type SignalsSnapshot } from "./signal-state.js";
import { ThreadTable, type Thread, type ThreadsSnapshot } from "./threads.js";

export interface ProcessIO {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  /** Up to `max` bytes of standard input; an empty array at end of input. */
  stdin(max: number): Uint8Array;
  /** Standard input that arrives while the program runs (a terminal's): when absent, `stdin` never waits. */
  interactive?: InteractiveInput;
}

/**
 * Standard input typed while the program runs: a read finds bytes, an end of file (^D), or
 * nothing yet — then it waits, and a run where every thread waits is not a deadlock while more
 * can come (Process.run answers "input"; its caller awaits `arrival` and runs again).
 */
export interface InteractiveInput {
  /** Up to `max` bytes; empty at an end of file (taken by this read, as a tty's ^D); undefined when nothing is there yet. */
  read(max: number): Uint8Array | undefined;
  /** Bytes waiting to be read (FIONREAD). */
  pending(): number;
  /** Whether a read would not wait: bytes or an end of file are there, or no more can come. */
  ready(): boolean;
  /** Drops what has not been read (tcflush). */
  flush(): void;
  /** Whether anything arrived since last asked: the process retries its waits on it. */
  takeArrived(): boolean;
  /** Resolves when something arrives (at once when something came that takeArrived has not taken). */
  arrival(): Promise<void>;
  /** Whether more can come (false once the terminal is gone: reads then find an end of file). */
  readonly open: boolean;
}

/** What a call into the program may change of the kernel's own state (saveState/restoreState). */
export interface KernelState {
  readonly exitStatus: number | undefined;
  readonly terminatingSignal: number | undefined;
  readonly sigactions: ReadonlyMap<number, Uint8Array>;
  readonly threads: ThreadsSnapshot;
  readonly signals: SignalsSnapshot;
  readonly dumpable: number;
  readonly umask: number;
  readonly credentials: Credentials;
  readonly scheduling: Scheduling;
  readonly rlimits: ReadonlyMap<number, RLimit>;
  readonly fds: FdSnapshot;
  /** The working directory, the scratch layer's bookkeeping and a journal of host file changes. */
  readonly files: FileViewState;
  /** The process family (processes a call forks are ended by its undo). */
  readonly family: { restore(): void } | undefined;
}

/** A resource limit: soft (what is enforced) and hard (how far the soft one may be raised). */
export type RLimit = readonly [soft: bigint, hard: bigint];

/** Bytes of a process name (TASK_COMM_LEN), its NUL included. */
export const COMM_SIZE = 16;

/** Output kept back by holdOutput. */
export interface OutputHold {
  /** Ends the hold: its output goes to the next outer hold (or the streams), or is dropped; returns its size in bytes. */
  release(deliver: boolean): number;
}

export interface KernelOptions {
  pid: number;
  /** The clock, when the process shares its family's (a forked or executed child); default a new one. */
  clock?: EmulatedClock;
  /** The first thread's name (a forked child keeps its parent thread's); default the executable's base name. */
  comm?: Uint8Array;
  reproducible: boolean;
  /** Called once per distinct problem (an unsupported syscall, say). */
  onWarning: (message: string) => void;
  /** Told when a thread starts (clone) or exits. */
  onThread?: (event: ThreadEvent) => void;
}

/** A fork, clone without CLONE_THREAD or vfork, as syscalls/processes.ts reads it. */
export interface ForkRequest {
  flags: bigint;
  /** The child's stack pointer (0: the parent's). */
  stack: bigint;
  parentTid: bigint;
  childTid: bigint;
  tls: bigint;
}

/** A child's end as wait4/waitid report it. */
export interface ChildExit {
  pid: number;
  /** The wait status: exit code << 8, or the signal number. */
  status: number;
  /** siginfo's si_code (CLD_EXITED, CLD_KILLED) and si_status (the code, or the signal). */
  code: number;
  value: number;
}

/**
 * What the syscalls of processes need from the process family above the kernel (family.ts,
 * process.ts): creating a child, replacing the image, and the children's ends.
 */
export interface ProcessHost {
  readonly ppid: number;
  /** setpgid(2), setsid(2), getpgid/getsid(2) (process-groups.ts): the result or a negative errno. */
  setpgid(pid: number, pgid: number): bigint;
  setsid(): bigint;
  groupOf(pid: number, which: "pgid" | "sid"): bigint;
  /** The family now, for an undo log: its restore() ends the processes made since. */
  saveFamily(): { restore(): void };
  /** Creates the child; its pid, or a negative errno. */
  fork(req: ForkRequest): bigint;
  /** Replaces the process's image (the run ends after the syscall); a negative errno when it cannot. */
  exec(path: string, argv: string[], envp: string[]): bigint;
  /**
   * A child `select` accepts that has ended, taken out of the family unless `keep` (WNOWAIT);
   * "none" when no child matches at all (ECHILD), undefined while the matching ones still run.
   */
  waitChild(select: (pid: number) => boolean, keep: boolean): ChildExit | "none" | undefined;
}

export interface ThreadEvent {
  kind: "started" | "exited";
  tid: number;
}

export class Kernel {
  /** Set when the process has ended by exit/exit_group. */
  exitStatus: number | undefined;
  /** Set when a signal ended the process (its default action, or a fault without a handler). */
  terminatingSignal: number | undefined;
  /** What ended it, for the user: "invalid write of … at main+0x1a", "raised by the program at …". */
  terminationDescription: string | undefined;
  readonly sigactions = new Map<number, Uint8Array>();
  /** The threads; the main thread's tid is the pid and its name the program's (see comm). */
  readonly threads: ThreadTable;
  readonly clock: EmulatedClock;
  /** The process family's side (fork, exec, wait); undefined for a lone process (rtdyld, tests). */
  host: ProcessHost | undefined;
  /** Pending signals, alternate stacks, timers. */
  readonly signals: Signals = new Signals(this);
  /** Register changes a syscall asked for, made after it returns (a hook must not move rip). */
  private readonly afterSyscall: (() => void)[] = [];
  /** PR_SET_DUMPABLE's flag: 1 (SUID_DUMP_USER) for an ordinary program, 0 once disabled. */
  dumpable = 1;
  /** The file mode creation mask (umask(2)): the host's for a launched process, a fork or execve keeps its own. */
  umask = process.umask();
  /** User and group ids, supplementary groups (credentials.ts): root's for a launched process; a fork or execve keeps its own. */
  credentials = new Credentials();
  /** Nice value, policy, affinity, I/O priority (scheduling.ts); a fork or execve keeps its own. */
  scheduling: Scheduling = launchScheduling();
  /** The resource limits the program set (setrlimit, prlimit64), by RLIMIT_*; the others are the host's (syscalls/rlimits.ts), RLIMIT_NOFILE the descriptor table's. */
  rlimits = new Map<number, RLimit>();
  private rescheduleAsked = false;
  private readonly warned = new Set<string>();
  private readonly scratch = new Uint8Array(8);
  private readonly userWriteWatchers = new Set<(address: bigint, length: number) => void>();
  private readonly brokenStreams = new Set<"stdout" | "stderr">();
  private readonly holds: { stream: "stdout" | "stderr"; data: Uint8Array }[][] = [];

  constructor(
    readonly cpu: Cpu,
    readonly space: AddressSpace,
    readonly files: FileView,
    readonly fds: FdTable,
    readonly io: ProcessIO,
    readonly options: KernelOptions,
  ) {
    // Linux names the first thread after the last component of the path it was executed by.
    this.clock = options.clock ?? new EmulatedClock();
    const comm = new Uint8Array(COMM_SIZE);
    if (options.comm) comm.set(options.comm.subarray(0, COMM_SIZE));
    else comm.set(Buffer.from(basename(files.exePath)).subarray(0, COMM_SIZE - 1));
    this.threads = new ThreadTable(options.pid, comm);
  }

  /** The calling thread: the one whose registers are in the CPU. */
  get thread(): Thread {
    return this.threads.current;
  }

  /** The calling thread's name (prctl PR_SET_NAME/PR_GET_NAME): at most 15 bytes, NUL-padded. */
  get comm(): Uint8Array {
    return this.thread.comm;
  }

  set comm(name: Uint8Array) {
    this.thread.comm = name;
  }

  get pid(): number {
    return this.options.pid;
  }

  get ended(): boolean {
    return this.exitStatus !== undefined || this.terminatingSignal !== undefined;
  }

  /**
   * From a syscall: the calling thread blocked, yielded or exited, so another should run. The run
   * ends after the syscall (an exact boundary) and the scheduler picks the next thread.
   */
  reschedule(): void {
    this.rescheduleAsked = true;
    this.cpu.stop();
  }

  /**
   * From a syscall: `change` runs once the syscall has returned and the run has stopped (rt_sigreturn
   * replaces every register, rip included, which a hook cannot do).
   */
  deferUntilReturn(change: () => void): void {
    this.afterSyscall.push(change);
    this.reschedule();
  }

  /** Runs what deferUntilReturn queued (Process, between runs). */
  runDeferred(): void {
    for (const change of this.afterSyscall.splice(0)) change();
  }

  /** True once after reschedule(). */
  takeReschedule(): boolean {
    const asked = this.rescheduleAsked;
    this.rescheduleAsked = false;
    return asked;
  }

  /** A signal's default action ends the process. */
  terminate(signal: number, description: string): void {
    this.terminatingSignal = signal;
    this.terminationDescription = description;
    this.cpu.stop();
  }

  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.onWarning(message);
  }

  /** Reads user memory; undefined when any of it is unmapped (the caller returns EFAULT). */
  readUser(address: bigint, length: number): Uint8Array | undefined {
    const buf = new Uint8Array(length);
    return this.cpu.tryRead(address, buf) ? buf : undefined;
  }

  writeUser(address: bigint, data: Uint8Array): boolean {
    if (!this.space.isMapped(address, BigInt(data.length || 1))) return false;
    for (const w of this.userWriteWatchers) w(address, data.length);
    this.cpu.write(address, data);
    return true;
  }

  /** Tells `watcher` before each store the kernel makes into user memory; returns its removal. */
  watchUserWrites(watcher: (address: bigint, length: number) => void): () => void {
    this.userWriteWatchers.add(watcher);
    return () => this.userWriteWatchers.delete(watcher);
  }

  /**
   * The program's standard output or error: to the streams, or kept by the innermost hold. False
   * when the stream's reader has gone (the host's EPIPE: `jitdbg run prog | head`), for good.
   */
  output(stream: "stdout" | "stderr", data: Uint8Array): boolean {
    const hold = this.holds[this.holds.length - 1];
    if (hold) {
      hold.push({ stream, data: data.slice() });
      return true;
    }
    if (this.brokenStreams.has(stream)) return false;
    try {
      this.io[stream](data);
      return true;
    } catch (e) {
      if (!isHostError(e) || (e as NodeJS.ErrnoException).code !== "EPIPE") throw e;
      this.brokenStreams.add(stream);
      return false;
    }
  }

  /** Keeps the program's output back from now until the hold is released (holds nest). */
  holdOutput(): OutputHold {
    const chunks: { stream: "stdout" | "stderr"; data: Uint8Array }[] = [];
    this.holds.push(chunks);
    return {
      release: (deliver) => {
        const i = this.holds.lastIndexOf(chunks);
        if (i >= 0) this.holds.splice(i, 1);
        if (deliver) for (const c of chunks) this.output(c.stream, c.data);
        return chunks.reduce((n, c) => n + c.data.length, 0);
      },
    };
  }

  /** Exit status, terminating signal, signal actions, threads (masks, tid addresses, names, waits), dumpable flag, umask, credentials, scheduling, resource limits, descriptors and offsets now. */
  saveState(): KernelState {
    return {
      exitStatus: this.exitStatus,
      terminatingSignal: this.terminatingSignal,
      sigactions: new Map(this.sigactions),
      threads: this.threads.snapshot(),
      signals: this.signals.snapshot(),
      dumpable: this.dumpable,
      umask: this.umask,
      credentials: this.credentials,
      scheduling: this.scheduling,
      rlimits: new Map(this.rlimits),
      fds: this.fds.snapshot(),
      files: this.files.saveState(),
      family: this.host?.saveFamily(),
    };
  }

  /** Puts saved state back (descriptors opened since are closed, closed ones are back, offsets as they were). */
  restoreState(s: KernelState): void {
    this.exitStatus = s.exitStatus;
    this.terminatingSignal = s.terminatingSignal;
    this.sigactions.clear();
    for (const [sig, act] of s.sigactions) this.sigactions.set(sig, act);
    this.threads.restore(s.threads);
    this.signals.restore(s.signals);
    this.dumpable = s.dumpable;
    this.umask = s.umask;
    this.credentials = s.credentials;
    this.scheduling = s.scheduling;
    this.rlimits = new Map(s.rlimits);
    s.family?.restore(); // first: the processes the call forked go, with their descriptors
    this.fds.restore(s.fds); // then: descriptors of files the call made are closed before they go
    this.files.restoreState(s.files);
  }

  /** Keeps the state as it is now and lets go of a saved one (files closed since it was saved are closed). */
  dropState(s: KernelState): void {
    this.fds.release(s.fds);
    this.files.dropState(s.files);
  }

  readU64(address: bigint): bigint | undefined {
    return this.cpu.tryRead(address, this.scratch) ? new DataView(this.scratch.buffer).getBigUint64(0, true) : undefined;
  }

  writeU32(address: bigint, value: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return this.writeUser(address, b);
  }

  /** A struct timespec in nanoseconds; undefined when unreadable or out of range (EFAULT/EINVAL to the caller). */
  readTimespec(address: bigint): bigint | undefined {
    const sec = this.readU64(address);
    const nsec = this.readU64(address + 8n);
    if (sec === undefined || nsec === undefined) return undefined;
    if (BigInt.asIntN(64, sec) < 0n || nsec >= 1_000_000_000n) return undefined;
    return sec * 1_000_000_000n + nsec;
  }

  readU32(address: bigint): number | undefined {
    const b = this.readUser(address, 4);
    return b ? new DataView(b.buffer).getUint32(0, true) : undefined;
  }

  writeU64(address: bigint, value: bigint): boolean {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.writeUser(address, b);
  }

  /** A NUL-terminated string from user memory, read a page at a time. */
  readCString(address: bigint, max = 4096): string | undefined {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = address;
    while (total < max) {
      // Paths are short: a first look of 256 bytes (never past the page), then whole pages.
      const rest = Number(0x1000n - (at & 0xfffn));
      const chunk = total === 0 ? Math.min(rest, 256) : rest;
      const buf = this.readUser(at, chunk);
      if (!buf) return undefined;
      const nul = buf.indexOf(0);
      if (nul >= 0) {
        parts.push(buf.subarray(0, nul));
        break;
      }
      parts.push(buf);
      total += chunk;
      at += BigInt(chunk);
    }
    if (parts.length === 1) return Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength).toString("utf8");
    return Buffer.concat(parts).toString("utf8");
  }
}
