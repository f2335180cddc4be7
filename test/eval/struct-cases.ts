/**
 * What test/eval/structs.test.ts evaluates in test/fixtures/eval/structs.c: calls passing and
 * returning structs and unions by value, one of each System V classification, to program
 * functions and to console functions, and bit-field stores.
 */

export type StructKind = "int" | "double" | "struct";

export interface StructCase {
  expr: string;
  /** int/double: printed by a printf twin; struct: the twin stores it in a global the console then shows. */
  kind: StructKind;
  /** The twin's C expression (default: expr, console functions renamed to their native twins). */
  c?: string;
}

/** Console function definitions, evaluated at BREAK1 first; the fixture gets each as `cf_x_native`. */
export const DEFINITIONS: string[] = [
  "long cf_sum_ll(struct ll s) { return s.a * 3 + s.b; }",
  "struct dd cf_swap_dd(struct dd s) { struct dd r = {s.b, s.a}; return r; }",
  "struct big24 cf_big(long x, struct big24 b) { b.a += x; b.c = b.a + b.b; return b; }",
  "struct fff cf_fff(struct fff s, float k) { s.a *= k; s.c += k; return s; }",
  "struct id cf_id(struct id s) { s.i++; s.d /= 2; return s; }",
  "struct ld cf_ld(struct ld s, int unused) { return s; }",
  "struct ldi cf_ldi(struct ldi s, int t) { s.tag = t; return s; }",
  "union uif cf_uif(union uif u) { u.i ^= 1; return u; }",
  "struct ii cf_ii(int a, int b) { return make_ii(b, a); }",
  "long cf_seven(struct ll a, struct ll b, struct ll c, struct ii d, struct dd e, struct id f, long g) { return seven(a, b, c, d, e, f, g) * 2 + d.b + f.i; }",
  "struct nested cf_nested(struct nested n) { n.in.c++; n.f *= 2; n.p = make_ii(n.p.b, n.p.a); return n; }",
  "struct c3 cf_c3(struct c3 s) { struct c3 r = {{s.s[2], s.s[1], s.s[0]}}; return r; }",
  "long cf_empty(long a, struct empty e, long b) { return a - b; }",
  "struct tail cf_tail(struct tail t) { t.b += t.a & 7; t.c--; return t; }",
  "struct fb cf_fb(struct fb s) { s.u++; s.f = -s.f; return s; }",
];

/** Console statements after the definitions (persistent variables), not compared themselves. */
export const SETUP: string[] = ["$pair = make_ll(11, 12)", "$far = make_big24(50)"];

