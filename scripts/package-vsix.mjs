#!/usr/bin/env node
// Packages the VS Code extension into dist/jitdbg-<version>-linux-x64.vsix with @vscode/vsce.
//
// The root package.json is both the npm package of the `jitdbg` command (its "files" list) and the
// extension manifest, and vsce refuses a folder that has both "files" and a .vscodeignore. So this
// script bundles, then stages exactly what the extension needs in dist/vsix-stage/:
//   package.json (the manifest without the CLI's bin/files/scripts/devDependencies),
//   README.md (extension/README.md), LICENSE, the bundles, and the external runtime packages
//   (koffi with its linux-x64 native binary, capstone-wasm), the emulator library (libunicorn.so.2
//   with its copyright, where src/emu/locate.ts looks first: an extension user has no `npm
//   install` to fetch it), filtered by extension/.vscodeignore,
// and runs vsce there with all of its manifest checks.
import { createVSIX } from "@vscode/vsce";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundle, EXTERNALS } from "./bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stage = join(root, "dist", "vsix-stage");
export const TARGET = "linux-x64";

/** Runtime packages to ship: the bundles' externals other than vscode, and what they load. */
const SHIPPED_PACKAGES = [...EXTERNALS.filter((e) => e !== "vscode"), `@koromix/koffi-${TARGET}`];
const BUNDLES = ["dist/extension/extension.cjs", "dist/adapter/main.cjs", "dist/adapter/adapter.cjs", "dist/adapter/terminal-relay.cjs"];
/** Where the emulator library sits below the package root, for the extension as for a checkout (src/emu/locate.ts). */
export const UNICORN_IN_PACKAGE = "vendor/unicorn/usr/lib/x86_64-linux-gnu/libunicorn.so.2";

/** The libunicorn.so.2 this checkout runs with (the override, `npm install`'s copy, the system's) and its copyright file. */
function emulatorLibrary() {
  const candidates = [process.env.JITDBG_UNICORN_LIB, join(root, UNICORN_IN_PACKAGE), "/usr/lib/x86_64-linux-gnu/libunicorn.so.2"].filter(Boolean);
  const lib = candidates.find((p) => existsSync(p));
  if (!lib) throw new Error("libunicorn.so.2 was not found to ship in the .vsix; run `npm install` first (it extracts Debian's libunicorn2 into vendor/).");
  const copyright = [join(root, "vendor", "unicorn", "usr", "share", "doc", "libunicorn2", "copyright"), "/usr/share/doc/libunicorn2/copyright"].find((p) => existsSync(p));
  if (!copyright) throw new Error("the copyright file of libunicorn2 was not found (vendor/unicorn/usr/share/doc/libunicorn2/copyright); the .vsix must carry it with the library.");
  return { lib, copyright };
}

export function vsixPath(version) {
  return join(root, "dist", `jitdbg-${version}-${TARGET}.vsix`);
}

export function stageManifest(pkg) {
  const { bin: _bin, files: _files, scripts: _scripts, devDependencies: _dev, dependencies = {}, ...rest } = pkg;
  const deps = {};
  for (const name of EXTERNALS.filter((e) => e !== "vscode")) {
    if (!dependencies[name]) throw new Error(`package.json has no dependency "${name}", which the bundles load at run time.`);
    deps[name] = dependencies[name];
  }
  return { ...rest, dependencies: deps };
}

export async function packageVsix({ skipBundle = false } = {}) {
  if (!skipBundle) await bundle({ quiet: true });
  for (const b of BUNDLES) {
    if (!existsSync(join(root, b))) throw new Error(`${b} is missing: \`npm run bundle\` could not build it (does ${b.includes("adapter") ? "adapter/main.ts" : "extension/extension.ts"} exist?).`);
  }
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, "package.json"), JSON.stringify(stageManifest(pkg), null, 2) + "\n");
  cpSync(join(root, "extension", "README.md"), join(stage, "README.md"));
  cpSync(join(root, "LICENSE"), join(stage, "LICENSE"));
  cpSync(join(root, "extension", ".vscodeignore"), join(stage, ".vscodeignore"));
  for (const b of BUNDLES) cpSync(join(root, b), join(stage, b));
  for (const name of SHIPPED_PACKAGES) {
    const from = join(root, "node_modules", name);
    if (!existsSync(from)) throw new Error(`node_modules/${name} is missing; run \`npm install\` first.`);
    cpSync(from, join(stage, "node_modules", name), { recursive: true, dereference: true });
  }
  const emulator = emulatorLibrary();
  mkdirSync(dirname(join(stage, UNICORN_IN_PACKAGE)), { recursive: true });
  cpSync(emulator.lib, join(stage, UNICORN_IN_PACKAGE), { dereference: true });
  cpSync(emulator.copyright, join(stage, "vendor", "unicorn", "copyright"));
  const packagePath = vsixPath(pkg.version);
  await createVSIX({ cwd: stage, packagePath, target: TARGET, dependencies: true });
  return packagePath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  packageVsix().catch((err) => {
    console.error(`jitdbg package: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
