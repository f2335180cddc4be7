/**
 * Source-level stepping the way gdb does it: run the current line's instructions under a trace
 * hook; stop at the start of a statement of another line; step over calls (always for `over`,
 * for code without line info when stepping in) by running to the return address; after a return
 * into the middle of the caller's line, keep going to the start of its next line.
 */
import type { Cpu, HookHandle } from "../../emu/cpu.js";
import { scopeStartsAt, stepInAddress } from "./code-locations.js";
import { classifyInstruction, type Classified } from "./instruction-kind.js";
import { LineExitPlans } from "./line-exits.js";
import type { ImageInfo, LineRange } from "../image-info.js";
import { hiddenInlineFrames } from "../inspect/inline-frames.js";
import type { RawStop } from "./run-control.js";
import type { RunResult } from "./stops.js";

export type StepMode = "over" | "in";

/** Why the trace hook stopped the CPU. */
type TraceEvent =
  | { kind: "new-line"; pc: bigint }
  | { kind: "entered-call"; pc: bigint; returnAddress: bigint; sp: bigint }
  | { kind: "returned"; pc: bigint }
  /** Reached the start of an inlined call from the stepped frame (gdb: stop at its call site, or in it). */
  | { kind: "entered-inline"; pc: bigint; hidden?: number }
  /** Left the range for code of the same line (or a non-statement row): trace on from there. */
  | { kind: "moved"; pc: bigint }
  /** Stopped before a `ret` of the stepped line: run it, then treat the landing as "returned". */
  | { kind: "about-to-return"; pc: bigint }
  | { kind: "no-line-info"; pc: bigint };

export interface SteppingHost {
  cpu: Cpu;
  imageFor(pc: bigint): ImageInfo | undefined;
  /**
   * Runs until a step hook fires (returned raw) or something the user must see happens (a
   * breakpoint whose condition holds, a signal, the end, a pause: returned as a RunResult).
   */
  run(suppressBreakpointAt: bigint | undefined): Promise<RawStop | RunResult>;
  /** Where the current function returns to, and its CFA (from the unwinder). */
  caller(): { returnAddress: bigint; cfa: bigint } | undefined;
  /** How many inlined calls deep the frame shown at the top is (hidden not-yet-entered ones excluded). */
  visibleInlineDepth(): number;
}

/** `hidden`: inlined frames starting at pc to show as not entered (default: all of them). */
export type StepOutcome = { kind: "done"; pc: bigint; hidden?: number } | { kind: "interrupted"; result: RunResult };

/** Where a step started, for gdb's rules on inlined calls met on the way. */
interface InlineContext {
  mode: StepMode;
  function: unknown;
  /** Inlined calls of the frame being stepped (0: the function itself). */
  depth: number;
}

export class Stepper {
  /** Each stepped line's exits, decoded once while its code stays the same. */
  private readonly exitPlans = new LineExitPlans();

  constructor(
    private readonly host: SteppingHost,
    /** Ends the current emulation slice with a step stop (RunControl.stopFromHook). */
    private readonly requestStop: (pc: bigint) => void,
  ) {}

