/** Fidelity: conditional and data breakpoints leave the runs equal to the native runs. */
import { describe, it } from "vitest";
import { BUILD_KINDS, PROGRAMS, build } from "./programs.js";
import { MODES } from "./modes.js";

const MODE_NAMES = ["a conditional breakpoint false many times, then true once", "a data breakpoint that fires K times"];

describe.each(BUILD_KINDS)("fidelity over DAP, %s builds", (kind) => {
  describe.each(PROGRAMS.map((p) => [p.name, p] as const))("%s", (_name, p) => {
    it.each(MODE_NAMES)("%s", async (mode) => {
      const note = await MODES[mode]!(build(p, kind), p);
      if (note) console.log(`${p.name} ${kind} ${mode}: ${note}`);
    });
  });
});
