/** Standard input as it is typed (InteractiveInput): chunks and end-of-file marks in arrival order, filled from outside the emulator. */
import type { InteractiveInput } from "./kernel.js";

const EOF = Symbol("end of file");

export class InputQueue implements InteractiveInput {
  private readonly chunks: (Uint8Array | typeof EOF)[] = [];
  private arrived = false;
  private closed = false;
  private waiters: (() => void)[] = [];

  get open(): boolean {
    return !this.closed;
  }

  /** Bytes typed. */
  push(data: Uint8Array): void {
    if (this.closed || data.length === 0) return;
    this.chunks.push(data.slice());
    this.notify();
  }

  /** An end of file (^D at the start of a line): the next read returns 0, later ones wait again. */
  end(): void {
    if (this.closed) return;
    this.chunks.push(EOF);
    this.notify();
  }

  /** No more input will come (the terminal went away): reads find an end of file from now on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.notify();
  }

  read(max: number): Uint8Array | undefined {
    const first = this.chunks[0];
    if (first === undefined) return this.closed ? new Uint8Array(0) : undefined;
    if (first === EOF) {
      this.chunks.shift();
      return new Uint8Array(0);
    }
    // A read takes bytes up to the next end-of-file mark, at most `max`.
    const parts: Uint8Array[] = [];
    let n = 0;
    while (n < max && this.chunks[0] !== undefined && this.chunks[0] !== EOF) {
      const c = this.chunks[0];
      const take = Math.min(c.length, max - n);
      parts.push(c.subarray(0, take));
      n += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return Buffer.concat(parts);
  }

  pending(): number {
    let n = 0;
    for (const c of this.chunks) {
      if (c === EOF) break;
      n += c.length;
    }
    return n;
  }

  ready(): boolean {
    return this.chunks.length > 0 || this.closed;
  }

  flush(): void {
    this.chunks.length = 0;
  }

  takeArrived(): boolean {
    const a = this.arrived;
    this.arrived = false;
    return a;
  }

  arrival(): Promise<void> {
    if (this.arrived || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    this.arrived = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
