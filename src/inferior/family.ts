/**
 * A process family: the program jitdbg launched and the processes it forks, each a Process with
 * its own CPU and address space (fork copies the parent's), sharing one pid space, one emulated
 * clock, the standard streams and the open files they inherit. They take turns on the host as a
 * process's threads do on its CPU: a turn lasts PROCESS_QUANTUM block entries or until every
 * thread of the process waits; the next process in pid order that can run goes next, and when
 * none can, the clock jumps to the family's earliest deadline. Every decision depends only on what
 * the programs did, so a family interleaves the same way on every run, under the debugger or not.
 *
 * The launched process drives its family: its Process.run runs the others' turns too (so the
 * debugger and `jitdbg run`, which drive it, see one process); its breakpoints are hooks on its own
 * CPU only (gdb's follow-fork-mode parent, detach-on-fork). A child that ends stays a zombie until
 * its parent waits for it (wait4/waitid), and its parent gets SIGCHLD.
 */
import { DEFAULT_QUANTUM_BLOCKS } from "./scheduler.js";
import type { ChildExit } from "./kernel.js";
import type { Process, RunLimits, StopReason } from "./process.js";
import { SIG_IGN } from "./signals.js";
import { CLD_EXITED, CLD_KILLED, SIGCHLD } from "./syscalls/processes.js";
import { ioChanged } from "./syscalls/pipes.js";
import type { ThreadTable } from "./threads.js";

/** Block entries per process turn. */
export const PROCESS_QUANTUM = DEFAULT_QUANTUM_BLOCKS;
/** The pid of init, which orphans are given to (and which reaps them). */
const INIT_PID = 1;
const SA_NOCLDWAIT = 2n;

export class Member {
  /** Set once the process has ended: a zombie until its parent reaps it. */
  exit: ChildExit | undefined;
  /** A vfork parent waits until this is set (the child executed another program or ended). */
  released = false;

  constructor(
    readonly pid: number,
    public ppid: number,
    public process: Process,
    /** Whether the parent waits for exec or exit (vfork). */
    readonly vfork: boolean,
    /** CLONE_VM: what the child writes until then reaches the parent (AddressSpace.copyChangesInto). */
    readonly sharesMemory = false,
  ) {}

  get running(): boolean {
    return this.exit === undefined;
  }
}

export class Family {
  private readonly members: Member[] = [];
  /** Bumped when a process is created, executes a program or ends: runs look again at who runs. */
  generation = 0;
  private nextPid: number;
  private current: Member | undefined;
  private turnLeft = 0;

  constructor(readonly rootPid: number) {
    this.nextPid = rootPid + 1;
  }

  add(member: Member): void {
    this.members.push(member);
    this.generation++;
  }

  member(pid: number): Member | undefined {
    return this.members.find((m) => m.pid === pid);
  }

  /** The processes still running, in pid order (creation order). */
  running(): Member[] {
    return this.members.filter((m) => m.running);
  }

  /**
   * A new pid, past every tid in use (tids and pids share one number space, as on Linux); each
   * running process's next thread takes a number after it.
   */
  allocatePid(): number {
    let n = this.nextPid;
    for (const m of this.running()) n = Math.max(n, nextTid(m.process.kernel.threads));
    this.nextPid = n + 1;
    for (const m of this.running()) setNextTid(m.process.kernel.threads, n + 1);
    return n;
  }

  /**
   * After a process's turn: the threads it created took numbers from its own table, so every
   * other table (and the next pid) moves past them. Only one process runs at a time, so no two
   * tables hand out the same number.
   */
  private claimTids(ran: Process): void {
    const n = nextTid(ran.kernel.threads);
    if (n <= this.nextPid) return;
    this.nextPid = n;
    for (const m of this.running()) if (m.process !== ran) setNextTid(m.process.kernel.threads, n);
  }

  /** A child of `parent` that `select` accepts and has ended (reaped unless `keep`); "none" when it has no such child. */
  waitChild(parent: number, select: (pid: number) => boolean, keep: boolean): ChildExit | "none" | undefined {
    const children = this.members.filter((m) => m.ppid === parent && select(m.pid));
    if (children.length === 0) return "none";
    const ended = children.find((m) => m.exit !== undefined);
    if (!ended) return undefined;
    if (!keep) this.members.splice(this.members.indexOf(ended), 1);
    return ended.exit;
  }

