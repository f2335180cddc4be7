/**
 * Compiled expressions linked natively with gcc into test/fixtures/expr/harness.c, each compared
 * with gcc's own evaluation of the same C expression (value and, for arithmetic types, C type).
 */
import { describe, expect, it } from "vitest";
import { runCases, type Case, type GroupOptions } from "./harness.js";

function check(cases: Case[], opts: GroupOptions = {}): void {
  const results = runCases(cases, opts);
  for (const r of results) expect({ expr: r.expr, value: r.jit }).toEqual({ expr: r.expr, value: r.native });
}

const LITERALS: Case[] = [
  { expr: "1 + 2 * 3" },
  { expr: "0x7fffffff + 1u" },
  { expr: "0xffffffff" },
  { expr: "017 + 0x1F" },
  { expr: "10000000000" },
  { expr: "5ul - 7" },
  { expr: "-1ll" },
  { expr: "'a' + '\\n' + '\\x41' + '\\101' + '\\0'" },
  { expr: "'\\xff'" },
  { expr: "1.5 + 2.25f" },
  { expr: "1e3 / 8" },
  { expr: "3.0f * 2" },
  { expr: "\"abc\"" },
  { expr: "sizeof(\"hello\")" },
  { expr: "\"hello\"[1]" },
  { expr: "\"tab\\there\" \"cat\"[8]" },
];

const ARITHMETIC: Case[] = [
  { expr: "counter * 3 - 1" },
  { expr: "counter / 5 + counter % 5" },
  { expr: "-counter / 5" },
  { expr: "-counter % 5" },
  { expr: "small + small" },
  { expr: "small * 2u" },
  { expr: "neg_short * 3" },
  { expr: "neg_short >> 2" },
  { expr: "huge / 3" },
  { expr: "huge > 1" },
  { expr: "-1 < 1u" },
  { expr: "-1 < 1l" },
  { expr: "(unsigned char)300" },
  { expr: "(signed char)200" },
  { expr: "(short)70000" },
  { expr: "(unsigned)-1" },
  { expr: "(_Bool)256" },
  { expr: "(_Bool)0.25" },
  { expr: "1 << 31" },
  { expr: "1u << 31 >> 3" },
  { expr: "~counter ^ 0x55 | 3 & 12" },
  { expr: "!counter + !0" },
  { expr: "big_number * 1000 / 7" },
  { expr: "ratio * 4 - 1" },
  { expr: "ratio / 0.5 + fl" },
  { expr: "fl * fl" },
  { expr: "-ratio" },
  { expr: "-fl" },
  { expr: "(int)(ratio * 3.3)" },
  { expr: "(int)-2.75" },
  { expr: "(unsigned long)1e19" },
  { expr: "(double)huge" },
  { expr: "(float)big_number" },
  { expr: "(double)-5 / 2" },
  { expr: "ratio < fl" },
  { expr: "ratio >= 2.5" },
  { expr: "ratio == 2.5 && fl != 1.5" },
  { expr: "counter > 40 || ratio / 0 > 1" },
  { expr: "counter > 50 && (counter = 0)" , post: "counter" },
  { expr: "counter ? ratio : 1" },
  { expr: "counter - 42 ? 1 : fl" },
  { expr: "(counter, big_number, 3)" },
  { expr: "favorite" },
  { expr: "favorite == BLUE" },
  { expr: "GREEN + 1" },
  { expr: "sizeof(struct item) + sizeof(item_t) + sizeof counter + _Alignof(double)" },
  { expr: "sizeof(int (*)(int)) + sizeof(long[3]) + sizeof(numbers) / sizeof numbers[0]" },
];

