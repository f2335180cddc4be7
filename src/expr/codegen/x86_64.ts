/**
 * Stack-machine code generation for the typed tree: every value ends in rax (integers, pointers,
 * and the address of aggregates, complex values and long doubles, x87.ts) or xmm0 (float/double);
 * pending operands are pushed. `depth`
 * counts those pushes so every call sees rsp 16-byte aligned. Integers in rax are kept normalized
 * (sign- or zero-extended from their C type's width), so 64-bit compares and divides are exact.
 */
import * as RELOC from "../../elf/constants.js";
import { ENTRY_RESERVED, FrameLayout } from "../frame.js";
import { isLvalue, type ArithOp, type CompareOp, type Place, type TExpr, type TStmt } from "../ir.js";
import { T, intOf, sizeOf, unqual, type CType } from "../types.js";
import { heldByAddress, storedRanges, valueClass } from "./abi.js";
import * as x87 from "./x87.js";
import { fromNumber } from "../../values/extended.js";
import { extractBitField, insertBitField } from "./bitfields.js";
import { emitCall, emitParams, emitReturnValue, type CallHost, type ReturnPlan } from "./calls.js";
import { Asm, CC, R, type Cond, type Mem, type RelocTarget } from "./asm.js";
import { SITE_TAIL_ROOM, siteFrame, type SiteLayout, type SitePlace } from "./site-form.js";

type BitField = Extract<TExpr, { k: "member" }>;
const isBitField = (e: TExpr): e is BitField => e.k === "member" && e.bitSize !== undefined;

export type CodeModel = "small-pic" | "small" | "large";

export interface CodegenOptions {
  codeModel: CodeModel;
}

/** CFI facts for the .eh_frame FDE of one function. */
export interface FunctionCode {
  symbol: string;
  start: number;
  size: number;
  /**
   * Offset (from start) of the instruction after `push rbp`, after `mov rbp, rsp`, and after
   * `leave`; undefined for a site body, which runs in the trampoline's frame (no unwinder sees it).
   */
  cfi?: { afterPush: number; afterMov: number; afterLeave: number };
}

const RODATA: RelocTarget = { section: ".rodata" };
const ARG_BLOCK: Mem = { base: R.rbp, disp: -8 };
const RESULT_PTR: Mem = { base: R.rbp, disp: -16 };
/** A multi-byte nop the size of `sub rsp, imm32` (0f 1f 80 disp32). */
const NOP7 = [0x0f, 0x1f, 0x80, 0, 0, 0, 0];

export class X86Codegen {
  readonly asm = new Asm();
  private depth = 0;
  private frame = new FrameLayout();
  private epilogue = 0;
  /** Where break and continue go, innermost last (a switch has no continue of its own). */
  private loops: { brk: number; cont: number | undefined }[] = [];
  /** The checker's case label numbers → this code's labels. */
  private readonly caseLabels = new Map<number, number>();
  /** How the console function being generated returns its value. */
  private returns: ReturnPlan | undefined;
  /** Generating a site body: its frame and the variables it reads where the program keeps them. */
  private site: { frameless: boolean; siteRsp: number; places: ReadonlyMap<number, SitePlace>; addressed: Set<number> } | undefined;

  constructor(private readonly opts: CodegenOptions) {}

  // ---- functions

  /** `void symbol(void *args, void *result)`: evaluates `e` and stores its value in *result. */
  entry(symbol: string, e: TExpr, frame: FrameLayout): FunctionCode {
    return this.fn(symbol, frame, () => {
      const a = this.asm;
      a.rm("store64", R.rdi, { mem: ARG_BLOCK });
      a.rm("store64", R.rsi, { mem: RESULT_PTR });
      if (x87.needsEmptyStack(e)) x87.emptyStack(this.x87Host());
      this.value(e);
      const cls = valueClass(e.type);
      if (cls === "void") return;
      a.rm("load64", R.rcx, { mem: RESULT_PTR });
      if (heldByAddress(e.type)) this.copyBytes(R.rcx, R.rax, sizeOf(e.type) ?? 0);
      else this.store(e.type, R.rcx);
    });
  }

