/** An absolute symbol one JIT module defines resolves in another module to its value. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { JitSession } from "../../src/jit/session.js";
import { buildCached, compileFixture, fixturesDir } from "../helpers/compile.js";

const open: JitSession[] = [];
afterEach(() => open.splice(0).forEach((x) => x.close()));

it("a module's absolute symbol binds in another module", () => {
  const src = join(fixturesDir, "jit", "abs_define.s");
  const defining = buildCached({ tool: "as", key: [], inputs: [src], stem: "abs_define", suffix: ".o" }, (out) => ["-o", out, src]);
  const using = compileFixture("jit/abs_use.c", { object: true, flags: ["-O2", "-fno-pic", "-mcmodel=large"] });
  const s = JitSession.create({ seed: 3 });
  open.push(s);
  s.linker.addObject(readFileSync(defining), "abs_define.o");
  s.linker.addObject(readFileSync(using), "abs_use.o");
  s.linker.finalize();
  expect(s.call("get_shared_abs")).toBe(0x12345n + 3n);
});
