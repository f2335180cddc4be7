/**
 * Values of the inferior as the debugger shows them: a DWARF type plus where the bytes are
 * (memory, a register, or computed bytes), formatted the way C debuggers print them, with children
 * for structs, arrays and pointers, and written back when the user sets a scalar. This model sits
 * below both the expression front end (src/expr: its interpreter reads through it) and the
 * debugger (src/debugger: variables, hover, watch), so neither reaches up into the other.
 */
import { JitdbgError } from "../errors.js";
import type { DwarfType, Member } from "../dwarf/index.js";
import { ArrayType, BaseType, EnumType, PointerType, StructType } from "../dwarf/index.js";
import { DOUBLE, EXTENDED, FLOAT, INDEFINITE, decodeExtended, encodeExtended, formatExtended, isZero, negate, parseFloatText, toNumber } from "./extended.js";

/** The one operation reading a value needs: bytes at an address. */
export interface MemoryReader {
  /** Bytes at an address, or undefined when any of them is unreadable. */
  read(address: bigint, size: number): Uint8Array | undefined;
}

export interface Memory extends MemoryReader {
  write(address: bigint, data: Uint8Array): void;
  /** `name` or `name+0x10` for an address inside a known symbol, for pointer display. */
  symbolAt(address: bigint): string | undefined;
}

export type ValueLocation =
  | { kind: "memory"; address: bigint }
  | {
      kind: "bytes";
      bytes: Uint8Array;
      /** Writes the register (or other storage) the bytes came from: `bytes` at byte `offset` of the value (0 when omitted). */
      store?: (bytes: Uint8Array, offset?: number) => void;
      /** Without a store: why the value cannot be written (it has no home). */
      readOnly?: string;
      /**
       * Bits of `bytes` the program no longer has, as [start, end) bit ranges: pieces of a composite
       * location with nothing in them (an -O2 array element or member the compiler dropped). A read
       * that needs them is `<optimized out>`; the rest of the value reads as usual.
       */
      missing?: readonly { start: number; end: number }[];
    }
  | { kind: "error"; message: string };

export interface Value {
  type: DwarfType;
  location: ValueLocation;
  /** For bit-fields: which bits of the bytes hold the value. */
  bits?: { offset: number; size: number };
}

export interface FormatOptions {
  hex?: boolean;
}

const MAX_STRING = 200;
const MAX_SUMMARY_ITEMS = 8;

/** The type without typedefs and qualifiers. */
export function strip(t: DwarfType): DwarfType {
  return t.stripped;
}

export function sizeOf(t: DwarfType): number {
  return t.byteSize ?? 0;
}

/** The value's bytes (size of its type), or an error string. */
export function readBytes(mem: MemoryReader, v: Value, size = sizeOf(v.type)): Uint8Array | string {
  return readLocation(mem, v.location, size, v.bits);
}

/** `size` bytes at a location, or an error string; `bits`: only those bits are needed (a bit-field's). */
export function readLocation(mem: MemoryReader, location: ValueLocation, size: number, bits?: { offset: number; size: number }): Uint8Array | string {
  switch (location.kind) {
    case "error":
      return location.message;
    case "bytes": {
      const from = bits ? bits.offset : 0;
      const to = bits ? bits.offset + bits.size : size * 8;
      if (location.missing?.some((r) => r.start < to && r.end > from)) return "optimized out";
      return location.bytes.subarray(0, Math.max(size, 0));
    }
    case "memory": {
      const b = mem.read(location.address, size);
      return b ?? `<unreadable memory at 0x${location.address.toString(16)}>`;
    }
  }
}

/**
 * Little-endian unsigned bytes as an integer. A word or less is read as one number: the loop
 * made three BigInts a byte, the most of reading a variable or a saved register at a new stop.
 */
export function unsignedLE(bytes: Uint8Array): bigint {
  const n = bytes.length;
  if (n === 8) return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n <= 6) {
    let x = 0;
    for (let i = n - 1; i >= 0; i--) x = x * 256 + bytes[i]!;
    return BigInt(x);
  }
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

const le = unsignedLE;

