/**
 * The objects loaded in the inferior — the program, the dynamic loader and each shared library —
 * with their load bias, file (parsed lazily) and symbols, kept in step with the loader's link_map
 * list. Answers address → image + symbol (fault reports, stack frames) and name → address across
 * all images in load order (the dynamic linker's global scope), for the expression evaluator.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { hasCode, JitdbgError } from "../errors.js";
import * as C from "../elf/constants.js";
import { findDebugFile } from "../elf/debug-file.js";
import { ElfFile, isElfError, type ElfSymbol } from "../elf/reader.js";
import { Symbolizer, type SymbolHit } from "../elf/symbolizer.js";
import type { LinkMapEntry } from "./link-map.js";

export type ImageKind = "program" | "interpreter" | "library";

export interface ImageOptions {
  kind: ImageKind;
  /** The path the inferior knows it by (l_name, PT_INTERP, the program's path). */
  path: string;
  /** Where its bytes are on the host; undefined when the file view cannot reach it. */
  hostPath: string | undefined;
  bias: bigint;
  /** Address of its struct link_map, once the loader has reported it. */
  linkMap?: bigint;
  /** Run-time address of its dynamic section (l_ld). */
  dynamic?: bigint;
  /** An already parsed file (program and interpreter). */
  file?: ElfFile;
  debugDirectories: readonly string[];
}

export class Image {
  readonly kind: ImageKind;
  readonly path: string;
  readonly hostPath: string | undefined;
  /** Added to the file's link-time addresses (l_addr). */
  readonly bias: bigint;
  linkMap: bigint | undefined;
  dynamic: bigint | undefined;
  private parsed: ElfFile | undefined;
  private symbolizer: Symbolizer | undefined;
  private extent: { start: bigint; end: bigint } | undefined;
  private readonly debugDirectories: readonly string[];

  constructor(o: ImageOptions) {
    this.kind = o.kind;
    this.path = o.path;
    this.hostPath = o.hostPath;
    this.bias = o.bias;
    this.linkMap = o.linkMap;
    this.dynamic = o.dynamic;
    this.parsed = o.file;
    this.debugDirectories = o.debugDirectories;
  }

  /** The file name, as module lists show it ("libc.so.6"). */
  get name(): string {
    return basename(this.path) || this.path;
  }

