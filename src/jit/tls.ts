/**
 * Thread-local storage for the inferior's one thread, x86-64 variant II: the thread pointer (FS
 * base) points at the TCB, whose first word points to itself; the executable's PT_TLS block ends at
 * the thread pointer (negative TP offsets) and every JIT module with .tdata/.tbss gets its own block
 * further down, carved from a surplus reserved up front, so initial-exec code (GOTTPOFF, TPOFF32) can
 * reach JIT-defined TLS as well as general-dynamic code.
 *
 * The runtime region holds machine code the linker provides to JIT code: __tls_get_addr (psABI: rdi
 * points to {module id, offset}; returns the variable's address) reads a per-module table of TP
 * offsets that the linker fills as modules are finalized. It also holds the trap address calls
 * made by the debugger return to.
 */
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Cpu } from "../emu/cpu.js";
import { JitdbgError } from "../errors.js";
import { AddressSpace, PAGE } from "../inferior/address-space.js";
import { LOW_WINDOW } from "./memory-manager.js";

/** The executable's TLS template (PT_TLS): .tdata image, total size, alignment. */
export interface TlsTemplate {
  image: Uint8Array;
  memsz: bigint;
  align: bigint;
}

export interface TlsBlock {
  moduleId: number;
  /** Offset of the block's start from the thread pointer (negative). */
  tpOffset: bigint;
  size: number;
  align: number;
}

const TCB_SIZE = 0x100n;
const MAX_MODULES = 512; // one page of 8-byte table entries
const DEFAULT_SURPLUS = 0x40000; // 256 KiB of static TLS for JIT modules

const alignUpBig = (n: bigint, a: bigint): bigint => ((n + a - 1n) / a) * a;

/** Machine code of __tls_get_addr, given the distance from the end of its `lea` to the table. */
function tlsGetAddrCode(tableDisp: number): Uint8Array {
  const code = [
    0x48, 0x8b, 0x07, //                       mov rax, [rdi]        ; module id
    0x48, 0x8d, 0x0d, 0, 0, 0, 0, //           lea rcx, [rip+table]  ; TP offset per module
    0x48, 0x8b, 0x04, 0xc1, //                 mov rax, [rcx+rax*8]
    0x48, 0x03, 0x47, 0x08, //                 add rax, [rdi+8]      ; offset in the block
    0x64, 0x48, 0x03, 0x04, 0x25, 0, 0, 0, 0, // add rax, fs:[0]      ; thread pointer (TCB self pointer)
    0xc3, //                                   ret
  ];
  const out = Uint8Array.from(code);
  new DataView(out.buffer).setInt32(6, tableDisp, true);
  return out;
}

export class TlsRuntime {
  /** Thread pointer: FS base of the inferior's thread. */
  readonly threadPointer: bigint;
  /** Address of __tls_get_addr in the runtime region. */
  readonly tlsGetAddr: bigint;
  /** Calls made by the debugger return here; running stops when pc reaches it. */
  readonly trapAddress: bigint;
  /** The executable's block (module id 1), if it has PT_TLS. */
  readonly exec: TlsBlock | undefined;
  private readonly tableAddress: bigint;
  private readonly areaStart: bigint;
  /** JIT blocks are carved downward from blockTop to areaStart; cursor is the lowest in use. */
  private readonly blockTop: bigint;
  private cursor: bigint;
  private nextId: number;
  private readonly firstJitId: number;
  private readonly blocks = new Map<number, TlsBlock>();

  constructor(
    private readonly space: AddressSpace,
    private readonly cpu: Cpu,
    opts: {
      template?: TlsTemplate;
      surplus?: number;
      threadPointer?: bigint;
      /**
       * First module id given to JIT modules (default 2). A dynamically linked inferior's loader
       * numbers its own modules from 1 up, so JIT ids start above them there (see adopt()).
       */
      firstModuleId?: number;
    } = {},
  ) {
    this.firstJitId = opts.firstModuleId ?? 2;
    this.nextId = this.firstJitId;
    const t = opts.template;
    const execAlign = t && t.align > 0n ? t.align : 1n;
    const execSize = t ? alignUpBig(t.memsz, execAlign) : 0n;
    const surplus = BigInt(opts.surplus ?? DEFAULT_SURPLUS);
    if (opts.threadPointer !== undefined) {
      // Adopt a thread the inferior's libc set up: its TCB and executable block stay as they are;
      // JIT blocks come from a separate low region (TP offsets stay within 32 bits for TPOFF32).
      this.threadPointer = opts.threadPointer;
      const area = space.allocate(alignUpBig(surplus, PAGE), { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: "[jit-tls]", within: LOW_WINDOW });
      this.areaStart = area.start;
      this.blockTop = area.end;
    } else {
      const below = alignUpBig(execSize + surplus, PAGE);
      const area = space.allocate(below + PAGE, { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: "[tls]", within: LOW_WINDOW });
      this.areaStart = area.start;
      this.threadPointer = area.start + below;
      this.blockTop = this.threadPointer - execSize;
      const tcb = new Uint8Array(Number(TCB_SIZE));
      const dv = new DataView(tcb.buffer);
      dv.setBigUint64(0, this.threadPointer, true); // tcb->tcb: self pointer read by fs:[0]
      dv.setBigUint64(16, this.threadPointer, true); // tcb->self, as glibc lays it out
      cpu.write(this.threadPointer, tcb);
      cpu.setReg("fs_base", this.threadPointer);
      if (t) cpu.write(this.threadPointer - execSize, t.image);
    }
    this.cursor = this.blockTop;

    const runtime = space.allocate(2n * PAGE, { prot: PROT_READ | PROT_WRITE, kind: "runtime", name: "[jit-runtime]", within: LOW_WINDOW });
    this.tlsGetAddr = runtime.start;
    this.tableAddress = runtime.start + PAGE;
    const leaEnd = this.tlsGetAddr + 10n;
    const code = tlsGetAddrCode(Number(this.tableAddress - leaEnd));
    this.trapAddress = runtime.start + 0x40n;
    const page = new Uint8Array(Number(PAGE)).fill(0xcc);
    page.set(code, 0);
    page[0x40] = 0xf4; // hlt: never executed, running stops at this address
    cpu.write(runtime.start, page);
    space.protect(runtime.start, PAGE, PROT_READ | PROT_EXEC);

    if (t) {
      this.exec = { moduleId: 1, tpOffset: -execSize, size: Number(t.memsz), align: Number(execAlign) };
      this.blocks.set(1, this.exec);
      this.publish(this.exec);
    }
  }

