/**
 * Calls a function in the inferior the way a debugger does: on a stack of its own, with the
 * System V argument registers, and a return address at the runtime's trap so running stops when
 * the function returns. Registers are left as the call left them; callers that must preserve the
 * thread's state save and restore a context around it.
 */
import type { Cpu, StopCause } from "../emu/cpu.js";
import { PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import { JitdbgError } from "../errors.js";
import type { AddressSpace } from "../inferior/address-space.js";
import type { RegName } from "../emu/registers.js";

const ARG_REGS: RegName[] = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];
const STACK_SIZE = 1n << 20n;
const SLICE_BLOCKS = 1_000_000;

export interface CallOptions {
  /** Wall-clock limit in microseconds (default 10 s). */
  timeoutMicros?: number;
}

export class Executor {
  private stackTop: bigint | undefined;

  constructor(
    private readonly cpu: Cpu,
    private readonly space: AddressSpace,
    private readonly trapAddress: bigint,
  ) {}

  call(address: bigint, args: bigint[] = [], opts: CallOptions = {}): bigint {
    if (args.length > ARG_REGS.length) throw new JitdbgError("JIT_CALL_ARGS", `at most ${ARG_REGS.length} integer arguments can be passed (got ${args.length})`);
    if (this.stackTop === undefined) {
      const r = this.space.allocate(STACK_SIZE, { prot: PROT_READ | PROT_WRITE, kind: "stack", name: "[jit-call-stack]" });
      this.stackTop = r.end - 64n;
    }
    const rsp = (this.stackTop & ~15n) - 8n; // as after a call: rsp+8 is 16-byte aligned
    const ret = new Uint8Array(8);
    new DataView(ret.buffer).setBigUint64(0, this.trapAddress, true);
    this.cpu.write(rsp, ret);
    this.cpu.setReg("rsp", rsp);
    args.forEach((a, i) => this.cpu.setReg(ARG_REGS[i]!, BigInt.asUintN(64, a)));
    this.cpu.setReg("rax", 0n);
    const limitMs = (opts.timeoutMicros ?? 10_000_000) / 1000;
    const t0 = performance.now();
    let cause = this.cpu.run(address, { until: this.trapAddress, blocks: SLICE_BLOCKS });
    let pc = this.cpu.reg("rip");
    // Slices end on block boundaries (exact), so the call resumes where it stopped.
    while (cause.kind === "budget" && performance.now() - t0 < limitMs) {
      cause = this.cpu.run(pc, { until: this.trapAddress, blocks: SLICE_BLOCKS });
      pc = this.cpu.reg("rip");
    }
    if (cause.kind !== "ok" || pc !== this.trapAddress) throw new JitdbgError("JIT_CALL_FAILED", `call to 0x${address.toString(16)} did not return: ${describe(cause, pc, this.space)}`);
    return this.cpu.reg("rax");
  }
}

function describe(cause: StopCause, pc: bigint, space: AddressSpace): string {
  const where = (a: bigint): string => {
    const r = space.regionAt(a);
    return `0x${a.toString(16)}${r ? ` (in ${r.name})` : " (unmapped)"}`;
  };
  switch (cause.kind) {
    case "fault":
      return `${cause.reason} ${cause.access} at ${where(cause.address)}, pc ${where(pc)}`;
    case "invalid-instruction":
      return `invalid instruction at pc ${where(pc)}`;
    case "exception":
      return `CPU exception ${cause.code} (${cause.message}) at pc ${where(pc)}`;
    case "ok":
      return `stopped at pc ${where(pc)} (a stop request)`;
    case "budget":
      return `still running at pc ${where(pc)} after the time limit`;
  }
}