/** The scalar as an integer (signed per its type), honouring bit-fields. */
export function scalarOf(mem: MemoryReader, v: Value): bigint | string {
  const t = strip(v.type);
  const size = v.bits ? Math.ceil((v.bits.offset + v.bits.size) / 8) : sizeOf(t);
  const b = readBytes(mem, v, size);
  if (typeof b === "string") return b;
  let x = le(b);
  let width = size * 8;
  if (v.bits) {
    x = (x >> BigInt(v.bits.offset)) & ((1n << BigInt(v.bits.size)) - 1n);
    width = v.bits.size;
  }
  const signed = (t instanceof BaseType && t.isSigned) || (t instanceof EnumType && enumSigned(t));
  return signed && width > 0 ? BigInt.asIntN(width, x) : x;
}

function enumSigned(t: EnumType): boolean {
  const u = t.underlying ? strip(t.underlying) : undefined;
  return u instanceof BaseType ? u.isSigned : t.enumerators.some((e) => e.value < 0n);
}

export function isCharType(t: DwarfType): boolean {
  const s = strip(t);
  return s instanceof BaseType && s.byteSize === 1 && /char/.test(s.name);
}

/** A character as gdb shows it: C escapes, else octal (`200 '\310'`, `0 '\000'`). */
function charLiteral(code: number): string {
  const esc: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 39: "\\'", 92: "\\\\" };
  if (esc[code] !== undefined) return esc[code]!;
  if (code >= 32 && code < 127) return String.fromCharCode(code);
  return `\\${code.toString(8).padStart(3, "0")}`;
}

export function quoteString(bytes: Uint8Array, truncated: boolean): string {
  let s = "";
  for (const c of bytes) s += c === 34 ? '\\"' : c === 39 ? "'" : charLiteral(c);
  return `"${s}"${truncated ? "..." : ""}`;
}

/** Shortest decimal that reads back as the same float32. */
function floatText(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}

function doubleText(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
  return Object.is(x, -0) ? "-0" : String(x); // JS prints the shortest round-trip form
}

/** A float, double or (the nearest double to) a long double. */
export function floatOf(bytes: Uint8Array, size: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 4) return dv.getFloat32(0, true);
  if (size === 8) return dv.getFloat64(0, true);
  return toNumber(decodeExtended(bytes));
}

/** Whether a real floating value of `size` bytes is ±0 (a long double exactly, denormals are not 0). */
export function floatIsZero(bytes: Uint8Array, size: number): boolean {
  return size === 16 ? isZero(decodeExtended(bytes)) : floatOf(bytes, size) === 0;
}

/** The text of a real floating value of `size` bytes: long double exactly as gdb prints it. */
function realText(bytes: Uint8Array, size: number): string {
  if (size === 4) return floatText(floatOf(bytes, 4));
  if (size === 8) return doubleText(floatOf(bytes, 8));
  return formatExtended(decodeExtended(bytes));
}

function hex(x: bigint, size: number): string {
  return `0x${BigInt.asUintN(Math.max(size, 1) * 8, x).toString(16)}`;
}

