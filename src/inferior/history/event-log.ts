/**
 * The history's log of changes from outside the machine's execution, stored by column.
 *
 * A program making syscalls in a loop logs an event per syscall: its position, number and first
 * argument, the thread, the bytes the kernel wrote and the result. Kept as objects, that was seven
 * allocations per syscall, all long-lived, and the garbage collector's copying of them was most of
 * what recording cost (issue 18: syscall-heavy ran 1.8x slower recording). Here an event is a row
 * of typed arrays, the written bytes go into a byte arena, and only the rare changes (mappings,
 * contexts, registers other than the result) are objects. Rows live in chunks, so dropping the
 * oldest history frees whole chunks.
 */
import type { Position } from "./position.js";
import type { Change } from "./change.js";

/** Events per chunk. */
const CHUNK = 4096;
const CHUNK_SHIFT = 12;
/** What a row costs in the columns (bytes), and an op. */
const ROW_BYTES = 8 + 8 + 4 + 8 + 8 + 1 + 4 + 4 + 4;
const OP_BYTES = 1 + 8 + 4 + 4;
const FIRST_OPS = 256;
const FIRST_DATA = 16 * 1024;
/** What an object change costs beyond its data (a guess at V8's object and array overhead). */
const OBJECT_BYTES = 64;

const HAS_RAX = 1;
const OP_WRITE = 0;
const OP_OBJECT = 1;

/** A chunk's rows, ops and data. */
class Chunk {
  readonly blocks = new BigUint64Array(CHUNK);
  readonly pc = new BigUint64Array(CHUNK);
  /** The syscall's number, or -1 for the changes made where the program stood. */
  readonly nr = new Int32Array(CHUNK);
  readonly arg0 = new BigUint64Array(CHUNK);
  readonly rax = new BigUint64Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  readonly tid = new Int32Array(CHUNK);
  readonly opStart = new Uint32Array(CHUNK);
  readonly opCount = new Uint32Array(CHUNK);
  rows = 0;
  // Ops, in the order they were made: a write (address, bytes in `data`) or an object change.
  opKind = new Uint8Array(FIRST_OPS);
  opAddress = new BigUint64Array(FIRST_OPS);
  opOffset = new Uint32Array(FIRST_OPS);
  opLength = new Uint32Array(FIRST_OPS);
  ops = 0;
  data = new Uint8Array(FIRST_DATA);
  dataUsed = 0;
  readonly objects: Change[] = [];
  /** What it holds: the arrays' capacity, and an estimate for the objects. */
  bytes = CHUNK * ROW_BYTES + FIRST_OPS * OP_BYTES + FIRST_DATA;

  addOp(kind: number, address: bigint, offset: number, length: number): void {
    if (this.ops === this.opKind.length) this.growOps();
    const i = this.ops++;
    this.opKind[i] = kind;
    this.opAddress[i] = address;
    this.opOffset[i] = offset;
    this.opLength[i] = length;
    this.opCount[this.rows - 1]!++;
  }

  addData(bytes: Uint8Array): number {
    const at = this.dataUsed;
    const need = at + bytes.length;
    if (need > this.data.length) {
      const grown = new Uint8Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, at));
      this.bytes += grown.length - this.data.length;
      this.data = grown;
    }
    this.data.set(bytes, at);
    this.dataUsed = need;
    return at;
  }

  private growOps(): void {
    const n = this.opKind.length * 2;
    const kind = new Uint8Array(n);
    const address = new BigUint64Array(n);
    const offset = new Uint32Array(n);
    const length = new Uint32Array(n);
    kind.set(this.opKind);
    address.set(this.opAddress);
    offset.set(this.opOffset);
    length.set(this.opLength);
    this.bytes += (n / 2) * OP_BYTES;
    [this.opKind, this.opAddress, this.opOffset, this.opLength] = [kind, address, offset, length];
  }
}

/** How a replay applies an event's changes (the History's). */
export interface ChangeSink {
  write(address: bigint, data: Uint8Array): void;
  change(c: Change): void;
  result(rax: bigint): void;
}

/**
 * Events by absolute index: `start` is the oldest kept, `end` one past the newest. The newest may
 * be open (begun, not closed): changes go to it until it is closed.
 */
export class EventLog {
  private readonly chunks: Chunk[] = [];
  /** Absolute index of chunks[0]'s first row. */
  private chunkBase = 0;
  private first = 0;
  private count = 0;
  private openChunk: Chunk | undefined;
  private openRow = -1;
  private used = 0;

  get start(): number {
    return this.first;
  }

  get end(): number {
    return this.chunkBase + this.count;
  }

  /** Bytes the log holds (its columns, data and objects). */
  get bytes(): number {
    return this.used;
  }

  get isOpen(): boolean {
    return this.openChunk !== undefined;
  }

  /** Begins an event at `at`: a syscall's answer (nr ≥ 0) or the changes made where the program stood (nr -1). */
  begin(at: Position, nr: number, arg0: bigint): void {
    let c = this.chunks[this.chunks.length - 1];
    if (!c || c.rows === CHUNK) {
      c = new Chunk();
      this.chunks.push(c);
      this.used += c.bytes;
    }
    const r = c.rows++;
    this.count++;
    c.blocks[r] = at.blocks;
    c.pc[r] = at.pc;
    c.nr[r] = nr;
    c.arg0[r] = arg0;
    c.flags[r] = 0;
    c.opStart[r] = c.ops;
    c.opCount[r] = 0;
    this.openChunk = c;
    this.openRow = r;
  }