  /**
   * A breakpoint condition's site body (site-form.ts): entered by falling through from the
   * trampoline's prelude with rsp at the frame's base, it branches to the false tail when `e` is
   * false and falls through to the true tail when it is true. `preludeRoom` bytes of int3 come
   * first; both tails' room follows. No call, no return: the emulator runs prelude, body and test
   * as one translation block.
   *
   * Frameless, the body has no frame register and reads every variable through `places` (a
   * register of the program plus a constant; rsp's offset follows the operand stack). Otherwise
   * rbp is the frame's base: locals below it, the argument block above it, and a variable in
   * `places` is read where it is unless it is addressed from rbp. The caller compiles again with
   * a frame when the frameless body needed one (`needsFrame`), or with a variable in the argument
   * block when the code took its address (`needsSlots`).
   */
  siteEntry(symbol: string, e: TExpr, frame: FrameLayout, opts: { preludeRoom: number; frameless: boolean; argBlockSize: number; fx: boolean; places: ReadonlyMap<number, SitePlace> }): { code: FunctionCode; layout: SiteLayout; needsFrame?: boolean; needsSlots?: ReadonlySet<number> } {
    const a = this.asm;
    a.fill(0xcc, opts.preludeRoom);
    const start = a.pos;
    this.frame = frame;
    this.depth = 0;
    const places = opts.frameless ? opts.places : new Map([...opts.places].filter(([, p]) => p.reg !== R.rbp));
    const addressed = new Set<number>();
    this.site = { frameless: opts.frameless, siteRsp: siteFrame(opts.argBlockSize, opts.fx).siteRsp, places, addressed };
    const reserved = frame.size;
    const frameSizeAt = opts.frameless ? undefined : a.subRspPatchable();
    if (x87.needsEmptyStack(e)) x87.emptyStack(this.x87Host());
    const falseTail = a.newLabel();
    // Every branch to the false tail is at the expression's top level, where the operand stack is
    // empty (frameless: rsp is the frame's base; with a frame the tails begin with rsp = rbp).
    this.branchIfFalse(e, falseTail);
    this.site = undefined;
    if (frameSizeAt !== undefined) {
      // The frame's two reserved words are not used here: without locals of its own the body needs no room below rbp.
      if (frame.size > ENTRY_RESERVED) a.patch32(frameSizeAt, frame.aligned);
      else a.overwrite(frameSizeAt - 3, NOP7);
    }
    const trueTail = a.pos - start;
    a.fill(0xcc, SITE_TAIL_ROOM);
    a.bind(falseTail);
    a.fill(0xcc, SITE_TAIL_ROOM);
    a.resolveLabels();
    const direct = new Set(places.keys());
    return {
      code: { symbol, start, size: trueTail },
      layout: { preludeRoom: opts.preludeRoom, trueTail, falseTail: trueTail + SITE_TAIL_ROOM, tailRoom: SITE_TAIL_ROOM, frameless: opts.frameless, direct, fx: opts.fx },
      // The code needed frame slots of its own (x87 temporaries): a frameless body has none.
      ...(opts.frameless && frame.size > reserved ? { needsFrame: true } : {}),
      // It took the address of a variable a register holds: that one must be in the argument block.
      ...(addressed.size > 0 ? { needsSlots: addressed } : {}),
    };
  }

  /** A console function definition, exported under its own name. */
  function(symbol: string, params: { offset: number; type: CType }[], ret: CType, body: TStmt[], frame: FrameLayout): FunctionCode {
    return this.fn(symbol, frame, () => {
      this.returns = emitParams(this.callHost(), params, ret);
      for (const s of body) this.stmt(s);
      this.returns = undefined;
    });
  }

  /** The narrow view of this generator that x87.ts works through. */
  private x87Host(): x87.X87Host {
    return { asm: this.asm, frame: this.frame };
  }

  /** The narrow view of this generator that calls.ts works through. */
  private callHost(): CallHost {
    return {
      asm: this.asm,
      frame: this.frame,
      depth: this.depth,
      largeCodeModel: this.opts.codeModel === "large",
      value: (e) => this.value(e),
      copyBytes: (dst, src, n) => this.copyBytes(dst, src, n),
      store: (t, addr, disp) => this.store(t, addr, disp),
      normalize: (t) => this.normalize(t),
    };
  }

  private fn(symbol: string, frame: FrameLayout, body: () => void): FunctionCode {
    const a = this.asm;
    this.frame = frame;
    this.depth = 0;
    this.caseLabels.clear(); // each function's checker numbers its case labels from 0
    this.epilogue = a.newLabel();
    const start = a.pos;
    a.push(R.rbp);
    const afterPush = a.pos - start;
    a.mov(R.rbp, R.rsp);
    const afterMov = a.pos - start;
    const frameSizeAt = a.subRspPatchable();
    body();
    a.bind(this.epilogue);
    a.leave();
    const afterLeave = a.pos - start;
    a.ret();
    a.patch32(frameSizeAt, this.frame.aligned);
    a.resolveLabels();
    return { symbol, start, size: a.pos - start, cfi: { afterPush, afterMov, afterLeave } };
  }

  // ---- statements

  private stmt(s: TStmt): void {
    const a = this.asm;
    switch (s.k) {
      case "expr": this.value(s.expr); return;
      case "block": for (const b of s.body) this.stmt(b); return;
      case "if": {
        const els = a.newLabel();
        const end = a.newLabel();
        this.branchIfFalse(s.cond, els);
        this.stmt(s.then);
        a.jmp(end);
        a.bind(els);
        if (s.else) this.stmt(s.else);
        a.bind(end);
        return;
      }
      case "loop": {
        this.emitsLoops = true;
        // while/for: jmp test; top: body; cont: step; test: cond → top; brk:
        // do-while:            top: body; cont:       test: cond → top; brk:
        const top = a.newLabel();
        const cont = a.newLabel();
        const test = a.newLabel();
        const brk = a.newLabel();
        if (s.testFirst) a.jmp(test);
        a.bind(top);
        this.loops.push({ brk, cont });
        this.stmt(s.body);
        this.loops.pop();
        a.bind(cont);
        if (s.step) this.value(s.step);
        a.bind(test);
        if (s.cond) this.branchIfTrue(s.cond, top);
        else a.jmp(top);
        a.bind(brk);
        return;
      }
      case "return": {
        if (s.value) {
          this.value(s.value);
          if (this.returns) emitReturnValue(this.callHost(), this.returns);
        }
        a.jmp(this.epilogue);
        return;
      }
      case "break": a.jmp(this.loops[this.loops.length - 1]!.brk); return;
      case "continue": a.jmp(this.loops.filter((l) => l.cont !== undefined).pop()!.cont!); return;
      case "switch": {
        // The promoted value in rax against each case (as rax holds it), then default's label or past the body.
        this.value(s.cond);
        for (const c of s.cases) {
          const label = a.newLabel();
          this.caseLabels.set(c.label, label);
          const v = BigInt.asIntN(64, c.value);
          if (v >= -(1n << 31n) && v < 1n << 31n) a.aluImm("cmp", R.rax, Number(v));
          else {
            a.movImm(R.rcx, c.value);
            a.rr("cmp", R.rax, R.rcx);
          }
          a.jcc("e", label);
        }
        const brk = a.newLabel();
        if (s.defaultLabel !== undefined) {
          const label = a.newLabel();
          this.caseLabels.set(s.defaultLabel, label);
          a.jmp(label);
        } else a.jmp(brk);
        this.loops.push({ brk, cont: undefined });
        this.stmt(s.body);
        this.loops.pop();
        a.bind(brk);
        return;
      }
      case "label": a.bind(this.caseLabels.get(s.label)!); this.stmt(s.body); return;
    }
  }