  /** Carves a block for a JIT module out of the static surplus (no inferior write yet). */
  allocateBlock(size: number, align: number, module: string): TlsBlock {
    const a = BigInt(Math.max(align, 1));
    const start = ((this.cursor - BigInt(size)) / a) * a; // aligned down: TP is page-aligned in our layout
    if (start < this.areaStart) {
      throw new JitdbgError("JIT_TLS_FULL", `static TLS surplus exhausted: module "${module}" needs ${size} bytes of TLS, ${this.cursor - this.areaStart} left; raise the surplus (TlsRuntime option) or remove modules`);
    }
    if (this.nextId >= MAX_MODULES) throw new JitdbgError("JIT_TLS_FULL", `too many TLS modules (limit ${MAX_MODULES - 1})`);
    this.cursor = start;
    const block: TlsBlock = { moduleId: this.nextId++, tpOffset: start - this.threadPointer, size, align: Number(a) };
    this.blocks.set(block.moduleId, block);
    return block;
  }

  /** Writes the block's initial image into the thread and makes it visible to __tls_get_addr. */
  install(block: TlsBlock, image: Uint8Array): void {
    const zero = new Uint8Array(block.size);
    zero.set(image.subarray(0, block.size));
    this.cpu.write(this.threadPointer + block.tpOffset, zero);
    this.publish(block);
  }

  /**
   * Makes a TLS module the inferior's loader set up (a shared library's, by its l_tls_modid) known
   * to the linker and to __tls_get_addr: its block in this thread is at `blockAddress` (from the
   * loader's DTV). Module ids must lie below the JIT's first id (constructor option firstModuleId).
   */
  adopt(moduleId: number, blockAddress: bigint, size: number, align: number): TlsBlock {
    if (moduleId < 1 || moduleId >= this.firstJitId) {
      throw new JitdbgError("JIT_TLS_MODULE_ID", `the inferior's TLS module id ${moduleId} collides with the ids the JIT gives its own modules (from ${this.firstJitId}); create the TlsRuntime with a higher firstModuleId`);
    }
    const block: TlsBlock = { moduleId, tpOffset: blockAddress - this.threadPointer, size, align: Math.max(align, 1) };
    const old = this.blocks.get(moduleId);
    if (!old || old.tpOffset !== block.tpOffset || old.size !== block.size) {
      this.blocks.set(moduleId, block);
      this.publish(block);
    }
    return this.blocks.get(moduleId)!;
  }

  /** Forgets a module's block (its bytes are not reused: offsets baked into code may outlive it). */
  release(moduleId: number): void {
    this.blocks.delete(moduleId);
    const entry = new Uint8Array(8);
    this.cpu.write(this.tableAddress + BigInt(moduleId) * 8n, entry);
  }

  block(moduleId: number): TlsBlock | undefined {
    return this.blocks.get(moduleId);
  }

  /** Address of a TLS variable in the inferior's thread. */
  addressOf(tpOffset: bigint): bigint {
    return this.threadPointer + tpOffset;
  }

  /** Runtime symbols the linker offers JIT code after the inferior's own. */
  runtimeSymbols(): Map<string, bigint> {
    return new Map([["__tls_get_addr", this.tlsGetAddr]]);
  }

  get staticArea(): { start: bigint; end: bigint } {
    return { start: this.areaStart, end: this.threadPointer + PAGE };
  }

  private publish(block: TlsBlock): void {
    const entry = new Uint8Array(8);
    new DataView(entry.buffer).setBigInt64(0, block.tpOffset, true);
    this.cpu.write(this.tableAddress + BigInt(block.moduleId) * 8n, entry);
  }
}
