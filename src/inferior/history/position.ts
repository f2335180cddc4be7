/**
 * A point in a program's execution: `blocks` translation blocks entered before the one executing
 * now (Cpu.blockCount, exact across debugger stops) and the address of the next instruction. Two
 * positions with the same count lie in the same block, whose instructions run in address order.
 */
export interface Position {
  readonly blocks: bigint;
  readonly pc: bigint;
}

export function samePosition(a: Position, b: Position): boolean {
  return a.blocks === b.blocks && a.pc === b.pc;
}

/** Negative when `a` comes first, 0 when they are the same point, positive after. */
export function comparePositions(a: Position, b: Position): number {
  if (a.blocks !== b.blocks) return a.blocks < b.blocks ? -1 : 1;
  return a.pc === b.pc ? 0 : a.pc < b.pc ? -1 : 1;
}

export function describePosition(p: Position): string {
  return `block ${p.blocks}, pc 0x${p.pc.toString(16)}`;
}