  // ---- expressions: values

  /** Evaluates e into rax / xmm0 (aggregates: their address in rax). */
  value(e: TExpr): void {
    const a = this.asm;
    switch (e.k) {
      case "const": a.movImm(R.rax, e.value); return;
      case "fconst":
        if (valueClass(e.type) === "x87") x87.constant(this.x87Host(), e.extended ?? fromNumber(e.value));
        else this.floatConst(e.type, e.value, 0);
        return;
      case "place": case "deref": case "member": case "init":
        // An lvalue in value position is an aggregate (the checker loads scalars): its address.
        this.address(e);
        return;
      case "load": {
        if (e.lv.k === "member" && e.lv.bitSize !== undefined) {
          this.loadBitField(e.lv);
          return;
        }
        const held = e.lv.k === "place" && e.lv.place.k === "argValue" ? this.site?.places.get(e.lv.place.offset) : undefined;
        if (held?.value) {
          // The program's register holds it: the value is the register (plus its constant), in the type's width.
          a.rm("lea", R.rax, { mem: { base: held.reg, disp: held.add } });
          this.normalize(e.type);
          return;
        }
        const direct = this.directMem(e.lv);
        if (direct && valueClass(e.type) !== "x87" && valueClass(e.type) !== "mem") {
          this.load(e.type, R.rax, direct);
          return;
        }
        this.address(e.lv);
        this.load(e.type, R.rax);
        return;
      }
      case "addr": this.address(e.lv); return;
      case "neg": {
        this.value(e.operand);
        if (valueClass(e.type) === "x87") {
          x87.negate(this.x87Host());
          return;
        }
        if (valueClass(e.type) === "sse") {
          if (sizeOf(e.type) === 4) {
            a.rm("movdFromXmm", 0, { reg: R.rax });
            a.btcImm(R.rax, 31);
            a.rm("movdToXmm", 0, { reg: R.rax });
          } else {
            a.rm("movqFromXmm", 0, { reg: R.rax });
            a.btcImm(R.rax, 63);
            a.rm("movqToXmm", 0, { reg: R.rax });
          }
          return;
        }
        a.group("neg", { reg: R.rax });
        this.normalize(e.type);
        return;
      }
      case "bitnot":
        this.value(e.operand);
        a.group("not", { reg: R.rax });
        this.normalize(e.type);
        return;
      case "lnot":
        this.truth(e.operand);
        a.aluImm("xor", R.rax, 1);
        return;
      case "arith": this.arith(e.op, e.type, e.left, e.right); return;
      case "compare": this.compare(e.op, e.opType, e.left, e.right); return;
      case "ptradd": {
        this.value(e.ptr);
        this.pushInt();
        this.value(e.int);
        if (e.scale !== 1) a.imulImm(R.rax, R.rax, e.scale);
        a.mov(R.rcx, R.rax);
        this.popInt(R.rax);
        a.rr(e.sub ? "sub" : "add", R.rax, R.rcx);
        return;
      }
      case "ptrdiff": {
        this.value(e.left);
        this.pushInt();
        this.value(e.right);
        a.mov(R.rcx, R.rax);
        this.popInt(R.rax);
        a.rr("sub", R.rax, R.rcx);
        if (e.scale !== 1) {
          a.movImm(R.rcx, BigInt(e.scale));
          a.cqo();
          a.group("idiv", { reg: R.rcx });
        }
        return;
      }
      case "logical": {
        const short = a.newLabel();
        const end = a.newLabel();
        this.truth(e.left);
        a.rr("test", R.rax, R.rax);
        a.jcc(e.op === "&&" ? "e" : "ne", short);
        this.truth(e.right);
        a.jmp(end);
        a.bind(short);
        a.movImm(R.rax, e.op === "&&" ? 0n : 1n);
        a.bind(end);
        return;
      }
      case "comma": this.value(e.left); this.value(e.right); return;
      case "cond": {
        const els = a.newLabel();
        const end = a.newLabel();
        this.branchIfFalse(e.cond, els);
        this.value(e.then);
        a.jmp(end);
        a.bind(els);
        this.value(e.else);
        a.bind(end);
        return;
      }
      case "conv": this.value(e.operand); this.convert(e.operand.type, e.type); return;
      case "assign": this.assign(e.target, e.value); return;
      case "compound": this.compound(e); return;
      case "incdec": this.incdec(e.target, e.type, e.delta, e.post); return;
      case "call": this.call(e); return;
      case "stmtexpr":
        for (const st of e.body) this.stmt(st);
        if (e.value) this.value(e.value);
        return;
    }
  }

  private floatConst(t: CType, v: number, xmm: number): void {
    const a = this.asm;
    const buf = Buffer.alloc(8);
    if (sizeOf(t) === 4) {
      buf.writeFloatLE(v, 0);
      a.movImm(R.rax, BigInt(buf.readUInt32LE(0)));
      a.rm("movdToXmm", xmm, { reg: R.rax });
    } else {
      buf.writeDoubleLE(v, 0);
      a.movabs(R.rax, buf.readBigInt64LE(0));
      a.rm("movqToXmm", xmm, { reg: R.rax });
    }
  }

