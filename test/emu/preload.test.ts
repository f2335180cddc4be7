/**
 * The emulator library's preload (src/emu/preload.ts): in a fresh process, the library is mapped
 * by the preload alone (the main thread waiting on timers meanwhile), before any CPU exists; the emulator's own load then
 * takes the loaded library; and where the library cannot be found the preload stays silent, the
 * real load saying what is wrong. Each case runs in its own Node process (the built module), since
 * the test worker has the library loaded already.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";

const dist = (p: string) => pathToFileURL(join(repoRoot, "dist", "src", p)).href;

/** Runs an ES module body in a fresh Node; its stdout as JSON. */
function fresh(body: string, env: NodeJS.ProcessEnv = {}): unknown {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", body], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

const MAPPED = `(await import("node:fs")).readFileSync("/proc/self/maps", "utf8").includes("libunicorn.so.2")`;

describe("emulator library preload", () => {
  it("maps the library before any CPU exists, the main thread going on meanwhile, and the emulator's load takes it", () => {
    const out = fresh(`
      const { preloadEmulator } = await import(${JSON.stringify(dist("emu/preload.js"))});
      const before = ${MAPPED};
      preloadEmulator();
      let mapped = false;
      for (let i = 0; i < 400 && !mapped; i++) { await new Promise((r) => setTimeout(r, 5)); mapped = ${MAPPED}; }
      const { createUnicornCpu } = await import(${JSON.stringify(dist("emu/unicorn.js"))});
      const cpu = createUnicornCpu();
      cpu.map(0x10000n, 0x1000n, 7);
      cpu.write(0x10000n, new Uint8Array([0x48, 0xc7, 0xc0, 0x2a, 0x00, 0x00, 0x00, 0x90])); // mov rax, 42; nop
      cpu.run(0x10000n, { until: 0x10007n });
      console.log(JSON.stringify({ before, mapped, rax: String(cpu.reg("rax")) }));
    `) as { before: boolean; mapped: boolean; rax: string };
    expect(out.before).toBe(false);
    expect(out.mapped).toBe(true);
    expect(out.rax).toBe("42");
  });

  it("does nothing, and says nothing, where the library is not found; the emulator's load says why", () => {
    const out = fresh(`
      const { preloadEmulator } = await import(${JSON.stringify(dist("emu/preload.js"))});
      preloadEmulator();
      await new Promise((r) => setTimeout(r, 100));
      const mapped = ${MAPPED};
      let error = "";
      try {
        const { createUnicornCpu } = await import(${JSON.stringify(dist("emu/unicorn.js"))});
        createUnicornCpu();
      } catch (e) { error = e.message; }
      console.log(JSON.stringify({ mapped, error }));
    `, { JITDBG_UNICORN_LIB: "/nonexistent/libunicorn.so.2" }) as { mapped: boolean; error: string };
    expect(out.mapped).toBe(false);
    expect(out.error).toContain("JITDBG_UNICORN_LIB points to /nonexistent/libunicorn.so.2, which does not exist");
  });
});