const MEMORY: Case[] = [
  { expr: "numbers[2]" },
  { expr: "2[numbers]" },
  { expr: "*(numbers + 4)" },
  { expr: "&numbers[4] - &numbers[1]" },
  { expr: "numbers" },
  { expr: "message" },
  { expr: "message[7]" },
  { expr: "*greeting" },
  { expr: "greeting[3]" },
  { expr: "head->id" },
  { expr: "head->next->name" },
  { expr: "head->next->name[5]" },
  { expr: "head->next->next->weight" },
  { expr: "(*head).weight + items[1].weight" },
  { expr: "items[2].next == 0" },
  { expr: "head->next == &items[1]" },
  { expr: "items[1]" },
  { expr: "*head" },
  { expr: "items[0].kind + items[1].kind" },
  { expr: "items[2].level", native: "(int)items[2].level" },
  { expr: "items[1].level * 2" },
  { expr: "((item_t *)head)->id" },
  { expr: "((struct item *)&items[1])->name[0]" },
  { expr: "(long)&items[2] - (long)&items[0]" },
  { expr: "*(int *)&items[1]" },
  { expr: "(char)*(message + 1)" },
  { expr: "&*head == head" },
  { expr: "(void *)0 == 0" },
  { expr: "(void)counter" },
];

const LOCALS: Case[] = [
  { expr: "local * 2 + lcount" },
  { expr: "dlocal + lf" },
  { expr: "us + 1" },
  { expr: "lbuf" },
  { expr: "lbuf[6]" },
  { expr: "litem.id + lp->id" },
  { expr: "lp->next->weight" },
  { expr: "litem" },
  { expr: "&local != 0" },
  { expr: "rv * 3" },
  { expr: "rv = 9", post: "rv" },
  { expr: "$rax + 1" },
  { expr: "$rsp" },
  { expr: "$p * 2" },
  { expr: "$p = $p + 1", post: "jitdbg_persist_p" },
  { expr: "$1 * 2" },
];

const SIDE_EFFECTS: Case[] = [
  { expr: "counter = 7", post: "counter" },
  { expr: "counter += 8", post: "counter" },
  { expr: "counter -= 50", post: "counter" },
  { expr: "counter *= 3", post: "counter" },
  { expr: "counter /= 4", post: "counter" },
  { expr: "counter %= 5", post: "counter" },
  { expr: "counter <<= 2", post: "counter" },
  { expr: "counter >>= 1", post: "counter" },
  { expr: "counter &= 10", post: "counter" },
  { expr: "counter |= 1", post: "counter" },
  { expr: "counter ^= 255", post: "counter" },
  { expr: "counter += 0.75", post: "counter" },
  { expr: "small += 100", post: "small" },
  { expr: "ratio *= 3", post: "ratio" },
  { expr: "fl -= 0.25", post: "fl" },
  { expr: "counter++", post: "counter" },
  { expr: "++counter", post: "counter" },
  { expr: "counter--", post: "counter" },
  { expr: "--counter", post: "counter" },
  { expr: "ratio++", post: "ratio" },
  { expr: "--fl", post: "fl" },
  { expr: "small++", post: "small" },
  { expr: "head++", post: "head" },
  { expr: "(head += 2)->id", post: "head" },
  { expr: "greeting++ [0]", native: "greeting++[0]", post: "greeting" },
  { expr: "local = 99", post: "local" },
  { expr: "lp->weight = 0.5", post: "items[1].weight" },
  { expr: "items[0].name[0] = 'X'", post: "items[0].name[0]" },
  { expr: "numbers[1] += numbers[2]++", post: "numbers" },
  { expr: "litem = items[0]", post: "litem.id" },
  { expr: "items[2] = *head", post: "items[2].id" },
  { expr: "ratio = counter", post: "ratio" },
  { expr: "counter = ratio * 10", post: "counter" },
];