  /** rax = (e != 0) as 0/1, for any scalar. */
  private truth(e: TExpr): void {
    const a = this.asm;
    this.value(e);
    if (valueClass(e.type) !== "int") {
      this.testFloatNonZero(e.type);
      return;
    }
    a.rr("test", R.rax, R.rax);
    a.setcc("ne", R.rax);
    a.movzxByte(R.rax);
  }

  /** rax = (xmm0 != 0.0, or the long double at [rax] != 0): true also for NaN, as C says. */
  private testFloatNonZero(t: CType): void {
    const a = this.asm;
    if (valueClass(t) === "x87") x87.compareWithZero(a, R.rax);
    else {
      a.rm("xorpd", 1, { reg: 1 });
      a.rm(sizeOf(t) === 4 ? "ucomiss" : "ucomisd", 0, { reg: 1 });
    }
    a.setcc("ne", R.rax);
    a.setcc("p", R.rcx);
    a.rr("or", R.rax, R.rcx);
    a.movzxByte(R.rax);
  }

  private branchIfFalse(cond: TExpr, label: number): void {
    this.branchOn(cond, false, label);
  }
  private branchIfTrue(cond: TExpr, label: number): void {
    this.branchOn(cond, true, label);
  }

  /**
   * Jumps to `label` when `cond`'s truth is `when`, else falls through: an integer comparison
   * branches on its own flags, `!`, `&&` and `||` on their operands' branches (no 0/1 made).
   */
  private branchOn(cond: TExpr, when: boolean, label: number): void {
    const a = this.asm;
    if (cond.k === "lnot") return this.branchOn(cond.operand, !when, label);
    if (cond.k === "logical") {
      // && is false when either is; || is true when either is: the first operand decides alone then.
      if ((cond.op === "&&") === !when) {
        this.branchOn(cond.left, when, label);
        this.branchOn(cond.right, when, label);
        return;
      }
      const decided = a.newLabel();
      this.branchOn(cond.left, !when, decided);
      this.branchOn(cond.right, when, label);
      a.bind(decided);
      return;
    }
    if (cond.k === "compare" && valueClass(cond.opType) === "int") {
      this.compare(cond.op, cond.opType, cond.left, cond.right, { flagsOnly: true });
      const holds = compareCond(cond.op, cond.opType);
      a.jcc(when ? holds : negate(holds), label);
      return;
    }
    if (valueClass(cond.type) === "int") this.value(cond);
    else this.truth(cond);
    a.rr("test", R.rax, R.rax);
    a.jcc(when ? "ne" : "e", label);
  }

  // ---- the operand stack

  private pushInt(): void {
    this.asm.push(R.rax);
    this.depth++;
  }
  private popInt(reg: R): void {
    this.asm.pop(reg);
    this.depth--;
  }
  private pushValue(t: CType): void {
    if (valueClass(t) === "sse") this.asm.rm("movqFromXmm", 0, { reg: R.rax });
    this.pushInt();
  }
  /** Pops a value pushed by pushValue into rax or the given xmm register. */
  private popValue(t: CType, xmm: number): void {
    if (valueClass(t) === "sse") {
      this.popInt(R.rdx);
      this.asm.rm("movqToXmm", xmm, { reg: R.rdx });
    } else this.popInt(R.rax);
  }

  // ---- loads, stores, conversions

  /** Loads a value of type t from [addr], or from `at` (directMem), into rax/xmm0 (aggregates: leaves the address in rax). */
  private load(t: CType, addr: R, at?: Mem): void {
    const a = this.asm;
    const u = unqual(t);
    const m = { mem: at ?? { base: addr, disp: 0 } };
    switch (valueClass(t)) {
      case "sse": a.rm(u.kind === "float" && u.size === 4 ? "movssLoad" : "movsdLoad", 0, m); return;
      case "x87": x87.load(this.x87Host(), addr); return;
      case "mem": case "void": a.mov(R.rax, addr); return;
      case "int": {
        const it = intOf(u);
        switch (it.size) {
          case 1: a.rm(it.signed ? "movsx8" : "movzx8", R.rax, m); return;
          case 2: a.rm(it.signed ? "movsx16" : "movzx16", R.rax, m); return;
          case 4: a.rm(it.signed ? "movsxd" : "load32", R.rax, m); return;
          default: a.rm("load64", R.rax, m); return;
        }
      }
    }
  }

  /** Stores rax/xmm0 (a long double: the one at [rax]) as type t at [addr]; clobbers rcx. */
  private store(t: CType, addr: R, disp = 0): void {
    const a = this.asm;
    const m = { mem: { base: addr, disp } };
    if (valueClass(t) === "x87") {
      x87.copyExtended(a, addr, disp, R.rax, 0);
      return;
    }
    if (valueClass(t) === "sse") {
      a.rm(sizeOf(t) === 4 ? "movssStore" : "movsdStore", 0, m);
      return;
    }
    const size = sizeOf(t);
    a.rm(size === 1 ? "store8" : size === 2 ? "store16" : size === 4 ? "store32" : "store64", R.rax, m);
  }

  /** memcpy(dst, src, n) with rep movsb; clobbers rdi, rsi, rcx. */
  private copyBytes(dst: R, src: R, n: number): void {
    const a = this.asm;
    if (src === R.rdi) {
      a.mov(R.rsi, src);
      a.mov(R.rdi, dst);
    } else {
      a.mov(R.rdi, dst);
      a.mov(R.rsi, src);
    }
    a.movImm(R.rcx, BigInt(n));
    a.repMovsb();
  }

