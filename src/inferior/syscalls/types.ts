import type { Kernel } from "../kernel.js";

/** A syscall handler: the six argument registers in, the value for rax out (negative errno on failure). */
export type SyscallHandler = (k: Kernel, args: readonly bigint[]) => bigint;

export interface SyscallEntry {
  name: string;
  handler: SyscallHandler;
}

/** The length of the syscall instruction (0f 05): a restart steps back over it, a new thread starts after it. */
export const SYSCALL_LENGTH = 2n;

/** Arguments as the C prototypes take them. */
export const int = (v: bigint): number => Number(BigInt.asIntN(32, v));
export const size = (v: bigint): number => Number(BigInt.asUintN(63, v) > 0x7fffffffn ? 0x7fffffffn : v);
