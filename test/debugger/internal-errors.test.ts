/**
 * No catch hides a debugger bug: where the debugger turns a failure into "nothing" (cannot be
 * watched, no completions, no memory reference), it does so only for the error codes it expects
 * (a text the front end rejects, a name the scope cannot place). A plain Error thrown inside is a
 * bug: it reaches the adapter, which reports it as an internal error.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { errorIdFor, ErrorIds, messageFor } from "../../adapter/errors.js";
import type { Debugger } from "../../src/debugger/debugger.js";
import { compileFixture, fixturesDir, hasCompiler } from "../helpers/compile.js";
import { launch } from "../helpers/debug-session.js";

const SOURCE = readFileSync(join(fixturesDir, "expr", "interpret.c"), "utf8");
const BREAK_LINE = SOURCE.split("\n").findIndex((l) => l.includes("/* BREAK */")) + 1;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe.skipIf(!hasCompiler("gcc"))("internal errors are not swallowed", () => {
  let dbg: Debugger;
  beforeAll(async () => {
    dbg = launch(compileFixture("expr/interpret.c", { flags: ["-static", "-O0", "-g"] })).dbg;
    dbg.setSourceBreakpoints("interpret.c", [{ line: BREAK_LINE }]);
    expect((await dbg.start()).reason).toBe("breakpoint");
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => dbg?.close());

  it("watchable: a text error means 'cannot be watched'; a plain Error inside is an internal error", () => {
    expect(dbg.inspector.watchable("no_such_name", 0)).toBeUndefined();
    expect(dbg.inspector.watchable("arr[", 0)).toBeUndefined();
    vi.spyOn(dbg.inspector, "interpret").mockImplementation(() => {
      throw new TypeError("boom in the interpreter");
    });
    const e = thrown(() => dbg.inspector.watchable("arr[2]", 0));
    expect(e).toBeInstanceOf(TypeError);
    expect(errorIdFor(e)).toBe(ErrorIds.internal);
    expect(messageFor(e)).toBe("internal error in jitdbg: boom in the interpreter");
  });

  it("completions: a text error means no completions; a plain Error inside is an internal error", () => {
    expect(dbg.inspector.completions("no_such_name->", 0)).toEqual([]);
    const inspector = dbg.inspector as unknown as { readScope: () => never };
    vi.spyOn(inspector, "readScope").mockImplementation(() => {
      throw new Error("boom in the scope");
    });
    const e = thrown(() => dbg.inspector.completions("head->", 0));
    expect(errorIdFor(e)).toBe(ErrorIds.internal);
    expect(messageFor(e)).toBe("internal error in jitdbg: boom in the scope");
  });
});
