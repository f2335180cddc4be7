/**
 * sysinfo: the host's uptime, load averages, memory and swap and number of threads, as the host
 * kernel reports them in /proc (what its own sysinfo reads), in bytes (mem_unit 1, as 64-bit Linux
 * scales them). glibc's get_phys_pages (sysconf(_SC_PHYS_PAGES), qsort's choice of merge sort)
 * and get_avphys_pages read it.
 */
import { freemem, loadavg, totalmem, uptime } from "node:os";
import * as E from "../errno.js";
import type { Kernel } from "../kernel.js";
import { readHostProc } from "./host-proc.js";
import type { SyscallEntry } from "./types.js";

/** sizeof(struct sysinfo) on x86-64. */
const SYSINFO_SIZE = 112;
/** Load averages are fixed-point with this many fraction bits (SI_LOAD_SHIFT). */
const SI_LOAD_SHIFT = 16;

export interface HostSystemInfo {
  uptime: bigint;
  loads: [bigint, bigint, bigint];
  totalram: bigint;
  freeram: bigint;
  sharedram: bigint;
  bufferram: bigint;
  totalswap: bigint;
  freeswap: bigint;
  procs: number;
}

/** The host's figures now, from /proc/meminfo, /proc/loadavg and /proc/uptime (os.* where those are missing). */
export function hostSystemInfo(): HostSystemInfo {
  const mem = new Map<string, bigint>();
  for (const line of (readHostProc("/proc/meminfo") ?? "").split("\n")) {
    const m = /^(\w+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (m) mem.set(m[1]!, BigInt(m[2]!) * (line.includes(" kB") ? 1024n : 1n));
  }
  const [l1, l2, l3, threads] = (readHostProc("/proc/loadavg") ?? "").split(/\s+/);
  const load = (s: string | undefined, i: number): bigint => BigInt(Math.round((s === undefined ? (loadavg()[i] ?? 0) : Number(s)) * (1 << SI_LOAD_SHIFT)));
  const up = Number((readHostProc("/proc/uptime") ?? "").split(/\s+/)[0] || uptime());
  const procs = Number(threads?.split("/")[1] ?? 1);
  return {
    uptime: BigInt(Math.ceil(up)), // Linux rounds a partial second up
    loads: [load(l1, 0), load(l2, 1), load(l3, 2)],
    totalram: mem.get("MemTotal") ?? BigInt(totalmem()),
    freeram: mem.get("MemFree") ?? BigInt(freemem()),
    sharedram: mem.get("Shmem") ?? 0n,
    bufferram: mem.get("Buffers") ?? 0n,
    totalswap: mem.get("SwapTotal") ?? 0n,
    freeswap: mem.get("SwapFree") ?? 0n,
    procs: Number.isFinite(procs) ? procs & 0xffff : 1, // an unsigned short, as the kernel truncates it
  };
}

/** struct sysinfo as x86-64 Linux lays it out. */
export function encodeSysinfo(s: HostSystemInfo): Uint8Array {
  const b = new Uint8Array(SYSINFO_SIZE);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, s.uptime, true);
  s.loads.forEach((l, i) => v.setBigUint64(8 + 8 * i, l, true));
  [s.totalram, s.freeram, s.sharedram, s.bufferram, s.totalswap, s.freeswap].forEach((x, i) => v.setBigUint64(32 + 8 * i, x, true));
  v.setUint16(80, s.procs, true);
  // totalhigh and freehigh (88, 96) stay 0: x86-64 has no high memory.
  v.setUint32(104, 1, true); // mem_unit: the sizes are in bytes
  return b;
}

function sysSysinfo(k: Kernel, a: readonly bigint[]): bigint {
  return k.writeUser(a[0]!, encodeSysinfo(hostSystemInfo())) ? 0n : E.fail(E.EFAULT);
}

export const sysinfoSyscalls: Record<number, SyscallEntry> = {
  99: { name: "sysinfo", handler: sysSysinfo },
};
