/**
 * The jitdbg package's root folder (where package.json is), found from this file's location, which
 * is src/ in sources, dist/src/ when built, or a bundle under dist/.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function projectRoot(): string {
  if (cached === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
    cached = dir;
  }
  return cached;
}
