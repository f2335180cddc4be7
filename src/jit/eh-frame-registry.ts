/**
 * Where the unwinder finds call-frame information for JIT code: each finalized module's .eh_frame
 * (already relocated, at its target address) is registered with the code range it describes, the
 * way __register_frame hands it to libgcc. The debugger's unwinder asks `lookup(pc)`.
 */
export interface EhFrameEntry {
  module: string;
  /** Unique per loaded module (names repeat across replaceModule). */
  key: string;
  /** Target address and size of the .eh_frame section. */
  address: bigint;
  size: number;
  /** The relocated bytes, as written into the inferior. */
  bytes: Uint8Array;
  /** Code ranges of the module, so a pc can be mapped to its CFI. */
  code: { start: bigint; end: bigint }[];
}

export class EhFrameRegistry {
  private readonly entries = new Map<string, EhFrameEntry>();
  private readonly listeners: ((event: "register" | "deregister", entry: EhFrameEntry) => void)[] = [];

  register(entry: EhFrameEntry): void {
    this.entries.set(entry.key, entry);
    for (const l of this.listeners) l("register", entry);
  }

  deregister(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (const l of this.listeners) l("deregister", e);
  }

  /** The .eh_frame covering a pc, if that pc is in JIT code. */
  lookup(pc: bigint): EhFrameEntry | undefined {
    for (const e of this.entries.values()) if (e.code.some((r) => pc >= r.start && pc < r.end)) return e;
    return undefined;
  }

  list(): EhFrameEntry[] {
    return [...this.entries.values()];
  }

  onChange(listener: (event: "register" | "deregister", entry: EhFrameEntry) => void): void {
    this.listeners.push(listener);
  }
}
