/**
 * Test support: a Scope describing test/fixtures/expr/harness.c, and a runner that compiles each
 * expression to an object, links all of them natively with gcc into one program together with the
 * harness, runs it, and pairs each compiled result with the same expression evaluated by gcc.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compile, type CompileOptions, type CompileResult } from "../../src/expr/compile.js";
import { compileWithExternalCc, type ExternalCcOptions } from "../../src/expr/external-cc.js";
import { MapScope, type VariableLocation } from "../../src/expr/scope.js";
import { T, arrayOf, functionType, pointerTo, typeName, typedef, unqual, type CType, type EnumType, type FunctionType, type RecordType } from "../../src/expr/types.js";
import { fixturesDir, repoRoot } from "../helpers/compile.js";

export const harnessPath = join(fixturesDir, "expr", "harness.c");

// ---- the harness's types

export const item: RecordType = { kind: "struct", tag: "item", members: [], size: 48, incomplete: false };
item.members = [
  { name: "id", type: T.int, offset: 0 },
  { name: "name", type: arrayOf(T.char, 16), offset: 4 },
  { name: "weight", type: T.double, offset: 24 },
  { name: "next", type: pointerTo(item), offset: 32 },
  { name: "kind", type: T.uint, offset: 40, bitOffset: 320, bitSize: 3 },
  { name: "level", type: T.int, offset: 40, bitOffset: 323, bitSize: 5 },
];
const pair: RecordType = { kind: "struct", tag: "pair", members: [{ name: "a", type: T.long, offset: 0 }, { name: "b", type: T.long, offset: 8 }], size: 16, incomplete: false };
const big: RecordType = { kind: "struct", tag: "big", members: [{ name: "v", type: arrayOf(T.long, 4), offset: 0 }], size: 32, incomplete: false };
const mixed: RecordType = {
  kind: "struct", tag: "mixed", size: 16, incomplete: false,
  members: [{ name: "x", type: T.double, offset: 0 }, { name: "y", type: T.int, offset: 8 }, { name: "z", type: T.int, offset: 12 }],
};
/** Declared, never defined (a library's opaque handle): usable through pointers only. */
const opaque: RecordType = { kind: "struct", tag: "opaque", members: [], size: undefined, incomplete: true };
const color: EnumType = { kind: "enum", tag: "color", underlying: T.uint, enumerators: [{ name: "RED", value: 0n }, { name: "GREEN", value: 5n }, { name: "BLUE", value: 6n }] };

/** Locals of the frame the tests "stop" in: declared in C, described to the compiler. */
export const LOCALS_C = [
  "int local = 5;",
  "double dlocal = 0.25;",
  "long lcount = -17;",
  "unsigned short us = 65535;",
  "float lf = 3.75f;",
  "char lbuf[32] = \"local buffer\";",
  "struct item litem = items[2];",
  "struct item *lp = &items[1];",
  "int rv = 11;", // a variable held in a register: its value travels in the argument block
  "long reg_rax = 1000;",
  "void *reg_rsp = (void *)0x7fff0000;",
].join(" ");