/** Bit-field stores (unsigned kind : 3 and int level : 5 share a word): the value, and the whole struct after. */
const BIT_FIELDS: Case[] = [
  { expr: "items[0].kind = 5", native: "(int)(items[0].kind = 5)", post: "items[0]" },
  { expr: "items[0].kind = 13", native: "(int)(items[0].kind = 13)", post: "items[0]" },
  { expr: "items[1].level = 20", native: "(int)(items[1].level = 20)", post: "items[1]" },
  { expr: "items[1].level = -16", native: "(int)(items[1].level = -16)", post: "items[1]" },
  { expr: "items[1].level += 7", native: "(int)(items[1].level += 7)", post: "items[1]" },
  { expr: "items[2].kind /= -1", native: "(int)(items[2].kind /= -1)", post: "items[2]" },
  { expr: "items[0].kind -= 6", native: "(int)(items[0].kind -= 6)", post: "items[0]" },
  { expr: "items[0].level *= 2.5", native: "(int)(items[0].level *= 2.5)", post: "items[0]" },
  { expr: "items[2].level <<= 2", native: "(int)(items[2].level <<= 2)", post: "items[2]" },
  { expr: "items[2].level++", native: "(int)(items[2].level++)", post: "items[2]" },
  { expr: "++items[2].kind", native: "(int)(++items[2].kind)", post: "items[2]" },
  { expr: "items[0].kind--", native: "(int)(items[0].kind--)", post: "items[0]" },
  { expr: "(items[0].kind = 9) - 2", post: "items[0]" },
  { expr: "lp->level = -3 * lp->kind", native: "(int)(lp->level = -3 * lp->kind)", post: "items[1]" },
  { expr: "litem.kind = litem.level", native: "(int)(litem.kind = litem.level)", post: "litem" },
  { expr: "head->next->kind |= 2", native: "(int)(head->next->kind |= 2)", post: "items[1]" },
];

const CALLS: Case[] = [
  { expr: "add(counter, 8)" },
  { expr: "add(add(1, 2), add(3, add(4, 5)))" },
  { expr: "scale(ratio, 4)" },
  { expr: "scale(2, counter)" },
  { expr: "halve(5)" },
  { expr: "halve(fl) + 1" },
  { expr: "sum8(1, 2, 3, 4, 5, 6, 7, 8)" },
  { expr: "1 + sum8(counter, 2, 3, 4, 5, 6, 7, add(4, 4))" },
  { expr: "mix(1, 2.5, 3, 4.25f)" },
  { expr: "many_doubles(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)" },
  { expr: "sum_var(4, 1, 2, 3, counter)" },
  { expr: "make_pair(3, 4).b" },
  { expr: "make_pair(counter, -1)" },
  { expr: "make_big(10).v[3]" },
  { expr: "make_big(100)" },
  { expr: "make_mixed(1.5, 7)" },
  { expr: "make_mixed(1.5, 7).x + make_mixed(2, 3).z" },
  { expr: "pair_sum(make_pair(3, 4))" },
  { expr: "big_sum(make_big(5))" },
  { expr: "mixed_sum(make_mixed(0.5, 2))" },
  { expr: "pair_sum(make_pair(counter, 1)) + big_sum(make_big(pair_sum(make_pair(1, 2))))" },
  { expr: "item_name(head)" },
  { expr: "*item_name(&items[2])" },
  { expr: "next_char(255)" },
  { expr: "next_char('a')" },
  { expr: "to_schar(200)" },
  { expr: "op_ptr(2, 3)" },
  { expr: "(*op_ptr)(20, 3)" },
  { expr: "(&add)(1, 1)" },
  { expr: "((int (*)(int))mystery)(21)", native: "((int (*)(int))twice_native)(21)" },
  { expr: "(int)raw_counter + 1", native: "(int)counter + 1" },
  { expr: "*(int *)&raw_counter", native: "*(int *)&counter" },
  { expr: "reset()" },
  { expr: "strlen(message)" },
  { expr: "strlen(\"four\") + strlen(head->name)" },
  { expr: "memcmp(message, \"hello\", 5)" },
  { expr: "memcmp(message, \"help\", 4) < 0" },
  { expr: "strcmp(greeting, \"hi there\") == 0" },
  { expr: "abs(-42) + labs(-5)" },
  { expr: "sqrt(ratio * 10)" },
  { expr: "pow(2, 10)" },
  { expr: "atoi(\"123\") + 1" },
  { expr: "printf(\"%d %s %.2f\\n\", counter, message, ratio)" },
  { expr: "puts(greeting)" },
  { expr: "snprintf(lbuf, sizeof lbuf, \"%ld/%g\", lcount, dlocal)", post: "lbuf" },
  { expr: "local + add(local, strlen(lbuf))" },
];

