/**
 * A module loaded the first time it is used rather than at start-up: for Node built-ins few runs
 * need (node:zlib costs ~5 ms to load, node:child_process ~2.5 ms, at every start of the adapter).
 */
import { createRequire } from "node:module";

export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(specifier) as T);
}
