/**
 * A process's user and group identities as Linux keeps them (credentials(7)): real, effective,
 * saved set- and file-system ids, and the supplementary groups, with the kernel's rules for
 * changing them (kernel/sys.c). The emulated process starts as root (ids 0, getuid says so) with
 * the host's supplementary groups; it has CAP_SETUID and CAP_SETGID while its effective uid is 0,
 * which is how Linux drops them when a root process changes its effective uid. The ids are the
 * program's own: the host checks file permissions as jitdbg's user, whatever the program set.
 */

/** real, effective, saved, file system */
export type Ids = readonly [real: number, effective: number, saved: number, fs: number];

/** An id argument of -1 (as a 32-bit value): leave that id as it is. */
const UNCHANGED = 0xffffffff;

export class Credentials {
  constructor(
    readonly uid: Ids = [0, 0, 0, 0],
    readonly gid: Ids = [0, 0, 0, 0],
    /** undefined: the host's (nobody called setgroups). */
    readonly groups: readonly number[] | undefined = undefined,
  ) {}

  /** CAP_SETUID and CAP_SETGID: held while the effective uid is root. */
  get privileged(): boolean {
    return this.uid[1] === 0;
  }

  with(which: "uid" | "gid", ids: Ids): Credentials {
    return which === "uid" ? new Credentials(ids, this.gid, this.groups) : new Credentials(this.uid, ids, this.groups);
  }

  withGroups(groups: readonly number[]): Credentials {
    return new Credentials(this.uid, this.gid, groups);
  }
}

/** setuid/setgid: privileged, all four ids; else the effective (and fs) one, to the real or saved id. Undefined: EPERM. */
export function setId(ids: Ids, privileged: boolean, id: number): Ids | undefined {
  if (privileged) return [id, id, id, id];
  if (id !== ids[0] && id !== ids[2]) return undefined;
  return [ids[0], id, ids[2], id];
}

/**
 * setreuid/setregid: the real id to the real or effective one, the effective to any of the three
 * (unless privileged); the saved id follows the effective one when the real id is set or the
 * effective one set to other than the old real id.
 */
export function setReId(ids: Ids, privileged: boolean, real: number, effective: number): Ids | undefined {
  const [r, e, s] = ids;
  if (real !== UNCHANGED && !privileged && real !== r && real !== e) return undefined;
  if (effective !== UNCHANGED && !privileged && effective !== r && effective !== e && effective !== s) return undefined;
  const nr = real === UNCHANGED ? r : real;
  const ne = effective === UNCHANGED ? e : effective;
  const ns = real !== UNCHANGED || (effective !== UNCHANGED && effective !== r) ? ne : s;
  return [nr, ne, ns, ne];
}

/** setresuid/setresgid: each id given to any of the current three (unless privileged). */
export function setResId(ids: Ids, privileged: boolean, real: number, effective: number, saved: number): Ids | undefined {
  const allowed = (id: number) => id === UNCHANGED || privileged || id === ids[0] || id === ids[1] || id === ids[2];
  if (!allowed(real) || !allowed(effective) || !allowed(saved)) return undefined;
  const ne = effective === UNCHANGED ? ids[1] : effective;
  return [real === UNCHANGED ? ids[0] : real, ne, saved === UNCHANGED ? ids[2] : saved, ne];
}

/** setfsuid/setfsgid: to any of the four ids (any id when privileged); otherwise unchanged. */
export function setFsId(ids: Ids, privileged: boolean, id: number): Ids {
  if (id === UNCHANGED || (!privileged && !ids.includes(id))) return ids;
  return [ids[0], ids[1], ids[2], id];
}