  /** One source line, stepping over (or into) calls. */
  async stepLine(mode: StepMode): Promise<StepOutcome> {
    const { cpu } = this.host;
    let pc = cpu.reg("rip");
    let image = this.host.imageFor(pc);
    let range = image?.lineRange(pc);
    if (!range) {
      // No line information here (libc, say): finish functions until code with lines, then find a line.
      const out = await this.finishCodeWithoutLines(pc);
      if (out.kind !== "done") return out;
      pc = out.pc;
      image = this.host.imageFor(pc);
      range = image?.lineRange(pc);
      if (!range || image?.isStatementStart(pc)) return out;
    }
    let currentLine = range.line;
    let currentFile = range.file;
    // The line being stepped is the visible frame's (for an inlined call not entered yet, its call site).
    const depth = this.host.visibleInlineDepth();
    const at = image?.functionAt(pc);
    let ctx: InlineContext = { mode, function: at?.function, depth };
    if (at && at.inlined.length > depth) {
      const site = at.inlined[depth]!.call;
      if (site.line !== undefined) currentLine = site.line;
      if (site.file !== undefined) currentFile = site.file;
    } else {
      const src = image?.sourceAt(pc); // the line shown (several rows may share this address)
      if (src) {
        currentLine = src.line;
        currentFile = src.file;
      }
    }
    for (;;) {
      const ev = await this.trace(range, currentLine, currentFile, ctx);
      if (ev.kind === "interrupted") return ev;
      const e = ev.event;
      switch (e.kind) {
        case "new-line":
        case "no-line-info":
          return { kind: "done", pc: e.pc };
        case "entered-inline":
          return { kind: "done", pc: e.pc, hidden: e.hidden };
        case "entered-call": {
          const calleeImage = this.host.imageFor(e.pc);
          if (mode === "in" && calleeImage?.lineRange(e.pc)) {
            const fn = calleeImage.functionAt(e.pc)?.function;
            const bias = calleeImage.bias;
            const read = (a: bigint, n: number): Uint8Array | undefined => {
              const b = new Uint8Array(n);
              return cpu.tryRead(a + bias, b) ? b : undefined;
            };
            const body = fn && calleeImage.dwarf ? stepInAddress(calleeImage.dwarf, fn, read) + bias : e.pc;
            if (body === e.pc) return { kind: "done", pc: e.pc };
            return this.runTo(body, () => true);
          }
          const r = await this.runTo(e.returnAddress, () => cpu.reg("rsp") > e.sp);
          if (r.kind !== "done") return r;
          // The return address may itself start the next line (the call ended its line).
          if (this.leavesLine(r.pc, range, currentLine, currentFile)) return r;
          continue; // back in the stepped line's function: keep tracing
        }
        case "moved": {
          const here = this.host.imageFor(e.pc)?.lineRange(e.pc);
          if (!here) return { kind: "done", pc: e.pc };
          range = here;
          continue;
        }
        case "about-to-return": {
          const sp = cpu.reg("rsp");
          const ra = new Uint8Array(8);
          if (!cpu.tryRead(sp, ra)) return { kind: "done", pc: e.pc };
          const target = new DataView(ra.buffer).getBigUint64(0, true);
          const r = await this.runTo(target, () => cpu.reg("rsp") > sp);
          if (r.kind !== "done") return r;
          const next = await this.afterReturn(r.pc, currentLine, currentFile, mode);
          if ("kind" in next) return next;
          ({ range, line: currentLine, file: currentFile, ctx } = next);
          continue;
        }
        case "returned": {
          const next = await this.afterReturn(e.pc, currentLine, currentFile, mode);
          if ("kind" in next) return next;
          ({ range, line: currentLine, file: currentFile, ctx } = next);
          continue;
        }
      }
    }
  }

  /**
   * Back in the caller after a return: stop at a statement start of another line, or where an
   * inlined call starts (gdb shows the caller at its call site); otherwise go on stepping the
   * caller's line from here. A caller without line information (main's, in libc; libc calling
   * back into the program) is finished first, frame by frame, until code with lines or the end of
   * the program, as LLDB's step-out-avoid-nodebug does: a stop there shows the user nothing to step.
   */
  private async afterReturn(pc: bigint, line: number, file: string, mode: StepMode): Promise<StepOutcome | { range: LineRange; line: number; file: string; ctx: InlineContext }> {
    if (!this.host.imageFor(pc)?.lineRange(pc)) {
      const out = await this.finishCodeWithoutLines(pc);
      if (out.kind !== "done" || out.pc === pc) return out;
      pc = out.pc;
    }
    const image = this.host.imageFor(pc);
    const lr = image?.lineRange(pc);
    if (!image || !lr) return { kind: "done", pc };
    if (image.isStatementStart(pc) && (lr.line !== line || lr.file !== file)) return { kind: "done", pc };
    const at = image.functionAt(pc);
    const hidden = hiddenInlineFrames(image, pc, () => false);
    if (hidden > 0) return { kind: "done", pc };
    const src = image.sourceAt(pc) ?? lr;
    return { range: lr, line: src.line, file: src.file, ctx: { mode, function: at?.function, depth: at?.inlined.length ?? 0 } };
  }

  /**
   * Finishes the functions without line information the pc is in, one caller after another, until
   * the pc is in code with lines; stops where no caller can be found (no unwind information).
   */
  private async finishCodeWithoutLines(pc: bigint): Promise<StepOutcome> {
    while (!this.host.imageFor(pc)?.lineRange(pc)) {
      const c = this.host.caller();
      if (!c) break;
      const out = await this.stepOut(c.returnAddress, c.cfa);
      if (out.kind !== "done") return out;
      pc = out.pc;
    }
    return { kind: "done", pc };
  }

  /** Whether arriving at pc ends a step that started on `line`: a new statement, or code without lines. */
  private leavesLine(pc: bigint, range: { start: bigint; end: bigint }, line: number, file: string): boolean {
    if (pc >= range.start && pc < range.end) return false;
    const image = this.host.imageFor(pc);
    const lr = image?.lineRange(pc);
    if (!lr) return true;
    return image!.isStatementStart(pc) && (lr.line !== line || lr.file !== file);
  }

