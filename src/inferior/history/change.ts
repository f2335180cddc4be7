import type { CpuContext } from "../../emu/cpu.js";
import type { RegName } from "../../emu/registers.js";
import type { SpaceLayout } from "../address-space.js";

/** A change from outside the machine's execution, as it is replayed (memory writes are kept apart, in the log's arena). */
export type Change =
  | { kind: "reg"; name: RegName; value: bigint }
  | { kind: "regBytes"; name: RegName; bytes: Uint8Array }
  /** Every register (a thread switched in, a signal frame left); filled right after the restore. */
  | { kind: "context"; context: CpuContext | undefined }
  /** The MMU's own changes, replayed as they were made (a mapping replaced in place is zeroed). */
  | { kind: "map"; address: bigint; size: bigint; prot: number; ofDebugger?: boolean }
  | { kind: "unmap"; address: bigint; size: bigint }
  | { kind: "protect"; address: bigint; size: bigint; prot: number }
  /** The address space's regions and break after them (filled once it has taken the change; its bookkeeping only). */
  | { kind: "layout"; layout: SpaceLayout | undefined }
  /** The bytes a mapping came with, a file's or shared memory's (read once the mapping is there). */
  | { kind: "content"; address: bigint; size: number; data: Uint8Array | undefined };
