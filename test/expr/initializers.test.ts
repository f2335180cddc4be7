/**
 * Compound literals, initialized declarations and gdb's brace assignment, compiled and linked into
 * the harness, each compared with gcc's own evaluation of the same C (C11 6.5.2.5, 6.7.9).
 */
import { describe, expect, it } from "vitest";
import { runCases, type Case } from "./harness.js";

const LITERALS: Case[] = [
  { expr: "(struct pair){1, 2}" },
  { expr: "(struct pair){1, 2}.b" },
  { expr: "(struct pair){.b = 7, .a = 3}.a * 10 + (struct pair){.b = 7}.b" },
  { expr: "(struct mixed){2.5, 3}" },
  { expr: "(struct mixed){.z = -1}" },
  { expr: "(int[3]){1, 2, 3}[2]" },
  { expr: "(int[]){4, 5, 6, 7}" },
  { expr: "sizeof((int[]){4, 5, 6, 7})" },
  { expr: "sizeof (int[]){1, 2, 3} * 10 + sizeof (struct pair){1, 2}.a" },
  { expr: "(struct pair){}" },
  { expr: "(double[2]){}[1] + (struct mixed){}.z" },
  { expr: "(int[5]){[3] = 9, 8, [1] = 2}" },
  { expr: "(long){42} + 1" },
  // array designators are integer constant expressions
  { expr: "(int[8]){[2 + 2] = 1, [GREEN - 4] = 3, [sizeof(int) * 2 - 1] = 9}" },
  { expr: "(int[4]){[-1 + 2 ? 3 : 0] = 4, [(char)258] = 5, [~-2 && 1] = 6}" },
  { expr: "(unsigned char[256]){[(unsigned char)-1] = 1, [1u << 7 | 1] = 2}[255] * 10 + (unsigned char[256]){[129] = 2}[129]" },
  { expr: "(struct big){{1, 2}}" },
  { expr: "(struct big){1, 2, 3}" },
  { expr: "(struct big){.v[2] = 5, 6}" },
  { expr: "(struct item){7, \"seven\", 1.5}.name" },
  { expr: "(struct item){.name = \"x\", .id = 3}.id" },
  { expr: "(struct item){.weight = 2}.weight" },
  { expr: "(char[8]){\"ab\"}" },
  { expr: "(char[]){\"abc\"}" },
  { expr: "(struct pair[2]){1, 2, {3, 4}}[1].a" },
  { expr: "(struct pair[2]){{1}, 5, 6}[1].a" },
  { expr: "(struct pair[2]){[1].b = 9}[1].b" },
  { expr: "(struct pair){items[1].id, counter}" },
  { expr: "*&(struct pair){10, 20}" },
  { expr: "(&(struct pair){10, 20})->b" },
  { expr: "item_name(&(struct item){1, \"abc\"})[1]" },
  { expr: "strlen(item_name(&(struct item){.name = \"four\"})) + add((int){3}, (struct pair){4, 5}.b)" },
  { expr: "(struct pair){1, 2}.a = 5" },
  { expr: "((struct mixed){1, 2, 3}).z++" },
  { expr: "(struct item){.kind = 0, .id = 4}.id" },
  { expr: "(struct item){.kind = 5, .level = -3}.level * 10 + (struct item){.kind = 5, .level = -3}.kind" },
  { expr: "(struct item){1, \"a\", 2, 0, 13, 17}.kind + (struct item){.level = local + 9}.level * 100" },
  { expr: "({ struct item t = {.level = -16, .kind = 7}; t.kind * 1000 + t.level; })" },
];

const DECLARATIONS: Case[] = [
  { expr: "({ int a[3] = {1, 2, 3}; a[0] + a[1] * 10 + a[2] * 100; })" },
  { expr: "({ char b[8] = \"ab\"; b[0] + b[1] + b[2] + b[7]; })" },
  { expr: "({ char b[] = \"hello\"; sizeof b; })" },
  { expr: "({ struct pair p = {1, 2}; p.a - p.b; })" },
  { expr: "({ struct pair p = {.b = 5}; struct pair q = p; q.a + q.b; })" },
  { expr: "({ int z = {7}; z; })" },
  { expr: "({ long s = 0; int v[] = {1, 2, 3, 4, 5, 6}; for (int i = 0; i < 6; i++) s += v[i] * i; s; })" },
  { expr: "({ struct big b = {{counter, local}}; b.v[0] + b.v[1] + b.v[3]; })" },
  { expr: "({ int m[2][3] = {1, 2, 3, 4}; m[1][0] * 10 + m[1][2]; })" },
  { expr: "({ int m[2][3] = {{1}, {4, 5}}; m[0][0] + m[1][1] * 10 + m[0][1]; })" },
  { expr: "({ const char *w[] = {\"ab\", \"cde\"}; strlen(w[1]) * 10 + w[0][1]; })" },
  { expr: "({ char m[][4] = {\"ab\", {'c', 'd'}, \"efg\"}; m[1][1] * 1000 + m[2][2] + sizeof m; })" },
  { expr: "({ item_t its[2] = {{.id = 1}, {2, \"two\", .next = 0}}; its[1].name[1] + its[0].id + its[1].id; })" },
  { expr: "({ int t = 0; for (int i = 0; i < 3; i++) { int a[2] = {i}; t += a[0] + a[1]; a[1] = 9; } t; })" },
];

