#!/usr/bin/env node
// Entry of the `jitdbg` command. It loads the bundle of the command line (dist/cli/jitdbg.cjs,
// which `npm run build` writes after compiling; for `jitdbg rtdyld`, the linker's own bundle
// dist/cli/rtdyld.cjs) with V8's code cache (run-cached.js) when the bundles were made (the
// bundler's stamp, dist/cli/bundled-at) since the modules were compiled (dist/src/cli/), else
// those modules: one file loads ~100 ms faster than ~200.
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { requireCached } from "./run-cached.js";
import { preloadEmulator } from "../dist/src/emu/preload.js";

const argv = process.argv.slice(2);
// The emulator library loads on another thread while the command's bundle loads (src/emu/preload.ts).
preloadEmulator();
const rtdyld = argv[0] === "rtdyld";
const bundle = fileURLToPath(new URL(rtdyld ? "../dist/cli/rtdyld.cjs" : "../dist/cli/jitdbg.cjs", import.meta.url));
const modules = fileURLToPath(new URL(rtdyld ? "../dist/src/cli/rtdyld-main.js" : "../dist/src/cli/main.js", import.meta.url));
const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
const stamp = fileURLToPath(new URL("../dist/cli/bundled-at", import.meta.url));
const bundled = (mtime(stamp) ?? -1) >= (mtime(modules) ?? Infinity);
const { main } = bundled ? requireCached(bundle) : await import(rtdyld ? "../dist/src/cli/rtdyld-main.js" : "../dist/src/cli/main.js");

main(argv).then((code) => {
  process.exitCode = code;
});
