/**
 * Entry of the stand-alone adapter bundle (dist/adapter/main.cjs): runs the adapter's own bundle
 * (dist/adapter/adapter.cjs, beside it) with V8's code cache. Compiling the megabyte of the bundle
 * and each function it calls took a good part of the time from start to the first stop; the
 * cache, written beside the bundle when a session ends, holds the compiled code of everything
 * that session ran, so the next one starts with it; a later session that ran more (the first
 * one after a build may not have evaluated anything) writes it again. The cache is named by the bundle's size and
 * time and by the Node version (V8 itself also refuses a cache of another V8 or other flags); a
 * bundle built again gets a new one. Where there is no cache, or it cannot be written (a
 * read-only install), or this Node cannot run a script with module loading (older than 20.12),
 * the bundle runs as a plain require.
 */
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants as vmConstants, Script } from "node:vm";
import { preloadEmulator } from "../src/emu/preload.js";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, "adapter.cjs");
/** Undefined before Node 20.12 (VS Code's Electron may be older): there the bundle is required. */
const loader: typeof vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER | undefined = (vmConstants as Partial<typeof vmConstants> | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;

/** Bytes of new compiled code worth a rewrite of the cache (a few functions' worth: not every session's noise). */
const GROWTH = 16 * 1024;

function cacheName(): string {
  const s = statSync(bundle);
  return `${basename(bundle)}.${s.size}-${Math.trunc(s.mtimeMs)}-${process.version}.v8cache`;
}

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined; // the first session of this build
    throw e;
  }
}

/** Writes the cache whole (temp + rename: adapters may end together) and drops those of older builds. */
function writeCache(path: string, data: Buffer): void {
  try {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    for (const f of readdirSync(here)) if (f.startsWith(`${basename(bundle)}.`) && f.endsWith(".v8cache") && join(here, f) !== path) unlinkSync(join(here, f));
  } catch (e) {
    // Not writable here (a read-only install): the adapter runs as well without a cache, only slower to start.
    if (!(e as NodeJS.ErrnoException).code) throw e;
  }
}

function run(): void {
  if (loader === undefined) {
    createRequire(bundle)(bundle);
    return;
  }
  const cachePath = join(here, cacheName());
  const cachedData = readCache(cachePath);
  const script = new Script(Module.wrap(readFileSync(bundle, "utf8")), { filename: bundle, cachedData, importModuleDynamically: loader });
  // At exit the cache holds the bytecode of every function this session compiled: written when
  // there was none, or when this session ran code the cache did not hold (the first session after
  // a build may never have evaluated an expression, say), so it grows to what sessions use.
  process.once("exit", () => {
    const data = script.createCachedData();
    if (!cachedData || script.cachedDataRejected || data.length > cachedData.length + GROWTH) writeCache(cachePath, data);
  });
  // The bundle as a CommonJS module of its own file: its require, __filename and __dirname are its own.
  const mod = new Module(bundle);
  mod.filename = bundle;
  const require = createRequire(bundle);
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(mod.exports, mod.exports, require, mod, bundle, here);
}

// The emulator library loads on another thread while the bundle loads here (src/emu/preload.ts).
preloadEmulator();
run();
