/**
 * Names compiled expressions may use from the shared libraries a dynamically linked inferior has
 * loaded, found as the dynamic linker's global scope finds them: the first definition in load
 * order (the program, then the libraries as link_map orders them; Process.images.lookup).
 *
 * - GNU indirect functions (glibc's strlen, memcmp, strcmp...) resolve to the implementation their
 *   resolver picks, got by calling the resolver in the inferior once and cached per image load (a
 *   reloaded library is a new Image). On x86-64 glibc calls resolvers with no arguments
 *   (elf_ifunc_invoke: `((ElfW(Addr) (*) (void)) addr) ()`); they read the CPU features the loader
 *   put in _rtld_global_ro, so we call them the same way, after the loader's start-up.
 * - TLS variables resolve to {module id, offset} with the loader's module id (l_tls_modid); the
 *   image's block in this thread is handed to the JIT's TLS runtime first (see jit-runtime.ts).
 */
import { JitdbgError } from "../../errors.js";
import type { Image, ImageList, SymbolMatch } from "../../inferior/images.js";
import type { InferiorSymbol } from "../../jit/resolver.js";

export type SymbolKindForScope = "function" | "data" | "tls";

export interface LibraryOps {
  /** Calls a resolver at `address` in the inferior; returns what it returned (rax). */
  callResolver(address: bigint, where: string): bigint;
  /** The loader's TLS module id of an image, its block made known to the JIT; undefined when it has none yet. */
  tlsModule(image: Image): number | undefined;
}

export class LibrarySymbols {
  private readonly ifuncs = new WeakMap<Image, Map<bigint, bigint>>();

  constructor(
    private readonly images: ImageList,
    private readonly ops: LibraryOps,
  ) {}

  /** The first definition in load order, as the linker needs it (indirect functions: their implementation). */
  lookup(name: string): InferiorSymbol | undefined {
    const m = this.images.lookup(name);
    if (!m) return undefined;
    switch (m.kind) {
      case "ifunc":
        return { address: this.implementation(m.image, m.address, name), size: 0n };
      case "tls": {
        const moduleId = this.ops.tlsModule(m.image);
        if (moduleId === undefined) {
          throw new JitdbgError("EVAL_TLS_UNAVAILABLE", `'${name}' is a thread-local variable of ${m.image.name}, whose TLS block the loader has not set up for this thread yet; continue until the library has run and evaluate again`);
        }
        return { address: 0n, size: m.size, tls: { moduleId, offset: m.tlsOffset ?? 0n } };
      }
      default:
        return { address: m.address, size: m.size };
    }
  }

  /** What kind of definition the name has in the loaded images, for the compiler's Scope. */
  kind(name: string): SymbolKindForScope | undefined {
    const m = this.images.lookup(name);
    return m ? kindForScope(m) : undefined;
  }

  /** The image that defines a name first in load order. */
  definingImage(name: string): Image | undefined {
    return this.images.lookup(name)?.image;
  }

  /** The implementation an indirect function's resolver picks (called once per image load). */
  implementation(image: Image, resolver: bigint, name: string): bigint {
    let cache = this.ifuncs.get(image);
    if (!cache) {
      cache = new Map();
      this.ifuncs.set(image, cache);
    }
    let impl = cache.get(resolver);
    if (impl === undefined) {
      impl = this.ops.callResolver(resolver, `the resolver of the indirect function '${name}' in ${image.name}`);
      if (impl === 0n) {
        throw new JitdbgError("EVAL_IFUNC", `the resolver of the indirect function '${name}' in ${image.name} (0x${resolver.toString(16)}) returned a null implementation; the function cannot be called from an expression`);
      }
      cache.set(resolver, impl);
    }
    return impl;
  }
}

function kindForScope(m: SymbolMatch): SymbolKindForScope | undefined {
  switch (m.kind) {
    case "function":
    case "ifunc":
      return "function";
    case "object":
      return "data";
    case "tls":
      return "tls";
    case "other":
      return undefined;
  }
}
