/**
 * An emulated Linux process: one CPU, its address space, the loaded executable, its initial stack
 * and the syscall layer. run() executes until the process exits, is killed by a signal, or the
 * caller's limit or stop request ends the slice. The processes it forks are Processes too, each
 * with its own CPU (fork copies this one, execve loads another program), run in turns within the
 * launched process's run() (family.ts).
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { isHostError, JitdbgError } from "../errors.js";
import type { Cpu, HookHandle, MemAccess, StopCause } from "../emu/cpu.js";
import { createUnicornCpu } from "../emu/unicorn.js";
import { X86_REG, type RegName } from "../emu/registers.js";
import { PT_TLS } from "../elf/constants.js";
import { DEFAULT_DEBUG_DIRECTORIES } from "../elf/debug-file.js";
import { dynamicInfo } from "../elf/dynamic.js";
import { ElfFile } from "../elf/reader.js";
import type { SymbolHit, Symbolizer } from "../elf/symbolizer.js";
import { AddressSpace } from "./address-space.js";
import { FdTable } from "./files.js";
import type { Credentials } from "./credentials.js";
import { resetOnFork, type Scheduling } from "./scheduling.js";
import { hiddenPathWarnings } from "./hidden-paths.js";
import { FileView } from "./file-view.js";
import { ScratchLayer } from "./scratch-layer.js";
import { SpecialFiles } from "./special-files.js";
import { Image, ImageList, type LibraryEvent, type SymbolMatch } from "./images.js";
import { loadInterpreter, loaderSearchPaths, type Interpreter } from "./interpreter.js";
import { Kernel, type ChildExit, type ForkRequest, type InteractiveInput, type ProcessHost, type ProcessIO, type RLimit, type ThreadEvent } from "./kernel.js";
import type { Terminal } from "./terminal.js";
import { ioChanged } from "./syscalls/pipes.js";
import { NS_PER_BLOCK, type EmulatedClock } from "./clock.js";
import * as E from "./errno.js";
import { exitStatus, Family, Member, type FollowFork } from "./family.js";
import { groupOf, LAUNCHER_PID, setpgid, setsid } from "./process-groups.js";
import type { LinkMapEntry } from "./link-map.js";
import { loadExecutable, PIE_BASE, type LoadedImage } from "./loader.js";
import { Rendezvous } from "./rendezvous.js";
import { discoverTlsLayout, readTls, type LinkMapTlsLayout, type TlsInfo } from "./tls.js";
import { Rng } from "./random.js";
import { SignalDelivery, type SignalEvent, type SignalPolicy } from "./signal-delivery.js";
import { parseSigaction, SIG_IGN, SIGKILL, SIGSEGV, SIGWINCH, SI_KERNEL, SI_USER, signalName } from "./signals.js";
import { buildInitialStack, type InitialStack } from "./stack.js";
import { enableOsFxsr } from "./cpu-setup.js";
import { fixCpuidFeatures } from "./cpuid.js";
import { dispatchSyscall } from "./syscalls/table.js";
import { CodePatches } from "./code-patches.js";
import { History, type HistoryOptions } from "./history/history.js";
import { CLONE_VFORK, CLONE_VM } from "./syscalls/processes.js";
import { hostNofile } from "./syscalls/rlimits.js";
import { block, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_SETTLS } from "./syscalls/threads.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";
import type { Thread } from "./threads.js";

export interface ProcessOptions {
  /** argv; argv[0] defaults to the program path. */
  args?: string[];
  argv0?: string;
  /** Environment as NAME=value strings (default: empty, like `env -i`). */
  env?: string[];
  cwd?: string;
  /**
   * Host paths the inferior may read (default: the program's directory and `cwd`). For a dynamically linked
   * program the loader's needs are always added: its directory, /etc/ld.so.cache and the library
   * directories it names, and the program's DT_RUNPATH/DT_RPATH/LD_LIBRARY_PATH directories.
   */
  allowedPaths?: string[];
  /** Host directories the program may create, change and remove files in, in place (--allow-write). */
  writablePaths?: string[];
  /**
   * Where every other file the program writes lands (the scratch layer over the read-only view):
   * this directory, kept after the run; default a temporary one, removed when the process closes.
   */
  scratchDir?: string;
  /** A root file system that absolute paths (the interpreter, libraries) resolve inside. */
  sysroot?: string;
  /** Where separate debug files are looked up by build-id (default /usr/lib/debug). */
  debugDirectories?: string[];
  /**
   * Names of the loader's state-change function (default: gdb's list, `_dl_debug_state` first);
   * an empty list makes the process find it through the r_debug.r_brk store instead.
   */
  loaderBreakSymbols?: string[];
  /** Told about each image as it is loaded (program and loader at launch) or unloaded. */
  onLibrary?: (event: LibraryEvent) => void;
  /** Fixed addresses and seeds (PIE base, mmap, stack, AT_RANDOM, getrandom). */
  reproducible?: boolean;
  /** Seed for the inferior's randomness; implies reproducible placement when given. */
  seed?: bigint;
  /** Load base for PIE executables. */
  base?: bigint;
  /** Standard input: bytes, "host" to read the debugger's own stdin, or input typed while it runs (a terminal's). */
  stdin?: Uint8Array | "host" | InteractiveInput;
  /**
   * The terminal the standard streams are (isatty, tcgetattr, the window size; /dev/pts/0): output
   * always, input unless `stdin` gives bytes (as `prog < file` in a shell). Absent: pipes.
   */
  terminal?: Terminal;
  onStdout?: (data: Uint8Array) => void;
  onStderr?: (data: Uint8Array) => void;
  onWarning?: (message: string) => void;
  /** An existing CPU to use (tests); default a new Unicorn engine. */
  cpu?: Cpu;
  /** How threads take turns (see scheduler.ts); chaos draws from `seed`, or a random seed when none is given. */
  scheduler?: SchedulerOptions;
  /** Told when a thread starts or exits. */
  onThread?: (event: ThreadEvent) => void;
  /** At a fork of the followed process, follow the parent (default) or the child (family.ts). */
  followFork?: FollowFork;
}

/** A thread as the debugger lists it. */
export interface ThreadInfo {
  tid: number;
  name: string;
  /** What it waits for, when blocked ("futex 0x…", "sleep"). */
  waiting?: string;
}

