/**
 * Disassembly of any address range with capstone-wasm (Intel syntax), labelled with symbol+offset
 * and interleaved with the source line each instruction belongs to.
 */
import { createRequire } from "node:module";
import type { Capstone } from "capstone-wasm";
import type { ImageInfo } from "../image-info.js";

export interface DisassembledInstruction {
  address: bigint;
  bytes: Uint8Array;
  /** "mov rbp, rsp", or "<unreadable>" / "(bad)" where nothing can be decoded. */
  text: string;
  /** "main+0x12" */
  symbol?: string;
  /** Set on the first instruction of each source line. */
  source?: { file: string; line: number };
  readable: boolean;
}

let engine: Capstone | undefined;
let loading: Promise<Capstone> | undefined;

/**
 * The engine, loaded on first use: the module (required only then) and its 1.7 MB of WebAssembly
 * take ~15 ms, which no session should pay before its first stop unless it needs them.
 */
function capstone(): Promise<Capstone> {
  if (engine) return Promise.resolve(engine);
  loading ??= (async () => {
    // required where it is first needed (a CommonJS package: the same module the bundles load)
    const cs = createRequire(import.meta.url)("capstone-wasm") as typeof import("capstone-wasm");
    await cs.loadCapstone();
    engine = new cs.Capstone(cs.Const.CS_ARCH_X86, cs.Const.CS_MODE_64);
    return engine;
  })();
  // A failed load is tried again by the next caller, as it was before the promise was kept.
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * The disassembler's preload waits for this long a quiet spell (no client request: see
 * postponePreload), unless something needs it sooner.
 */
const PRELOAD_QUIET_MS = 100;
let preloadTimer: NodeJS.Timeout | undefined;

/** One decoded instruction of `decodeInstructions`. */
export interface DecodedInstruction {
  address: bigint;
  bytes: Uint8Array;
  /** With its prefixes: "call", "notrack jmp". */
  mnemonic: string;
  opStr: string;
}

/** The instructions in `bytes` (code at `address`), in order, up to the first one that cannot be decoded. */
export async function decodeInstructions(bytes: Uint8Array, address: bigint): Promise<DecodedInstruction[]> {
  return decodeWith(await capstone(), bytes, address);
}

/**
 * Loads the disassembler when the debugger is idle, so that decodeLoaded can answer when it is
 * needed: PRELOAD_QUIET_MS after the last client request (postponePreload), which keeps it off a
 * session's way to its first stop and off the requests answered at a stop. What needs it sooner
 * — a condition to compile, a disassembly, a step over a line's exits — loads it at once.
 */
export function preloadDisassembler(): void {
  if (engine || loading || preloadTimer) return;
  preloadTimer = setTimeout(() => {
    preloadTimer = undefined;
    void capstone();
  }, PRELOAD_QUIET_MS).unref();
}

/** A client request arrived: a preload still waiting waits for the next quiet spell. */
export function postponePreload(): void {
  preloadTimer?.refresh();
}

/** Loads the disassembler (once), for code that will need decodeLoaded while the program runs. */
export async function loadDisassembler(): Promise<void> {
  await capstone();
}

/** Whether decodeLoaded can answer now. */
export function disassemblerLoaded(): boolean {
  return engine !== undefined;
}

/** decodeInstructions for callers that cannot wait: undefined while the disassembler is still loading. */
export function decodeLoaded(bytes: Uint8Array, address: bigint): DecodedInstruction[] | undefined {
  return engine && decodeWith(engine, bytes, address);
}

function decodeWith(cs: Capstone, bytes: Uint8Array, address: bigint): DecodedInstruction[] {
  return disasmSome(cs, bytes, address).map((i) => ({ address: BigInt(i.address), bytes: i.bytes, mnemonic: i.mnemonic, opStr: i.opStr }));
}

/**
 * Capstone's instructions in `bytes`, up to the first that cannot be decoded: none when the first
 * cannot (capstone-wasm throws then, "Failed to disassemble, error: OK", which is no error here).
 */
function disasmSome(cs: Capstone, bytes: Uint8Array, address: bigint, count?: number): ReturnType<Capstone["disasm"]> {
  if (bytes.length === 0) return [];
  try {
    return cs.disasm(bytes, { address, count });
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("Failed to disassemble")) return [];
    throw e;
  }
}

export interface CodeReader {
  read(address: bigint, size: number): Uint8Array | undefined;
  imageFor(address: bigint): ImageInfo | undefined;
}

/**
 * Decodes `count` instructions starting at `address` (and none at or past `until`, when given);
 * unreadable bytes become placeholder rows.
 */
