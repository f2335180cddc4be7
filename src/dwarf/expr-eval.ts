/**
 * DWARF expression evaluator (location descriptions and DWARF/CFI value expressions). Everything
 * the expression needs from the running program comes through callbacks in ExprContext; when a
 * callback is missing or cannot answer, the result is { kind: "unavailable", reason } rather than an
 * error, because that is a normal state for optimized code. Malformed expressions are DwarfErrors.
 * The typed stack of DWARF 5 (const_type, regval_type, convert) is approximated with 64-bit values.
 */
import { DwarfError } from "./errors.js";
import { decodeExpression, formatExpression, NO_EXPR_PLACE, OP, opName, type DecodedOp, type ExprPlace } from "./expr-ops.js";
import { dwarfRegisterName } from "./registers.js";

export interface ExprContext {
  readonly addressSize?: number;
  /** 64-bit DWARF (affects the size of DW_OP_call_ref / implicit_pointer operands). */
  readonly is64?: boolean;
  /** Current value of a DWARF register (see registers.ts), undefined when not known. */
  readRegister?(reg: number): bigint | undefined;
  /** Little-endian unsigned integer of `size` bytes (1..8) at `address`, undefined when unreadable. */
  readMemory?(address: bigint, size: number): bigint | undefined;
  /** The function's frame base (DW_AT_frame_base evaluated), for DW_OP_fbreg. */
  frameBase?(): bigint | undefined;
  /** The canonical frame address of the current frame (from CFI), for DW_OP_call_frame_cfa. */
  callFrameCfa?(): bigint | undefined;
  /** Turns an offset in the module's TLS block into an address in the current thread. */
  tlsAddress?(offset: bigint): bigint | undefined;
  /** Value the sub-expression had on entry to the function (DW_OP_entry_value), if it can be recovered. */
  entryValue?(expr: Uint8Array): bigint | undefined;
  /** Entry of .debug_addr for DW_OP_addrx / DW_OP_constx. */
  addrx?(index: number): bigint;
  /** Added to DW_OP_addr / DW_OP_addrx operands: the load bias of a PIE or shared object. */
  readonly addressBias?: bigint;
  /** DW_OP_push_object_address. */
  readonly objectAddress?: bigint;
  /** Values pushed before the first operation (e.g. the CFA for CFI register expressions). */
  readonly initialStack?: readonly bigint[];
  /** Where the expression is (its DIE or FDE, and what it is), for errors. */
  readonly place?: ExprPlace;
  /** The file the expression is from, for errors when no `place` is given. */
  readonly where?: string;
}

export type SimpleLocation =
  | { kind: "memory"; address: bigint }
  | { kind: "register"; reg: number }
  | { kind: "value"; value: bigint }
  | { kind: "implicit"; bytes: Uint8Array }
  | { kind: "unavailable"; reason: string };

export interface Piece {
  /** Size in bits (DW_OP_piece sizes are multiplied by 8). */
  readonly bitSize: number;
  /** Offset in bits inside the piece's location (DW_OP_bit_piece). */
  readonly bitOffset: number;
  readonly location: SimpleLocation;
}

export type Location = SimpleLocation | { kind: "pieces"; pieces: Piece[] };

/**
 * The 64-bit approximation of the typed stack cannot hold a 16-byte value (gcc -O2 describes a
 * long double it computed away as `deref_type 16; const_type 16 …; mul`): unavailable, never a wrong number.
 */
const WIDE_TYPED = "optimized out (computed by a DWARF expression on floating-point or 16-byte values, such as long double, which jitdbg does not evaluate)";

class Unavailable {
  constructor(readonly reason: string) {}
}

const MASK = 0xffff_ffff_ffff_ffffn;
const u64 = (v: bigint): bigint => v & MASK;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** Evaluates a location description. */
export function evaluateLocation(expr: Uint8Array, ctx: ExprContext): Location {
  try {
    return run(expr, ctx);
  } catch (e) {
    if (e instanceof Unavailable) return { kind: "unavailable", reason: e.reason };
    throw e;
  }
}