  /** Runs until the current function returns to its caller (stopping right after the call). */
  async stepOut(returnAddress: bigint, cfa: bigint): Promise<StepOutcome> {
    const { cpu } = this.host;
    // The caller's rsp after the return equals the callee's CFA.
    return this.runTo(returnAddress, () => cpu.reg("rsp") >= cfa);
  }

  /**
   * Finishes an inlined call (gdb's `finish` in an inline frame: a `next` in the caller with an
   * empty range): runs, stepping over real calls, until the pc is outside the inlined code and
   * `stopHere(pc)` holds (a statement start, or the start of another inlined call).
   */
  async stepOutOfInline(inside: (pc: bigint) => boolean, stopHere: (pc: bigint) => boolean): Promise<StepOutcome> {
    const { cpu } = this.host;
    // Once the inlined code has been left, coming back into it (a new start) also stops, like gdb.
    let left = false;
    const done = (pc: bigint): boolean => {
      if (!left && inside(pc)) return false;
      left = true;
      return stopHere(pc);
    };
    for (;;) {
      let event: { kind: "stop"; pc: bigint } | { kind: "call"; returnAddress: bigint; sp: bigint } | undefined;
      let prev: { kind: Classified; next: bigint } | undefined;
      let first = true;
      const bytes = new Uint8Array(16);
      const hook: HookHandle = cpu.hookCode(1n, 0n, (pc, size) => {
        if (first) first = false;
        else if (prev?.kind === "call" && pc !== prev.next) event = { kind: "call", returnAddress: prev.next, sp: cpu.reg("rsp") };
        else if (done(pc)) event = { kind: "stop", pc };
        if (event) {
          this.requestStop(pc);
          return;
        }
        const b = bytes.subarray(0, Math.min(size, 16));
        cpu.tryRead(pc, b);
        prev = { kind: classifyInstruction(b), next: pc + BigInt(size) };
      });
      let r: RawStop | RunResult;
      try {
        do r = await this.host.run(undefined);
        while (!("reason" in r) && !event);
      } finally {
        hook.remove();
      }
      if ("reason" in r) return { kind: "interrupted", result: r };
      const ev = event as typeof event;
      if (!ev) continue;
      if (ev.kind === "stop") return { kind: "done", pc: ev.pc };
      const back = await this.runTo(ev.returnAddress, () => cpu.reg("rsp") > ev.sp);
      if (back.kind !== "done") return back;
      if (done(back.pc)) return back;
    }
  }

  /** Runs until pc reaches `target` with `when()` true; user breakpoints still stop it. */
  async runTo(target: bigint, when: () => boolean): Promise<StepOutcome> {
    const { cpu } = this.host;
    const pc0 = cpu.reg("rip");
    if (pc0 === target && when()) return { kind: "done", pc: pc0 };
    let first = true;
    const hook = cpu.hookCode(target, target, (pc) => {
      // The instruction we resume from does not count (we may be sitting on the target).
      if (first && pc === pc0) {
        first = false;
        return;
      }
      first = false;
      if (when()) this.requestStop(pc);
    });
    try {
      for (;;) {
        const r = await this.host.run(undefined);
        if (!("reason" in r)) {
          if (r.kind === "step" && cpu.reg("rip") === target) return { kind: "done", pc: target };
          continue;
        }
        return { kind: "interrupted", result: r };
      }
    } finally {
      hook.remove();
    }
  }