  /**
   * Runs the family from the launched process's run (`root`): with no other process running,
   * that is the root's own run; otherwise turns, each child's run to the end of its turn.
   */
  run(root: Process, limits: RunLimits): StopReason {
    const total = limits.blocks ? limits.blocks : Infinity;
    let used = 0;
    for (;;) {
      this.settle();
      const running = this.running();
      const rootMember = running.find((m) => m.process === root);
      if (!rootMember || running.length === 1) {
        const before = root.cpu.blockCount;
        const r = root.turn(limits, total - used, false);
        used += Number(root.cpu.blockCount - before);
        if (r === "changed") continue;
        if (r === "budget" || r === "idle") return { kind: "stopped" };
        return r;
      }
      const m = this.pick(running);
      if (!m) {
        const deadline = running.reduce<bigint | undefined>((a, x) => {
          const d = x.process.nextDeadline();
          return d === undefined ? a : a === undefined || d < a ? d : a;
        }, undefined);
        if (deadline === undefined) return this.deadlock(root, running);
        root.kernel.clock.skipTo(deadline);
        continue;
      }
      const p = m.process;
      const before = p.cpu.blockCount;
      const r = p.turn(m === rootMember ? limits : {}, Math.min(this.turnLeft, total - used), true);
      const ran = Number(p.cpu.blockCount - before);
      used += ran;
      this.turnLeft -= ran;
      if (!p.exited) this.claimTids(p);
      this.changed();
      if (r === "idle") this.turnLeft = 0;
      else if (r !== "budget" && r !== "changed") {
        if (m === rootMember) return r;
        if (r.kind === "stopped" || r.kind === "blocked" || r.kind === "deadlock") p.kernel.terminate(11, "the process stopped unexpectedly");
      }
      if (used >= total) return { kind: "stopped" };
    }
  }

  /** The process to run next: the current one while its turn lasts and it can run, else the next in pid order that can. */
  private pick(running: Member[]): Member | undefined {
    const cur = this.current && running.includes(this.current) ? this.current : undefined;
    if (cur && this.turnLeft > 0 && cur.process.hasWork()) return cur;
    const at = cur ? running.indexOf(cur) : -1;
    for (let i = 1; i <= running.length; i++) {
      const m = running[(at + i + running.length) % running.length]!;
      if (m.process.hasWork()) {
        this.current = m;
        this.turnLeft = PROCESS_QUANTUM;
        return m;
      }
    }
    return undefined;
  }

  /** Every process waits for ever. */
  private deadlock(root: Process, running: Member[]): StopReason {
    const own = root.deadlockReport();
    const others = running.filter((m) => m.process !== root).flatMap((m) => m.process.deadlockReport().split("\n").slice(1).map((l) => `process ${m.pid}: ${l}`));
    return { kind: "deadlock", description: [own, ...others].join("\n") };
  }

  /** After a turn: waits on descriptors and children may finish in every process. */
  private changed(): void {
    this.settle();
    for (const m of this.running()) ioChanged(m.process.kernel);
  }

  /** Processes that executed another program get it; those that ended become zombies (or are reaped). */
  private settle(): void {
    const notices: (() => void)[] = [];
    const generation = this.generation;
    for (const m of [...this.members]) {
      if (!m.running) continue;
      const next = m.process.replacement;
      if (next) {
        this.release(m);
        m.process.close({ keepFiles: true });
        m.process = next;
        setNextTid(next.kernel.threads, this.nextPid);
        this.generation++;
      }
      const end = m.process.ending();
      if (!end) continue;
      m.exit = { pid: m.pid, ...end };
      this.generation++;
      this.release(m);
      if (m.pid !== this.rootPid) m.process.close();
      for (const c of this.members) if (c.ppid === m.pid) c.ppid = INIT_PID;
      const parent = this.member(m.ppid);
      if (!parent?.running) {
        if (m.pid !== this.rootPid) this.members.splice(this.members.indexOf(m), 1); // init reaps it
        continue;
      }
      const k = parent.process.kernel;
      const act = k.signals.action(SIGCHLD);
      // SIGCHLD ignored explicitly, or SA_NOCLDWAIT: the child is reaped at once, never a zombie.
      if (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0n) this.members.splice(this.members.indexOf(m), 1);
      notices.push(() => k.signals.send({ signo: SIGCHLD, code: end.code, pid: m.pid, value: BigInt(end.value) }));
    }
    // Waits end first, then SIGCHLD comes: as on Linux, a wait4 the child's end wakes returns its
    // pid, and the handler runs after it (the signal does not interrupt the wait).
    if (this.generation === generation) return;
    for (const m of this.running()) ioChanged(m.process.kernel);
    for (const send of notices) send();
  }

  /** A vfork child executed a program or ended: its parent goes on, seeing what the child wrote when they shared memory. */
  private release(m: Member): void {
    if (!m.vfork || m.released) return;
    m.released = true;
    const parent = this.member(m.ppid);
    if (m.sharesMemory && parent?.running) m.process.space.copyChangesInto(parent.process.space);
  }

  /** Ends every other process (the launched one is closing). */
  closeAll(root: Process): void {
    for (const m of this.members) if (m.process !== root && m.running) m.process.close();
    this.members.length = 0;
  }
}

/** A wait status and the siginfo fields of a process's end. */
export function exitStatus(end: { exitStatus?: number; signal?: number }): Omit<ChildExit, "pid"> {
  if (end.signal !== undefined) return { status: end.signal & 0x7f, code: CLD_KILLED, value: end.signal };
  const code = (end.exitStatus ?? 0) & 0xff;
  return { status: code << 8, code: CLD_EXITED, value: code };
}

/** The number the table's next thread would take (ThreadTable keeps it private; its snapshot tells it). */
function nextTid(t: ThreadTable): number {
  return t.snapshot().nextTid;
}

/** Moves the table's next thread number on to `n` (when lower): its snapshot put back with that number. */
function setNextTid(t: ThreadTable, n: number): void {
  const s = t.snapshot();
  if (s.nextTid < n) t.restore({ ...s, nextTid: n });
}
