/**
 * Where control can leave a line's address range — the targets of its direct jumps and calls that
 * lie outside it, and the address after it — and where its calls and returns are: what a step
 * over the line hooks. Decoding is the costly part of a step, so each range's plan is kept with
 * the bytes it was decoded from and reused while they are the same (a loop's line, a function
 * entered again, a line a step comes back to after a call); changed code is decoded anew.
 */
import { decodeInstructions } from "../inspect/disassembly.js";
import { classifyInstruction } from "./instruction-kind.js";

export interface LineExits {
  /** Addresses outside the range that control can reach from it. */
  exits: bigint[];
  /** The range's call and return instructions. */
  branches: bigint[];
}

/** Longest range decoded: longer ones (not a line) are stepped with a hook on every instruction. */
const MAX_RANGE = 1 << 16;
/** Plans kept; the oldest goes first. */
const MAX_PLANS = 1024;

export class LineExitPlans {
  private readonly plans = new Map<string, { bytes: Uint8Array; plan: LineExits | undefined }>();

  /** The plan of [start, end); undefined when it cannot be known statically (an indirect jump or call, undecodable bytes). */
  async of(read: (address: bigint, size: number) => Uint8Array | undefined, range: { start: bigint; end: bigint }): Promise<LineExits | undefined> {
    const size = Number(range.end - range.start);
    if (size <= 0 || size > MAX_RANGE) return undefined;
    const bytes = read(range.start, size);
    if (!bytes) return undefined;
    const key = `${range.start}:${range.end}`;
    const known = this.plans.get(key);
    if (known && sameBytes(known.bytes, bytes)) return known.plan;
    const plan = await decode(bytes, range);
    this.plans.delete(key);
    if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, { bytes, plan });
    return plan;
  }
}

async function decode(bytes: Uint8Array, range: { start: bigint; end: bigint }): Promise<LineExits | undefined> {
  const insns = await decodeInstructions(bytes, range.start);
  const decoded = insns.reduce((n, i) => n + i.bytes.length, 0);
  if (decoded !== bytes.length) return undefined; // bytes that are no instruction, or one running past the end
  const exits = new Set<bigint>([range.end]);
  const branches: bigint[] = [];
  for (const i of insns) {
    // Prefixes such as bnd and notrack come first in the mnemonic.
    const mnemonic = i.mnemonic.split(" ").pop()!;
    const kind = classifyInstruction(i.bytes);
    const isJump = /^(j[a-z]+|loop[a-z]*)$/.test(mnemonic);
    if (kind === "ret") branches.push(i.address);
    else if (kind === "call" || isJump) {
      if (!/^0x[0-9a-f]+$/.test(i.opStr)) return undefined; // indirect: the target is not known here
      const target = BigInt(i.opStr);
      if (kind === "call") branches.push(i.address);
      if (target < range.start || target >= range.end) exits.add(target);
    }
  }
  return { exits: [...exits], branches };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
