#!/usr/bin/env node
// Entry of the `jitdbg` command. It loads the bundle of the command line (dist/cli/jitdbg.cjs,
// which `npm run build` writes after compiling) when it is at least as new as the compiled
// modules (dist/src/cli/main.js), else those modules: one file loads ~100 ms faster than ~200.
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/cli/jitdbg.cjs", import.meta.url));
const modules = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
const bundled = (mtime(bundle) ?? -1) >= (mtime(modules) ?? Infinity);
const { main } = bundled ? createRequire(import.meta.url)(bundle) : await import("../dist/src/cli/main.js");

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
