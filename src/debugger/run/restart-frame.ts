/**
 * Where restarting a frame (DAP restartFrame) goes back to: the caller's state at the call that
 * entered the frame — its callee-saved registers as the call frame information recovers them,
 * rsp as it was at the call, rip on the call instruction — so a step in enters the function
 * again. Refused, saying why, for frames that were not entered by a call one can find and undo.
 */
import { JitdbgError } from "../../errors.js";
import type { Frame } from "../inspect/index.js";
import { CALLEE_SAVED_REGS, DWARF_GPRS } from "../inspect/registers.js";
import { classifyInstruction } from "./instruction-kind.js";
import type { RegName } from "../../emu/registers.js";

/** The longest call instruction (ff /2 with a REX prefix, SIB and a 32-bit displacement; legacy prefixes aside). */
const LONGEST_CALL = 8;

export interface RestartPoint {
  /** The call instruction in the caller. */
  callAt: bigint;
  /** The registers to set: callee-saved ones, rsp and rip. */
  registers: [RegName, bigint][];
  /** The frame restarted and its caller, for the stop's description. */
  functionName: string;
  callerName: string;
}

/** Decodes one instruction at an address: its bytes, or undefined where nothing can be read or decoded. */
export type DecodeOne = (address: bigint) => Promise<Uint8Array | undefined>;

export async function restartPoint(frames: readonly Frame[], index: number, decode: DecodeOne): Promise<RestartPoint> {
  const frame = frames[index];
  if (!frame) throw new JitdbgError("BAD_FRAME", `there is no frame ${index} (the stack has ${frames.length})`);
  const name = frame.functionName ?? `0x${frame.pc.toString(16)}`;
  const refuse = (why: string) => new JitdbgError("RESTART_FRAME_IMPOSSIBLE", `cannot restart frame ${index} (${name}): ${why}`);
  if (frame.unwoundBy === "inline") throw refuse("the compiler inlined this call into its caller, so there is no call instruction or frame of its own to go back to; restart the function it is inlined into");
  // The caller's physical frame: the next frames share its registers (inlined calls at the return address, then the function).
  const caller = frames[index + 1];
  const physical = frames.slice(index + 1).find((f) => f.unwoundBy !== "inline");
  if (!caller || !physical || frame.cfa === undefined) throw refuse("it has no caller to go back to");
  if (frame.functionName === "main" && !caller.source) throw refuse("main is the outermost frame (its caller is the C library's start-up code, which would call it with lost arguments); restart the program instead");
  if (physical.unwoundBy !== "cfi") throw refuse(`its caller's registers are not known (${physical.functionName ?? "the caller"} has no call frame information), so its state at the call cannot be put back`);
  const callAt = await callBefore(caller.pc, decode);
  if (callAt === undefined) throw refuse(`no call instruction ends at its return address 0x${caller.pc.toString(16)} (it was entered another way: a signal, a jump, a hand-written trampoline)`);
  const registers: [RegName, bigint][] = [];
  for (const r of CALLEE_SAVED_REGS) {
    const v = caller.registers.get(r);
    if (v !== undefined) registers.push([DWARF_GPRS.get(r)!, v]);
  }
  registers.push(["rsp", frame.cfa], ["rip", callAt]);
  return { callAt, registers, functionName: name, callerName: caller.functionName ?? `0x${caller.pc.toString(16)}` };
}

/** The call instruction that ends exactly at `returnAddress`, if one does. */
async function callBefore(returnAddress: bigint, decode: DecodeOne): Promise<bigint | undefined> {
  for (let length = 2; length <= LONGEST_CALL; length++) {
    const at = returnAddress - BigInt(length);
    const bytes = await decode(at);
    if (bytes && bytes.length === length && classifyInstruction(bytes) === "call") return at;
  }
  return undefined;
}
