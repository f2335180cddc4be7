/**
 * Locating a variable in a stopped frame: picks the location-list entry for the pc, evaluates the
 * enclosing function's frame base for DW_OP_fbreg, resolves DW_OP_addrx through the unit, and
 * turns DW_AT_const_value and missing locations into results the debugger can show.
 */
import { evaluateLocation, evaluateValue, type ExprContext, type Location } from "./expr-eval.js";
import { OP, type ExprPlace } from "./expr-ops.js";
import { selectLocation } from "./loclists.js";
import type { FunctionScope, Variable } from "./program.js";

/**
 * Where an expression is, for its errors: read only when one is reported (a DIE's place and label
 * take DWARF look-ups to make). A class, so that making one per look-up is cheap (an object
 * literal with getters is not).
 */
class DiePlace {
  constructor(
    private readonly die: { readonly where: ExprPlace["where"]; readonly label: string },
    private readonly prefix: string,
  ) {}
  get where(): ExprPlace["where"] {
    return this.die.where;
  }
  get what(): string {
    return `${this.prefix} ${this.die.label}`;
  }
}

/** What the frame provides; fbreg, addrx and the unit's address size are filled in here. */
export type FrameContext = Omit<ExprContext, "frameBase" | "addrx" | "addressSize" | "is64">;

/**
 * A location that is one DW_OP_fbreg (nearly every variable at -O0), known once per expression:
 * its address is the frame base plus the offset, without the evaluator's stack and context,
 * which cost most of reading a variable at a new stop. Null: any other expression.
 */
const fbregOffsets = new WeakMap<Uint8Array, bigint | null>();

function fbregOffset(expr: Uint8Array): bigint | null {
  let off = fbregOffsets.get(expr);
  if (off === undefined) {
    off = null;
    if (expr.length >= 2 && expr[0] === OP.fbreg) {
      // SLEB128 operand, which must end the expression.
      let v = 0n;
      let shift = 0n;
      let i = 1;
      let byte = 0x80;
      while (i < expr.length && byte & 0x80) {
        byte = expr[i++]!;
        v |= BigInt(byte & 0x7f) << shift;
        shift += 7n;
      }
      if (!(byte & 0x80) && i === expr.length) off = byte & 0x40 ? v - (1n << shift) : v;
    }
    fbregOffsets.set(expr, off);
  }
  return off;
}

export function frameBaseAt(fn: FunctionScope, pc: bigint, ctx: FrameContext): bigint | undefined {
  const fb = fn.frameBase;
  const expr = fb.kind === "expr" ? fb.expr : fb.kind === "list" ? selectLocation(fb.entries, pc) : undefined;
  if (!expr) return undefined;
  // DW_OP_call_frame_cfa alone (gcc's frame base): the CFA the unwinder found.
  if (expr.length === 1 && expr[0] === OP.call_frame_cfa) {
    const cfa = ctx.callFrameCfa?.();
    if (cfa !== undefined) return cfa;
  }
  const unit = fn.die.unit;
  const v = evaluateValue(expr, { ...ctx, addressSize: unit.addressSize, is64: unit.is64, addrx: (i) => unit.addrx(i), place: new DiePlace(fn.die, "frame base of the") });
  return v.kind === "value" ? v.value : undefined;
}

/**
 * The location of `variable` at `pc`. `fn` is the function (not an inlined scope) the frame belongs
 * to, used for the frame base; pass undefined for globals. `frameBase`, when given, is that frame
 * base (a caller locating many variables of one frame evaluates it once).
 */
export function locateVariable(variable: Variable, pc: bigint | undefined, fn: FunctionScope | undefined, ctx: FrameContext, frameBase?: () => bigint | undefined): Location {
  const loc = variable.location;
  if (loc.kind === "const") {
    return typeof loc.value === "bigint" ? { kind: "value", value: loc.value } : { kind: "implicit", bytes: loc.value };
  }
  if (loc.kind === "none") return { kind: "unavailable", reason: "optimized out (no location)" };
  const expr = variable.locationAt(pc);
  if (!expr) return { kind: "unavailable", reason: pc === undefined ? "the location depends on the pc" : `optimized out at pc 0x${pc.toString(16)}` };
  const unit = variable.die.unit;
  let fbCache: bigint | undefined | null = null;
  const base = (): bigint | undefined => {
    if (frameBase) return frameBase();
    if (fbCache === null) fbCache = fn && pc !== undefined ? frameBaseAt(fn, pc, ctx) : undefined;
    return fbCache;
  };
  const offset = fbregOffset(expr);
  if (offset !== null) {
    const fb = base();
    // Without a frame base the evaluator says why.
    if (fb !== undefined) return { kind: "memory", address: BigInt.asUintN(64, fb + offset) };
  }
  return evaluateLocation(expr, {
    ...ctx,
    addressSize: unit.addressSize,
    is64: unit.is64,
    addrx: (i) => unit.addrx(i),
    place: new DiePlace(variable.die, "location of the"),
    frameBase: base,
  });
}
