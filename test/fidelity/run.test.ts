/** Fidelity: runs with no stops, a never-hit breakpoint, and random pauses equal the native runs. */
import { describe, it } from "vitest";
import { BUILD_KINDS, PROGRAMS, build } from "./programs.js";
import { MODES } from "./modes.js";

const MODE_NAMES = ["no stops", "a breakpoint that never hits", "pauses at random moments"];

describe.each(BUILD_KINDS)("fidelity over DAP, %s builds", (kind) => {
  describe.each(PROGRAMS.map((p) => [p.name, p] as const))("%s", (_name, p) => {
    it.each(MODE_NAMES)("%s", async (mode) => {
      const note = await MODES[mode]!(build(p, kind), p);
      if (note) console.log(`${p.name} ${kind} ${mode}: ${note}`);
    });
  });
});