/** gdb's array literals (printcmds.exp's array constants): an array of the first element's type. */
const ARRAY_LITERALS: Case[] = [
  { expr: "{0, 1, 2}", native: "(int[]){0, 1, 2}" },
  { expr: "{(long)0, (long)1, (long)2}", native: "(long[]){0, 1, 2}" },
  { expr: "{{0, 1, 2}, {3, 4, 5}}", native: "(int[][3]){{0, 1, 2}, {3, 4, 5}}" },
  { expr: "{4, 5, 6}[2]", native: "(int[]){4, 5, 6}[2]" },
  { expr: "*&{4, 5, 6}[1]", native: "*&(int[]){4, 5, 6}[1]" },
  { expr: "{1.5, 2}", native: "(double[]){1.5, 2}" },
  { expr: "sizeof {counter, 2, 3} + {counter, 2}[0]", native: "sizeof (int[]){counter, 2, 3} + (int[]){counter, 2}[0]" },
];

const BRACE_ASSIGNMENT: Case[] = [
  { expr: "litem = {1, \"one\", 2.5}", native: "(litem = (struct item){1, \"one\", 2.5})", post: "litem.name" },
  { expr: "litem = {.weight = 0.5}", native: "(litem = (struct item){.weight = 0.5})", post: "litem.id" },
  { expr: "numbers = {9, 8}", native: "*(int (*)[5])memcpy(numbers, (int[5]){9, 8}, sizeof numbers)", post: "numbers" },
  { expr: "items[1] = {5, .weight = 2, .next = 0}, items[1].weight * items[1].id", native: "items[1] = (struct item){5, .weight = 2, .next = 0}, items[1].weight * items[1].id", post: "items[1].name" },
];

function check(cases: Case[], definitions: string[] = []): void {
  for (const r of runCases(cases, { definitions })) expect({ expr: r.expr, value: r.jit }).toEqual({ expr: r.expr, value: r.native });
}

describe("initializers match gcc", () => {
  it("compound literals", () => check(LITERALS));
  it("initialized declarations", () => check(DECLARATIONS));
  it("initializers in console functions", () =>
    check([
      { expr: "tri(4)" },
      { expr: "pick(2) + pick(0)" },
      // gdb's brace-list arguments: an array of the pointer parameter's element type
      { expr: "sumsq({1, 2, 3}, 3)", native: "sumsq((int[]){1, 2, 3}, 3)" },
      { expr: "sumsq({[4] = counter}, 5) + strlen({'a', 'b', 0})", native: "sumsq((int[]){[4] = counter}, 5) + strlen((char[]){'a', 'b', 0})" },
      { expr: "sumsq({1, 2, 3}, {2, 3}[1]) + add({4, 5}[1], 1)", native: "sumsq((int[]){1, 2, 3}, 3) + add(5, 1)" },
      { expr: "item_name({7, \"abc\"})[2]", native: "item_name((struct item[]){7, \"abc\"})[2]" },
    ], [
      "long sumsq(int *a, int n) { long s = 0; for (int i = 0; i < n; i++) s += (long)a[i] * a[i]; return s; }",
      "int tri(int x) { int a[4] = {x, [2] = x * 2}; struct pair p = {.b = a[2]}; return a[0] + a[1] + a[2] + a[3] + p.b; }",
      "long pick(int i) { struct big b = {{10, 20, 30}}; char s[] = \"xyz\"; return b.v[i] + s[i] + sizeof s; }",
    ]));
  it("gdb's array literals", () => check(ARRAY_LITERALS));
  it("brace assignment (gdb's form) as the compound literal of the target's type", () => check(BRACE_ASSIGNMENT));
});
