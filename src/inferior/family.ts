/**
 * A process family: the program jitdbg launched and the processes it forks, each a Process with
 * its own CPU and address space (fork copies the parent's), sharing one pid space, one emulated
 * clock, the standard streams and the open files they inherit. They take turns on the host as a
 * process's threads do on its CPU: a turn lasts PROCESS_QUANTUM block entries or until every
 * thread of the process waits; the next process in pid order that can run goes next, and when
 * none can, the clock jumps to the family's earliest deadline. Every decision depends only on what
 * the programs did, so a family interleaves the same way on every run, under the debugger or not.
 *
 * The process the caller drives (the launched one, or the one the debugger follows) runs its
 * family: its Process.run runs the others' turns too (so the debugger and `jitdbg run` see one
 * process); breakpoints are hooks on the followed process's CPU only (detach-on-fork). The family
 * follows the launched process (gdb's follow-fork-mode parent) or, in "child" mode, moves on to
 * each child the followed process forks; it follows a process into the program it executes
 * (follow-exec-mode same). A run ends with a "followed" stop when that changes, so the caller can
 * move to the new process. A child that ends stays a zombie until its parent waits for it
 * (wait4/waitid), and its parent gets SIGCHLD.
 */
import { DEFAULT_QUANTUM_BLOCKS } from "./scheduler.js";
import type { ChildExit } from "./kernel.js";
import type { Process, RunLimits, StopReason } from "./process.js";
import { SI_USER, SIG_IGN } from "./signals.js";
import { CLD_EXITED, CLD_KILLED, SIGCHLD } from "./syscalls/processes.js";
import { ioChanged } from "./syscalls/pipes.js";
import type { ThreadTable } from "./threads.js";
import * as E from "./errno.js";
import { killTargets, LAUNCHER_PID, type GroupMember } from "./process-groups.js";

/** Block entries per process turn. */
export const PROCESS_QUANTUM = DEFAULT_QUANTUM_BLOCKS;
/** The pid of init, which orphans are given to (and which reaps them). */
const INIT_PID = 1;
const SA_NOCLDWAIT = 2n;

/** Which process the debugger follows at a fork (gdb's follow-fork-mode). */
export type FollowFork = "parent" | "child";

export class Member implements GroupMember {
  /** Set once the process has ended: a zombie until its parent reaps it. */
  exit: ChildExit | undefined;
  /** A vfork parent waits until this is set (the child executed another program or ended). */
  released = false;
  /** Its process group and session (a child's are its parent's; setpgid and setsid change them). */
  pgid = LAUNCHER_PID;
  sid = LAUNCHER_PID;
  /** Set once it executed a program (setpgid of such a child is EACCES). */
  executed = false;

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
  /** The process the debugger follows (the launched one until a fork is followed into a child). */
  private followedMember: Member | undefined;

  constructor(
    readonly rootPid: number,
    readonly followFork: FollowFork = "parent",
  ) {
    this.nextPid = rootPid + 1;
  }

  /** A new process; its group and session are its parent's. */
  add(member: Member): void {
    const parent = this.member(member.ppid);
    if (parent) {
      member.pgid = parent.pgid;
      member.sid = parent.sid;
    }
    this.members.push(member);
    this.followedMember ??= member;
    this.generation++;
  }

  /** Every process there is (zombies too), for process groups. */
  all(): readonly Member[] {
    return this.members;
  }

  get followed(): Member {
    return this.followedMember!;
  }

  /** Whether a fork by `p` moves the debugger to the child (follow-fork-mode child, and `p` followed). */
  followsChildOf(p: Process): boolean {
    return this.followFork === "child" && this.followedMember?.process === p;
  }

  /** The debugger moves to `m` (a child the followed process forked). */
  follow(m: Member): void {
    this.followedMember = m;
  }

  member(pid: number): Member | undefined {
    return this.members.find((m) => m.pid === pid);
  }

