/**
 * The SVR4 debugger rendezvous glibc's loader keeps in the inferior (<link.h>): struct r_debug
 * (`_r_debug`, also reachable through the executable's DT_DEBUG entry) and the doubly linked
 * list of struct link_map it points to, one entry per loaded object. Only the public, stable
 * head of each structure is read here; the private tail (TLS fields) is in tls.ts.
 */

/** r_debug.r_state values. */
export const RT_CONSISTENT = 0;
export const RT_ADD = 1;
export const RT_DELETE = 2;

export type RendezvousState = "consistent" | "add" | "delete";

export interface RDebug {
  version: number;
  /** Address of the first struct link_map (the main program). */
  map: bigint;
  /** Address of _dl_debug_state, the function the loader calls at every change. */
  brk: bigint;
  state: RendezvousState;
  /** The loader's base address. */
  ldbase: bigint;
}

export interface LinkMapEntry {
  /** Address of this struct link_map in the inferior. */
  address: bigint;
  /** l_addr: difference between the object's link-time and run-time addresses (its bias). */
  bias: bigint;
  /** l_name: the file's path as the loader opened it ("" for the main program). */
  name: string;
  /** l_ld: run-time address of the object's dynamic section. */
  dynamic: bigint;
}

export interface MemoryReader {
  readU64(address: bigint): bigint | undefined;
  readU32(address: bigint): number | undefined;
  readCString(address: bigint, max?: number): string | undefined;
}

// struct r_debug { int r_version; struct link_map *r_map; ElfW(Addr) r_brk; enum r_state; ElfW(Addr) r_ldbase; }
const R_VERSION = 0n, R_MAP = 8n, R_BRK = 16n, R_STATE = 24n, R_LDBASE = 32n;
export const R_BRK_OFFSET = R_BRK;
// struct link_map { ElfW(Addr) l_addr; char *l_name; ElfW(Dyn) *l_ld; struct link_map *l_next, *l_prev; ... }
const L_ADDR = 0n, L_NAME = 8n, L_LD = 16n, L_NEXT = 24n;

/** A bound on the list we walk, so a corrupt (or half-written) list cannot loop forever. */
const MAX_OBJECTS = 4096;

function stateName(n: number): RendezvousState | undefined {
  return n === RT_CONSISTENT ? "consistent" : n === RT_ADD ? "add" : n === RT_DELETE ? "delete" : undefined;
}

/** Reads struct r_debug; undefined while it is unmapped or not yet initialized (r_version 0). */
export function readRDebug(mem: MemoryReader, address: bigint): RDebug | undefined {
  const version = mem.readU32(address + R_VERSION);
  const map = mem.readU64(address + R_MAP);
  const brk = mem.readU64(address + R_BRK);
  const stateRaw = mem.readU32(address + R_STATE);
  const ldbase = mem.readU64(address + R_LDBASE);
  if (version === undefined || map === undefined || brk === undefined || stateRaw === undefined || ldbase === undefined || version === 0) return undefined;
  const state = stateName(stateRaw);
  if (state === undefined) return undefined;
  return { version, map, brk, state, ldbase };
}

/** The link_map list from its head, in load order (program first, the loader last). */
export function readLinkMaps(mem: MemoryReader, head: bigint): LinkMapEntry[] {
  const out: LinkMapEntry[] = [];
  const seen = new Set<bigint>();
  for (let at = head; at !== 0n && out.length < MAX_OBJECTS && !seen.has(at); ) {
    seen.add(at);
    const bias = mem.readU64(at + L_ADDR);
    const nameAddr = mem.readU64(at + L_NAME);
    const dynamic = mem.readU64(at + L_LD);
    const next = mem.readU64(at + L_NEXT);
    if (bias === undefined || nameAddr === undefined || dynamic === undefined || next === undefined) break;
    const name = nameAddr === 0n ? "" : (mem.readCString(nameAddr) ?? "");
    out.push({ address: at, bias, name, dynamic });
    at = next;
  }
  return out;
}