  /** The open event's changes: bytes written to memory. */
  write(address: bigint, data: Uint8Array): void {
    const c = this.flushResult();
    const before = c.bytes;
    const at = c.addData(data);
    c.addOp(OP_WRITE, address, at, data.length);
    this.used += c.bytes - before;
  }

  /** Any other change; `extra` is what it holds beyond the object (a context's bytes). */
  change(ch: Change, extra = 0): void {
    const c = this.flushResult();
    this.addObject(c, ch, extra);
  }

  /** Adds to what the log holds for bytes read into an object change after it was logged (a layout, a mapping's content). */
  grew(extra: number): void {
    const c = this.openChunk ?? this.chunks[this.chunks.length - 1];
    if (c) c.bytes += extra;
    this.used += extra;
  }

  private addObject(c: Chunk, ch: Change, extra: number): void {
    const before = c.bytes;
    c.objects.push(ch);
    c.addOp(OP_OBJECT, 0n, c.objects.length - 1, 0);
    c.bytes += OBJECT_BYTES + extra;
    this.used += c.bytes - before;
  }

  /** The syscall's result (rax), when it is the last change so far; a later change puts it in the list in its place. */
  result(value: bigint): void {
    const c = this.flushResult();
    c.rax[this.openRow] = value;
    c.flags[this.openRow]! |= HAS_RAX;
  }

  /** Closes the open event, with the thread in the CPU after it. */
  close(tid: number): void {
    const c = this.openChunk;
    if (!c) return;
    c.tid[this.openRow] = tid;
    this.openChunk = undefined;
    this.openRow = -1;
  }

  private flushResult(): Chunk {
    const c = this.openChunk;
    if (!c) throw new Error("EventLog: no event is open");
    const r = this.openRow;
    if (c.flags[r]! & HAS_RAX) {
      c.flags[r]! &= ~HAS_RAX;
      this.addObject(c, { kind: "reg", name: "rax", value: c.rax[r]! }, 0);
    }
    return c;
  }

  // ---- reading ----

  private row(i: number): [Chunk, number] {
    if (i < this.first || i >= this.end) throw new Error(`EventLog: event ${i} is not kept (${this.first}..${this.end})`);
    const rel = i - this.chunkBase;
    return [this.chunks[rel >> CHUNK_SHIFT]!, rel & (CHUNK - 1)];
  }

  at(i: number): Position {
    const [c, r] = this.row(i);
    return { blocks: c.blocks[r]!, pc: c.pc[r]! };
  }

  /** The syscall number of event i, or -1 when it holds changes made where the program stood. */
  syscall(i: number): number {
    const [c, r] = this.row(i);
    return c.nr[r]!;
  }

  arg0(i: number): bigint {
    const [c, r] = this.row(i);
    return c.arg0[r]!;
  }

  tid(i: number): number {
    const [c, r] = this.row(i);
    return c.tid[r]!;
  }

  /** The first event at or after `from` that is not a syscall's (undefined: none). */
  nextStop(from: number): number | undefined {
    for (let i = Math.max(from, this.first); i < this.end; ) {
      const rel = i - this.chunkBase;
      const c = this.chunks[rel >> CHUNK_SHIFT]!;
      for (let r = rel & (CHUNK - 1); r < c.rows; r++, i++) if (c.nr[r] === -1) return i;
    }
    return undefined;
  }

  /** Hands event i's changes to `sink`, in the order they were made. */
  replay(i: number, sink: ChangeSink): void {
    const [c, r] = this.row(i);
    const end = c.opStart[r]! + c.opCount[r]!;
    for (let o = c.opStart[r]!; o < end; o++) {
      if (c.opKind[o] === OP_WRITE) sink.write(c.opAddress[o]!, c.data.subarray(c.opOffset[o]!, c.opOffset[o]! + c.opLength[o]!));
      else sink.change(c.objects[c.opOffset[o]!]!);
    }
    if (c.flags[r]! & HAS_RAX) sink.result(c.rax[r]!);
  }

  /** Every object change kept, for freeing what they hold. */
  *objects(): Iterable<Change> {
    for (const c of this.chunks) yield* c.objects;
  }

  /** Drops the events before `index`; whole chunks are freed, with their object changes handed to `gone`. */
  dropBefore(index: number, gone: (c: Change) => void): void {
    this.first = Math.max(this.first, Math.min(index, this.end));
    while (this.chunks.length > 1 && this.chunkBase + CHUNK <= this.first) {
      const c = this.chunks.shift()!;
      for (const ch of c.objects) gone(ch);
      this.used -= c.bytes;
      this.chunkBase += CHUNK;
      this.count -= CHUNK;
    }
  }

  /** Frees everything. */
  clear(gone: (c: Change) => void): void {
    for (const ch of this.objects()) gone(ch);
    this.chunks.length = 0;
    this.chunkBase = this.first = this.end;
    this.count = 0;
    this.used = 0;
    this.openChunk = undefined;
  }
}
