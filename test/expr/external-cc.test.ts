/** The `:c` backend: a translation unit built from the Scope, compiled by the machine's cc. */
import { describe, expect, it } from "vitest";
import { compileWithExternalCc, translationUnit } from "../../src/expr/external-cc.js";
import { ExprError } from "../../src/expr/errors.js";
import { harnessScope, runCases } from "./harness.js";

describe("external C compiler backend", () => {
  it("compiles blocks that use globals, structs, TLS, frame variables and libc, with the same entry contract", () => {
    const results = runCases(
      [
        { expr: "head->next->weight + counter" },
        { expr: "tls_counter + local * 2 + tls_ratio" },
        { expr: "strlen(message) + add(lp->id, rv)" },
        { expr: "(item_t *)lp == &items[1]" },
        { expr: "litem" },
        { expr: "numbers" },
        { expr: "$p + BLUE" },
        { expr: "counter = 5; numbers[0] = counter * 2; local = 3;", native: "(counter = 5, numbers[0] = counter * 2, local = 3, (void)0)", post: "numbers" },
        { expr: "for (int i = 0; i < 5; i++) numbers[i] *= rv;", native: "({ for (int i = 0; i < 5; i++) numbers[i] *= rv; })", post: "numbers" },
      ],
      { external: { flags: ["-std=gnu11"] } },
    );
    for (const r of results) expect({ expr: r.expr, value: r.jit }).toEqual({ expr: r.expr, value: r.native });
  });

  it("generates declarations with layout checks", () => {
    const tu = translationUnit("head->name[0] + tls_counter", harnessScope());
    expect(tu.source).toContain("struct item { int id; char name[16]; double weight; struct item *next; unsigned int kind : 3; int level : 5; };");
    expect(tu.source).toContain('_Static_assert(sizeof(struct item) == 48');
    expect(tu.source).toContain('extern struct item *head __asm__("head");');
    expect(tu.source).toContain('extern __thread int tls_counter __asm__("tls_counter") __attribute__((tls_model("initial-exec")));');
    expect(tu.resultType).toMatchObject({ kind: "int", name: "int" });
  });

  it("reports a missing compiler clearly", () => {
    expect(() => compileWithExternalCc("counter", harnessScope(), { cc: "/nonexistent/cc" })).toThrow(
      new ExprError("EXPR_CC_MISSING", "C compiler '/nonexistent/cc' not found; install gcc or clang (or choose another with the cc option) to use :c blocks", 0),
    );
  });

  it("reports the compiler's first error lines with the console column", () => {
    try {
      compileWithExternalCc("counter = ;", harnessScope());
    } catch (e) {
      const err = e as ExprError;
      expect(err.code).toBe("EXPR_CC_FAILED");
      expect(err.message).toMatch(/^error: cc failed:\n<console>:1:11: error: expected expression/);
      expect(err.column).toBe(11);
      return;
    }
    throw new Error("no error");
  });
});