/**
 * Evaluates an expression for its value (DW_AT_frame_base, CFA expressions, DW_OP_entry_value
 * bodies): a register location yields the register's contents, a memory location its address.
 */
export function evaluateValue(expr: Uint8Array, ctx: ExprContext): { kind: "value"; value: bigint } | { kind: "unavailable"; reason: string } {
  const loc = evaluateLocation(expr, ctx);
  switch (loc.kind) {
    case "memory":
      return { kind: "value", value: loc.address };
    case "value":
      return loc;
    case "register": {
      const v = ctx.readRegister?.(loc.reg);
      return v === undefined ? { kind: "unavailable", reason: `register ${dwarfRegisterName(loc.reg)} is not available` } : { kind: "value", value: v };
    }
    case "implicit":
      return { kind: "value", value: bytesToBigint(loc.bytes) };
    case "unavailable":
      return loc;
    case "pieces":
      return { kind: "unavailable", reason: "a composite (DW_OP_piece) location has no single value" };
  }
}

export function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(b.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Each expression decoded once (a variable's location is the same bytes at every stop and every breakpoint hit). */
const decodedExpressions = new WeakMap<Uint8Array, { key: string; ops: DecodedOp[]; byOffset: Map<number, number> }>();

function decoded(expr: Uint8Array, ctx: ExprContext): { ops: DecodedOp[]; byOffset: Map<number, number> } {
  const addressSize = ctx.addressSize ?? 8;
  const is64 = ctx.is64 ?? false;
  const key = `${addressSize}:${is64}`;
  const known = decodedExpressions.get(expr);
  if (known && known.key === key) return known;
  const ops = decodeExpression(expr, { addressSize, is64 }, placeOf(ctx));
  const byOffset = new Map<number, number>();
  ops.forEach((op, i) => byOffset.set(op.offset, i));
  const entry = { key, ops, byOffset };
  decodedExpressions.set(expr, entry);
  return entry;
}

/** Where the expression is from, for its errors. */
function placeOf(ctx: ExprContext): ExprPlace {
  return ctx.place ?? (ctx.where !== undefined ? { ...NO_EXPR_PLACE, where: { file: ctx.where } } : NO_EXPR_PLACE);
}

function run(expr: Uint8Array, ctx: ExprContext): Location {
  const place = placeOf(ctx);
  const { ops, byOffset } = decoded(expr, ctx);
  const stack: bigint[] = [...(ctx.initialStack ?? [])];
  const pieces: Piece[] = [];
  let pending: SimpleLocation | undefined;

  const fail = (op: DecodedOp, msg: string): DwarfError =>
    new DwarfError("DWARF_BAD_EXPRESSION", place.where, `${place.what}: ${opName(op.code)} at byte ${op.offset}: ${msg} (expression: ${formatExpression(expr)})`);
  const pop = (op: DecodedOp): bigint => {
    const v = stack.pop();
    if (v === undefined) throw fail(op, "stack underflow");
    return v;
  };
  const num = (o: unknown): bigint => (typeof o === "bigint" ? o : 0n);
  const reg = (r: number): bigint => {
    const v = ctx.readRegister?.(r);
    if (v === undefined) throw new Unavailable(`register ${dwarfRegisterName(r)} is not available`);
    return v;
  };
  const mem = (addr: bigint, size: number): bigint => {
    const v = ctx.readMemory?.(addr, size);
    if (v === undefined) throw new Unavailable(`memory at 0x${addr.toString(16)} cannot be read`);
    return v;
  };
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Unavailable(what);
    return v;
  };

  let pc = 0;
  let steps = 0;
  while (pc < ops.length) {
    const op = ops[pc]!;
    if (++steps > 100_000) throw fail(op, "expression does not terminate (more than 100000 steps)");
    const [a, b] = op.operands;
    let next = pc + 1;
    const c = op.code;
    if (pending && c !== OP.piece && c !== OP.bit_piece) {
      throw fail(op, "operation after a register, stack_value or implicit_value location that is not DW_OP_piece");
    }
    if (c >= OP.lit0 && c <= OP.lit31) stack.push(BigInt(c - OP.lit0));
    else if (c >= OP.reg0 && c <= OP.reg31) pending = { kind: "register", reg: c - OP.reg0 };
    else if (c >= OP.breg0 && c <= OP.breg31) stack.push(u64(reg(c - OP.breg0) + num(a)));
    else {
      switch (c) {
        case OP.addr:
          stack.push(u64(num(a) + (ctx.addressBias ?? 0n)));
          break;
        case OP.const1u: case OP.const2u: case OP.const4u: case OP.const8u: case OP.constu:
          stack.push(num(a));
          break;
        case OP.const1s: case OP.const2s: case OP.const4s: case OP.const8s: case OP.consts:
          stack.push(u64(num(a)));
          break;
        case OP.addrx: case OP.GNU_addr_index:
          if (!ctx.addrx) throw fail(op, "no .debug_addr available to resolve the index");
          stack.push(u64(ctx.addrx(Number(num(a))) + (ctx.addressBias ?? 0n)));
          break;
        case OP.constx: case OP.GNU_const_index:
          if (!ctx.addrx) throw fail(op, "no .debug_addr available to resolve the index");
          stack.push(ctx.addrx(Number(num(a))));
          break;
        case OP.dup: { const v = pop(op); stack.push(v, v); break; }
        case OP.drop: pop(op); break;
        case OP.over: {
          if (stack.length < 2) throw fail(op, "stack underflow");
          stack.push(stack[stack.length - 2]!);
          break;
        }
        case OP.pick: {
          const i = Number(num(a));
          if (i >= stack.length) throw fail(op, `pick index ${i} is beyond the stack depth ${stack.length}`);
          stack.push(stack[stack.length - 1 - i]!);
          break;
        }
        case OP.swap: { const x = pop(op); const y = pop(op); stack.push(x, y); break; }
        case OP.rot: { const x = pop(op); const y = pop(op); const z = pop(op); stack.push(x, z, y); break; }
        case OP.deref: stack.push(mem(pop(op), ctx.addressSize ?? 8)); break;
        case OP.deref_size: case OP.deref_type: case OP.GNU_deref_type:
          if (Number(num(a)) > 8) throw new Unavailable(WIDE_TYPED);
          stack.push(mem(pop(op), Number(num(a))));
          break;
        case OP.abs: { const v = s64(pop(op)); stack.push(u64(v < 0n ? -v : v)); break; }
        case OP.neg: stack.push(u64(-s64(pop(op)))); break;
        case OP.not: stack.push(u64(~pop(op))); break;
        case OP.plus_uconst: stack.push(u64(pop(op) + num(a))); break;
        case OP.and: case OP.or: case OP.xor: case OP.plus: case OP.minus: case OP.mul: case OP.div: case OP.mod:
        case OP.shl: case OP.shr: case OP.shra: case OP.eq: case OP.ne: case OP.lt: case OP.le: case OP.gt: case OP.ge: {
          const y = pop(op);
          const x = pop(op);
          stack.push(binary(c, x, y, () => fail(op, "division by zero")));
          break;
        }
        case OP.skip:
          next = jump(op, num(a));
          break;
        case OP.bra:
          if (pop(op) !== 0n) next = jump(op, num(a));
          break;
        case OP.regx: pending = { kind: "register", reg: Number(num(a)) }; break;
        case OP.bregx: stack.push(u64(reg(Number(num(a))) + num(b))); break;
        case OP.fbreg: {
          const fb = need(ctx.frameBase?.(), "the frame base is not available");
          stack.push(u64(fb + num(a)));
          break;
        }
        case OP.call_frame_cfa: stack.push(need(ctx.callFrameCfa?.(), "the canonical frame address (CFA) is not available")); break;
        case OP.form_tls_address: case OP.GNU_push_tls_address: {
          const off = pop(op);
          stack.push(need(ctx.tlsAddress?.(off), "thread-local storage addresses are not available here"));
          break;
        }
        case OP.push_object_address: stack.push(need(ctx.objectAddress, "no object address for DW_OP_push_object_address")); break;
        case OP.nop: break;
        case OP.stack_value: pending = { kind: "value", value: pop(op) }; break;
        case OP.implicit_value: pending = { kind: "implicit", bytes: a as Uint8Array }; break;
        case OP.implicit_pointer: case OP.GNU_implicit_pointer:
          pending = { kind: "unavailable", reason: "the pointer was optimized out (it points to a value with no address: DW_OP_implicit_pointer)" };
          break;
        case OP.entry_value: case OP.GNU_entry_value: {
          const sub = a as Uint8Array;
          const v = ctx.entryValue?.(sub);
          if (v === undefined) throw new Unavailable(`the value on entry to the function (DW_OP_entry_value ${formatExpression(sub)}) cannot be recovered at this point`);
          stack.push(v);
          break;
        }
        case OP.regval_type: case OP.GNU_regval_type:
          // A typed value of a vector or x87 register is a float the 64-bit stack cannot compute with.
          if (Number(num(a)) > 16) throw new Unavailable(WIDE_TYPED);
          stack.push(reg(Number(num(a))));
          break;
        case OP.const_type: case OP.GNU_const_type:
          if ((b as Uint8Array).length > 8) throw new Unavailable(WIDE_TYPED);
          stack.push(bytesToBigint(b as Uint8Array));
          break;
        case OP.convert: case OP.GNU_convert: case OP.reinterpret: case OP.GNU_reinterpret: break;
        case OP.GNU_uninit: break;
        case OP.piece: case OP.bit_piece: {
          const bits = c === OP.piece ? Number(num(a)) * 8 : Number(num(a));
          const bitOffset = c === OP.bit_piece ? Number(num(b)) : 0;
          let loc: SimpleLocation;
          if (pending) loc = pending;
          else if (stack.length > 0) loc = { kind: "memory", address: stack.pop()! };
          else loc = { kind: "unavailable", reason: "optimized out" };
          pieces.push({ bitSize: bits, bitOffset, location: loc });
          pending = undefined;
          break;
        }
        default:
          throw fail(op, "operation is not supported by jitdbg's DWARF evaluator");
      }
    }
    pc = next;
  }
  if (pieces.length > 0) return { kind: "pieces", pieces };
  if (pending) return pending;
  const top = stack[stack.length - 1];
  if (top === undefined) return { kind: "unavailable", reason: "optimized out" };
  return { kind: "memory", address: top };

  function jump(op: DecodedOp, delta: bigint): number {
    const target = op.next + Number(delta);
    if (target === expr.length) return ops.length;
    const i = byOffset.get(target);
    if (i === undefined) throw fail(op, `branch target byte ${target} is not the start of an operation`);
    return i;
  }
}

function binary(code: number, x: bigint, y: bigint, divZero: () => Error): bigint {
  const b = (v: boolean): bigint => (v ? 1n : 0n);
  switch (code) {
    case OP.and: return x & y;
    case OP.or: return x | y;
    case OP.xor: return x ^ y;
    case OP.plus: return u64(x + y);
    case OP.minus: return u64(x - y);
    case OP.mul: return u64(x * y);
    case OP.div:
      if (y === 0n) throw divZero();
      return u64(s64(x) / s64(y));
    case OP.mod:
      if (y === 0n) throw divZero();
      return x % y;
    case OP.shl: return y >= 64n ? 0n : u64(x << y);
    case OP.shr: return y >= 64n ? 0n : x >> y;
    case OP.shra: return u64(s64(x) >> (y >= 64n ? 63n : y));
    case OP.eq: return b(s64(x) === s64(y));
    case OP.ne: return b(s64(x) !== s64(y));
    case OP.lt: return b(s64(x) < s64(y));
    case OP.le: return b(s64(x) <= s64(y));
    case OP.gt: return b(s64(x) > s64(y));
    case OP.ge: return b(s64(x) >= s64(y));
    default: return 0n;
  }
}