export type StopReason =
  | { kind: "exited"; status: number }
  | { kind: "signal"; signal: number; name: string; pc: bigint; address?: bigint; access?: MemAccess; description: string }
  | { kind: "stopped" } // a stop request, the block budget or `until`
  /** A replay of the past reached the limit set on the history (History.setLimit). */
  | { kind: "history-limit" }
  /** Every thread waits for ever. */
  | { kind: "deadlock"; description: string }
  /** Every thread waits, and input still to come from the terminal may wake one: await `io.interactive.arrival()`, then run again. */
  | { kind: "input" }
  /** A run locked to one thread (RunLimits.lockThread) found it waiting. */
  | { kind: "blocked"; tid: number; description: string }
  /** The family now follows `process`: a child the followed one forked, or the program it executed. */
  | { kind: "followed"; process: Process; cause: "fork" | "exec" };

/** What a child process takes from its parent (fork) or from the image it replaces (execve). */
interface Inherit {
  family: Family;
  pid: number;
  fds: FdTable;
  clock: EmulatedClock;
  io: ProcessIO;
  comm?: Uint8Array;
  sigmask: bigint;
  sigactions: ReadonlyMap<number, Uint8Array>;
  dumpable: number;
  /** The debugger follows it: it tracks the loader (Rendezvous) as a launched process does. */
  followed?: boolean;
  umask: number;
  credentials: Credentials;
  scheduling: Scheduling;
  rlimits: ReadonlyMap<number, RLimit>;
}

/** How the process starts: a program loaded at its entry, or a copy of a forking parent (registers set by the caller). */
type Start = { kind: "load"; argv: string[] } | { kind: "fork"; argv: readonly string[]; initialStack: InitialStack; images: readonly Image[] };

const KILL_NR = 62;
const CLONE_NR = 56;
const ENOEXEC = 8;
const ELOOP = 40;
/** Interpreters a `#!` script may chain through before execve gives up (Linux's BINPRM_MAX_RECURSION). */
const MAX_SCRIPT_DEPTH = 4;
/** Registers a fork does not copy: segment selectors, which the engine sets up itself. */
const SELECTORS = new Set<RegName>(["cs", "ds", "es", "fs", "gs", "ss"]);

/** The emulated process's pid, which is also its main thread's tid (and DAP thread id). */
export const PROCESS_ID = 4242;

/** How a run to the end ends. */
export type EndReason = Exclude<StopReason, { kind: "stopped" } | { kind: "blocked" } | { kind: "followed" } | { kind: "input" } | { kind: "history-limit" }>;

/** `jitdbg run`'s exit status for a deadlocked program (as `timeout` reports one that hangs natively). */
export const DEADLOCK_STATUS = 124;

export interface RunLimits {
  /** A trap address only this run reaches (see RunOptions.until). */
  until?: bigint;
  /** At most this many translation-block entries (0 or undefined: no limit). */
  blocks?: number;
  /**
   * Run only the thread whose registers are in the CPU (an instruction step, an expression call):
   * no other thread gets a turn, and the run ends when it blocks.
   */
  lockThread?: boolean;
}

export class Process {
  readonly kernel: Kernel;
  readonly initialStack: InitialStack;
  /** The arguments the program was started with (/proc/self/cmdline). */
  private readonly argv: readonly string[];
  /** The program, the dynamic loader and the shared libraries, in load order. */
  readonly images: ImageList;
  /** The loader-rendezvous tracking, for dynamically linked programs. */
  readonly rendezvous: Rendezvous | undefined;
  private readonly libraryListeners = new Set<(event: LibraryEvent) => void>();
  private readonly threadListeners = new Set<(event: ThreadEvent) => void>();
  private tlsLayout: LinkMapTlsLayout | undefined;
  private readonly debugDirectories: readonly string[];
  /** The loader's CPUID fix-up (cpuid.ts). */
  private readonly cpuidFix: HookHandle | undefined;
  /** A CPU exception the interrupt hook saw in this run. */
  private pendingInterrupt: { intno: number; pc: bigint } | undefined;
  private readonly signals: SignalDelivery;
  private stopRequested = false;
  private readonly scheduler: Scheduler;
  /** The recorded history, while time travel is on (startHistory). */
  private recorded: History | undefined;
  /** The debugger's changes to the program's code (a recording does not take them for the program's). */
  readonly codePatches: CodePatches;
  /** The seed chaos scheduling draws from (to replay a run), when chaos is on. */
  readonly chaosSeed: bigint | undefined;
  /** The thread the scheduler runs, while the debugger shows another one's registers (focusThread). */
  private scheduled: Thread | undefined;
  private readonly hooks: HookHandle[] = [];
  private closed = false;
  /** The processes this one belongs with (its parent, children, their children). */
  readonly family: Family;
  /** The process that execve made of this one, once the syscall has returned. */
  replacement: Process | undefined;
  private readonly opts: ProcessOptions;