/** The one-line text of a value. */
export function formatValue(mem: Memory, v: Value, opts: FormatOptions = {}, depth = 0): string {
  if (v.location.kind === "error") return `<${v.location.message}>`;
  const t = strip(v.type);
  if (t instanceof BaseType) {
    if (t.isFloat) {
      const b = readBytes(mem, v);
      if (typeof b === "string") return `<${b}>`;
      return realText(b, t.byteSize);
    }
    if (t.isComplex) {
      // gdb's `1 + 2i`, `1.5 + -2.25i`: each part as its real type prints.
      const b = readBytes(mem, v);
      if (typeof b === "string") return `<${b}>`;
      const half = t.byteSize / 2;
      return `${realText(b.subarray(0, half), half)} + ${realText(b.subarray(half), half)}i`;
    }
    const x = scalarOf(mem, v);
    if (typeof x === "string") return `<${x}>`;
    if (t.isBool) return x === 0n ? "false" : x === 1n ? "true" : String(x);
    if (opts.hex) return hex(x, t.byteSize);
    if (isCharType(t)) return `${x} '${charLiteral(Number(BigInt.asUintN(8, x)))}'`;
    return String(x);
  }
  if (t instanceof EnumType) {
    const x = scalarOf(mem, v);
    if (typeof x === "string") return `<${x}>`;
    const e = t.enumerators.find((en) => en.value === x);
    if (e) return e.name;
    if (opts.hex) return hex(x, sizeOf(t));
    return flagsText(t, x) ?? String(x);
  }
  if (t instanceof PointerType) {
    const x = scalarOf(mem, v);
    if (typeof x === "string") return `<${x}>`;
    const text = hex(x, 8);
    if (x === 0n) return text;
    if (isCharType(t.target)) return `${text} ${readCString(mem, x)}`;
    const sym = mem.symbolAt(x);
    return sym ? `${text} <${sym}>` : text;
  }
  if (t instanceof ArrayType) {
    if (isCharType(t.element) && t.dimensions.length === 1) {
      const n = t.dimensions[0] ?? 0;
      const b = readBytes(mem, v, Math.min(n, MAX_STRING + 1));
      if (typeof b === "string") return `<${b}>`;
      const nul = b.indexOf(0);
      return quoteString(nul >= 0 ? b.subarray(0, nul) : b.subarray(0, MAX_STRING), nul < 0 && n > MAX_STRING);
    }
    if (depth > 1) return "{...}";
    const kids = children(v, 0, MAX_SUMMARY_ITEMS);
    const total = arrayLength(t);
    const items = kids.map((k) => formatValue(mem, k.value, opts, depth + 1));
    return `{${items.join(", ")}${total !== undefined && total > kids.length ? ", ..." : ""}}`;
  }
  if (t instanceof StructType) {
    if (t.isDeclaration) return `<incomplete type ${t.name}>`;
    if (depth > 1) return "{...}";
    const kids = children(v);
    const shown = kids.slice(0, MAX_SUMMARY_ITEMS).map((k) => `${k.name} = ${formatValue(mem, k.value, opts, depth + 1)}`);
    return `{${shown.join(", ")}${kids.length > MAX_SUMMARY_ITEMS ? ", ..." : ""}}`;
  }
  if (t.kind === "function") return v.location.kind === "memory" ? `${hex(v.location.address, 8)}${symbolSuffix(mem, v.location.address)}` : "<function>";
  if (t.kind === "void") return "void";
  return `<${t.name}>`;
}

function symbolSuffix(mem: Memory, address: bigint): string {
  const s = mem.symbolAt(address);
  return s ? ` <${s}>` : "";
}

export function readCString(mem: Memory, address: bigint, max = MAX_STRING): string {
  const out: number[] = [];
  for (let at = address; out.length < max; ) {
    const chunk = Math.min(64, max - out.length);
    let b = mem.read(at, chunk);
    if (!b) {
      // The string may end just before an unmapped page: read byte by byte near the edge.
      b = mem.read(at, 1);
      if (!b) return out.length === 0 ? `<unreadable 0x${address.toString(16)}>` : quoteString(Uint8Array.from(out), true);
    }
    const nul = b.indexOf(0);
    if (nul >= 0) {
      out.push(...b.subarray(0, nul));
      return quoteString(Uint8Array.from(out), false);
    }
    out.push(...b);
    at += BigInt(b.length);
  }
  return quoteString(Uint8Array.from(out), true);
}

export function arrayLength(t: ArrayType): number | undefined {
  return t.dimensions[0];
}

export interface NamedValue {
  name: string;
  value: Value;
}

/**
 * A value of a flag enum (every enumerator 0 or one bit, none negative: gdb's rule) as the
 * enumerators whose bits it has, in declaration order, and the bits none names:
 * `(F_A | F_C | unknown: 0x20)`. Undefined for other enums and for 0.
 */
function flagsText(t: EnumType, x: bigint): string | undefined {
  if (x <= 0n || !t.enumerators.every((e) => e.value >= 0n && (e.value & (e.value - 1n)) === 0n)) return undefined;
  const names: string[] = [];
  let rest = x;
  for (const e of t.enumerators) {
    if (e.value !== 0n && (rest & e.value) !== 0n) {
      names.push(e.name);
      rest &= ~e.value;
    }
  }
  if (rest !== 0n) names.push(`unknown: 0x${rest.toString(16)}`);
  return `(${names.join(" | ")})`;
}

/** Whether the value has children to expand. */
export function hasChildren(v: Value): boolean {
  const t = strip(v.type);
  if (t instanceof StructType) return !t.isDeclaration;
  if (t instanceof ArrayType) return (arrayLength(t) ?? 0) > 0;
  if (t instanceof PointerType) {
    const target = strip(t.target);
    return target.kind !== "void" && target.kind !== "function" && (target.byteSize ?? 0) > 0;
  }
  return false;
}

/** Number of indexed children (arrays), for paging. */
export function indexedCount(v: Value): number | undefined {
  const t = strip(v.type);
  return t instanceof ArrayType ? arrayLength(t) ?? 0 : undefined;
}

