/**
 * C tokens for the debug console. Identifiers may start with `$` (registers, persistent variables,
 * results `$1`); literals keep what C's typing rules need (suffixes, radix, float vs double).
 */
import { parseFloatText, type Extended } from "../values/extended.js";
import { exprError } from "./errors.js";

export type TokenKind = "ident" | "keyword" | "int" | "float" | "char" | "string" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based offset in the source. */
  pos: number;
  /** int/char: the value; */
  intValue?: bigint;
  /** int: suffix letters lowercased ("", "u", "l", "ul", "ll", "ull"); */
  suffix?: string;
  /** int: written in hex or octal (unsigned types are then candidates, C11 6.4.4.1). */
  nonDecimal?: boolean;
  floatValue?: number;
  /** float: `f` suffix. */
  single?: boolean;
  /** float: `l` suffix (long double); the value is then exact in `extended`. */
  extended?: Extended;
  /** float: GNU C's `i`/`j` suffix, an imaginary constant. */
  imaginary?: boolean;
  /** string: the bytes, without the terminating NUL. */
  bytes?: Uint8Array;
}

/** C's keywords as the front end knows them (also offered as completions). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool", "struct", "union", "enum",
  "const", "volatile", "restrict", "sizeof", "_Alignof", "__alignof__", "return", "if", "else", "while", "for", "do",
  "break", "continue", "switch", "case", "default", "typedef", "static", "extern", "register", "auto", "inline", "_Complex", "__complex__", "__real__", "__imag__",
]);

// Longest first, so maximal munch is a simple prefix test.
const PUNCT = [
  "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%=",
  "&=", "^=", "|=", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "<", ">", "=", "?", ":", ",", ".", ";", "(", ")",
  "[", "]", "{", "}", "@",
];

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63, e: 27 };

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isIdStart = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24;
const isIdPart = (c: number): boolean => isIdStart(c) || isDigit(c);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const code = src.charCodeAt(i);
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code > 0x7f && /\s/.test(c))) { i++; continue; }
    if (src.startsWith("//", i)) { while (i < src.length && src[i] !== "\n") i++; continue; }
    if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw exprError("EXPR_SYNTAX", "unterminated comment", i);
      i = end + 2;
      continue;
    }
    const start = i;
    if (isIdStart(code)) {
      while (i < src.length && isIdPart(src.charCodeAt(i))) i++;
      const text = src.slice(start, i);
      out.push({ kind: KEYWORDS.has(text) ? "keyword" : "ident", text, pos: start });
      continue;
    }
    if (isDigit(code) || (code === 0x2e && isDigit(src.charCodeAt(i + 1)))) {
      out.push(lexNumber(src, start));
      i = start + out[out.length - 1]!.text.length;
      continue;
    }
    if (c === "'" || c === '"') {
      const bytes: number[] = [];
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === "\n") break;
        if (src[i] === "\\") {
          const [value, next] = escape(src, i);
          bytes.push(value);
          i = next;
        } else {
          for (const b of Buffer.from(src[i]!, "utf8")) bytes.push(b);
          i++;
        }
      }
      if (src[i] !== c) throw exprError("EXPR_SYNTAX", c === "'" ? "missing terminating ' character" : 'missing terminating " character', start);
      i++;
      if (c === "'") {
        if (bytes.length === 0) throw exprError("EXPR_SYNTAX", "empty character constant", start);
        // A char constant has type int; plain char is signed on x86-64, so '\xff' is -1.
        out.push({ kind: "char", text: src.slice(start, i), pos: start, intValue: BigInt.asIntN(8, BigInt(bytes[bytes.length - 1]!)) });
      } else {
        // Adjacent string literals concatenate.
        const prev = out[out.length - 1];
        if (prev?.kind === "string") {
          prev.bytes = new Uint8Array([...prev.bytes!, ...bytes]);
          prev.text = src.slice(prev.pos, i);
        } else out.push({ kind: "string", text: src.slice(start, i), pos: start, bytes: new Uint8Array(bytes) });
      }
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (!p) throw exprError("EXPR_SYNTAX", `unexpected character '${c}'`, i);
    out.push({ kind: "punct", text: p, pos: i });
    i += p.length;
  }
  out.push({ kind: "eof", text: "end of input", pos: src.length });
  return out;
}

function escape(src: string, at: number): [number, number] {
  const e = src[at + 1] ?? "";
  if (e === "x") {
    let j = at + 2;
    while (/[0-9a-fA-F]/.test(src[j] ?? "")) j++;
    if (j === at + 2) throw exprError("EXPR_SYNTAX", "\\x used with no following hex digits", at);
    return [parseInt(src.slice(at + 2, j), 16) & 0xff, j];
  }
  if (/[0-7]/.test(e)) {
    let j = at + 1;
    while (j < at + 4 && /[0-7]/.test(src[j] ?? "")) j++;
    return [parseInt(src.slice(at + 1, j), 8) & 0xff, j];
  }
  const v = SIMPLE_ESCAPES[e];
  if (v === undefined) throw exprError("EXPR_SYNTAX", `unknown escape sequence '\\${e}'`, at);
  return [v, at + 2];
}

function lexNumber(src: string, start: number): Token {
  // Most constants are plain decimal digits (no dot, exponent, suffix, or octal 0): read them without the pattern.
  let end = start;
  while (isDigit(src.charCodeAt(end))) end++;
  const after = src.charCodeAt(end);
  if (end > start && !isIdPart(after) && after !== 0x2e && (src.charCodeAt(start) !== 0x30 || end === start + 1)) {
    const text = src.slice(start, end);
    return { kind: "int", text, pos: start, intValue: BigInt(text), suffix: "", nonDecimal: false };
  }
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+\.?(?:[eE][+-]?[0-9]+)?|[0-9]+\.)([A-Za-z_0-9]*)/.exec(src.slice(start));
  if (!m) throw exprError("EXPR_SYNTAX", "invalid number", start);
  const body = m[1]!;
  const suffix = m[2]!.toLowerCase();
  const text = m[0];
  const isHex = /^0x/i.test(body);
  const isFloat = !isHex && /[.eE]/.test(body);
  // GNU C's imaginary constants: an `i` or `j` before or after the other suffix (`2.5i`, `1.5fi`, `3Li`).
  const imaginary = /^[ij][fl]?$|^[fl][ij]$/.test(suffix);
  const real = imaginary ? suffix.replace(/[ij]/, "") : suffix;
  if (isFloat) {
    if (real !== "" && real !== "f" && real !== "l") throw exprError("EXPR_SYNTAX", `invalid suffix '${m[2]}' on floating constant`, start + body.length);
    const extended = real === "l" ? parseFloatText(body) : undefined;
    return { kind: "float", text, pos: start, floatValue: Number(body), single: real === "f", ...(extended ? { extended } : {}), ...(imaginary ? { imaginary } : {}) };
  }
  if (imaginary) throw exprError("EXPR_UNSUPPORTED", `'${text}' is an imaginary constant of type '_Complex int', and complex integer types are not supported; write a floating one ('${body}.0${m[2]}')`, start);
  if (!/^(u|l|ul|lu|ll|ull|llu)?$/.test(suffix)) throw exprError("EXPR_SYNTAX", `invalid suffix '${m[2]}' on integer constant`, start + body.length);
  const octal = !isHex && body.length > 1 && body.startsWith("0");
  if (octal && /[89]/.test(body)) throw exprError("EXPR_SYNTAX", `invalid digit in octal constant`, start);
  const value = isHex ? BigInt(body) : octal ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  const norm = suffix.includes("u") ? `u${suffix.replace("u", "")}` : suffix;
  return { kind: "int", text, pos: start, intValue: value, suffix: norm === "u" ? "u" : norm === "ul" || norm === "ulu" ? "ul" : norm === "ull" ? "ull" : norm, nonDecimal: isHex || octal };
}