  /** The parsed ELF file (read from the host on first use). */
  get file(): ElfFile {
    if (!this.parsed) {
      if (!this.hostPath) throw new JitdbgError("IMAGE_UNREADABLE", { file: this.path }, "the loaded library is outside the paths the debugger may read; allow its directory to see its symbols");
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(this.hostPath);
      } catch (e) {
        throw new JitdbgError("IMAGE_UNREADABLE", { file: this.path }, `cannot read ${this.hostPath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      this.parsed = ElfFile.parse(bytes, this.hostPath);
    }
    return this.parsed;
  }

  /** The file, or undefined when it cannot be read or parsed (for best-effort look-ups). */
  tryFile(): ElfFile | undefined {
    try {
      return this.file;
    } catch (e) {
      if (isElfError(e) || hasCode(e, "IMAGE_UNREADABLE")) return undefined;
      throw e;
    }
  }

  /** Symbols of the file and, for a stripped system library, of its separate debug file. */
  get symbols(): Symbolizer {
    if (!this.symbolizer) {
      const file = this.file;
      const extra = file.symbolCount() === 0 ? findDebugFile(file, this.debugDirectories) : undefined;
      this.symbolizer = new Symbolizer(file, this.bias, extra ? [extra] : []);
    }
    return this.symbolizer;
  }

  /** Lowest and highest (exclusive) run-time addresses of its PT_LOAD segments. */
  get range(): { start: bigint; end: bigint } {
    if (!this.extent) {
      const file = this.tryFile();
      const loads = file ? file.segments.filter((p) => p.type === C.PT_LOAD && p.memsz > 0n) : [];
      if (loads.length === 0) this.extent = { start: this.bias, end: this.bias };
      else {
        const lo = loads.reduce((m, p) => (p.vaddr < m ? p.vaddr : m), loads[0]!.vaddr) & ~0xfffn;
        const hi = loads.reduce((m, p) => (p.vaddr + p.memsz > m ? p.vaddr + p.memsz : m), 0n);
        this.extent = { start: lo + this.bias, end: hi + this.bias };
      }
    }
    return this.extent;
  }

  /** The lowest mapped address (what `info sharedlibrary` shows as "From", rounded to a page). */
  get base(): bigint {
    return this.range.start;
  }

  contains(address: bigint): boolean {
    const r = this.range;
    return address >= r.start && address < r.end;
  }
}

export interface LibraryEvent {
  kind: "loaded" | "unloaded";
  image: Image;
}

export type SymbolKind = "function" | "object" | "ifunc" | "tls" | "other";

export interface SymbolMatch {
  name: string;
  /** Run-time address; for an ifunc, of its resolver; for TLS, of the initialization image. */
  address: bigint;
  size: bigint;
  kind: SymbolKind;
  image: Image;
  /** For kind "tls": the offset in the image's TLS block (its module id comes from tls.ts). */
  tlsOffset?: bigint;
}

function kindOf(s: ElfSymbol): SymbolKind {
  switch (s.type) {
    case C.STT_FUNC:
      return "function";
    case C.STT_OBJECT:
    case C.STT_COMMON:
      return "object";
    case C.STT_GNU_IFUNC:
      return "ifunc";
    case C.STT_TLS:
      return "tls";
    default:
      return "other";
  }
}

/** Definitions an image offers to others: defined, non-local .dynsym entries (and, for the program, .symtab globals). */
function exported(image: Image, name: string): ElfSymbol | undefined {
  const file = image.tryFile();
  if (!file) return undefined;
  const tables = image.kind === "program" ? [file.dynamicSymbols(), file.symbols()] : [file.dynamicSymbols()];
  for (const table of tables) {
    let weak: ElfSymbol | undefined;
    for (const s of table) {
      if (s.name !== name || s.shndx === C.SHN_UNDEF || s.bind === C.STB_LOCAL || s.visibility === 2 /* STV_HIDDEN */) continue;
      if (s.type === C.STT_SECTION || s.type === C.STT_FILE) continue;
      if (s.bind !== C.STB_WEAK) return s;
      weak ??= s;
    }
    if (weak) return weak;
  }
  return undefined;
}

export class ImageList {
  private images: Image[];

  constructor(initial: Image[]) {
    this.images = [...initial];
  }

  /** Loaded images in load order: the program first, then the link_map order. */
  list(): readonly Image[] {
    return this.images;
  }

  get program(): Image {
    return this.images.find((i) => i.kind === "program")!;
  }

  get interpreter(): Image | undefined {
    return this.images.find((i) => i.kind === "interpreter");
  }

  /** The image whose segments cover an address. */
  imageAt(address: bigint): Image | undefined {
    return this.images.find((i) => i.contains(address));
  }

  /** Address → image and the symbol covering it (if the image's symbols say). */
  symbolAt(address: bigint): { image: Image; symbol?: SymbolHit } | undefined {
    const image = this.imageAt(address);
    if (!image) return undefined;
    let symbol: SymbolHit | undefined;
    try {
      symbol = image.symbols.lookup(address);
    } catch (e) {
      if (!(isElfError(e) || hasCode(e, "IMAGE_UNREADABLE"))) throw e; // no symbol from an unreadable file
    }
    return { image, symbol };
  }

  /** `main+0x1a` in the program, `puts+0x1a in libc.so.6` elsewhere, else the hex address. */
  describe(address: bigint): string {
    const hex = `0x${address.toString(16)}`;
    const at = this.symbolAt(address);
    if (!at) return hex;
    const { image, symbol } = at;
    const where = symbol ? (symbol.offset === 0n ? symbol.name : `${symbol.name}+0x${symbol.offset.toString(16)}`) : `${hex} (+0x${(address - image.base).toString(16)})`;
    return image.kind === "program" ? where : `${where} in ${image.name}`;
  }

  /** Name → the first definition in load order, as the dynamic linker's global scope finds it. */
  lookup(name: string): SymbolMatch | undefined {
    for (const image of this.images) {
      const s = exported(image, name);
      if (!s) continue;
      const kind = kindOf(s);
      const address = s.shndx === C.SHN_ABS ? s.value : s.value + image.bias;
      return kind === "tls" ? { name, address, size: s.size, kind, image, tlsOffset: s.value } : { name, address, size: s.size, kind, image };
    }
    return undefined;
  }

  /**
   * Brings the list in step with the loader's link_map list; returns what was loaded and unloaded.
   * `resolveHost` maps a guest path to the host file (undefined when not readable).
   */
  sync(maps: readonly LinkMapEntry[], resolveHost: (path: string) => string | undefined, debugDirectories: readonly string[]): LibraryEvent[] {
    const events: LibraryEvent[] = [];
    const next: Image[] = [];
    const used = new Set<Image>();
    for (const m of maps) {
      let img = this.images.find((i) => !used.has(i) && i.linkMap === m.address && i.bias === m.bias && (i.kind !== "library" || i.path === m.name));
      if (!img) {
        // The program and the loader are known before the loader reports them: match by bias.
        img = this.images.find((i) => !used.has(i) && i.kind !== "library" && i.linkMap === undefined && i.bias === m.bias);
        if (img) {
          img.linkMap = m.address;
          img.dynamic = m.dynamic;
        }
      }
      if (!img) {
        if (m.name === "") continue; // the vDSO or a not-yet-named object: nothing to read
        img = new Image({ kind: "library", path: m.name, hostPath: resolveHost(m.name), bias: m.bias, linkMap: m.address, dynamic: m.dynamic, debugDirectories });
        events.push({ kind: "loaded", image: img });
      }
      used.add(img);
      next.push(img);
    }
    for (const old of this.images) {
      if (used.has(old)) continue;
      if (old.kind === "library") events.unshift({ kind: "unloaded", image: old });
      else next.push(old); // the program and loader stay even if a list read came back short
    }
    this.images = next;
    return events;
  }
}