describe("expression compiler, linked natively and compared with gcc", () => {
  it("literals", () => check(LITERALS));
  it("arithmetic, conversions, comparisons, logic, sizeof", () => check(ARITHMETIC));
  it("memory: arrays, pointers, struct members, bit-fields, casts", () => check(MEMORY));
  it("frame locals, register values, registers, persistent variables", () => check(LOCALS));
  it("assignment, compound assignment, ++/--", () => check(SIDE_EFFECTS));
  it("bit-field assignment, compound assignment, ++/--", () => check(BIT_FIELDS));
  it("calls: integer/double/float/stack/variadic args, struct arguments and results by value, pointers, libc", () => check(CALLS));
  it("TLS initial-exec", () => check([{ expr: "tls_counter * 2 + tls_ratio" }, { expr: "tls_counter += 5", post: "tls_counter" }, { expr: "&tls_counter == &tls_counter" }], { tlsModel: "initial-exec" }));
  it("TLS general-dynamic", () => check([{ expr: "tls_counter * 2 + tls_ratio" }, { expr: "add(tls_counter, 1) + tls_counter++", post: "tls_counter" }], { tlsModel: "general-dynamic" }));
  it("TLS general-dynamic from a shared object (real __tls_get_addr calls) and GOT loads", () =>
    check([{ expr: "tls_counter * 2 + tls_ratio" }, { expr: "tls_counter = counter + numbers[1]", post: "tls_counter" }, { expr: "strlen(message) + add(1, 2)" }], { tlsModel: "general-dynamic", sharedObject: true }));
  it("small (non-PIC) code model", () => check([{ expr: "counter + numbers[3] + head->id" }, { expr: "add(1, 2) + strlen(\"abc\")" }, { expr: "(long)&counter != 0" }], { codeModel: "small" }));
  it("large code model (R_X86_64_64)", () =>
    check([{ expr: "counter + numbers[3] + head->id" }, { expr: "add(1, 2) + strlen(\"abc\") + scale(2, 3)" }, { expr: "op_ptr == add" }, { expr: "message" }, { expr: "pair_sum(make_pair(1, 2)) + big_sum(make_big(3)) + mixed_sum(make_mixed(1, 2))" }], { codeModel: "large", linkFlags: ["-no-pie"] }));
  it("console function definitions and calls to them", () =>
    check(
      [{ expr: "twice(21)" }, { expr: "fact(10)" }, { expr: "fact(twice(2)) + twice(-3)" }, { expr: "sumsq(numbers, 5)" }, { expr: "avg(1, 2.5)" }, { expr: "count_chars(message, 'l')" }, { expr: "bump(&counter, 3)", post: "counter" }, { expr: "swap_pair(make_pair(1, 2))" }, { expr: "bump_big(make_big(10), 5)" }, { expr: "half(make_mixed(3, 4))" }, { expr: "pair_sum(swap_pair(make_pair(7, 8))) + half(make_mixed(1, 1)).x" }],
      {
        definitions: [
          "int twice(int x) { return 2 * x; }",
          "long fact(int n) { long r = 1; for (int i = 2; i <= n; i++) r *= i; return r; }",
          "long sumsq(int *a, int n) { long s = 0; int i = 0; while (i < n) { s += (long)a[i] * a[i]; i++; } return s; }",
          "double avg(double a, double b) { return (a + b) / 2; }",
          "int count_chars(const char *s, char c) { int n = 0; do { if (*s == c) n++; else if (!*s) break; else continue; } while (*s++); return n; }",
          "void bump(int *p, int by) { if (by > 0) { *p += by; return; } *p = 0; }",
          "struct pair swap_pair(struct pair p) { struct pair r = {p.b, p.a}; return r; }",
          "struct big bump_big(struct big b, long by) { b.v[0] += by; b.v[3] = b.v[0] * 2; return b; }",
          "struct mixed half(struct mixed m) { m.x /= 2; m.z = m.y - 1; return m; }",
        ],
      },
    ));
});
