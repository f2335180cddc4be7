/**
 * The error-code table (src/error-codes.ts) is the whole truth about codes: every row is thrown
 * somewhere in src/ or adapter/ (no dead rows), every code a throw site names is a row (the type
 * system proves it; the scan here says which file when it does not), and the DAP error id of every
 * code is the one the adapter's old prefix rules gave it, so no client sees an id change.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { errorIdFor, ErrorIds } from "../../adapter/errors.js";
import { ERROR_CODES, isErrorCode, type ErrorCode } from "../../src/error-codes.js";
import { JitdbgError } from "../../src/errors.js";

const root = join(import.meta.dirname, "..", "..");
const TABLE = join("src", "error-codes.ts");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts") && !d.name.endsWith(".d.ts"))
    .map((d) => relative(root, join(d.parentPath, d.name)))
    .filter((p) => p !== TABLE);
}

const files = new Map([...sources("src"), ...sources("adapter")].map((p) => [p, readFileSync(join(root, p), "utf8")]));

/** The adapter's errorIdFor before the table, frozen: the families every code must keep. */
function oldErrorId(c: string): number {
  if (c === "BAD_FRAME") return ErrorIds.badFrame;
  if (c === "BAD_REFERENCE" || c === "NO_SUCH_VARIABLE") return ErrorIds.badReference;
  if (c === "RUNNING") return ErrorIds.running;
  if (c === "NOT_RUNNING") return ErrorIds.exited;
  if (c.startsWith("EXPR_")) return ErrorIds.expression;
  if (c.startsWith("VALUE_") || c.startsWith("REGISTER_")) return ErrorIds.setValue;
  if (c.startsWith("MEMORY_") || c.startsWith("EMU_MEM")) return ErrorIds.memory;
  if (c.startsWith("LOAD_") || c.startsWith("ELF_") || c.startsWith("EMU_")) return ErrorIds.launchFailed;
  if (c === "ADAPTER_BAD_ARGUMENT") return ErrorIds.badArgument;
  if (c === "NO_CODE_AT_LINE" || c.startsWith("GOTO_")) return ErrorIds.badBreakpoint;
  if (c.startsWith("STEP_")) return ErrorIds.badArgument;
  // Codes added since the table, with the family they were given then.
  if (c === "BAD_THREAD") return ErrorIds.badArgument;
  if (c === "RESTART_FRAME_IMPOSSIBLE") return ErrorIds.badArgument;
  return ErrorIds.internal;
}

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

describe("error codes", () => {
  it("the table has one row per code, each with a family and a one-line meaning", () => {
    expect(codes.length).toBeGreaterThan(100);
    for (const c of codes) {
      expect(c, c).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(Object.keys(ErrorIds), c).toContain(ERROR_CODES[c].family);
      expect(ERROR_CODES[c].meaning, c).toMatch(/^\S.*\S$/);
      expect(ERROR_CODES[c].meaning, c).not.toContain("\n");
    }
  });

  it("every code in the table is thrown somewhere in src/ or adapter/ (no dead rows)", () => {
    const dead: string[] = [];
    for (const c of codes) {
      // A comparison (`code === "X"`) or an expected-code list is not a throw: drop those, then look.
      const thrown = [...files.values()].some((text) => {
        const rest = text.replace(new RegExp(`(===|!==)\\s*"${c}"`, "g"), "").replace(/hasCode\([^)]*\)/g, "").replace(/_ERROR_CODES = \[[^\]]*\]/g, "");
        return rest.includes(`"${c}"`);
      });
      if (!thrown) dead.push(c);
    }
    expect(dead).toEqual([]);
  });

  it("every code a throw site names is in the table", () => {
    const site = /(?:JitdbgError|ExprError|DwarfError|ElfError|exprError|asDwarfError\([^,]*|this\.(?:error|fail|check)\([^"]*?)\(?\s*"([A-Z][A-Z0-9_]*)"/g;
    const unknown: string[] = [];
    let seen = 0;
    for (const [path, text] of files) {
      for (const m of text.matchAll(site)) {
        seen++;
        if (!isErrorCode(m[1]!)) unknown.push(`${path}: ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(200);
    expect(unknown).toEqual([]);
  });

  it("errorIdFor gives every code the id the old prefix rules gave it", () => {
    for (const c of codes) expect(errorIdFor(new JitdbgError(c, "m")), c).toBe(oldErrorId(c));
    expect(errorIdFor(new Error("plain"))).toBe(ErrorIds.internal);
    expect(errorIdFor("a string")).toBe(ErrorIds.internal);
  });
});
