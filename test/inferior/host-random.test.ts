/**
 * The host's random bytes (src/host-random.ts) seed an unseeded inferior's generator: read from the
 * kernel's source, without loading node:crypto at start-up (it cost ~3 ms of each adapter start).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { hostRandomBytes } from "../../src/host-random.js";
import { Rng } from "../../src/inferior/random.js";
import { repoRoot } from "../helpers/compile.js";

describe("host random bytes", () => {
  it("gives as many bytes as asked, different each time", () => {
    const a = hostRandomBytes(32);
    const b = hostRandomBytes(32);
    expect(a.length).toBe(32);
    expect(hostRandomBytes(3).length).toBe(3);
    expect(a.equals(b)).toBe(false);
    expect(new Rng().next64()).not.toBe(new Rng().next64());
  });

  it("seeds a generator without loading node:crypto", () => {
    const mod = pathToFileURL(join(repoRoot, "dist", "src", "inferior", "random.js")).href;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `
      const { Rng } = await import(${JSON.stringify(mod)});
      const draws = [new Rng().next64(), new Rng().next64()];
      console.log(JSON.stringify({ differ: draws[0] !== draws[1], crypto: process.moduleLoadList.some((m) => m === "NativeModule crypto") }));
    `], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ differ: true, crypto: false });
  });
});
