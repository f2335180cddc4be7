/**
 * Malformed arguments for every request type, against the real adapter: each field given a value
 * of the wrong type, and each required field left out, is answered with an error that names the
 * request and the field — never a JavaScript error text — and the session goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import { REQUEST_SHAPES } from "../../adapter/request-shapes.js";
import { compileFixture } from "../helpers/compile.js";
import { launchAndStop, startClient } from "../helpers/dap.js";
import { PROCESS_ID as MAIN_THREAD } from "../../src/inferior/process.js";

/** A value of another kind than the field's. */
const WRONG: Record<string, unknown> = { string: 42, integer: "7", boolean: "yes", object: [1], array: { a: 1 } };

let dc: DebugClient;
beforeAll(async () => {
  const exe = compileFixture("dap-requests/calls.c", { flags: ["-g", "-O0"] });
  dc = await startClient();
  await launchAndStop(dc, { program: exe, stopOnEntry: true }, async () => undefined);
});
afterAll(async () => {
  await dc?.stop();
});

async function answer(command: string, args: unknown): Promise<{ ok: boolean; message: string }> {
  try {
    await dc.customRequest(command, args);
    return { ok: true, message: "" };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe("malformed arguments", () => {
  for (const [command, shape] of Object.entries(REQUEST_SHAPES)) {
    it(`${command}: every wrongly typed or missing field is named in the error`, async () => {
      for (const [field, spec] of Object.entries(shape)) {
        const r = await answer(command, { [field]: WRONG[spec.kind] });
        expect(r.ok, `${command} ${field}`).toBe(false);
        expect(r.message).toMatch(new RegExp(`^${command}: '(${field}|[a-zA-Z]+)' (must be|is required)`));
        expect(r.message).not.toMatch(/internal error|is not a function|Cannot read|undefined/);
      }
      const required = Object.entries(shape).filter(([, f]) => f.required);
      if (required.length > 0) {
        const r = await answer(command, {});
        expect(r.ok).toBe(false);
        expect(r.message).toMatch(new RegExp(`^${command}: '${required[0]![0]}' is required`));
      }
      const arrays = Object.entries(shape).filter(([, f]) => f.kind === "array" && f.fields);
      for (const [field, f] of arrays) {
        const first = Object.entries(f.fields!).find(([, x]) => x.required);
        if (!first) continue;
        const r = await answer(command, { ...requiredOf(shape), [field]: [{ [first[0]]: WRONG[first[1].kind] }] });
        expect(r.message).toMatch(new RegExp(`'${field}\\[0\\]\\.${first[0]}' must be`));
      }
    });
  }

  it("the session goes on: the stack is still there", async () => {
    const st = await dc.stackTraceRequest({ threadId: MAIN_THREAD });
    expect(st.body.stackFrames.length).toBeGreaterThan(0);
  });

  it("readMemory with a negative offset before the start of memory is an error, not an address like 0x-1000", async () => {
    const r = await answer("readMemory", { memoryReference: "0x0", offset: -4096, count: 4 });
    expect(r.message).not.toMatch(/0x-/);
  });
});

/** Valid-typed placeholders for a shape's required fields. */
function requiredOf(shape: (typeof REQUEST_SHAPES)[string]): Record<string, unknown> {
  const placeholder: Record<string, unknown> = { string: "x", integer: 1, boolean: true, object: {}, array: [] };
  return Object.fromEntries(Object.entries(shape).filter(([, f]) => f.required).map(([k, f]) => [k, placeholder[f.kind]]));
}