  private loadBitField(lv: BitField): void {
    if (isLvalue(lv.base)) this.address(lv.base);
    else this.value(lv.base);
    extractBitField(this.asm, lv, R.rax);
  }

  /** Re-extends rax from the width of integer type t (after arithmetic, or a narrowing cast). */
  private normalize(t: CType): void {
    const a = this.asm;
    const u = unqual(t);
    if (u.kind === "pointer") return;
    if (u.kind !== "int" && u.kind !== "enum") return;
    const it = intOf(u);
    if (it.bool) {
      a.rr("test", R.rax, R.rax);
      a.setcc("ne", R.rax);
      a.movzxByte(R.rax);
      return;
    }
    const reg = { reg: R.rax };
    switch (it.size) {
      case 1: a.rm(it.signed ? "movsx8" : "movzx8", R.rax, reg); return;
      case 2: a.rm(it.signed ? "movsx16" : "movzx16", R.rax, reg); return;
      case 4: a.rm(it.signed ? "movsxd" : "load32", R.rax, reg); return; // mov eax, eax zero-extends
      default: return;
    }
  }

  private convert(from: CType, to: CType): void {
    const a = this.asm;
    const f = unqual(from);
    const t = unqual(to);
    if (t.kind === "void") return;
    const fc = valueClass(f);
    const tc = valueClass(t);
    if (tc === "mem" || fc === "mem") return; // same aggregate type, nothing to do
    if (fc === "x87" || tc === "x87") {
      this.convertX87(f, t);
      return;
    }
    if (tc === "int") {
      if (fc === "sse") {
        if (t.kind === "int" && t.bool) {
          this.testFloatNonZero(f);
          return;
        }
        if (f.kind === "float" && f.size === 4) a.rm("cvtss2sd", 0, { reg: 0 });
        const it = intOf(t);
        if (!it.signed && it.size === 8) this.doubleToU64();
        else a.rm("cvttsd2si", R.rax, { reg: 0 });
      }
      this.normalize(t);
      return;
    }
    // to float/double
    const single = t.kind === "float" && t.size === 4;
    if (fc === "sse") {
      const fSingle = f.kind === "float" && f.size === 4;
      if (fSingle && !single) a.rm("cvtss2sd", 0, { reg: 0 });
      if (!fSingle && single) a.rm("cvtsd2ss", 0, { reg: 0 });
      return;
    }
    const it = intOf(f);
    if (!it.signed && it.size === 8) {
      const big = a.newLabel();
      const end = a.newLabel();
      const cvt = single ? "cvtsi2ss" : "cvtsi2sd";
      a.rr("test", R.rax, R.rax);
      a.jcc("s", big);
      a.rm(cvt, 0, { reg: R.rax });
      a.jmp(end);
      a.bind(big);
      // Halve (keeping the low bit for rounding), convert, double.
      a.mov(R.rcx, R.rax);
      a.shiftImm("shr", R.rcx, 1);
      a.aluImm("and", R.rax, 1);
      a.rr("or", R.rcx, R.rax);
      a.rm(cvt, 0, { reg: R.rcx });
      a.rm(single ? "addss" : "addsd", 0, { reg: 0 });
      a.bind(end);
      return;
    }
    a.rm(single ? "cvtsi2ss" : "cvtsi2sd", 0, { reg: R.rax });
  }

  /** Conversions to and from long double (at least one side x87, the other side different). */
  private convertX87(f: CType, t: CType): void {
    if (valueClass(f) === "x87" && valueClass(t) === "x87") return;
    const single = (u: CType): boolean => sizeOf(u) === 4;
    const unsigned64 = (u: CType): boolean => {
      const it = intOf(u);
      return !it.signed && it.size === 8;
    };
    if (valueClass(t) === "x87") {
      if (valueClass(f) === "sse") x87.fromSse(this.x87Host(), single(f));
      else x87.fromInteger(this.x87Host(), unqual(f).kind !== "pointer" && unsigned64(f));
      return;
    }
    if (valueClass(t) === "sse") {
      x87.toSse(this.x87Host(), single(t));
      return;
    }
    const u = unqual(t);
    if (u.kind === "int" && u.bool) {
      this.testFloatNonZero(f);
      return;
    }
    x87.toInteger(this.x87Host(), unsigned64(t));
    this.normalize(t);
  }

  /** rax = (unsigned long)xmm0 for doubles at or above 2^63 too. */
  private doubleToU64(): void {
    const a = this.asm;
    const big = a.newLabel();
    const end = a.newLabel();
    a.movabs(R.rax, 0x43e0000000000000n); // 2^63
    a.rm("movqToXmm", 1, { reg: R.rax });
    a.rm("ucomisd", 0, { reg: 1 });
    a.jcc("ae", big);
    a.rm("cvttsd2si", R.rax, { reg: 0 });
    a.jmp(end);
    a.bind(big);
    a.rm("subsd", 0, { reg: 1 });
    a.rm("cvttsd2si", R.rax, { reg: 0 });
    a.btcImm(R.rax, 63);
    a.bind(end);
  }

  // ---- operators

  private arith(op: ArithOp, t: CType, left: TExpr, right: TExpr): void {
    this.value(left);
    // An integer operation with a constant that fits an imm32 (as rax would hold it): one
    // instruction on rax, no push and pop of the left operand (less code to run and to translate).
    const imm = valueClass(t) === "int" && right.k === "const" ? BigInt.asIntN(64, right.value) : undefined;
    if (imm !== undefined && imm >= -(1n << 31n) && imm < 1n << 31n) {
      const a = this.asm;
      const n = Number(imm);
      switch (op) {
        case "+": a.aluImm("add", R.rax, n); this.normalize(t); return;
        case "-": a.aluImm("sub", R.rax, n); this.normalize(t); return;
        case "&": a.aluImm("and", R.rax, n); this.normalize(t); return;
        case "^": a.aluImm("xor", R.rax, n); this.normalize(t); return;
        case "|": a.aluImm("or", R.rax, n); this.normalize(t); return;
        case "*": a.imulImm(R.rax, R.rax, n); this.normalize(t); return;
      }
    }
    this.pushValue(t);
    this.value(right);
    this.combine(op, t);
  }

