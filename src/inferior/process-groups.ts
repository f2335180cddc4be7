/**
 * Process groups and sessions as Linux keeps them (kernel/sys.c setpgid, setsid; kill's targets),
 * over the processes of a family. The launched process is a child of whoever started jitdbg
 * (LAUNCHER_PID, no process of the family) and starts in its group and session, as a program run
 * by a test runner or by a shell without job control does: it may setsid() and setpgid(0, 0).
 */
import * as E from "./errno.js";

/** jitdbg's own caller: the launched process's parent, group and session (pids start above it). */
export const LAUNCHER_PID = 4241;

export interface GroupMember {
  readonly pid: number;
  readonly ppid: number;
  pgid: number;
  sid: number;
  /** It executed a program since its fork (a parent's setpgid of it is then EACCES). */
  readonly executed: boolean;
}

/** setpgid(pid, pgid) by `caller`: 0 or a negative errno, as Linux decides it. */
export function setpgid(members: readonly GroupMember[], caller: GroupMember, pid: number, pgid: number): bigint {
  const target = pid === 0 ? caller : members.find((m) => m.pid === pid);
  const group = pgid === 0 ? (target?.pid ?? pid) : pgid;
  if (group < 0) return E.fail(E.EINVAL);
  if (!target) return E.fail(E.ESRCH);
  if (target !== caller) {
    if (target.ppid !== caller.pid) return E.fail(E.ESRCH);
    if (target.sid !== caller.sid) return E.fail(E.EPERM);
    if (target.executed) return E.fail(E.EACCES);
  }
  if (target.sid === target.pid) return E.fail(E.EPERM); // a session leader stays in its group
  if (group !== target.pid && !members.some((m) => m.pgid === group && m.sid === caller.sid)) return E.fail(E.EPERM);
  target.pgid = group;
  return 0n;
}

/** setsid() by `caller`: a new session and group it leads, unless it already leads a group. */
export function setsid(members: readonly GroupMember[], caller: GroupMember): bigint {
  if (members.some((m) => m.pgid === caller.pid)) return E.fail(E.EPERM);
  caller.sid = caller.pid;
  caller.pgid = caller.pid;
  return BigInt(caller.pid);
}

/** getpgid(pid) or getsid(pid) (0: the caller's). */
export function groupOf(members: readonly GroupMember[], caller: GroupMember, pid: number, which: "pgid" | "sid"): bigint {
  const target = pid === 0 ? caller : members.find((m) => m.pid === pid);
  return target ? BigInt(target[which]) : E.fail(E.ESRCH);
}

/** The processes kill(pid, …) reaches: one (pid > 0), the caller's group (0), every other (-1), group -pid. */
export function killTargets<M extends GroupMember>(members: readonly M[], caller: M, pid: number): M[] {
  if (pid > 0) return members.filter((m) => m.pid === pid);
  if (pid === 0) return members.filter((m) => m.pgid === caller.pgid);
  if (pid === -1) return members.filter((m) => m !== caller);
  return members.filter((m) => m.pgid === -pid);
}