export function harnessScope(): MapScope {
  const s = new MapScope();
  const v = (name: string, type: CType | undefined, location: VariableLocation): void => {
    s.values.set(name, { kind: "variable", type, location });
  };
  const g = (name: string, type: CType): void => v(name, type, { kind: "global", symbol: name });
  const f = (name: string, type: FunctionType | undefined, symbol = name): void => {
    s.values.set(name, { kind: "function", symbol, type });
  };
  g("counter", T.int);
  g("big_number", T.long);
  g("ratio", T.double);
  g("fl", T.float);
  g("small", T.uchar);
  g("neg_short", T.short);
  g("huge", T.ulong);
  g("message", arrayOf(T.char, 16));
  g("greeting", pointerTo(T.char));
  g("numbers", arrayOf(T.int, 5));
  g("items", arrayOf(item, 3));
  g("head", pointerTo(item));
  g("favorite", color);
  g("op_ptr", pointerTo(functionType(T.int, [T.int, T.int])));
  v("tls_counter", T.int, { kind: "tls", symbol: "tls_counter" });
  v("tls_ratio", T.double, { kind: "tls", symbol: "tls_ratio" });
  for (const l of [["local", T.int], ["dlocal", T.double], ["lcount", T.long], ["us", T.ushort], ["lf", T.float], ["lbuf", arrayOf(T.char, 32)], ["litem", item], ["lp", pointerTo(item)]] as const) {
    v(l[0], l[1], { kind: "frame" });
  }
  v("rv", T.int, { kind: "value", register: "rbx" });
  // Persistent variables and results live in the program as globals the test's main.c defines.
  s.values.set("$p", { kind: "variable", type: T.long, location: { kind: "global", symbol: "jitdbg_persist_p" } });
  s.values.set("$1", { kind: "variable", type: T.double, location: { kind: "global", symbol: "jitdbg_result_1" } });
  // Symbols without debug info: usable only under a cast.
  v("raw_counter", undefined, { kind: "global", symbol: "counter" });
  f("mystery", undefined, "twice_native");
  f("add", functionType(T.int, [T.int, T.int]));
  f("twice_native", functionType(T.int, [T.int]));
  f("scale", functionType(T.double, [T.double, T.double]));
  f("halve", functionType(T.float, [T.float]));
  f("sum8", functionType(T.long, Array(8).fill(T.long) as CType[]));
  f("mix", functionType(T.double, [T.int, T.double, T.int, T.float]));
  f("many_doubles", functionType(T.double, Array(10).fill(T.double) as CType[]));
  f("sum_var", functionType(T.int, [T.int], true));
  f("make_pair", functionType(pair, [T.long, T.long]));
  f("make_big", functionType(big, [T.long]));
  f("make_mixed", functionType(mixed, [T.double, T.int]));
  f("pair_sum", functionType(T.long, [pair]));
  f("big_sum", functionType(T.long, [big]));
  f("mixed_sum", functionType(T.double, [mixed]));
  f("item_name", functionType(pointerTo(T.char), [pointerTo(item)]));
  f("next_char", functionType(T.uchar, [T.uchar]));
  f("to_schar", functionType(T.schar, [T.int]));
  f("reset", functionType(T.void, []));
  // Prototypes naming the opaque struct by value (legal C until called): only the error tests use them.
  g("opaque_ptr", pointerTo(opaque));
  f("use_opaque", functionType(T.int, [opaque]));
  f("make_opaque", functionType(opaque, [T.int]));
  for (const e of color.enumerators) s.values.set(e.name, { kind: "enumerator", value: e.value, type: color });
  s.addTag(item).addTag(opaque).addTag(pair).addTag(big).addTag(mixed).addTag(color);
  s.typedefs.set("item_t", typedef("item_t", item));
  return s;
}

/** C spelling of the place a slot's variable lives in the generated main.c. */
function cName(slotName: string): string {
  return slotName.startsWith("$") ? `reg_${slotName.slice(1)}` : slotName;
}

// ---- running

export interface Case {
  /** Console input. */
  expr: string;
  /** The same expression in plain C for gcc (default: expr). */
  native?: string;
  /** A C expression printed after evaluation, to compare side effects. */
  post?: string;
}

export interface CaseResult {
  expr: string;
  jit: string;
  native: string;
  compiled: CompileResult;
}

const PRINT_TYPE = `_Generic((X), _Bool: "_Bool", char: "char", signed char: "signed char", unsigned char: "unsigned char", short: "short", unsigned short: "unsigned short", int: "int", unsigned int: "unsigned int", long: "long", unsigned long: "unsigned long", long long: "long long", unsigned long long: "unsigned long long", float: "float", double: "double", default: "-")`;

function cTypeLabel(t: CType): string {
  const u = unqual(t);
  if (u.kind === "int" || u.kind === "float") return u.name;
  if (u.kind === "enum") return u.underlying.name;
  return "-";
}