  private constructor(
    readonly cpu: Cpu,
    readonly space: AddressSpace,
    readonly image: LoadedImage,
    /** The dynamic loader PT_INTERP named, mapped (undefined for static programs). */
    readonly interpreter: Interpreter | undefined,
    files: FileView,
    io: ProcessIO,
    opts: ProcessOptions,
    start: Start,
    inherit?: Inherit,
  ) {
    const warn = opts.onWarning ?? (() => {});
    this.opts = opts;
    this.codePatches = new CodePatches(cpu, (fn) => (this.recorded ? this.recorded.privately(fn) : fn()));
    const pid = inherit?.pid ?? PROCESS_ID;
    this.kernel = new Kernel(cpu, space, files, inherit?.fds ?? new FdTable(hostNofile(), opts.terminal && { terminal: opts.terminal, stdin: !(opts.stdin instanceof Uint8Array) }), io, {
      pid,
      reproducible: !!opts.reproducible,
      onWarning: warn,
      onThread: (e) => {
        for (const l of this.threadListeners) l(e);
      },
      clock: inherit?.clock,
      comm: inherit?.comm,
    });
    this.argv = start.argv;
    files.special = new SpecialFiles(this.kernel, {
      argv: () => this.argv,
      imagePath: (name) => (name === basename(files.exePath) ? files.exePath : interpreter && name === basename(interpreter.guestPath) ? interpreter.guestPath : undefined),
    });
    if (opts.onThread && !inherit) this.threadListeners.add(opts.onThread);
    this.family = inherit?.family ?? new Family(pid, opts.followFork);
    if (!inherit) this.family.add(new Member(pid, LAUNCHER_PID, this, false));
    else {
      for (const [sig, act] of inherit.sigactions) this.kernel.sigactions.set(sig, act.slice());
      this.kernel.thread.sigmask = inherit.sigmask;
      this.kernel.dumpable = inherit.dumpable;
      this.kernel.umask = inherit.umask;
      this.kernel.credentials = inherit.credentials;
      this.kernel.scheduling = inherit.scheduling;
      this.kernel.rlimits = new Map(inherit.rlimits);
    }
    this.kernel.host = this.host();
    // A resized terminal raises SIGWINCH in the processes on it, as the kernel does for its foreground group.
    if (opts.terminal) {
      const off = opts.terminal.onResize(() => this.raise(SIGWINCH));
      this.hooks.push({ remove: () => void off() });
    }
    if (opts.scheduler?.chaos) this.chaosSeed = opts.seed ?? new Rng().next64();
    this.signals = new SignalDelivery(cpu, this.kernel, (pc) => this.describe(pc));
    this.scheduler = new Scheduler(cpu, this.kernel.threads, this.kernel.clock, new Rng(this.chaosSeed ?? 0n), this.kernel.signals, opts.scheduler);
    this.debugDirectories = opts.debugDirectories ?? DEFAULT_DEBUG_DIRECTORIES;
    const initial = [new Image({ kind: "program", path: image.path, hostPath: files.exePath, bias: image.bias, file: image.file, debugDirectories: this.debugDirectories })];
    if (interpreter) {
      const ii = interpreter.image;
      initial.push(new Image({ kind: "interpreter", path: ii.path, hostPath: interpreter.hostPath, bias: ii.bias, file: ii.file, debugDirectories: this.debugDirectories }));
    }
    // A forked child has its parent's libraries mapped too.
    this.images = new ImageList(start.kind === "fork" ? [...start.images] : initial);
    if (opts.onLibrary && !inherit) this.libraryListeners.add(opts.onLibrary);
    if (start.kind === "load") {
      enableOsFxsr(cpu, space);
      space.initBrk(image.end);
      this.initialStack = buildInitialStack(space, image, { argv: start.argv, envp: opts.env ?? [], execfn: files.exePath, interpBase: interpreter?.image.start });
      cpu.setReg("rsp", this.initialStack.rsp);
      cpu.setReg("rip", interpreter ? interpreter.image.entry : image.entry);
      cpu.setReg("rdx", 0n); // the kernel passes no rtld_fini; the loader passes its own to _start
    } else this.initialStack = start.initialStack;
    if (interpreter) this.cpuidFix = fixCpuidFeatures(cpu, interpreter.image); // after enableOsFxsr, which reads leaf 1 (a fork's child: in makeChild)
    if (interpreter && start.kind === "load") {
      // The loader's work (mapping, relocating, initializing the libraries) runs about once: its
      // blocks skip the translator's optimizer until the program's own entry (optimizer-switch.ts).
      cpu.setOptimizedTranslation(false);
      const entered = cpu.hookCode(image.entry, image.entry, () => cpu.setOptimizedTranslation(true));
      this.hooks.push(entered);
    }
    this.hooks.push(cpu.hookSyscall(() => this.onSyscall()));
    this.hooks.push(cpu.hookInterrupt((n) => this.onInterrupt(n)));
    if (interpreter && (!inherit || inherit.followed)) {
      const slot = dynamicInfo(image.file).debugSlot;
      this.rendezvous = new Rendezvous({
        cpu,
        mem: this.kernel,
        interpreter: { file: interpreter.image.file, bias: interpreter.image.bias },
        debugSlot: slot === undefined ? undefined : slot + image.bias,
        debugDirectories: this.debugDirectories,
        breakSymbols: opts.loaderBreakSymbols,
        onConsistent: (maps) => this.onLinkMaps(maps),
        warn: (m) => this.kernel.warnOnce("rendezvous", m),
      });
    }
    for (const img of initial) this.emitLibrary({ kind: "loaded", image: img });
  }

  /** The program's symbols. */
  get symbols(): Symbolizer {
    return this.images.program.symbols;
  }

  /** Registers a listener for threads started and exited from now on; returns its removal. */
  onThread(listener: (event: ThreadEvent) => void): () => void {
    this.threadListeners.add(listener);
    return () => this.threadListeners.delete(listener);
  }

  /** The image that runs this process now: itself, or the program execve made of it (and so on). */
  get current(): Process {
    let p: Process = this;
    while (p.replacement) p = p.replacement;
    return p;
  }

  /** Registers a listener for images loaded and unloaded from now on; returns its removal. */
  onLibrary(listener: (event: LibraryEvent) => void): () => void {
    this.libraryListeners.add(listener);
    return () => this.libraryListeners.delete(listener);
  }

  /** `main+0x1a`, `puts+0x1a in libc.so.6`, or the hex address when no image covers it. */
  describe(address: bigint): string {
    return this.images.describe(address);
  }

  /** Name → first definition in load order across all images. */
  lookupSymbol(name: string): SymbolMatch | undefined {
    return this.images.lookup(name);
  }

  /** Address → the image holding it and the symbol covering it. */
  symbolAt(address: bigint): { image: Image; symbol?: SymbolHit } | undefined {
    return this.images.symbolAt(address);
  }

  /**
   * Sets the offsets of struct link_map's TLS fields (from the loader's DWARF, say); without them
   * tlsOf() finds them in memory (see tls.ts).
   */
  setLinkMapTlsLayout(layout: LinkMapTlsLayout): void {
    this.tlsLayout = layout;
  }

  /** An image's TLS module id, static offset and this thread's block; undefined without TLS or before the loader set it up. */
  tlsOf(image: Image): TlsInfo | undefined {
    if (image.linkMap === undefined) return undefined;
    const file = image.tryFile();
    if (!file) return undefined;
    if (!this.tlsLayout) {
      // Any loaded object with PT_TLS tells us the layout, which is the same for all of them.
      for (const other of [image, ...this.images.list()]) {
        const f = other.tryFile();
        if (other.linkMap === undefined || !f) continue;
        this.tlsLayout = discoverTlsLayout(this.kernel, other.linkMap, f, other.bias);
        if (this.tlsLayout) break;
      }
      if (!this.tlsLayout) return undefined;
    }
    if (!file.segments.some((p) => p.type === PT_TLS)) return undefined;
    return readTls(this.kernel, image.linkMap, this.tlsLayout, this.cpu.reg("fs_base"));
  }

  private onLinkMaps(maps: LinkMapEntry[]): void {
    const events = this.images.sync(
      maps,
      (p) => {
        const h = this.kernel.files.resolve(p);
        return typeof h === "string" ? h : undefined;
      },
      this.debugDirectories,
    );
    for (const e of events) this.emitLibrary(e);
  }