  /** left on the stack, right in rax/xmm0 → result in rax/xmm0. */
  private combine(op: ArithOp, t: CType): void {
    const a = this.asm;
    if (valueClass(t) === "x87") {
      a.mov(R.rcx, R.rax);
      this.popInt(R.rdx);
      x87.arith(this.x87Host(), op, R.rdx, R.rcx);
      return;
    }
    if (valueClass(t) === "sse") {
      const single = sizeOf(t) === 4;
      a.rm(single ? "movssLoad" : "movsdLoad", 1, { reg: 0 });
      this.popValue(t, 0);
      const name = { "+": "add", "-": "sub", "*": "mul", "/": "div" }[op as "+"];
      a.rm(`${name}${single ? "ss" : "sd"}` as "addsd", 0, { reg: 1 });
      return;
    }
    a.mov(R.rcx, R.rax);
    this.popInt(R.rax);
    const signed = intOf(t).signed;
    switch (op) {
      case "+": a.rr("add", R.rax, R.rcx); break;
      case "-": a.rr("sub", R.rax, R.rcx); break;
      case "*": a.rm("imul", R.rax, { reg: R.rcx }); break;
      case "&": a.rr("and", R.rax, R.rcx); break;
      case "|": a.rr("or", R.rax, R.rcx); break;
      case "^": a.rr("xor", R.rax, R.rcx); break;
      case "<<": a.group("shlCl", { reg: R.rax }); break;
      case ">>": a.group(signed ? "sarCl" : "shrCl", { reg: R.rax }); break;
      case "/": case "%":
        if (signed) {
          a.cqo();
          a.group("idiv", { reg: R.rcx });
        } else {
          a.rr("xor", R.rdx, R.rdx);
          a.group("div", { reg: R.rcx });
        }
        if (op === "%") a.mov(R.rax, R.rdx);
        break;
    }
    this.normalize(t);
  }

  /** `flagsOnly` (integer compares): leave the flags of the `cmp` for a branch (compareCond), rax unset. */
  private compare(op: CompareOp, t: CType, left: TExpr, right: TExpr, opts: { flagsOnly?: boolean } = {}): void {
    const a = this.asm;
    const cls = valueClass(t);
    const setCompare = opts.flagsOnly && cls === "int" ? () => undefined : () => this.setCompare(op, t);
    this.value(left);
    // An integer compared with a constant that fits an imm32 (as rax would hold it): cmp rax, imm
    // (no push and pop of the left operand; a breakpoint condition's usual shape, `i == 999999`).
    const imm = cls === "int" && right.k === "const" ? BigInt.asIntN(64, right.value) : undefined;
    if (imm !== undefined && imm >= -(1n << 31n) && imm < 1n << 31n) {
      a.aluImm("cmp", R.rax, Number(imm));
      setCompare();
      return;
    }
    this.pushValue(t);
    this.value(right);
    if (cls === "sse" || cls === "x87") {
      // For < and <= compare the other way so NaN gives false.
      const swap = op === "<" || op === "<=";
      if (cls === "x87") {
        a.mov(R.rcx, R.rax);
        this.popInt(R.rdx);
        if (swap) x87.compareFlags(a, R.rcx, R.rdx);
        else x87.compareFlags(a, R.rdx, R.rcx);
      } else {
        const single = sizeOf(t) === 4;
        a.rm(single ? "movssLoad" : "movsdLoad", 1, { reg: 0 });
        this.popValue(t, 0);
        const ucom = single ? "ucomiss" : "ucomisd";
        // xmm0 = left, xmm1 = right.
        if (swap) a.rm(ucom, 1, { reg: 0 });
        else a.rm(ucom, 0, { reg: 1 });
      }
      if (op === "==" || op === "!=") {
        a.setcc(op === "==" ? "e" : "ne", R.rax);
        a.setcc(op === "==" ? "np" : "p", R.rcx);
        a.rr(op === "==" ? "and" : "or", R.rax, R.rcx);
      } else a.setcc(op === "<" || op === ">" ? "a" : "ae", R.rax);
      a.movzxByte(R.rax);
      return;
    }
    a.mov(R.rcx, R.rax);
    this.popInt(R.rax);
    a.rr("cmp", R.rax, R.rcx);
    setCompare();
  }

  /** rax = 1 or 0 from the flags of an integer or pointer comparison of type t. */
  private setCompare(op: CompareOp, t: CType): void {
    this.asm.setcc(compareCond(op, t), R.rax);
    this.asm.movzxByte(R.rax);
  }

  private assign(target: TExpr, value: TExpr): void {
    const a = this.asm;
    if (isBitField(target)) {
      this.address(target.base);
      this.pushInt();
      this.value(value);
      this.popInt(R.rdx);
      insertBitField(a, target, R.rdx);
      return;
    }
    this.address(target);
    this.pushInt();
    this.value(value);
    this.popInt(R.rdx);
    if (valueClass(target.type) === "mem") {
      a.push(R.rdx);
      const ranges = storedRanges(target.type);
      if (ranges.length === 1) this.copyBytes(R.rdx, R.rax, sizeOf(target.type) ?? 0);
      else for (const [off] of ranges) x87.copyExtended(a, R.rdx, off, R.rax, off); // complex long double: not the padding
      a.pop(R.rax);
      return;
    }
    this.store(target.type, R.rdx);
  }

