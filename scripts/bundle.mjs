#!/usr/bin/env node
// Bundles the VS Code extension, the stand-alone debug adapter and the command line with esbuild
// into CommonJS (VS Code loads extensions with require(), while this package is "type": "module"):
//   extension/extension.ts -> dist/extension/extension.cjs   (inline adapter included)
//   adapter/main.ts        -> dist/adapter/adapter.cjs       (the stand-alone adapter)
//   adapter/boot.ts        -> dist/adapter/main.cjs          (run by Node in executable mode: runs
//                                                             adapter.cjs with V8's code cache)
//   adapter/terminal-relay.ts -> dist/adapter/terminal-relay.cjs (run in the program's terminal)
//   src/cli/main.ts        -> dist/cli/jitdbg.cjs            (loaded by bin/jitdbg.js)
//   src/cli/rtdyld-main.ts -> dist/cli/rtdyld.cjs            (bin/jitdbg.js, for `jitdbg rtdyld`)
// `vscode` is provided by the extension host; koffi (native) and capstone-wasm (loads its .wasm
// next to itself) stay external and ship in the .vsix's node_modules (scripts/package-vsix.mjs).
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { trainAdapterCodeCache } from "./train-code-cache.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const EXTERNALS = ["vscode", "koffi", "capstone-wasm"];

const entries = [
  { in: "extension/extension.ts", out: "dist/extension/extension.cjs", required: true },
  // Until adapter/main.ts exists, only the inline mode works; packaging (package-vsix.mjs) insists on it.
  { in: "adapter/main.ts", out: "dist/adapter/adapter.cjs", required: false },
  { in: "adapter/boot.ts", out: "dist/adapter/main.cjs", required: false },
  // The relay a terminal runs for "console": "integratedTerminal" (runInTerminal); plain Node, no dependencies.
  { in: "adapter/terminal-relay.ts", out: "dist/adapter/terminal-relay.cjs", required: true },
  // The `jitdbg` command (bin/jitdbg.js): one file to load instead of ~200 modules (~100 ms at start).
  { in: "src/cli/main.ts", out: "dist/cli/jitdbg.cjs", required: true },
  // `jitdbg rtdyld` alone (bin/jitdbg.js loads it for that command): only the linker's modules to load and initialize.
  { in: "src/cli/rtdyld-main.ts", out: "dist/cli/rtdyld.cjs", required: true },
];
export const ENTRY_OUTPUTS = entries.map((e) => join(root, e.out));
const BUNDLED_STAMP = join(root, "dist", "cli", "bundled-at");

// Sources use import.meta.url (e.g. to find vendor/unicorn); in a CommonJS bundle it is the bundle's URL.
const banner = 'const __jitdbgImportMetaUrl = require("node:url").pathToFileURL(__filename).href;';

/**
 * The bundle in ASCII: esbuild escapes non-ASCII characters in code (its default charset) but
 * keeps the comments it copies as they are, and a few of ours have an en dash or a µ. One such
 * character made Node read the megabyte of the adapter's bundle into a two-byte string through
 * full UTF-8 decoding (~3 ms instead of ~1 ms of a start-up, measured), and V8 scan that string.
 * In a comment an escape is as good as the character; lines keep their code's columns (a
 * comment's characters come after its line's code), so the source map stays right.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Whether `path` holds exactly `bytes` already. */
function unchanged(path, bytes) {
  let old;
  try {
    old = readFileSync(path);
  } catch (e) {
    if (e.code === "ENOENT") return false;
    throw e;
  }
  return Buffer.compare(old, bytes) === 0;
}

/** Bundles every entry; returns the outputs written (those whose bytes changed). */
export async function bundle({ quiet = false } = {}) {
  const written = new Set();
  for (const e of entries) {
    if (!existsSync(join(root, e.in))) {
      if (e.required) throw new Error(`cannot bundle: ${e.in} not found in ${root}.`);
      console.warn(`jitdbg bundle: ${e.in} not found, so ${e.out} is not built: the executable adapter mode will not work.`);
      continue;
    }
    const result = await build({
      absWorkingDir: root,
      entryPoints: [e.in],
      outfile: e.out,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      sourcemap: true,
      external: EXTERNALS,
      banner: { js: banner },
      define: { "import.meta.url": "__jitdbgImportMetaUrl" },
      logLevel: quiet ? "error" : "warning",
      write: false,
    });
    if (result.errors.length > 0) throw new Error(`esbuild failed on ${e.in}`);
    // Write each file whole (temp + rename): tests may load a bundle while another test rebuilds it.
    // A file whose bytes did not change is left as it is: its time names the V8 code cache beside
    // it (adapter/boot.ts, bin/run-cached.js), which a rewrite of the same bytes would throw away.
    for (const f of result.outputFiles) {
      const bytes = f.path.endsWith(".map") ? f.contents : Buffer.from(asciiOnly(f.text), "latin1");
      if (unchanged(f.path, bytes)) continue;
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = `${f.path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, f.path);
      written.add(f.path);
    }
    if (!quiet) console.log(`bundled ${e.in} -> ${relative(root, join(root, e.out))}`);
  }
  // When the bundles were last made, unchanged or not: bin/jitdbg.js takes them only when this is
  // at least as new as the compiled modules (a bundle's own time stays that of its bytes).
  writeFileSync(BUNDLED_STAMP, "");
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundle({ quiet: process.argv.includes("--quiet") })
    // A new adapter bundle starts with its code cache made by one session (train-code-cache.mjs).
    .then((written) => (written.has(join(root, "dist", "adapter", "adapter.cjs")) ? trainAdapterCodeCache(root) : undefined))
    .catch((err) => {
      console.error(`jitdbg bundle: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    });
}
