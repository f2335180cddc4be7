// Runs a CommonJS bundle with V8's code cache, the way the stand-alone adapter starts
// (adapter/boot.ts): compiling the bundle and each function a command runs was a good part of a
// short command's time (`jitdbg rtdyld` links in ~50 ms of cold JavaScript). The cache, written
// beside the bundle when the process ends, holds the compiled code of everything that run
// executed; it is named by the bundle's size and time and the Node version (V8 also refuses a
// cache of another V8 or other flags), and a bundle built again gets a new one. Without a cache,
// or where it cannot be written (a read-only install), or on a Node that cannot run a script with
// module loading (older than 20.12), the bundle is a plain require.
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { basename, dirname, join } from "node:path";
import { constants as vmConstants, Script } from "node:vm";

/** The bundle's module.exports. */
export function requireCached(bundle) {
  const loader = vmConstants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (loader === undefined) return createRequire(bundle)(bundle);
  const here = dirname(bundle);
  const s = statSync(bundle);
  const cachePath = join(here, `${basename(bundle)}.${s.size}-${Math.trunc(s.mtimeMs)}-${process.version}.v8cache`);
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch (e) {
    if (e.code !== "ENOENT") throw e; // ENOENT: the first run of this build
  }
  const script = new Script(Module.wrap(readFileSync(bundle, "utf8")), { filename: bundle, cachedData, importModuleDynamically: loader });
  if (!cachedData || script.cachedDataRejected) process.once("exit", () => writeCache(here, bundle, cachePath, script.createCachedData()));
  const mod = new Module(bundle);
  mod.filename = bundle;
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, here);
  return mod.exports;
}

/** Writes the cache whole (temp + rename: processes may end together) and drops those of older builds. */
function writeCache(here, bundle, path, data) {
  try {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    for (const f of readdirSync(here)) if (f.startsWith(`${basename(bundle)}.`) && f.endsWith(".v8cache") && join(here, f) !== path) unlinkSync(join(here, f));
  } catch (e) {
    if (!e.code) throw e; // not writable here: the command runs as well without a cache, only slower to start
  }
}