export async function disassemble(reader: CodeReader, address: bigint, count: number, until?: bigint): Promise<DisassembledInstruction[]> {
  const cs = await capstone();
  const out: DisassembledInstruction[] = [];
  let at = address;
  let lastLine: string | undefined;
  while (out.length < count && (until === undefined || at < until)) {
    const chunk = reader.read(at, 256) ?? readPartial(reader, at, 256);
    if (!chunk || chunk.length === 0) {
      out.push({ address: at, bytes: new Uint8Array(0), text: "<unreadable>", readable: false });
      at += 1n;
      continue;
    }
    const insns = disasmSome(cs, chunk, at, count - out.length);
    if (insns.length === 0) {
      out.push({ address: at, bytes: chunk.subarray(0, 1), text: `(bad) .byte 0x${chunk[0]!.toString(16).padStart(2, "0")}`, readable: true });
      at += 1n;
      continue;
    }
    for (const i of insns) {
      const addr = BigInt(i.address);
      const image = reader.imageFor(addr);
      const src = image?.sourceAt(addr);
      const key = src ? `${src.file}:${src.line}` : undefined;
      const entry: DisassembledInstruction = {
        address: addr,
        bytes: i.bytes,
        text: `${i.mnemonic}${i.opStr ? " " + i.opStr : ""}`,
        symbol: image?.symbols.describe(addr),
        readable: true,
      };
      if (src && key !== lastLine) entry.source = { file: src.file, line: src.line };
      lastLine = key;
      out.push(entry);
      at = addr + BigInt(i.size);
      if (out.length >= count || (until !== undefined && at >= until)) break;
    }
  }
  return out;
}

function readPartial(reader: CodeReader, at: bigint, max: number): Uint8Array | undefined {
  // Near the end of a mapping: take what can be read.
  for (let n = max >> 1; n >= 1; n >>= 1) {
    const b = reader.read(at, n);
    if (b) return b;
  }
  return undefined;
}

/** How far before an address an anchor (a known instruction start) is searched for. */
const ANCHOR_REACH = 0x4000n;
/** The longest x86-64 instruction. */
const MAX_INSN = 15;

/**
 * `count` instructions starting `offset` instructions from `base` (negative: before it), as a
 * disassembly view scrolls. x86 cannot be decoded backwards, so the instructions before `base`
 * are decoded forward from an address known to start an instruction: the start of the symbol
 * holding `base`, when it is close enough; else each of the 15 addresses before the window is
 * tried and the first whose decoding lands exactly on `base` is taken. Rows that cannot be
 * recovered are placeholders, so the view always gets `count` rows in address order.
 */
export async function disassembleAround(reader: CodeReader, base: bigint, offset: number, count: number): Promise<DisassembledInstruction[]> {
  const before = Math.max(0, -offset);
  const out: DisassembledInstruction[] = [];
  if (before > 0) {
    const prior = await instructionsBefore(reader, base, before);
    // Placeholders for what could not be recovered go before the first row recovered, in address order.
    const first = prior[0]?.address ?? base;
    const missing = before - prior.length;
    for (let k = 0; k < missing; k++) out.push({ address: first - BigInt(missing - k), bytes: new Uint8Array(0), text: "??", readable: false });
    out.push(...prior);
  }
  const skip = Math.max(0, offset);
  const forward = await disassemble(reader, base, Math.max(0, count - out.length + skip));
  out.push(...forward.slice(skip));
  return out.slice(0, count);
}

/** Up to `n` whole instructions that end exactly at `base`, decoded from a known start. */
async function instructionsBefore(reader: CodeReader, base: bigint, n: number): Promise<DisassembledInstruction[]> {
  // Known starts: the symbol holding base and the ones before it (code before the function too),
  // nearest first; then each of the 15 addresses before a window wide enough for n instructions.
  const symbols = reader.imageFor(base)?.symbols;
  const starts: bigint[] = [];
  for (let at = base + 1n, k = 0; symbols && k < 16; k++) {
    const s = symbols.lookup(at - 1n);
    if (!s || s.address >= at || base - s.address > ANCHOR_REACH) break;
    if (s.address < base) starts.push(s.address);
    at = s.address;
  }
  const window = base - BigInt(n * MAX_INSN);
  for (let k = 0; k < MAX_INSN; k++) starts.push(window - BigInt(k));
  let best: DisassembledInstruction[] = [];
  for (const start of starts) {
    if (start < 0n) continue;
    const decoded = await disassemble(reader, start, Number(base - start), base);
    const last = decoded[decoded.length - 1];
    if (!last || !last.readable || last.address + BigInt(last.bytes.length) !== base) continue;
    const rows = decoded.filter((i) => i.readable);
    if (rows.length >= n) return rows.slice(-n);
    if (rows.length > best.length) best = rows;
  }
  return best;
}