function offsetValue(v: Value, type: DwarfType, byteOffset: number): Value {
  const loc = v.location;
  if (loc.kind === "memory") return { type, location: { kind: "memory", address: loc.address + BigInt(byteOffset) } };
  if (loc.kind === "bytes") {
    const size = type.byteSize ?? 0;
    const store = loc.store;
    return {
      type,
      location: {
        kind: "bytes",
        bytes: loc.bytes.subarray(byteOffset, byteOffset + size),
        // Only the member's bytes are written: the rest of the value may have changed since it was read.
        store: store ? (b, offset = 0) => store(b, byteOffset + offset) : undefined,
        readOnly: loc.readOnly,
        ...(loc.missing ? { missing: shiftedMissing(loc.missing, byteOffset, size) } : {}),
      },
    };
  }
  return { type, location: loc };
}

/** Missing bit ranges of a value, seen from `byteOffset` for `size` bytes. */
export function shiftedMissing(missing: readonly { start: number; end: number }[], byteOffset: number, size: number): { start: number; end: number }[] {
  return missing.map((r) => ({ start: r.start - byteOffset * 8, end: r.end - byteOffset * 8 })).filter((r) => r.end > 0 && r.start < size * 8);
}

function memberValue(v: Value, m: Member): Value {
  if (m.bitSize !== undefined) {
    // Bit-field offsets count from the start of the struct (the DWARF reader normalizes v4 and v5).
    const bitOffset = m.bitOffset ?? (m.byteOffset ?? 0) * 8;
    const val = offsetValue(v, m.type, Math.floor(bitOffset / 8));
    return { ...val, bits: { offset: bitOffset % 8, size: m.bitSize } };
  }
  return offsetValue(v, m.type, m.byteOffset ?? 0);
}

/** Children: struct members, array elements (a page of them), or a pointer's target. */
export function children(v: Value, start = 0, count?: number, mem?: Memory): NamedValue[] {
  const t = strip(v.type);
  if (t instanceof StructType) {
    return t.members.map((m, i) => ({ name: m.name ?? `<anonymous ${strip(m.type).kind} ${i}>`, value: memberValue(v, m) }));
  }
  if (t instanceof ArrayType) {
    const n = arrayLength(t) ?? 0;
    const elem = t.indexed;
    const size = elem.byteSize ?? 0;
    const end = Math.min(n, count === undefined ? n : start + count);
    const out: NamedValue[] = [];
    for (let i = start; i < end; i++) out.push({ name: `[${i}]`, value: offsetValue(v, elem, i * size) });
    return out;
  }
  if (t instanceof PointerType && mem) {
    const p = scalarOf(mem, v);
    if (typeof p === "string") return [];
    if (p === 0n) return [];
    return [{ name: "*", value: { type: t.target, location: { kind: "memory", address: p } } }];
  }
  return [];
}

/** Parses the user's text for a scalar of this type and writes it where the value lives; returns the bytes written (from the value's start). */
export function assign(mem: Memory, v: Value, text: string): Uint8Array {
  const t = strip(v.type);
  const size = sizeOf(t);
  let bytes: Uint8Array;
  if (t instanceof BaseType && t.isFloat) {
    bytes = floatBytes(text, size, v.type.name);
  } else if (t instanceof BaseType && t.isComplex) {
    bytes = complexBytes(text, size, v.type.name);
  } else if (t instanceof BaseType || t instanceof EnumType || t instanceof PointerType) {
    const x = parseInteger(text, t);
    if (v.bits) {
      const cur = readBytes(mem, v, Math.ceil((v.bits.offset + v.bits.size) / 8));
      if (typeof cur === "string") throw new JitdbgError("VALUE_UNREADABLE", cur);
      const mask = ((1n << BigInt(v.bits.size)) - 1n) << BigInt(v.bits.offset);
      const word = (le(cur) & ~mask) | ((BigInt.asUintN(v.bits.size, x) << BigInt(v.bits.offset)) & mask);
      bytes = toBytes(word, cur.length);
    } else bytes = toBytes(x, size);
  } else {
    throw new JitdbgError("VALUE_NOT_SCALAR", `cannot set a value of type ${v.type.name} from text; set its members one by one`);
  }
  store(mem, v, bytes);
  return bytes;
}