export const CASES: StructCase[] = [
  // each classification, as an argument and as a result (whole, and a member of the rvalue)
  { expr: "sum_ii(make_ii(3, -4))", kind: "int" },
  { expr: "make_ii(5, 6)", kind: "struct" },
  { expr: "make_ii(5, 6).b", kind: "int" },
  { expr: "sum_ll(make_ll(-7, 1L << 40))", kind: "int" },
  { expr: "make_ll(1, 2)", kind: "struct" },
  { expr: "sum_dd(make_dd(1.5, -0.25))", kind: "double" },
  { expr: "make_dd(0.125, 3).a", kind: "double" },
  { expr: "make_dd(2, 4)", kind: "struct" },
  { expr: "sum_fff(make_fff(1.5f, 2, 3.25f))", kind: "double" },
  { expr: "make_fff(1, 2, 7.5f).c", kind: "double" },
  { expr: "make_fff(4, 5, 6)", kind: "struct" },
  { expr: "sum_id(make_id(-3, 0.5))", kind: "double" },
  { expr: "make_id(9, 2.75).d + make_id(9, 2.75).i", kind: "double" },
  { expr: "sum_di(make_di(0.5, -3))", kind: "double" },
  { expr: "make_di(1, 2)", kind: "struct" },
  { expr: "sum_c3(make_c3('a', 'b', 'c'))", kind: "int" },
  { expr: "make_c3(1, 2, 3).s[2]", kind: "int" },
  { expr: "sum_big24(make_big24(10))", kind: "int" },
  { expr: "make_big24(100).c", kind: "int" },
  { expr: "make_big24(5)", kind: "struct" },
  { expr: "sum_big32(make_big32(0.5, 7))", kind: "double" },
  { expr: "make_big32(2, 3).c[3]", kind: "int" },
  { expr: "ld_int(make_ld(7))", kind: "int" },
  { expr: "ld_int(g_ld)", kind: "int" },
  { expr: "ldi_int(make_ldi(2, 5))", kind: "int" },
  { expr: "make_ldi(2, 5).tag", kind: "int" },
  { expr: "sum_nested(make_nested(-2, 'x', 2.5f, 3, 4))", kind: "int" },
  { expr: "make_nested(1, 2, 0.5f, 3, 4).p.b", kind: "int" },
  { expr: "sum_fpd(make_fpd(0.5f, 0.25f, 3))", kind: "double" },
  { expr: "make_fpd(1, 2, 3).p.y", kind: "double" },
  { expr: "sum_arr(make_arr(3, 4, 0.5))", kind: "double" },
  { expr: "make_arr(5, 6, 7).v[1]", kind: "int" },
  { expr: "sum_f3a(make_f3a(1, 2, 3.5f))", kind: "double" },
  { expr: "make_f3a(1, 2, 3).v[2]", kind: "double" },
  { expr: "sum_fb(make_fb(1.5f, 9))", kind: "double" },
  { expr: "make_fb(2, 21).u", kind: "int" },
  { expr: "tail_sum(make_tail(5, 700, 90000))", kind: "int" },
  { expr: "tail_sum(g_tail)", kind: "int" },
  { expr: "make_tail(1, 2, 3)", kind: "struct" },
  { expr: "with_empty(3, make_empty(), 4)", kind: "int" },
  { expr: "sum_pk(make_pk(2, 345, 6))", kind: "int" },
  { expr: "make_pk(2, 345, 6).i", kind: "int" },
  { expr: "uif_bits(make_uif(1.5f))", kind: "int" },
  { expr: "make_uif(-2).i", kind: "int" },
  { expr: "ufd_d(make_ufd(1, 2))", kind: "double" },
  { expr: "ubig_sum(make_ubig(3))", kind: "int" },
  { expr: "make_ubig(4).l[2]", kind: "int" },
  // program objects and compound literals as arguments
  { expr: "sum_ll(g_ll) + sum_big24(g_big)", kind: "int" },
  { expr: "sum_dd(g_dd) + sum_fff(g_fff)", kind: "double" },
  { expr: "sum_ii((struct ii){.b = 9})", kind: "int" },
  { expr: "sum_id((struct id){7, 0.5})", kind: "double" },
  // registers run out
  { expr: "seven(make_ll(1, 2), make_ll(3, 4), make_ll(5, 6), make_ii(7, 8), make_dd(9, 10), make_id(11, 12), 13)", kind: "int" },
  { expr: "seven_sse(make_dd(1, 2), make_dd(3, 4), make_dd(5, 6), make_dd(7, 8), make_dd(9, 10), 11, make_ii(12, 13))", kind: "double" },
  { expr: "gap(1, 2, 3, 4, 5, make_ll(6, 7), 8)", kind: "int" },
  { expr: "stack_ldi(1, 2, 3, 4, 5, 6, 7, make_ldi(3, 8), 9)", kind: "int" },
  { expr: "big_from(1, 2, 3, 4, 5, 6).c", kind: "int" },
  { expr: "big_from(1, 2, 3, 4, 5, 6)", kind: "struct" },
  { expr: "va_lls(3, make_ll(1, 2), g_ll, make_ll(5, 6))", kind: "int" },
  // nested calls: a struct result straight into another call's struct argument
  { expr: "sum_ll(make_ll(sum_ii(make_ii(1, 2)), sum_big24(make_big24(1))))", kind: "int" },
  // console functions, called from the console…
  { expr: "cf_sum_ll(make_ll(5, 6))", kind: "int" },
  { expr: "cf_swap_dd(g_dd)", kind: "struct" },
  { expr: "cf_swap_dd(make_dd(1, 2)).a", kind: "double" },
  { expr: "cf_big(5, g_big)", kind: "struct" },
  { expr: "cf_big(5, make_big24(1)).c", kind: "int" },
  { expr: "cf_fff(g_fff, 2)", kind: "struct" },
  { expr: "cf_id(make_id(1, 3)).d", kind: "double" },
  { expr: "ld_int(cf_ld(make_ld(9), 0))", kind: "int" },
  { expr: "ldi_int(cf_ldi(make_ldi(1, 2), 7))", kind: "int" },
  { expr: "cf_uif(make_uif(1)).i", kind: "int" },
  { expr: "cf_ii(1, 2)", kind: "struct" },
  { expr: "cf_seven(make_ll(1, 2), make_ll(3, 4), make_ll(5, 6), make_ii(7, 8), make_dd(9, 10), make_id(11, 12), 13)", kind: "int" },
  { expr: "sum_nested(cf_nested(make_nested(3, 'a', 1.25f, 5, 6)))", kind: "int" },
  { expr: "sum_c3(cf_c3(make_c3(7, 8, 9)))", kind: "int" },
  { expr: "cf_empty(10, make_empty(), 3)", kind: "int" },
  { expr: "tail_sum(cf_tail(g_tail))", kind: "int" },
  { expr: "cf_fb(make_fb(0.5f, 15))", kind: "struct" },
  // …and from program code, through function pointers (gcc's caller, our callee)
  { expr: "apply_ll(cf_sum_ll, 4, 5)", kind: "int" },
  { expr: "apply_dd(cf_swap_dd, 1, 2)", kind: "double" },
  { expr: "apply_big(cf_big, 10)", kind: "int" },
  { expr: "apply_fff(cf_fff, 3)", kind: "double" },
  { expr: "apply_id(cf_id)", kind: "double" },
  { expr: "apply_ld(cf_ld)", kind: "int" },
  { expr: "apply_ldi(cf_ldi)", kind: "int" },
  { expr: "apply_seven(cf_seven)", kind: "int" },
  { expr: "apply_uif(cf_uif)", kind: "int" },
  // console variables of struct type
  { expr: "$pair.b * 100 + $pair.a", kind: "int", c: "make_ll(11, 12).b * 100 + make_ll(11, 12).a" },
  { expr: "sum_ll($pair) + cf_sum_ll($pair)", kind: "int", c: "sum_ll(make_ll(11, 12)) + cf_sum_ll(make_ll(11, 12))" },
  { expr: "sum_big24($far)", kind: "int", c: "sum_big24(make_big24(50))" },
  // statement expressions holding struct values
  { expr: "({ struct ll p = make_ll(2, 3); p.a = sum_ll(p); cf_sum_ll(p); })", kind: "int" },
  { expr: "({ struct dd q; q = cf_swap_dd(make_dd(5, 6)); q.a * 10 + q.b; })", kind: "double" },
  // bit-field reads (the stores are EFFECTS)
  { expr: "g_bits.mid + g_bits.sc * 1000 + g_bits.s31", kind: "int" },
  { expr: "g_tail.b + g_pbits.v", kind: "int" },
];

