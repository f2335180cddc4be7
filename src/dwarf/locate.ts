/**
 * Locating a variable in a stopped frame: picks the location-list entry for the pc, evaluates the
 * enclosing function's frame base for DW_OP_fbreg, resolves DW_OP_addrx through the unit, and
 * turns DW_AT_const_value and missing locations into results the debugger can show.
 */
import { evaluateLocation, evaluateValue, type ExprContext, type Location } from "./expr-eval.js";
import type { ExprPlace } from "./expr-ops.js";
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

export function frameBaseAt(fn: FunctionScope, pc: bigint, ctx: FrameContext): bigint | undefined {
  const fb = fn.frameBase;
  const expr = fb.kind === "expr" ? fb.expr : fb.kind === "list" ? selectLocation(fb.entries, pc) : undefined;
  if (!expr) return undefined;
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
  return evaluateLocation(expr, {
    ...ctx,
    addressSize: unit.addressSize,
    is64: unit.is64,
    addrx: (i) => unit.addrx(i),
    place: new DiePlace(variable.die, "location of the"),
    frameBase:
      frameBase ??
      (() => {
        if (fbCache === null) fbCache = fn && pc !== undefined ? frameBaseAt(fn, pc, ctx) : undefined;
        return fbCache;
      }),
  });
}