/** The bytes of a real floating value typed as text: a C constant, `inf`, `nan`, with a sign; long double exactly. */
function floatBytes(text: string, size: number, typeName: string): Uint8Array {
  const s = text.trim().replace(/([0-9.])[fFlL]$/, "$1"); // a C suffix, not the f of inf
  const neg = s.startsWith("-");
  const body = s.replace(/^[+-]/, "").toLowerCase();
  const fmt = size === 16 ? EXTENDED : size === 8 ? DOUBLE : FLOAT; // one rounding, into the type itself
  const x = body === "inf" || body === "infinity" ? { k: "inf" as const, neg: false } : body === "nan" ? { ...INDEFINITE, neg: false } : parseFloatText(body, fmt);
  if (!x) throw new JitdbgError("VALUE_PARSE", `'${text}' is not a number for type ${typeName} (write it as a C constant: 1.5, -2e10, 0x1p-3, inf, nan)`);
  const value = neg ? negate(x) : x;
  if (size === 16) return encodeExtended(value);
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  if (size === 4) dv.setFloat32(0, toNumber(value, FLOAT), true);
  else dv.setFloat64(0, toNumber(value, DOUBLE), true);
  return bytes;
}

const NUMBER = String.raw`[+-]?(?:inf(?:inity)?|nan|0x[0-9a-f]*\.?[0-9a-f]*p[+-]?\d+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)`;
const COMPLEX_TEXT = new RegExp(String.raw`^\s*(?:(${NUMBER})\s*(?:([+-])\s*(${NUMBER})\s*i)?|(${NUMBER})\s*i)\s*$`, "i");

/** A complex value typed as gdb prints one: `1.5 + -2i`, `1 - 2i`, `3`, `2.5i`. */
function complexBytes(text: string, size: number, typeName: string): Uint8Array {
  const m = COMPLEX_TEXT.exec(text);
  if (!m) throw new JitdbgError("VALUE_PARSE", `'${text}' is not a value of type ${typeName} (write it as gdb prints one: 1.5 + -2i, 1 - 2i, 3, 2.5i)`);
  const half = size / 2;
  const re = m[1] ?? "0";
  // `a - bi` negates b (which may carry its own sign: `1 - -2i` is 1 + 2i).
  const im = m[4] ?? (m[3] === undefined ? "0" : m[2] === "-" ? (m[3].startsWith("-") ? m[3].slice(1) : `-${m[3].replace(/^\+/, "")}`) : m[3]);
  const bytes = new Uint8Array(size);
  bytes.set(floatBytes(re, half, typeName), 0);
  bytes.set(floatBytes(im, half, typeName), half);
  return bytes;
}

export function store(mem: Memory, v: Value, bytes: Uint8Array): void {
  const loc = v.location;
  if (loc.kind === "memory") mem.write(loc.address, bytes);
  else if (loc.kind === "bytes" && loc.store) loc.store(bytes);
  else if (loc.kind === "bytes" && loc.readOnly) throw new JitdbgError("VALUE_READ_ONLY", `this value cannot be set: ${loc.readOnly}`);
  else throw new JitdbgError("VALUE_READ_ONLY", "this value is computed by the compiler (optimized out or constant) and cannot be set");
}

export function toBytes(x: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let y = BigInt.asUintN(size * 8, x);
  for (let i = 0; i < size; i++) {
    out[i] = Number(y & 0xffn);
    y >>= 8n;
  }
  return out;
}

function parseInteger(text: string, t: DwarfType): bigint {
  const s = text.trim();
  if (t instanceof EnumType) {
    const e = t.enumerators.find((en) => en.name === s);
    if (e) return e.value;
  }
  if (/^'(\\.|[^\\'])'$/.test(s)) {
    const body = s.slice(1, -1);
    const esc: Record<string, number> = { "\\n": 10, "\\t": 9, "\\0": 0, "\\r": 13, "\\\\": 92, "\\'": 39 };
    return BigInt(esc[body] ?? body.charCodeAt(body.length - 1));
  }
  if (s === "true") return 1n;
  if (s === "false") return 0n;
  const m = /^([+-]?)(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)[ul]*$/i.exec(s);
  if (!m) throw new JitdbgError("VALUE_PARSE", `'${text}' is not an integer${t instanceof EnumType ? " or an enumerator of " + t.name : ""}`);
  const body = m[2]!;
  const n = /^0[0-7]+$/.test(body) ? BigInt("0o" + body.slice(1)) : BigInt(body);
  return m[1] === "-" ? -n : n;
}
