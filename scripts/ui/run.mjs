#!/usr/bin/env node
// `npm run test:ui`: installs the UI test's tools if needed (scripts/ui/setup.mjs), packages the
// .vsix afresh, and runs test/ui/ with vitest. Screenshots and logs land in .cache/ui-test/.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setup } from "./setup.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const t0 = Date.now();
setup();
const t1 = Date.now();
const pack = spawnSync("npm", ["run", "--silent", "package"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
if (pack.status !== 0) {
  console.error("test:ui: `npm run package` failed; see its messages above.");
  process.exit(1);
}
const t2 = Date.now();
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
// Said before the steps run, so that vitest's summary stays the run's closing lines.
console.log(`test:ui: tools ready in ${s(t1 - t0)}, .vsix packaged in ${s(t2 - t1)}; screenshots go to .cache/ui-test/screenshots/`);
const test = spawnSync(join(root, "node_modules", ".bin", "vitest"), ["run", "--config", "test/ui/vitest.config.ts", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(test.status ?? 1);
