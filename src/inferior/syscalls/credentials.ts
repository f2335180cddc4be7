/**
 * The credential syscalls: getters of the ids, and the setters with Linux's rules
 * (credentials.ts), kept per process; setgroups, by a privileged process only.
 */
import * as E from "../errno.js";
import { type Credentials, type Ids, setFsId, setId, setReId, setResId } from "../credentials.js";
import type { Kernel } from "../kernel.js";
import { hostGroups } from "./host-proc.js";
import { int, type SyscallEntry } from "./types.js";

/** The kernel's NGROUPS_MAX: a larger size is EINVAL. */
export const NGROUPS_MAX = 65536;
const INVALID_ID = 0xffffffff;

const u32 = (v: bigint) => Number(v & 0xffffffffn);

/** Applies a change of the uids or gids; EPERM when the rules refuse it. */
function change(k: Kernel, which: "uid" | "gid", next: (ids: Ids, privileged: boolean) => Ids | undefined): bigint {
  const c = k.credentials;
  const ids = next(c[which], c.privileged);
  if (ids === undefined) return E.fail(E.EPERM);
  k.credentials = c.with(which, ids);
  return 0n;
}

function getRes(k: Kernel, ids: Ids, a: readonly bigint[]): bigint {
  for (let i = 0; i < 3; i++) if (!k.writeU32(a[i]!, ids[i]!)) return E.fail(E.EFAULT);
  return 0n;
}

/** setfsuid/setfsgid return the old id whether or not it changed. */
function setFs(k: Kernel, which: "uid" | "gid", id: number): bigint {
  const c = k.credentials;
  k.credentials = c.with(which, setFsId(c[which], c.privileged, id));
  return BigInt(c[which][3]);
}

/** The supplementary groups: those setgroups set, else the host's (which the native run has too). */
export function groupsOf(c: Credentials): readonly number[] {
  return c.groups ?? hostGroups();
}

function getgroups(k: Kernel, count: number, list: bigint): bigint {
  const groups = groupsOf(k.credentials);
  if (count < 0 || count > NGROUPS_MAX) return E.fail(E.EINVAL);
  if (count === 0) return BigInt(groups.length);
  if (count < groups.length) return E.fail(E.EINVAL);
  const b = new Uint8Array(4 * groups.length);
  groups.forEach((g, i) => new DataView(b.buffer).setUint32(4 * i, g, true));
  return k.writeUser(list, b) ? BigInt(groups.length) : E.fail(E.EFAULT);
}

function setgroups(k: Kernel, count: number, list: bigint): bigint {
  if (!k.credentials.privileged) return E.fail(E.EPERM);
  if (count < 0 || count > NGROUPS_MAX) return E.fail(E.EINVAL);
  const b = count === 0 ? new Uint8Array(0) : k.readUser(list, 4 * count);
  if (!b) return E.fail(E.EFAULT);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const groups = Array.from({ length: count }, (_, i) => view.getUint32(4 * i, true));
  k.credentials = k.credentials.withGroups(groups.sort((x, y) => x - y)); // sorted, as the kernel keeps them (duplicates stay)
  return 0n;
}

export const credentialSyscalls: Record<number, SyscallEntry> = {
  102: { name: "getuid", handler: (k) => BigInt(k.credentials.uid[0]) },
  104: { name: "getgid", handler: (k) => BigInt(k.credentials.gid[0]) },
  105: { name: "setuid", handler: (k, a) => (u32(a[0]!) === INVALID_ID ? E.fail(E.EINVAL) : change(k, "uid", (ids, p) => setId(ids, p, u32(a[0]!)))) },
  106: { name: "setgid", handler: (k, a) => (u32(a[0]!) === INVALID_ID ? E.fail(E.EINVAL) : change(k, "gid", (ids, p) => setId(ids, p, u32(a[0]!)))) },
  107: { name: "geteuid", handler: (k) => BigInt(k.credentials.uid[1]) },
  108: { name: "getegid", handler: (k) => BigInt(k.credentials.gid[1]) },
  113: { name: "setreuid", handler: (k, a) => change(k, "uid", (ids, p) => setReId(ids, p, u32(a[0]!), u32(a[1]!))) },
  114: { name: "setregid", handler: (k, a) => change(k, "gid", (ids, p) => setReId(ids, p, u32(a[0]!), u32(a[1]!))) },
  115: { name: "getgroups", handler: (k, a) => getgroups(k, int(a[0]!), a[1]!) },
  116: { name: "setgroups", handler: (k, a) => setgroups(k, int(a[0]!), a[1]!) },
  117: { name: "setresuid", handler: (k, a) => change(k, "uid", (ids, p) => setResId(ids, p, u32(a[0]!), u32(a[1]!), u32(a[2]!))) },
  118: { name: "getresuid", handler: (k, a) => getRes(k, k.credentials.uid, a) },
  119: { name: "setresgid", handler: (k, a) => change(k, "gid", (ids, p) => setResId(ids, p, u32(a[0]!), u32(a[1]!), u32(a[2]!))) },
  120: { name: "getresgid", handler: (k, a) => getRes(k, k.credentials.gid, a) },
  122: { name: "setfsuid", handler: (k, a) => setFs(k, "uid", u32(a[0]!)) },
  123: { name: "setfsgid", handler: (k, a) => setFs(k, "gid", u32(a[0]!)) },
};