  private emitLibrary(event: LibraryEvent): void {
    for (const l of this.libraryListeners) l(event);
  }

  /**
   * Loads an x86-64 executable from the host and prepares it to run: a static one at its entry, a
   * dynamically linked one at its dynamic loader's entry (the loader maps the libraries itself).
   */
  static launch(path: string, opts: ProcessOptions = {}): Process {
    return Process.launchScript(path, opts, 0) ?? Process.load(path, opts);
  }

  /**
   * A `#!` script runs as the kernel runs it: its interpreter, given the script's path (which it
   * may always read, and by default its directory too); undefined when `path` is no script.
   */
  private static launchScript(path: string, opts: ProcessOptions, depth: number): Process | undefined {
    const full = resolve(path);
    const head = fileHead(full);
    const script = head && shebang(head);
    if (script === undefined) return undefined;
    if (typeof script === "number") throw new JitdbgError("LOAD_BAD_SCRIPT", { file: path }, "a #! script whose first line names no interpreter");
    if (depth >= MAX_SCRIPT_DEPTH) throw new JitdbgError("LOAD_BAD_SCRIPT", { file: path }, `its #! interpreters are scripts ${MAX_SCRIPT_DEPTH} deep, more than Linux runs`);
    const [argv0, ...args] = scriptArgv(script, path, [opts.argv0 ?? path, ...(opts.args ?? [])]);
    const allowedPaths = [...(opts.allowedPaths ?? [dirname(full), opts.cwd ?? process.cwd()]), full];
    const next = { ...opts, argv0, args, allowedPaths };
    return Process.launchScript(script.interpreter, next, depth + 1) ?? Process.load(script.interpreter, next);
  }