  private compound(e: Extract<TExpr, { k: "compound" }>): void {
    const a = this.asm;
    if (isBitField(e.target)) {
      // Read the field, combine in opType, convert back, write it (the struct's address waits on the stack).
      this.address(e.target.base);
      this.pushInt();
      extractBitField(a, e.target, R.rax);
      this.convert(e.target.type, e.opType);
      this.pushValue(e.opType);
      this.value(e.value);
      this.combine(e.op, e.opType);
      this.convert(e.opType, e.target.type);
      this.popInt(R.rdx);
      insertBitField(a, e.target, R.rdx);
      return;
    }
    this.address(e.target);
    this.pushInt(); // the address
    this.load(e.target.type, R.rax);
    if (e.scale !== undefined) {
      this.pushInt();
      this.value(e.value);
      if (e.scale !== 1) a.imulImm(R.rax, R.rax, e.scale);
      this.combine(e.op, T.long);
    } else {
      this.convert(e.target.type, e.opType);
      this.pushValue(e.opType);
      this.value(e.value);
      this.combine(e.op, e.opType);
      this.convert(e.opType, e.target.type);
    }
    this.popInt(R.rdx);
    this.store(e.target.type, R.rdx);
  }

  private incdec(target: TExpr, t: CType, delta: 1 | -1, post: boolean): void {
    const a = this.asm;
    if (isBitField(target)) {
      this.address(target.base);
      this.pushInt();
      extractBitField(a, target, R.rax);
      if (post) this.pushInt(); // the old value is the result
      a.aluImm("add", R.rax, delta);
      this.normalize(t);
      a.rm("load64", R.rdx, { mem: { base: R.rsp, disp: post ? 8 : 0 } });
      insertBitField(a, target, R.rdx);
      if (post) this.popInt(R.rax);
      this.popInt(R.rdx);
      return;
    }
    this.address(target);
    this.pushInt();
    this.load(t, R.rax);
    const u = unqual(t);
    if (valueClass(t) === "x87") {
      a.push(R.rax); // the old value's slot
      x87.step(this.x87Host(), delta);
      a.pop(R.rcx);
      this.popInt(R.rdx);
      a.push(R.rcx);
      this.store(t, R.rdx);
      a.pop(R.rcx);
      if (post) a.mov(R.rax, R.rcx);
      return;
    }
    if (valueClass(t) === "sse") {
      const single = sizeOf(t) === 4;
      a.rm(single ? "movssLoad" : "movsdLoad", 2, { reg: 0 }); // old value
      this.floatConst(t, 1, 1);
      a.rm(`${delta > 0 ? "add" : "sub"}${single ? "ss" : "sd"}` as "addsd", 0, { reg: 1 });
      this.popInt(R.rdx);
      this.store(t, R.rdx);
      if (post) a.rm(single ? "movssLoad" : "movsdLoad", 0, { reg: 2 });
      return;
    }
    const step = u.kind === "pointer" ? (sizeOf(u.to) ?? 1) : 1;
    a.mov(R.rcx, R.rax);
    a.aluImm("add", R.rax, delta * step);
    this.normalize(t);
    this.popInt(R.rdx);
    this.store(t, R.rdx);
    if (post) a.mov(R.rax, R.rcx);
  }

  // ---- addresses

  /** Where a site body finds a variable the program keeps at a register plus a constant (site-form.ts). */
  private placeMem(p: Place): Mem | undefined {
    // A value the prelude copied into the argument block: at the frame's base.
    if (p.k === "argValue" && this.site && !this.site.frameless && !this.site.places.get(p.offset)?.value) return { base: R.rbp, disp: p.offset };
    const place = p.k === "argAddress" ? this.site?.places.get(p.offset) : undefined;
    if (!place) return undefined;
    if (place.reg !== R.rsp) return { base: place.reg, disp: place.add };
    // rsp is the site's: above the frame (at rbp), or above the frame and the pending operands.
    const disp = place.add + this.site!.siteRsp;
    return this.site!.frameless ? { base: R.rsp, disp: disp + 8 * this.depth } : { base: R.rbp, disp };
  }

  /** An lvalue a site body reads where the program keeps it: such a place, or a member of one (not a bit-field). */
  private directMem(e: TExpr): Mem | undefined {
    if (e.k === "place") return this.placeMem(e.place);
    if (e.k !== "member" || e.bitSize !== undefined || !isLvalue(e.base)) return undefined;
    const m = this.directMem(e.base);
    return m && "base" in m ? { base: m.base, disp: m.disp + e.offset } : undefined;
  }

  /** rax = the address of an lvalue (or of an aggregate rvalue). */
  address(e: TExpr): void {
    const a = this.asm;
    switch (e.k) {
      case "place": this.placeAddress(e.place); return;
      case "deref": this.value(e.ptr); return;
      case "init": this.initialize(e); return;
      case "member":
        if (isLvalue(e.base)) this.address(e.base);
        else this.value(e.base);
        if (e.offset !== 0) a.aluImm("add", R.rax, e.offset);
        return;
      default:
        this.value(e); // aggregate rvalues are already addresses
    }
  }

