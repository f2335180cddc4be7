import { afterEach, describe, expect, it } from "vitest";
import { hasCompiler } from "../helpers/compile.js";
import type { JitSession } from "../../src/jit/session.js";
import { corpusObjects, FLAG_SETS, loadAll, nativeResult, openSession, runCorpus } from "./corpus-helpers.js";

const COMPILERS = ["gcc", "clang"].filter(hasCompiler);

describe("JIT corpus: same result as the system linker", () => {
  let session: JitSession | undefined;
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  for (const cc of COMPILERS) {
    for (const flags of FLAG_SETS) {
      it(`${cc} ${flags.join(" ")}`, () => {
        const expected = nativeResult(cc, flags);
        const objects = corpusObjects(cc, flags);
        for (const seed of [1, 2]) {
          session = openSession({ seed });
          loadAll(session, objects);
          session.linker.finalize(undefined, { runInitializers: true });
          expect(runCorpus(session)).toBe(expected);
          session.close();
          session = undefined;
        }
      });
    }
  }
});
