/**
 * What the syscall handlers see of the emulated process: its CPU, address space, files and I/O,
 * plus the small amount of kernel state a single-threaded Linux process has (signal actions,
 * mask, tid address, exit status). Handlers live in syscalls/, one file per area.
 */
import type { Cpu } from "../emu/cpu.js";
import type { AddressSpace } from "./address-space.js";
import type { FdTable, FileView } from "./files.js";

export interface ProcessIO {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
  /** Up to `max` bytes of standard input; an empty array at end of input. */
  stdin(max: number): Uint8Array;
}

export interface KernelOptions {
  pid: number;
  reproducible: boolean;
  /** Called once per distinct problem (an unsupported syscall, say). */
  onWarning: (message: string) => void;
}

export class Kernel {
  /** Set when the process has ended by exit/exit_group. */
  exitStatus: number | undefined;
  /** Set when the process was ended by a signal it raised (abort, kill). */
  terminatingSignal: number | undefined;
  readonly sigactions = new Map<number, Uint8Array>();
  sigmask = 0n;
  clearChildTid = 0n;
  private readonly warned = new Set<string>();
  private readonly scratch = new Uint8Array(8);

  constructor(
    readonly cpu: Cpu,
    readonly space: AddressSpace,
    readonly files: FileView,
    readonly fds: FdTable,
    readonly io: ProcessIO,
    readonly options: KernelOptions,
  ) {}

  get pid(): number {
    return this.options.pid;
  }

  get ended(): boolean {
    return this.exitStatus !== undefined || this.terminatingSignal !== undefined;
  }

  warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.onWarning(message);
  }

  /** Reads user memory; undefined when any of it is unmapped (the caller returns EFAULT). */
  readUser(address: bigint, length: number): Uint8Array | undefined {
    const buf = new Uint8Array(length);
    return this.cpu.tryRead(address, buf) ? buf : undefined;
  }

  writeUser(address: bigint, data: Uint8Array): boolean {
    if (!this.space.isMapped(address, BigInt(data.length || 1))) return false;
    this.cpu.write(address, data);
    return true;
  }

  readU64(address: bigint): bigint | undefined {
    return this.cpu.tryRead(address, this.scratch) ? new DataView(this.scratch.buffer).getBigUint64(0, true) : undefined;
  }

  readU32(address: bigint): number | undefined {
    const b = this.readUser(address, 4);
    return b ? new DataView(b.buffer).getUint32(0, true) : undefined;
  }

  writeU64(address: bigint, value: bigint): boolean {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.writeUser(address, b);
  }

  /** A NUL-terminated string from user memory, read a page at a time. */
  readCString(address: bigint, max = 4096): string | undefined {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = address;
    while (total < max) {
      const chunk = Number(0x1000n - (at & 0xfffn));
      const buf = this.readUser(at, chunk);
      if (!buf) return undefined;
      const nul = buf.indexOf(0);
      if (nul >= 0) {
        parts.push(buf.subarray(0, nul));
        break;
      }
      parts.push(buf);
      total += chunk;
      at += BigInt(chunk);
    }
    return Buffer.concat(parts).toString("utf8");
  }
}