  /** launch(), or execve's new image of a process: `inherit` from the image it replaces, whose file view it extends. */
  private static load(path: string, opts: ProcessOptions, inherit?: Inherit & { view: FileView }): Process {
    const full = resolve(path);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new JitdbgError("LOAD_NOT_FOUND", { file: path }, "no such file");
      if (code === "EISDIR") throw new JitdbgError("LOAD_NOT_FILE", { file: path }, "is a directory, not a program");
      throw new JitdbgError("LOAD_UNREADABLE", { file: path }, `cannot be read (${code ?? (e as Error).message})`);
    }
    const file = ElfFile.parse(bytes, path);
    const reproducible = !!opts.reproducible || opts.seed !== undefined;
    const rng = new Rng(opts.seed ?? (reproducible ? 0x5eedn : undefined));
    const cpu = opts.cpu ?? createUnicornCpu();
    try {
      const space = new AddressSpace(cpu, rng, !reproducible);
      const image = loadExecutable(space, file, path, { base: opts.base ?? (reproducible ? PIE_BASE : undefined) });
      const cwd = opts.cwd ?? process.cwd();
      const allowed = inherit ? [dirname(full)] : [...(opts.allowedPaths ?? [dirname(full), cwd])];
      let interpreter: Interpreter | undefined;
      // The host's shell and programs, which system(), popen() and posix_spawn run.
      let system: string[] = ["/bin", "/usr/bin"];
      let loaderLibraries: string[] = [];
      if (image.interpreter !== undefined) {
        interpreter = loadInterpreter(space, path, image.interpreter, opts.sysroot);
        const paths = loaderSearchPaths(file, full, interpreter, opts.env ?? [], opts.sysroot, opts.onWarning ?? (() => {}));
        system.push(...paths.system);
        allowed.push(...paths.origin);
        loaderLibraries = paths.libraries;
      }
      const files = inherit
        ? inherit.view.derive(full, { allowed, system, loaderLibraries })
        : new FileView({ allowed, system, loaderLibraries, sysroot: opts.sysroot, writable: opts.writablePaths, scratch: ScratchLayer.create(opts.scratchDir), onHidden: hiddenPathWarnings(opts.onWarning) }, cwd, full);
      const argv = [opts.argv0 ?? path, ...(opts.args ?? [])];
      return new Process(cpu, space, image, interpreter, files, inherit?.io ?? makeIO(opts), opts, { kind: "load", argv }, inherit);
    } catch (e) {
      if (!opts.cpu) cpu.close();
      throw e;
    }
  }

  get pc(): bigint {
    return this.cpu.reg("rip");
  }

  /** Whether close() has freed its engine (it ended as a child, or execve replaced it). */
  get isClosed(): boolean {
    return this.closed;
  }

  get exited(): boolean {
    return this.kernel.ended;
  }

  /** The thread whose registers the CPU holds: the one that stopped, or the one focusThread chose (in the past: the one that ran then). */
  get currentThread(): number {
    return this.recorded?.inPast ? this.recorded.shownThreadInPast : this.kernel.thread.tid;
  }

  /** Starts recording the program's history (time travel) from here. */
  startHistory(opts: HistoryOptions = {}): History {
    this.recorded?.end();
    this.recorded = History.start(
      {
        cpu: this.cpu,
        space: this.space,
        currentTid: () => this.kernel.thread.tid,
        otherThreads: () => this.kernel.threads.live().flatMap((t) => (t !== this.kernel.thread && t.context ? [{ tid: t.tid, context: t.context }] : [])),
        codePatches: this.codePatches,
        stopRequested: () => this.stopRequested,
        takeInterrupt: () => {
          const i = this.pendingInterrupt;
          this.pendingInterrupt = undefined;
          return i;
        },
      },
      opts,
    );
    return this.recorded;
  }

  /** The recorded history, while time travel is on. */
  get history(): History | undefined {
    return this.recorded?.isEnded ? undefined : this.recorded;
  }

  /** Every live thread, in creation order (in the past: the threads there then, in tid order). */
  threads(): ThreadInfo[] {
    if (this.recorded?.inPast) return this.recorded.threadsInPast().map((tid) => ({ tid, name: this.kernel.threads.get(tid)?.name ?? "" }));
    return this.kernel.threads.live().map((t) => {
      const w = t.blocked?.wait;
      const waiting = w === undefined ? undefined : w.kind === "futex" ? `futex 0x${w.address.toString(16)}` : w.kind === "sleep" ? "sleep" : w.kind === "io" ? w.what : "signal";
      return { tid: t.tid, name: t.name, waiting };
    });
  }

  /**
   * Puts thread `tid`'s registers in the CPU, so reading registers, unwinding and evaluating see
   * that thread; the next free run puts the scheduler's thread back first, so looking at a thread
   * never changes how the program interleaves. False when there is no such thread.
   */
  focusThread(tid: number): boolean {
    if (this.recorded?.inPast) return this.recorded.focusThreadInPast(tid);
    const t = this.kernel.threads.get(tid);
    if (!t) return false;
    this.scheduled ??= this.kernel.thread;
    this.scheduler.switchTo(t);
    if (t === this.scheduled) this.scheduled = undefined;
    return true;
  }

  /** From a hook: ends the running slice at the next exact boundary (Cpu.stop). */
  requestStop(): void {
    this.stopRequested = true;
    this.cpu.stop();
  }

  /**
   * What happens to each signal before delivery: "stop" ends the run first (the signal is held and
   * the next run delivers it), "discard" drops it unseen; by default every signal is delivered.
   * A fault is never discarded: its instruction would fault again for ever.
   */
  setSignalPolicy(policy: (signo: number) => SignalPolicy): void {
    this.signals.policy = policy;
  }

  /**
   * Faults at the pcs `claims` says are the debugger's (code it runs in the program's path) stop
   * the run, held, and are never delivered to the program.
   */
  setFaultClaim(claims: (pc: bigint) => boolean): void {
    this.signals.claimsFault = (ev) => claims(ev.pc);
  }

  /** The signal the last stop was for, which the next run delivers; undefined when none. */
  get heldSignal(): { signal: number; name: string; tid: number } | undefined {
    const h = this.signals.held;
    return h && { signal: h.info.signo, name: signalName(h.info.signo), tid: h.tid };
  }

  /**
   * Delivers the held signal now, outside a run (a step then starts in its handler); how the
   * program ended when its default action ends it.
   */
  deliverHeldSignal(): EndReason | undefined {
    const h = this.signals.held;
    if (!h) return undefined;
    if (this.scheduled) {
      this.scheduler.switchTo(this.scheduled);
      this.scheduled = undefined;
    }
    const t = this.kernel.threads.get(h.tid);
    if (t && t === this.kernel.thread) this.signals.deliverPending(t);
    const end = this.endReason();
    return end?.kind === "exited" || end?.kind === "signal" ? end : undefined;
  }

  /**
   * Runs `fn` (an expression call) on the thread in the CPU as it is now: the signal a stop holds
   * is set aside (the call neither delivers it nor leaves one of its own behind), and so is the
   * wait of a thread blocked in a syscall (gdb calls functions on such threads too; the thread
   * waits on afterwards, its registers put back by the caller).
   */
  duringCall<T>(fn: () => T): T {
    const held = this.signals.held;
    this.signals.held = undefined;
    const putBack = this.kernel.threads.setWaitAside(this.kernel.thread);
    // The call's blocks are not the program's: its position (and the scheduler's turns) stay.
    const blocks = this.cpu.blockCount;
    try {
      return this.recorded ? this.recorded.privately(fn) : fn();
    } finally {
      this.cpu.setBlockCount(blocks);
      putBack();
      this.signals.held = held;
    }
  }

  /** The held signal is not delivered (gdb's `signal 0`); a fault's instruction runs again. */
  discardHeldSignal(): void {
    this.signals.held = undefined;
  }

  /**
   * Runs from the current pc until exit, a signal, a stop request or a limit. Threads take turns
   * (scheduler.ts), each turn ending on an exact stop; a stop names the thread in the CPU. Signals
   * are delivered to a thread as it is about to run (signal-delivery.ts); runs locked to one
   * thread (expression calls, instruction steps) deliver none and report a fault as a stop.
   */
  run(limits: RunLimits = {}): StopReason {
    if (this.closed) throw new JitdbgError("PROCESS_CLOSED", "the process has been closed");
    const ended = this.endReason();
    if (ended) return ended;
    // Input typed since the last run may end reads waiting for it, in any process of the family.
    if (this.kernel.io.interactive?.takeArrived()) this.family.inputArrived();
    if (this.recorded?.replaying) return this.replay(limits);
    if (!limits.lockThread && this.scheduled) {
      this.scheduler.switchTo(this.scheduled);
      this.scheduled = undefined;
    }
    if (limits.lockThread) {
      const r = this.turn(limits, limits.blocks ? limits.blocks : Infinity, false);
      return typeof r === "string" ? { kind: "stopped" } : r;
    }
    // The processes it forked take their turns within this run (family.ts).
    return this.family.run(this, limits);
  }

  /**
   * A run in the past: the history replays the program (recorded syscall answers, signals and
   * thread switches applied where they happened) until a stop, the limit, or the present — from
   * which the run goes on live. A fault the recording delivered a signal for stops the run as the
   * live one did when the debugger is asked to stop at that signal, and is then delivered as recorded.
   */
  private replay(limits: RunLimits): StopReason {
    const history = this.recorded!;
    for (;;) {
      this.stopRequested = false;
      this.pendingInterrupt = undefined;
      const r = history.replayRun({ blocks: limits.blocks, until: limits.until });
      if (r.kind === "present") return this.run(limits);
      if (r.kind === "limit") return { kind: "history-limit" };
      if (r.kind !== "fault") return { kind: "stopped" };
      const t = this.kernel.threads.get(history.threadInPast) ?? this.kernel.thread;
      const ev = this.signals.fault(t, r.cause, r.interrupt);
      if (this.signals.policy(ev.info.signo) === "stop" || limits.lockThread) return this.signalStop(ev);
    }
  }

  /**
   * One process's part of a run: its threads run until the run's end, `blocks` block entries
   * ("budget"), the family changing ("changed": a process created, executed or ended) or, when
   * `shared` with other processes, until none of its threads can run ("idle") — when alone, that
   * is a deadlock, or a jump of the clock to the next deadline.
   */
  turn(limits: RunLimits, blocks: number, shared: boolean): StopReason | "budget" | "changed" | "idle" {
    this.stopRequested = false;
    this.pendingInterrupt = undefined;
    this.kernel.takeReschedule();
    const cpu = this.cpu;
    const threads = this.kernel.threads;
    const startBlocks = cpu.blockCount;
    const generation = this.family.generation;
    const left = () => blocks - Number(cpu.blockCount - startBlocks);
    let cause: StopCause = { kind: "ok" };
    for (;;) {
      if (shared && !limits.lockThread && !this.hasWork()) return "idle";
      let t: Thread | undefined = threads.current;
      if (!limits.lockThread) t = this.scheduler.schedule();
      if (!t) return shared ? "idle" : this.deadlock();
      const held = this.signals.deliverPending(t, limits.lockThread);
      if (held) return this.signalStop(held);
      if (this.kernel.ended) break;
      if (!t.runnable) return { kind: "blocked", tid: t.tid, description: `thread ${t.tid} is waiting (${this.threads().find((i) => i.tid === t.tid)?.waiting ?? "blocked"})` };
      const budget = left();
      if (budget <= 0) return "budget";
      // Turns matter only while another thread could run; alone, a thread runs the whole budget.
      const turn = threads.live().length > 1 && !limits.lockThread ? Math.max(1, t.quantumLeft) : Infinity;
      // A timer due while the thread computes without a syscall fires on time: the run ends at its
      // expiry on the scheduler's clock (deterministic: the clock counts blocks), then it is sent.
      const n = Math.min(budget, turn, limits.lockThread ? Infinity : this.blocksUntilTimer());
      const before = cpu.blockCount;
      cause = cpu.run(this.pc, { until: limits.until, blocks: Number.isFinite(n) ? n : undefined });
      this.scheduler.account(Number(cpu.blockCount - before));
      this.kernel.runDeferred();
      const rescheduled = this.kernel.takeReschedule();
      if (this.kernel.ended) break;
      if (this.family.generation !== generation) return "changed";
      const interrupt = this.pendingInterrupt;
      this.pendingInterrupt = undefined;
      if (interrupt || (cause.kind !== "ok" && cause.kind !== "budget")) {
        const ev = this.signals.fault(t, cause, interrupt);
        const held = this.signals.force(t, ev, limits.lockThread);
        if (held) return this.signalStop(held);
        if (this.kernel.ended) break;
        cause = { kind: "ok" };
        if (this.stopRequested) break;
        continue;
      }
      if (this.stopRequested) break;
      if (limits.until !== undefined && this.pc === limits.until) break;
      // The loader-tracking hooks may end a run to place a hook: go on.
      if (this.rendezvous?.tidy()) continue;
      if (rescheduled || cause.kind === "budget") continue;
      break; // stopped and nobody said why: runToEnd reports it
    }
    return this.endReason() ?? { kind: "stopped" };
  }

  /** Whether a thread can run now, or will once the clock's expired deadlines and timers are seen to. */
  hasWork(): boolean {
    if (this.kernel.ended) return false;
    const threads = this.kernel.threads;
    if (threads.live().some((t) => t.runnable)) return true;
    const now = this.kernel.clock.now;
    if (threads.blockedThreads().some((t) => t.blocked?.deadline !== undefined && t.blocked.deadline <= now)) return true;
    const timer = this.kernel.signals.nextExpiry();
    return timer !== undefined && timer <= now;
  }

  /** The earliest deadline of a waiting thread or a timer (on the shared clock), if any. */
  nextDeadline(): bigint | undefined {
    const all = this.kernel.threads.blockedThreads().flatMap((t) => (t.blocked?.deadline === undefined ? [] : [t.blocked.deadline]));
    const timer = this.kernel.signals.nextExpiry();
    if (timer !== undefined) all.push(timer);
    return all.length === 0 ? undefined : all.reduce((a, b) => (b < a ? b : a));
  }

  /** How the process ended, as its parent's wait sees it; undefined while it runs. */
  ending(): Omit<ChildExit, "pid"> | undefined {
    const k = this.kernel;
    if (k.exitStatus !== undefined) return exitStatus({ exitStatus: k.exitStatus });
    if (k.terminatingSignal !== undefined) return exitStatus({ signal: k.terminatingSignal });
    return undefined;
  }

  private signalStop(ev: SignalEvent): Extract<StopReason, { kind: "signal" }> {
    const name = signalName(ev.info.signo);
    return { kind: "signal", signal: ev.info.signo, name, pc: ev.pc, address: ev.address, access: ev.access, description: ev.description };
  }

  /** Block entries until the earliest armed timer expires (Infinity when none is armed). */
  private blocksUntilTimer(): number {
    const expiry = this.kernel.signals.nextExpiry();
    if (expiry === undefined) return Infinity;
    const ns = expiry - this.kernel.clock.now;
    return ns <= 0n ? 1 : Number((ns + NS_PER_BLOCK - 1n) / NS_PER_BLOCK);
  }

  /** Every thread waits and none can wake: say who waits for what, and where. */
  private deadlock(): StopReason {
    if (this.awaitsInput()) return { kind: "input" };
    return { kind: "deadlock", description: this.deadlockReport() };
  }

  /** Whether input still to come from the terminal could end the waits (then nothing is a deadlock yet). */
  awaitsInput(): boolean {
    return this.kernel.io.interactive?.open === true;
  }

  /** A signal from outside the program (a key typed at its terminal: SI_KERNEL, as the tty driver sends it). */
  raise(signo: number): void {
    this.kernel.signals.send({ signo, code: SI_KERNEL, pid: 0 });
  }

  /** Input arrived: the waits for it are tried again. */
  retryInputWaits(): void {
    ioChanged(this.kernel);
  }

  /** The deadlock report: a first line, then each thread, what it waits for and where. */
  deadlockReport(): string {
    const lines = this.kernel.threads.live().map((t) => {
      const rip = t === this.kernel.thread ? this.cpu.reg("rip") : (t.context?.reg("rip") ?? 0n);
      const w = t.blocked?.wait;
      const what = w?.kind === "futex" ? `waits on futex 0x${w.address.toString(16)}` : w?.kind === "signal" ? "waits for a signal" : w?.kind === "io" ? `waits for ${w.what}` : "sleeps";
      return `thread ${t.tid}${t.name ? ` (${t.name})` : ""} ${what} at ${this.describe(rip)}`;
    });
    return `deadlock: every thread waits and none can wake another:\n${lines.join("\n")}`;
  }

  /** Runs to the end (exit or fatal signal), with no limit, into the programs it executes. */
  runToEnd(): EndReason {
    let p: Process = this;
    for (;;) {
      const r = p.run();
      if (r.kind === "followed") {
        p = r.process;
        continue;
      }
      if (r.kind === "exited" || r.kind === "signal") this.family.runOrphans(); // as a shell's pipe stays open for them
      // A run to the end cannot wait for typed input: waiting for it is waiting for ever.
      if (r.kind === "input") return { kind: "deadlock", description: p.deadlockReport() };
      if (r.kind !== "stopped" && r.kind !== "blocked" && r.kind !== "history-limit") return r;
      // A bare stop without a request (hlt, say) would loop forever: treat it as a fault.
      if (!p.stopRequested) {
        const pc = p.pc;
        return { kind: "signal", signal: SIGSEGV, name: "SIGSEGV", pc, description: `execution stopped unexpectedly at ${p.describe(pc)}` };
      }
    }
  }

  /**
   * Frees the engine and closes the process's files; the launched process ends the processes it
   * forked too. `keepFiles`: its descriptors live on in the image execve made of it.
   */
  close(opts: { keepFiles?: boolean } = {}): void {
    this.recorded?.end();
    if (this.closed) {
      this.replacement?.close(opts); // the launched process lives on in the program it executed
      return;
    }
    this.closed = true;
    const root = this.kernel.pid === this.family.rootPid && !this.replacement;
    if (root) this.family.closeAll(this);
    this.rendezvous?.remove();
    for (const h of this.hooks) h.remove();
    // Not the CPUID hook: closing the engine frees it.
    if (!opts.keepFiles) {
      if (root) this.kernel.fds.closeAll();
      else this.kernel.fds.closeEverything();
    }
    if (!opts.keepFiles) this.kernel.files.locks.release(this.kernel.pid); // a process's record locks end with it
    if (root) {
      // The family's file system ends with the launched process; say where what it wrote went.
      const note = this.kernel.files.scratch?.summary();
      if (note) this.kernel.warnOnce("scratch-layer", note);
      this.kernel.files.scratch?.dispose();
    }
    this.cpu.close();
  }

  private endReason(): StopReason | undefined {
    const k = this.kernel;
    if (k.exitStatus !== undefined) return { kind: "exited", status: k.exitStatus };
    if (k.terminatingSignal !== undefined) {
      const name = signalName(k.terminatingSignal);
      const f = this.signals.fatal;
      if (f && f.info.signo === k.terminatingSignal && f.description === k.terminationDescription) return { ...this.signalStop(f), name };
      const pc = this.pc;
      return { kind: "signal", signal: k.terminatingSignal, name, pc, description: k.terminationDescription ?? `${name} raised by the program at ${this.describe(pc)}` };
    }
    return undefined;
  }

  private onSyscall(): void {
    const c = this.cpu;
    const nr = Number(c.reg("rax"));
    const history = this.recorded;
    if (history?.replaying) return history.replaySyscall(nr, c.reg("rdi"));
    history?.syscallBegin(nr, c.reg("rdi"));
    try {
      this.dispatch(nr);
    } finally {
      history?.syscallEnd();
    }
  }

  private dispatch(nr: number): void {
    const c = this.cpu;
    const args = [c.reg("rdi"), c.reg("rsi"), c.reg("rdx"), c.reg("r10"), c.reg("r8"), c.reg("r9")];
    const me = nr === KILL_NR ? this.family.member(this.pid) : undefined;
    // kill reaches the family's processes (groups too); its own part is the kill syscall to itself.
    const result = me
      ? this.family.kill(me, Number(BigInt.asIntN(32, args[0]!)), Number(BigInt.asIntN(32, args[1]!)), () => dispatchSyscall(this.kernel, nr, [BigInt(this.pid), ...args.slice(1)]))
      : dispatchSyscall(this.kernel, nr, args);
    c.setReg("rax", result);
  }

  get pid(): number {
    return this.kernel.pid;
  }

  /** The family's side of this process's syscalls (fork, execve, wait4). */
  private host(): ProcessHost {
    const family = this.family;
    const pid = (): number => this.kernel.pid;
    const me = (): Member => family.member(pid())!;
    return {
      get ppid() {
        return family.member(pid())?.ppid ?? 1;
      },
      setpgid: (target, pgid) => setpgid(family.all(), me(), target, pgid),
      setsid: () => setsid(family.all(), me()),
      groupOf: (target, which) => groupOf(family.all(), me(), target, which),
      saveFamily: () => family.save(),
      fork: (req) => this.fork(req),
      exec: (path, argv, envp) => this.exec(path, argv, envp),
      waitChild: (select, keep) => family.waitChild(pid(), select, keep),
    };
  }

  /**
   * fork(2) from a syscall: a child process with a copy of this one's memory, the calling
   * thread's registers (rax 0, after the syscall; the clone's stack and TLS when given), its
   * descriptors (the same open files), signal actions and mask, working directory and file view.
   * vfork (CLONE_VFORK) holds the caller until the child executes a program or ends.
   */
  private fork(req: ForkRequest): bigint {
    const k = this.kernel;
    const vfork = (req.flags & CLONE_VFORK) !== 0n;
    if ((req.flags & CLONE_VM) !== 0n && !vfork) k.warnOnce("clone-vm", "clone with CLONE_VM but neither CLONE_THREAD nor CLONE_VFORK: the child gets a copy of the memory, not the same memory");
    const pid = this.family.allocatePid();
    if (req.flags & CLONE_PARENT_SETTID) k.writeU32(req.parentTid, pid);
    const made: { member?: Member } = {};
    // The child is made once the syscall has returned: a second engine must not run (enableOsFxsr)
    // inside this one's hook, and the registers to copy are then the syscall's return state.
    k.deferUntilReturn(() => (made.member = this.makeChild(pid, req, vfork)));
    if (!vfork) return BigInt(pid);
    const retry = () => (made.member?.released ? { done: BigInt(pid) } : undefined);
    return block(k, { wait: { kind: "io", what: `its vfork child ${pid}`, retry }, timeoutResult: 0n, nr: CLONE_NR, interrupt: "eintr" });
  }

  /** fork's second half, after the syscall: the child process, with rax 0 where the parent has the pid. */
  private makeChild(pid: number, req: ForkRequest, vfork: boolean): Member {
    const k = this.kernel;
    const cpu = createUnicornCpu();
    let child: Process;
    try {
      const space = new AddressSpace(cpu, new Rng(k.space.rng.next64()), k.space.randomizeByDefault);
      enableOsFxsr(cpu, space);
      k.space.copyInto(space);
      copyRegisters(this.cpu, cpu);
      cpu.setReg("rax", 0n);
      if (req.stack !== 0n) cpu.setReg("rsp", req.stack);
      if (req.flags & CLONE_SETTLS) cpu.setReg("fs_base", req.tls);
      const t = k.thread;
      const opts = this.childOptions();
      const images = this.images.list();
      child = new Process(cpu, space, this.image, this.interpreter, k.files.derive(), k.io, opts, { kind: "fork", argv: this.argv, initialStack: this.initialStack, images }, {
        family: this.family,
        pid,
        fds: k.fds.fork(),
        clock: k.clock,
        io: k.io,
        comm: t.comm,
        sigmask: t.sigmask,
        sigactions: k.sigactions,
        dumpable: k.dumpable,
        umask: k.umask,
        credentials: k.credentials,
        scheduling: resetOnFork(k.scheduling),
        rlimits: k.rlimits,
        followed: this.family.followsChildOf(this),
      });
    } catch (e) {
      cpu.close();
      throw e;
    }
    if (req.flags & CLONE_CHILD_SETTID) child.kernel.writeU32(req.childTid, pid);
    if (req.flags & CLONE_CHILD_CLEARTID) child.kernel.thread.clearChildTid = req.childTid;
    const member = new Member(pid, this.pid, child, vfork, vfork && (req.flags & CLONE_VM) !== 0n);
    const follow = this.family.followsChildOf(this);
    this.family.add(member);
    if (follow) this.family.follow(member);
    return member;
  }

  /**
   * The options a child's process (or the program execve loads) gets: this one's, without the
   * debugger's listeners (the debugger registers its own on the process it follows) and the
   * caller's engine (each image has its own), and with chaos drawing from this process's seed,
   * so a seed replays the whole family.
   */
  private childOptions(): ProcessOptions {
    const seed = this.chaosSeed === undefined ? this.opts.seed : this.chaosSeed ^ BigInt(this.family.generation);
    return { ...this.opts, seed, onLibrary: undefined, onThread: undefined, cpu: undefined };
  }

  /**
   * execve(2) from a syscall: the program at `path` (an ELF executable, or a `#!` script run by
   * its interpreter) replaces this process's image once the syscall returns — a new engine and
   * address space, the same pid, descriptors but those with FD_CLOEXEC, handled signals back to
   * their defaults. Failures (no such file, not executable, not a program) return their errno.
   */
  private exec(path: string, argv: string[], envp: string[]): bigint {
    const k = this.kernel;
    const target = resolveProgram(k.files, path, argv, 0);
    if (typeof target === "number") return E.fail(target);
    const sigactions = new Map<number, Uint8Array>();
    for (const [sig, act] of k.sigactions) if (parseSigaction(act).handler === SIG_IGN) sigactions.set(sig, act);
    try {
      ElfFile.parse(readFileSync(target.host), target.host);
    } catch (e) {
      if (!(e instanceof JitdbgError)) throw e;
      return E.fail(ENOEXEC);
    }
    // The new image is loaded once the syscall has returned (its engine runs set-up code, which
    // must not happen inside this engine's hook). Past this point a failure ends the process, as
    // Linux's past its point of no return.
    k.deferUntilReturn(() => {
      try {
        const opts = { ...this.childOptions(), args: target.argv.slice(1), argv0: target.argv[0] ?? "", env: envp };
        this.replacement = Process.load(target.host, opts, { family: this.family, pid: this.pid, fds: k.fds, clock: k.clock, io: k.io, sigmask: k.thread.sigmask, sigactions, dumpable: 1, umask: k.umask, credentials: k.credentials, scheduling: k.scheduling, rlimits: k.rlimits, view: k.files, followed: this.family.followed.process === this });
      } catch (e) {
        if (!(e instanceof JitdbgError)) throw e;
        k.warnOnce(`exec-${target.host}`, `execve of ${target.host} failed after the point of no return: ${e.message}; the process was killed`);
        k.terminate(SIGKILL, `execve of ${target.host} failed: ${e.message}`);
        return;
      }
      k.fds.closeOnExec();
      this.family.generation++;
    });
    return 0n;
  }

  private onInterrupt(intno: number): void {
    this.pendingInterrupt = { intno, pc: this.cpu.reg("rip") };
    this.cpu.stop();
  }

}