  /** Fills a frame object from its initializer where it is evaluated (each time, as C says); rax = its address. */
  private initialize(e: Extract<TExpr, { k: "init" }>): void {
    const a = this.asm;
    if (e.zero) {
      a.rm("lea", R.rdi, { mem: { base: R.rbp, disp: e.offset } });
      a.rr("xor", R.rax, R.rax);
      a.movImm(R.rcx, BigInt(e.size));
      a.repStosb();
    }
    for (const s of e.stores) {
      this.value(s.value);
      const disp = e.offset + s.offset;
      if (s.bits) this.orBitField(e.offset, s.bits);
      else if (valueClass(s.value.type) === "mem") {
        a.rm("lea", R.rdx, { mem: { base: R.rbp, disp } });
        this.copyBytes(R.rdx, R.rax, sizeOf(s.value.type) ?? 0);
      } else this.store(s.value.type, R.rbp, disp);
    }
    a.rm("lea", R.rax, { mem: { base: R.rbp, disp: e.offset } });
  }

  /** ORs rax's low `bits.size` bits into the (zeroed) bits of the frame object at `base`. */
  private orBitField(base: number, bits: { offset: number; size: number }): void {
    const a = this.asm;
    const shift = bits.offset % 8;
    const width = [1, 2, 4, 8].find((w) => shift + bits.size <= w * 8) ?? 8;
    const unit = width === 1 ? T.uchar : width === 2 ? T.ushort : width === 4 ? T.uint : T.ulong;
    const m = { mem: { base: R.rbp, disp: base + Math.floor(bits.offset / 8) } };
    a.movabs(R.rcx, (1n << BigInt(bits.size)) - 1n);
    a.rr("and", R.rax, R.rcx);
    if (shift > 0) a.shiftImm("shl", R.rax, shift);
    a.mov(R.rdx, R.rax);
    a.rm("lea", R.rsi, m);
    this.load(unit, R.rsi);
    a.rr("or", R.rax, R.rdx);
    this.store(unit, R.rsi);
  }

  private placeAddress(p: Place): void {
    const a = this.asm;
    const large = this.opts.codeModel === "large";
    switch (p.k) {
      case "extern":
        if (large) a.movabs(R.rax, 0n, { symbol: p.symbol });
        else if (this.opts.codeModel === "small-pic") a.rm("load64", R.rax, { mem: { rip: { symbol: p.symbol }, relocType: RELOC.R_X86_64_REX_GOTPCRELX } });
        else a.rm("lea", R.rax, { mem: { rip: { symbol: p.symbol }, relocType: RELOC.R_X86_64_PC32 } });
        return;
      case "own":
        if (large) a.movabs(R.rax, 0n, { symbol: p.symbol });
        else a.rm("lea", R.rax, { mem: { rip: { symbol: p.symbol }, relocType: RELOC.R_X86_64_PC32 } });
        return;
      case "rodata":
        if (large) a.movabs(R.rax, BigInt(p.offset), RODATA);
        else a.rm("lea", R.rax, { mem: { rip: RODATA, relocType: RELOC.R_X86_64_PC32, addend: BigInt(p.offset) } });
        return;
      case "tls":
        if (p.model === "initial-exec") {
          a.rm("load64", R.rax, { mem: { rip: { symbol: p.symbol }, relocType: RELOC.R_X86_64_GOTTPOFF } });
          a.addRaxFs0();
        } else this.alignedCall(() => a.tlsGdCall(p.symbol));
        return;
      case "argAddress": {
        const direct = this.placeMem(p);
        if (direct) a.rm("lea", R.rax, { mem: direct });
        else if (this.site) a.rm("load64", R.rax, { mem: { base: R.rbp, disp: p.offset } });
        else {
          a.rm("load64", R.rax, { mem: ARG_BLOCK });
          a.rm("load64", R.rax, { mem: { base: R.rax, disp: p.offset } });
        }
        return;
      }
      case "argValue":
        // Its address: it must be in the argument block then (the caller compiles again with it there).
        if (this.site?.places.get(p.offset)?.value) this.site.addressed.add(p.offset);
        if (this.site) a.rm("lea", R.rax, { mem: { base: R.rbp, disp: p.offset } });
        else {
          a.rm("load64", R.rax, { mem: ARG_BLOCK });
          if (p.offset !== 0) a.aluImm("add", R.rax, p.offset);
        }
        return;
      case "frame":
        a.rm("lea", R.rax, { mem: { base: R.rbp, disp: p.offset } });
        return;
    }
  }

  /** Runs `emit` (a call with no stack arguments) with rsp 16-byte aligned. */
  private alignedCall(emit: () => void): void {
    const pad = this.depth % 2 === 1;
    if (pad) this.asm.aluImm("sub", R.rsp, 8);
    emit();
    if (pad) this.asm.aluImm("add", R.rsp, 8);
  }

  // ---- calls

  /** Set once any C call is emitted (the evaluator skips the time limit for call-free code). */
  callsFunctions = false;
  /** Set once a loop is emitted (a statement expression's): code that may run for ever, like a call. */
  emitsLoops = false;

  private call(e: Extract<TExpr, { k: "call" }>): void {
    this.callsFunctions = true;
    emitCall(this.callHost(), e);
  }
}

/** The condition code under which an integer or pointer comparison of type t holds. */
function compareCond(op: CompareOp, t: CType): Cond {
  const signed = unqual(t).kind !== "pointer" && intOf(t).signed;
  const cc: Record<CompareOp, Cond> = signed
    ? { "<": "l", ">": "g", "<=": "le", ">=": "ge", "==": "e", "!=": "ne" }
    : { "<": "b", ">": "a", "<=": "be", ">=": "ae", "==": "e", "!=": "ne" };
  return cc[op];
}

/** The opposite condition: each pair differs in the low bit of its encoding. */
function negate(c: Cond): Cond {
  const code = CC[c] ^ 1;
  return (Object.keys(CC) as Cond[]).find((k) => CC[k] === code)!;
}