/** Stores at BREAK2 (the console's on g_ objects), done again by the program on the n_ copies. */
export interface Effect {
  expr: string;
  /** int: the expression's value is compared with the native one's; struct: only the objects are. */
  kind: "int" | "struct";
}

export const EFFECTS: Effect[] = [
  // assignments: each width and signedness, values that do not fit (truncated, the sign bit set)
  { expr: "g_bits.lo = 6", kind: "int" },
  { expr: "g_bits.lo = 13", kind: "int" },
  { expr: "g_bits.mid = 63", kind: "int" },
  { expr: "g_bits.mid = 100", kind: "int" },
  { expr: "g_bits.mid = -64", kind: "int" },
  { expr: "g_bits.hi = 4000000", kind: "int" },
  { expr: "g_bits.hi = -1", kind: "int" },
  { expr: "g_bits.sc = 7", kind: "int" },
  { expr: "g_bits.sc = 9", kind: "int" },
  { expr: "g_bits.flag = 4", kind: "int" },
  { expr: "g_bits.one = 3", kind: "int" },
  { expr: "g_bits.sone = 1", kind: "int" },
  { expr: "g_bits.s31 = 1073741823", kind: "int" },
  { expr: "g_bits.s31 = 1073741824", kind: "int" },
  { expr: "g_bits.u31 = 0x7fffffff", kind: "int" },
  { expr: "g_bits.u31 = -5", kind: "int" },
  { expr: "g_bits.wide = 0xfedcba9876L", kind: "int" },
  { expr: "g_bits.sw = 524288", kind: "int" },
  { expr: "g_bits.sw = -77", kind: "int" },
  // compound assignments and ++/-- (the promoted type decides: an unsigned 3-bit field computes as int)
  { expr: "g_bits.lo += 3", kind: "int" },
  { expr: "g_bits.lo /= -1", kind: "int" },
  { expr: "g_bits.mid -= 70", kind: "int" },
  { expr: "g_bits.mid *= 2.5", kind: "int" },
  { expr: "g_bits.hi <<= 3", kind: "int" },
  { expr: "g_bits.hi >>= 1", kind: "int" },
  { expr: "g_bits.sc |= 8", kind: "int" },
  { expr: "g_bits.s31 ^= -1", kind: "int" },
  { expr: "g_bits.u31 %= 1000", kind: "int" },
  { expr: "g_bits.wide += 1L << 39", kind: "int" },
  { expr: "++g_bits.lo", kind: "int" },
  { expr: "g_bits.lo++", kind: "int" },
  { expr: "g_bits.mid--", kind: "int" },
  { expr: "--g_bits.sone", kind: "int" },
  { expr: "g_bits.flag--", kind: "int" },
  { expr: "g_bits.one++", kind: "int" },
  { expr: "(g_bits.lo = 5) - 6", kind: "int" },
  { expr: "g_bits.mid = g_bits.lo = 7", kind: "int" },
  // fields that straddle a 32-bit boundary, end the struct, or sit in a packed struct
  { expr: "g_tail.b = 0x3ff", kind: "int" },
  { expr: "g_tail.b += 5", kind: "int" },
  { expr: "g_tail.c = 0x12345", kind: "int" },
  { expr: "g_tail.c--", kind: "int" },
  { expr: "g_pbits.v = -1", kind: "int" },
  { expr: "g_pbits.v -= 0x1234567", kind: "int" },
  // struct assignments from calls, to program variables
  { expr: "g_ll = make_ll(70, 80)", kind: "struct" },
  { expr: "g_dd = cf_swap_dd(g_dd)", kind: "struct" },
  { expr: "g_big = cf_big(100, make_big24(1))", kind: "struct" },
  { expr: "g_fff = make_fff(9, 8, 7)", kind: "struct" },
  { expr: "g_ld = cf_ld(make_ld(12), 1)", kind: "struct" },
];