/** Every register but the segment selectors, from one engine to another (a fork's child). */
function copyRegisters(from: Cpu, to: Cpu): void {
  for (const name of Object.keys(X86_REG) as RegName[]) {
    if (SELECTORS.has(name)) continue;
    if (name.startsWith("xmm") || name.startsWith("st")) to.setRegBytes(name, from.regBytes(name));
    else to.setReg(name, from.reg(name));
  }
}

/**
 * What execve runs for `path`: the host file of an executable ELF file, or for a `#!` script its
 * interpreter with argv [interpreter, optional argument, script path, argv[1]...] as Linux's
 * binfmt_script makes it; an errno when there is nothing to run.
 */
function resolveProgram(files: FileView, path: string, argv: string[], depth: number): { host: string; argv: string[] } | number {
  const host = files.resolve(path);
  if (typeof host === "number") return host;
  const st = files.statHost(host);
  if (typeof st === "number") return st;
  if (!st.isFile() || (st.mode & 0o111) === 0) return E.EACCES;
  const head = fileHead(host);
  if (!head) return E.EACCES;
  const script = shebang(head);
  if (script !== undefined) {
    if (typeof script === "number") return script;
    if (depth >= MAX_SCRIPT_DEPTH) return ELOOP;
    return resolveProgram(files, script.interpreter, scriptArgv(script, path, argv), depth + 1);
  }
  if (head.length < 4 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return ENOEXEC;
  return { host, argv };
}

/** A `#!` line's interpreter and optional argument (ENOEXEC: a line with neither); undefined when `head` is no script's. */
function shebang(head: Uint8Array): { interpreter: string; arg: string | undefined } | number | undefined {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const end = head.indexOf(0x0a);
  const line = Buffer.from(head.subarray(2, end < 0 ? head.length : end)).toString("latin1").trim();
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return ENOEXEC;
  return { interpreter: m[1]!, arg: m[2]?.trim() || undefined };
}

/** The interpreter's argv for a script run with `argv`: [interpreter, optional argument, script path, argv[1]...], as binfmt_script makes it. */
function scriptArgv(script: { interpreter: string; arg: string | undefined }, path: string, argv: readonly string[]): string[] {
  return [script.interpreter, ...(script.arg !== undefined ? [script.arg] : []), path, ...argv.slice(1)];
}

/** The first bytes of a host file (up to 256: a `#!` line's limit), or undefined when it cannot be read. */
function fileHead(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if (!isHostError(e)) throw e;
    return undefined;
  }
  try {
    const head = new Uint8Array(256);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } catch (e) {
    if (!isHostError(e)) throw e;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function makeIO(opts: ProcessOptions): ProcessIO {
  const input = opts.stdin;
  if (input !== undefined && input !== "host" && !(input instanceof Uint8Array)) {
    return { stdout: opts.onStdout ?? (() => {}), stderr: opts.onStderr ?? (() => {}), stdin: (max) => input.read(max) ?? new Uint8Array(0), interactive: input };
  }
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
        } catch (e) {
          if (!isHostError(e)) throw e;
          return new Uint8Array(0); // the host's stdin is closed or unreadable: end of file
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