  /**
   * The family now, for an expression call's undo: restore() ends the processes made since (a
   * fork by the call, and its forks), gives back the children the call reaped, and puts back who
   * is followed and the next pid. Processes that ran meanwhile keep their progress: the others are
   * not the call's to undo.
   */
  save(): { restore(): void } {
    const members = [...this.members];
    const { nextPid, followedMember, current, turnLeft } = this;
    return {
      restore: () => {
        for (const m of this.members) if (!members.includes(m) && m.running) m.process.close();
        this.members.splice(0, this.members.length, ...members);
        Object.assign(this, { nextPid, followedMember, current, turnLeft });
        this.generation++;
      },
    };
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

  /**
   * kill(pid, sig) by `caller` across the family (process-groups.ts says whom it reaches): another
   * process gets the signal pending, delivered when it runs; the caller's own part is `toSelf`
   * (its kill syscall, delivered as the syscall returns).
   */
  kill(caller: Member, pid: number, sig: number, toSelf: () => bigint): bigint {
    if (sig < 0 || sig > 64) return E.fail(E.EINVAL);
    const targets = killTargets(this.members, caller, pid);
    if (targets.length === 0) return E.fail(E.ESRCH);
    for (const m of targets) {
      if (m === caller) toSelf();
      else if (sig !== 0 && m.running) m.process.kernel.signals.send({ signo: sig, code: SI_USER, pid: caller.pid });
    }
    return 0n;
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
   * Runs the family from `driver`'s run (the followed process, or the launched one): with no other
   * process running, that is the driver's own run; otherwise turns, each child's run to the end
   * of its turn. A "followed" stop when the followed process changed (a fork followed, an execve).
   */
  run(driver: Process, limits: RunLimits): StopReason {
    const total = limits.blocks ? limits.blocks : Infinity;
    const followedAt = this.followedMember;
    const imageAt = followedAt?.process;
    let used = 0;
    for (;;) {
      this.settle();
      const now = this.followedMember;
      // (Not when the caller drives it already: it followed an execve an instruction step made.)
      if (now && now.process !== imageAt && now.process !== driver) return { kind: "followed", process: now.process, cause: now === followedAt ? "exec" : "fork" };
      const running = this.running();
      const driverMember = running.find((m) => m.process === driver);
      if (!driverMember || running.length === 1) {
        const before = driver.cpu.blockCount;
        const r = driver.turn(limits, total - used, false);
        used += Number(driver.cpu.blockCount - before);
        if (r === "changed") continue;
        if (r === "budget" || r === "idle") return { kind: "stopped" };
        return r;
      }
      const m = this.pick(running);
      if (!m) {
        const deadline = earliestDeadline(running);
        if (deadline === undefined) return this.deadlock(driver, running);
        driver.kernel.clock.skipTo(deadline);
        continue;
      }
      const p = m.process;
      const before = p.cpu.blockCount;
      const r = p.turn(m === driverMember ? limits : {}, Math.min(this.turnLeft, total - used), true);
      const ran = Number(p.cpu.blockCount - before);
      used += ran;
      this.turnLeft -= ran;
      if (!p.exited) this.claimTids(p);
      this.changed();
      if (r === "idle") this.turnLeft = 0;
      else if (r !== "budget" && r !== "changed") {
        if (m === driverMember) return r;
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

  /** Input arrived on the standard input the processes share: each retries its waits. */
  inputArrived(): void {
    for (const m of this.running()) m.process.retryInputWaits();
  }

  /** Every process waits for ever (or, while the terminal may still bring input, for it). */
  private deadlock(driver: Process, running: Member[]): StopReason {
    if (running.some((m) => m.process.awaitsInput())) return { kind: "input" };
    const own = driver.deadlockReport();
    const others = running.filter((m) => m.process !== driver).flatMap((m) => m.process.deadlockReport().split("\n").slice(1).map((l) => `process ${m.pid}: ${l}`));
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
        m.executed = true;
        setNextTid(next.kernel.threads, this.nextPid);
        this.generation++;
      }
      const end = m.process.ending();
      if (!end) continue;
      m.exit = { pid: m.pid, ...end };
      this.generation++;
      this.release(m);
      // The launched and the followed process stay open: their caller reads how they ended. Their
      // descriptors close now, as at any exit (a pipe's reader sees its end).
      if (m.pid === this.rootPid) m.process.kernel.fds.closeAll();
      else if (m === this.followedMember) m.process.kernel.fds.closeEverything();
      else m.process.close();
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

  /**
   * After the launched process has ended (`jitdbg run`): the children that outlive it, reparented
   * to init as on Linux, run on to their own ends, so what they print still comes out as it does
   * after a native parent exits. When all of them then wait for ever (a daemon), they are ended:
   * natively they would linger past the run.
   */
  runOrphans(): void {
    for (;;) {
      this.settle();
      const running = this.running();
      if (running.length === 0) return;
      const m = this.pick(running);
      if (!m) {
        const deadline = earliestDeadline(running);
        if (deadline === undefined) {
          for (const r of running) r.process.close();
          this.members.splice(0, this.members.length, ...this.members.filter((x) => !running.includes(x)));
          return;
        }
        running[0]!.process.kernel.clock.skipTo(deadline);
        continue;
      }
      const p = m.process;
      const before = p.cpu.blockCount;
      const r = p.turn({}, this.turnLeft, true);
      this.turnLeft -= Number(p.cpu.blockCount - before);
      if (!p.exited) this.claimTids(p);
      this.changed();
      if (r === "idle") this.turnLeft = 0;
      else if (r !== "budget" && r !== "changed" && (r.kind === "stopped" || r.kind === "blocked" || r.kind === "deadlock")) p.kernel.terminate(11, "the process stopped unexpectedly");
    }
  }

  /** Ends every other process (the launched one is closing), and closes the followed one. */
  closeAll(root: Process): void {
    for (const m of this.members) if (m.process !== root && m.running) m.process.close();
    if (this.followedMember && this.followedMember.process !== root) this.followedMember.process.close();
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

/** The earliest deadline of a waiting thread or a timer among `members` (on the shared clock), if any. */
function earliestDeadline(members: readonly Member[]): bigint | undefined {
  return members.reduce<bigint | undefined>((a, x) => {
    const d = x.process.nextDeadline();
    return d === undefined ? a : a === undefined || d < a ? d : a;
  }, undefined);
}