/** Read back after the stores, by the console and by the program, from the g_ objects. */
export const READBACKS: string[] = [
  "g_bits.lo", "g_bits.mid", "g_bits.hi", "g_bits.sc", "g_bits.flag", "g_bits.one", "g_bits.sone", "g_bits.s31", "g_bits.u31", "g_bits.wide", "g_bits.sw",
  "g_tail.a", "g_tail.b", "g_tail.c", "g_pbits.c", "g_pbits.v", "g_pbits.d",
  "g_ll.a * 1000 + g_ll.b", "g_big.a + g_big.b * 10 + g_big.c * 100", "(long)(g_dd.a * 1000 + g_dd.b)", "(long)(g_fff.a * 10000 + g_fff.b * 100 + g_fff.c)",
];

/** Objects the program dumps byte for byte after the stores, g_ next to n_ (ld: its 10 bytes, not its padding). */
export const DUMPS: { name: string; size: string }[] = [
  { name: "bits", size: "sizeof(struct bits)" },
  { name: "tail", size: "sizeof(struct tail)" },
  { name: "pbits", size: "sizeof(struct pbits)" },
  { name: "ll", size: "sizeof(struct ll)" },
  { name: "dd", size: "sizeof(struct dd)" },
  { name: "big", size: "sizeof(struct big24)" },
  { name: "fff", size: "sizeof(struct fff)" },
  { name: "ld", size: "10" },
];