/** printf statement for a value `v` of type t (already declared in C). */
function printValue(t: CType, v: string, sizeExpr: string): string {
  const u = unqual(t);
  switch (u.kind) {
    case "void": return `printf("void");`;
    case "int": case "enum": return (u.kind === "int" ? u.signed : u.underlying.signed) ? `printf("%lld", (long long)(${v}));` : `printf("%llu", (unsigned long long)(${v}));`;
    case "float": return `printf("%.17g", (double)(${v}));`;
    case "pointer": return `printf("%p", (void *)(${v}));`;
    default: return `dump(&(${v}), ${sizeExpr});`;
  }
}

export interface GroupOptions extends CompileOptions {
  /** Extra gcc flags for the final link (e.g. -no-pie). */
  linkFlags?: string[];
  /** Console function definitions compiled first and added to the Scope; their text is also compiled natively as <name>_native_def. */
  definitions?: string[];
  /** Link the compiled objects into a shared object the program loads (no relaxation). */
  sharedObject?: boolean;
  /** Compile with the external C compiler backend instead. */
  external?: ExternalCcOptions;
}

const workDir = join(repoRoot, ".cache", "expr-tests");

/** Compiles every case, links them all with the harness, runs the program, pairs the lines. */
export function runCases(cases: Case[], opts: GroupOptions = {}): CaseResult[] {
  const scope = harnessScope();
  const objects: Uint8Array[] = [];
  const nativeDefs: string[] = [];
  for (const d of opts.definitions ?? []) {
    const r = compile(d, scope, opts);
    objects.push(r.object);
    for (const def of r.defines) {
      scope.values.set(def.name, { kind: "function", symbol: def.name, type: def.type });
      nativeDefs.push(d.replace(new RegExp(`\\b${def.name}\\b`, "g"), `${def.name}_native_def`));
    }
  }
  const compiled = cases.map((c, i) =>
    opts.external ? compileWithExternalCc(c.expr, scope, { ...opts.external, entryName: `jitdbg_case_${i}` }) : compile(c.expr, scope, { ...opts, entryName: `jitdbg_case_${i}` }),
  );
  const nativeOf = (c: Case): string => {
    let n = c.native ?? c.expr;
    n = n.replace(/\$p\b/g, "jitdbg_persist_p").replace(/\$1\b/g, "jitdbg_result_1").replace(/\$(r[a-z0-9]+)/g, "reg_$1");
    for (const d of opts.definitions ?? []) {
      const name = /(\w+)\s*\(/.exec(d)![1]!;
      n = n.replace(new RegExp(`\\b${name}\\b`, "g"), `${name}_native_def`);
    }
    return n;
  };

  const lines: string[] = [
    `#include ${JSON.stringify(harnessPath)}`,
    "long jitdbg_persist_p = 77;",
    "double jitdbg_result_1 = 1.5;",
    "static void dump(const void *p, size_t n) { const unsigned char *b = p; for (size_t i = 0; i < n; i++) printf(\"%02x\", b[i]); }",
    ...nativeDefs.map((d) => `static ${d}`),
    ...compiled.map((_, i) => `void jitdbg_case_${i}(void *, void *);`),
    "int main(void) {",
    "  setvbuf(stdout, NULL, _IONBF, 0);",
  ];
  cases.forEach((c, i) => {
    const r = compiled[i]!;
    const t = r.resultType;
    const tname = typeName(t);
    const u = unqual(t);
    const post = c.post ? `printf(" | "); dump(&(${c.post}), sizeof(${c.post}));` : "";
    const slots = r.argBlock.slots;
    lines.push(`  { reset(); jitdbg_persist_p = 77; ${LOCALS_C}`);
    lines.push(`    unsigned long __blk[${slots.length + 1}] = {0};`);
    for (const s of slots) {
      const k = s.offset / 8;
      lines.push(s.fill === "address" ? `    __blk[${k}] = (unsigned long)&${cName(s.name)};` : `    memcpy(&__blk[${k}], &${cName(s.name)}, sizeof ${cName(s.name)});`);
    }
    lines.push(`    _Alignas(16) unsigned char __res[${r.resultSize + 16}] = {0};`);
    lines.push(`    void (*volatile __f)(void *, void *) = jitdbg_case_${i}; __f(__blk, __res);`);
    for (const s of slots) if (s.written) lines.push(`    memcpy(&${cName(s.name)}, &__blk[${s.offset / 8}], sizeof ${cName(s.name)});`);
    lines.push(`    printf("J${i}: %s ", ${JSON.stringify(cTypeLabel(t))});`);
    if (u.kind === "void") lines.push(`    printf("void");`);
    else lines.push(`    { __typeof__(${tname}) __v; memcpy(&__v, __res, sizeof __v); ${printValue(t, "__v", "sizeof __v")} }`);
    lines.push(`    ${post} printf("\\n"); }`);
    const n = nativeOf(c);
    lines.push(`  { reset(); jitdbg_persist_p = 77; ${LOCALS_C}`);
    // Evaluate first, then print, as the compiled side does (the expression may print itself).
    const label = `printf("N${i}: %s ", ${PRINT_TYPE.replace("X", n)});`;
    if (u.kind === "void") lines.push(`    (${n}); ${label} printf("void");`);
    else if (u.kind === "array") lines.push(`    ${label} ${printValue(t, n, `sizeof(${n})`)}`);
    else lines.push(`    { __typeof__(${n}) __v = (${n}); ${label} ${printValue(t, "__v", "sizeof __v")} }`);
    lines.push(`    ${post} printf("\\n"); }`);
  });
  lines.push("  return 0;", "}");
  const main = lines.join("\n") + "\n";

  const hash = createHash("sha256").update(main).update(readFileSync(harnessPath)).update(JSON.stringify(opts.linkFlags ?? []));
  for (const o of objects) hash.update(o);
  for (const r of compiled) hash.update(r.object);
  const dir = join(workDir, hash.digest("hex").slice(0, 16));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.c"), main);
  const objPaths = [...objects, ...compiled.map((r) => r.object)].map((o, i) => {
    const p = join(dir, `expr${i}.o`);
    writeFileSync(p, o);
    return p;
  });
  const exe = join(dir, "main");
  let env: Record<string, string> = {};
  if (opts.sharedObject) {
    // The compiled code in a shared object: no linker relaxation, so general-dynamic TLS really
    // calls __tls_get_addr and GOT loads stay GOT loads; the program exports its symbols to it.
    const lib = join(dir, "libexpr.so");
    execFileSync("gcc", ["-shared", "-o", lib, ...objPaths], { stdio: ["ignore", "pipe", "pipe"] });
    execFileSync("gcc", ["-O0", "-g", "-w", "-rdynamic", "-o", exe, join(dir, "main.c"), lib, "-lm"], { stdio: ["ignore", "pipe", "pipe"] });
    env = { LD_LIBRARY_PATH: dir };
  } else execFileSync("gcc", ["-O0", "-g", "-w", ...(opts.linkFlags ?? []), "-o", exe, join(dir, "main.c"), ...objPaths, "-lm"], { stdio: ["ignore", "pipe", "pipe"] });
  const run = spawnSync(exe, [], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`harness exited with ${run.status ?? run.signal}: ${run.stderr}\n${run.stdout}`);
  const got = new Map<string, string>();
  for (const line of run.stdout.split("\n")) {
    const m = /^([JN]\d+): (.*)$/.exec(line);
    if (m) got.set(m[1]!, m[2]!);
  }
  return cases.map((c, i) => ({ expr: c.expr, jit: got.get(`J${i}`) ?? "<missing>", native: got.get(`N${i}`) ?? "<missing>", compiled: compiled[i]! }));
}
