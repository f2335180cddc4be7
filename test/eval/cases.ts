/** The constructs the parity test evaluates, and the side effects it checks afterwards. */
import type { Case } from "./fixture.js";

/**
 * `o2: false`: not compared at -O2. gcc's location list for `dl` names its stack slot before the
 * store (gdb prints the same garbage there), and `pl` is a DW_OP_implicit_pointer (no address to
 * pass to compiled code; gdb's synthetic pointers are not supported).
 */
export const CASES: Case[] = [
  // errno first (a twin's printf may change it): the static libc's TLS errno
  { expr: "errno", kind: "int" },
  // literals and arithmetic
  { expr: "1 + 2 * 3", kind: "int" },
  { expr: "0x7fffffff + 1u", kind: "int" },
  // A negated unsigned constant wraps in its type before it is converted (a fuzzer finding: it stayed -205).
  { expr: "-(205u) <= 1L", kind: "int" },
  { expr: "-205u + 0L", kind: "int" },
  { expr: "-17 / 5 + -17 % 5", kind: "int" },
  { expr: "1.5 + 2.25f", kind: "double" },
  { expr: "1e3 / 7", kind: "double" },
  { expr: "'e'", kind: "int" },
  { expr: "\"lit\"", kind: "str" },
  // locals and parameters
  { expr: "local", kind: "int" },
  { expr: "n * 100 + local", kind: "int" },
  { expr: "d", kind: "double" },
  { expr: "dl * 3", kind: "double", o2: false },
  { expr: "buf", kind: "str" },
  { expr: "buf[1]", kind: "int" },
  { expr: "pt.x + pt.y * 10", kind: "int" },
  { expr: "*pl", kind: "int", o2: false },
  // globals, statics, arrays, struct members through pointers
  { expr: "counter", kind: "int" },
  { expr: "counter * 3 - big", kind: "int" },
  { expr: "ratio", kind: "double" },
  { expr: "hidden_static + 1", kind: "int" },
  { expr: "message", kind: "str" },
  { expr: "greeting", kind: "str" },
  { expr: "numbers[3] + numbers[4]", kind: "int" },
  { expr: "it->id", kind: "int" },
  { expr: "it->name", kind: "str" },
  { expr: "it->next->weight", kind: "double" },
  { expr: "head->next->next->pos.y", kind: "int" },
  { expr: "items[2].name[5]", kind: "int" },
  { expr: "&items[1]", kind: "ptr" },
  { expr: "it->next", kind: "ptr" },
  { expr: "(item_t *)head == &items[0]", kind: "int" },
  { expr: "(int)favorite", kind: "int" },
  { expr: "BLUE - GREEN", kind: "int" },
  // casts
  { expr: "(char)300", kind: "int" },
  { expr: "(unsigned short)-1", kind: "int" },
  { expr: "(int)(ratio * 10)", kind: "int" },
  { expr: "(double)counter / 8", kind: "double" },
  { expr: "*(int *)&items[1]", kind: "int" },
  // TLS
  { expr: "tls_counter", kind: "int" },
  { expr: "tls_ratio * 2", kind: "double" },
  // calls: libc, doubles, struct results, a static function
  { expr: "strlen(message)", kind: "int" },
  { expr: "strlen(it->name) + strlen(\"four\")", kind: "int" },
  { expr: "memcmp(items[0].name, items[1].name, 5)", kind: "int" },
  { expr: "memcmp(message, \"hello\", 5) == 0", kind: "int" },
  { expr: "add(counter, n)", kind: "int" },
  { expr: "scale(d, dl)", kind: "double", o2: false },
  { expr: "scale(ratio, 4) + 0.125", kind: "double" },
  { expr: "make_point(n, local)", kind: "point" },
  { expr: "make_point(3, 4).y", kind: "int" },
  { expr: "twice(21)", kind: "int" },
  // GNU statement expressions: declarations, loops, nesting, shadowing, calls inside
  { expr: "({ int y = local * 2; y + n; })", kind: "int" },
  { expr: "({ int s = 0; for (int i = 0; i < 10; i++) s += numbers[i % 5]; s; })", kind: "int" },
  { expr: "({ long t = 1; int k = 0; while (k < 7) { t *= 3; k++; } t; }) - counter", kind: "int" },
  { expr: "({ double acc = 0; int i = 0; do { acc += ratio / (i + 1); } while (++i < 4); acc; })", kind: "double" },
  { expr: "({ int q = n; ({ int q = local; q * 10; }) + q; })", kind: "int" },
  // switch: fall-through, default in the middle, no match, a loop's continue through it, big and negative cases
  { expr: "({ int r = 0; switch (n) { case 1: r = 10; break; case 2: r = 20; default: r += 5; case 9: r += 100; } r; })", kind: "int" },
  { expr: "({ int r = 0; switch (n + 40) { case 1: r = 1; break; case 2: r = 2; break; } r; })", kind: "int" },
  { expr: "({ int s = 0; for (int i = 0; i < 12; i++) { switch (i % 4) { case 0: continue; case 1: s += i; break; default: s += 100 * i; } s++; } s; })", kind: "int" },
  { expr: "({ long r = 7; switch ((unsigned long)counter * 4000000000UL) { case 0: r = -1; break; default: switch ((char)-3) { case -3: r = (long)counter * 3; break; } } r; })", kind: "int" },
  { expr: "({ int k = 0; switch (local) { default: k = 1; } k; })", kind: "int" },
  { expr: "({ int m = 0; for (int i = 0; i < 20; i++) { if (i % 3 == 0) continue; if (i > 14) break; m += i; } m; })", kind: "int" },
  { expr: "({ unsigned long len = strlen(message); len * 2; })", kind: "int" },
  // compound literals: designators, nesting, partial lists zero-filled, as call arguments by pointer
  { expr: "(struct point){1, 2}", kind: "point" },
  { expr: "(struct point){.y = local, .x = n}", kind: "point" },
  { expr: "(struct point){.y = 4}", kind: "point" },
  { expr: "(struct point){3, 4}.y * 10 + (int[3]){1, 2, 3}[2]", kind: "int" },
  { expr: "(&(struct point){n, local})->y - n", kind: "int" },
  { expr: "make_point((struct point){n, 2}.y, (int[]){[4] = local}[4])", kind: "point" },
  { expr: "(struct point[2]){{1, 2}, 3, 4}[1].x + (struct point[2]){[1].y = 5}[1].y", kind: "int" },
  { expr: "strlen((char[8]){\"abcd\"}) + strlen((&(struct item){.name = \"xyz\"})->name)", kind: "int" },
  { expr: "(struct item){7, \"seven\", 2.5, 0, {1, 2}}.weight * 4", kind: "double" },
  { expr: "crash({local, 8}) + strlen({'h', 'i', 0})", c: "crash((int[]){local, 8}) + strlen((char[]){'h', 'i', 0})", kind: "int" },
  // initialized declarations in statement expressions
  { expr: "({ struct point q = items[2].pos; q = (struct point){q.y, 4}; q.x * 10 + q.y; })", kind: "int" },
  { expr: "({ int a[3] = {1, 2, 3}; a[0] + a[1] * 10 + a[2] * 100 + local; })", kind: "int" },
  { expr: "({ char b[8] = \"ab\"; strlen(b) * 100 + b[1] + b[7]; })", kind: "int" },
  { expr: "({ struct point p = {n, 7}; struct point q = p; q.x * q.y; })", kind: "int" },
  { expr: "({ struct item x = {5, \"five\", 2.5, 0, {1, 2}}; x.weight * x.id + x.pos.y + strlen(x.name); })", kind: "double" },
  { expr: "({ int m[2][3] = {{1}, {4, 5}}; double w[] = {ratio, 0.5}; m[1][1] * 10 + m[0][0] + w[1] + w[0] + sizeof w; })", kind: "double" },
];

/** Assignments at BREAK2 and the C expressions the program prints after them. */
export const EFFECTS: { expr: string; post: string; expected: number }[] = [
  { expr: "counter = 99", post: "counter", expected: 99 },
  { expr: "ratio *= 4", post: "ratio", expected: 3 },
  { expr: "items[0].weight = 0.25", post: "items[0].weight", expected: 0.25 },
  { expr: "it->id += 5", post: "items[1].id", expected: 25 },
  { expr: "local = 77", post: "local", expected: 77 },
  { expr: "tls_counter = 1000", post: "tls_counter", expected: 1000 },
  { expr: "numbers[2]++", post: "numbers[2]", expected: 4 },
  // a compound literal as an assignment source, and gdb's brace form with the target's type
  { expr: "items[1].pos = (struct point){3, 4}", post: "items[1].pos.x * 10 + items[1].pos.y", expected: 34 },
  { expr: "items[0].pos = {8, 9}", post: "items[0].pos.x * 10 + items[0].pos.y", expected: 89 },
  { expr: "items[2] = {.id = 6, .name = \"six\"}", post: "items[2].id * 1000 + items[2].name[1] + items[2].weight", expected: 6105 },
];