  /**
   * Runs until the line is left. Code hooks sit only where the line's range can be left — targets
   * of its jumps and direct calls that lie outside it, the address after it — and on its calls
   * (noted) and returns (stopped before they run, see stepLine); a line that loops runs at full
   * speed, and single-address hooks drop only their own translation block when added. A line with
   * an indirect jump or call falls back to a hook on every instruction.
   */
  private async trace(range: { start: bigint; end: bigint }, line: number, file: string, ctx?: InlineContext): Promise<{ kind: "event"; event: TraceEvent } | { kind: "interrupted"; result: RunResult }> {
    const { cpu } = this.host;
    let event: TraceEvent | undefined;
    let prev: { kind: Classified; next: bigint; sp: bigint } | undefined;
    const pc0 = cpu.reg("rip");
    let first = true;
    const bytes = new Uint8Array(16);
    const note = (pc: bigint, size: number): Classified => {
      const b = bytes.subarray(0, Math.min(size, 16));
      cpu.tryRead(pc, b);
      const kind = classifyInstruction(b);
      prev = { kind, next: pc + BigInt(size), sp: cpu.reg("rsp") };
      return kind;
    };
    /** An instruction outside the range; `exit`: only the first one after leaving it is seen. */
    const outside = (pc: bigint, size: number, exit: boolean): void => {
      if (first && pc === pc0) {
        first = false;
      } else if (prev?.kind === "call" && pc !== prev.next && this.calledFrom(prev)) {
        event = { kind: "entered-call", pc, returnAddress: prev.next, sp: cpu.reg("rsp") };
      } else if (prev?.kind === "ret" && cpu.reg("rsp") === prev.sp + 8n) {
        event = { kind: "returned", pc };
      } else {
        const image = this.host.imageFor(pc);
        const lr = image?.lineRange(pc);
        const inline = ctx && image ? this.inlineRule(image, pc, ctx, line, file) : "normal";
        if (!lr) event = { kind: "no-line-info", pc };
        else if (typeof inline === "object") event = inline;
        else if (inline === "normal" && image!.isStatementStart(pc) && (lr.line !== line || lr.file !== file)) event = { kind: "new-line", pc };
        else if (exit) event = { kind: "moved", pc };
      }
      first = false;
      if (event) {
        this.requestStop(pc);
        return;
      }
      note(pc, size);
    };
    const inRange = (pc: bigint, size: number): void => {
      if (note(pc, size) !== "ret" || (first && pc === pc0)) {
        first = false;
        return;
      }
      // Stop before the return: its target may be anywhere.
      event = { kind: "about-to-return", pc };
      this.requestStop(pc);
    };
    const hooks: HookHandle[] = [];
    // Hooks go around the code we are in: after a call or a return that may be another range
    // (or another line's non-statement rows) than the one being stepped.
    const inside = pc0 >= range.start && pc0 < range.end;
    const here = inside ? range : this.host.imageFor(pc0)?.lineRange(pc0);
    const plan = here ? await this.exitPlans.of((a, n) => this.read(a, n), here) : undefined;
    if (!inside && here) range = here;
    // Sitting on a return: hand it to stepLine before anything runs (its hook would not fire first).
    const b0 = new Uint8Array(16);
    if (cpu.tryRead(pc0, b0) && classifyInstruction(b0) === "ret") return { kind: "event", event: { kind: "about-to-return", pc: pc0 } };
    if (plan) {
      for (const a of plan.exits) hooks.push(cpu.hookCode(a, a, (pc, size) => outside(pc, size, true)));
      for (const a of plan.branches) hooks.push(cpu.hookCode(a, a, inRange));
    } else {
      hooks.push(cpu.hookCode(1n, 0n, (pc, size) => (pc >= range.start && pc < range.end ? inRange(pc, size) : outside(pc, size, false))));
    }
    try {
      for (;;) {
        const r = await this.host.run(undefined);
        if ("reason" in r) return { kind: "interrupted", result: r };
        if (event) return { kind: "event", event };
      }
    } finally {
      for (const h of hooks) h.remove();
    }
  }

  /**
   * gdb's rules for inlined calls met while stepping in one function: at the start of an inlined
   * call made from the stepped frame, `next` goes through it when its call site is the line being
   * stepped and stops at the call site otherwise; `step` stops, inside it when the call site is
   * the stepped line. Code of deeper inlined calls never ends a `next`.
   */
  private inlineRule(image: ImageInfo, pc: bigint, ctx: InlineContext, line: number, file: string): "normal" | "inside" | TraceEvent {
    const at = image.functionAt(pc);
    if (!at || at.function !== ctx.function || at.inlined.length <= ctx.depth) return "normal";
    const entered = at.inlined[ctx.depth]!;
    const site = entered.call;
    const sameLine = site.line === line && (site.file === undefined || site.file === file);
    if (scopeStartsAt(entered, pc - image.bias)) {
      const hiddenAll = at.inlined.length - ctx.depth;
      if (ctx.mode === "over") return sameLine ? "inside" : { kind: "entered-inline", pc, hidden: hiddenAll };
      return { kind: "entered-inline", pc, hidden: sameLine ? hiddenAll - 1 : hiddenAll };
    }
    return ctx.mode === "over" ? "inside" : "normal";
  }

  private read(address: bigint, size: number): Uint8Array | undefined {
    const b = new Uint8Array(size);
    return this.host.cpu.tryRead(address, b) ? b : undefined;
  }

  /** Whether the call noted in `prev` is the one now in progress (its return address on top of the stack). */
  private calledFrom(prev: { next: bigint; sp: bigint }): boolean {
    const { cpu } = this.host;
    const sp = cpu.reg("rsp");
    if (sp !== prev.sp - 8n) return false;
    const b = new Uint8Array(8);
    return cpu.tryRead(sp, b) && new DataView(b.buffer).getBigUint64(0, true) === prev.next;
  }
}
