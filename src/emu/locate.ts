/**
 * Finds libunicorn.so.2: the JITDBG_UNICORN_LIB override, then the copy `npm install` extracts
 * into vendor/unicorn (scripts/setup-unicorn.mjs), then the system's library paths.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { JitdbgError } from "../errors.js";
import { projectRoot } from "../project-root.js";

const SYSTEM_PATHS = ["/usr/lib/x86_64-linux-gnu/libunicorn.so.2", "/usr/lib64/libunicorn.so.2", "/usr/lib/libunicorn.so.2", "/usr/local/lib/libunicorn.so.2"];

export function unicornCandidates(): string[] {
  const out: string[] = [];
  const env = process.env.JITDBG_UNICORN_LIB;
  if (env) out.push(env);
  out.push(join(projectRoot(), "vendor", "unicorn", "usr", "lib", "x86_64-linux-gnu", "libunicorn.so.2"));
  out.push(...SYSTEM_PATHS);
  return out;
}

export function locateUnicorn(): string {
  const env = process.env.JITDBG_UNICORN_LIB;
  if (env && !existsSync(env)) {
    throw new JitdbgError("EMU_NOT_FOUND", `JITDBG_UNICORN_LIB points to ${env}, which does not exist. Unset it or point it to libunicorn.so.2.`);
  }
  const found = foundUnicorn();
  if (!found) {
    throw new JitdbgError("EMU_NOT_FOUND", "the Unicorn emulator library (libunicorn.so.2) was not found. Run `npm install` (it extracts Debian's libunicorn2 into vendor/), or `apt-get install libunicorn2`.");
  }
  return found;
}

/** The library locateUnicorn() loads, or undefined where it fails (it says why). */
export function foundUnicorn(): string | undefined {
  const env = process.env.JITDBG_UNICORN_LIB;
  if (env && !existsSync(env)) return undefined; // an override is never passed over for another library
  return unicornCandidates().find((p) => existsSync(p));
}
