/**
 * Random typed C programs for the differential fuzzer: enums, structs with bit-fields of
 * int/unsigned/long/unsigned long bases (and zero-width ones), nested structs and array members,
 * arrays, pointers into them, and scalars of every arithmetic type — as globals and as locals of
 * `probe`, which stops at a breakpoint line. Every object has a known value; each place an
 * expression can read is a Leaf with its C text, model type and value.
 */
import { Rng } from "./rng.js";
import { TY, range, wrap, type Ty, type Val } from "./c-model.js";

export interface Leaf {
  text: string;
  ty: Ty;
  value: Val;
  /** An enum object (the console shows it by name): used inside arithmetic, not as a whole result. */
  isEnum?: boolean;
  /** A bit-field (sizeof and & do not apply). */
  bitField?: boolean;
}

export interface Program {
  /** The whole C source; the TWIN marker comment in probe is replaced by the twin's prints. */
  source: string;
  leaves: Leaf[];
}

const INT_TYPES = [TY.bool, TY.char, TY.schar, TY.uchar, TY.short, TY.ushort, TY.int, TY.uint, TY.long, TY.ulong, TY.llong, TY.ullong];
const SCALAR_TYPES = [...INT_TYPES, TY.float, TY.double];
const BIT_BASES = [TY.int, TY.uint, TY.long, TY.ulong];

interface Field {
  name: string;
  /** Scalar, enum, bit-field, array of scalars, or a nested struct. */
  kind: "scalar" | "enum" | "bits" | "array" | "struct";
  ty?: Ty;
  width?: number;
  count?: number;
  en?: EnumDef;
  st?: StructDef;
}
interface StructDef { name: string; fields: Field[] }
interface EnumDef { name: string; values: { name: string; value: bigint }[]; ty: Ty }

export function randomValue(rng: Rng, t: Ty): Val {
  if (t.k === "int" && t.bool) return BigInt(rng.int(0, 1));
  if (t.k === "float") {
    // Multiples of 1/8 with a few significant digits: exact in both formats, printed alike.
    const v = rng.int(-400000, 400000) / 8;
    return t.bits === 32 ? Math.fround(v) : v;
  }
  const r = range(t);
  const pick = rng.int(0, 5);
  if (pick === 0) return rng.pick([r.min, r.max, 0n, 1n, wrap(-1n, t)]);
  if (pick <= 2) return wrap(BigInt(rng.int(-300, 300)), t);
  return wrap(rng.bits64(), t);
}

/** C text of a constant of type t (a cast keeps the type exact; INT_MIN-like values need no literal of their own). */
export function literal(v: Val, t: Ty): string {
  if (t.k === "float") return t.bits === 32 ? `${formatFloat(v as number)}f` : formatFloat(v as number);
  const x = v as bigint;
  if (t.signed && x < 0n) return `(${t.name})(${x + 1n}L - 1)`;
  return `(${t.name})${x}UL`;
}

function formatFloat(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function generateProgram(rng: Rng): Program {
  const decls: string[] = [];
  const locals: string[] = [];
  const leaves: Leaf[] = [];
  let n = 0;
  const fresh = (p: string) => `${p}${n++}`;

  const enums: EnumDef[] = [];
  for (let i = rng.int(1, 2); i > 0; i--) {
    const name = fresh("e");
    const values: { name: string; value: bigint }[] = [];
    let v = BigInt(rng.int(-3, 3));
    for (let k = rng.int(2, 4); k > 0; k--) {
      values.push({ name: `${name}_${values.length}`, value: v });
      v += BigInt(rng.int(1, 40));
    }
    const ty = values.some((x) => x.value < 0n) ? TY.int : TY.uint; // gcc: unsigned int unless one is negative
    enums.push({ name, values, ty });
    decls.push(`enum ${name} { ${values.map((x) => `${x.name} = ${x.value}`).join(", ")} };`);
    for (const x of values) leaves.push({ text: x.name, ty: TY.int, value: x.value });
  }

  const structs: StructDef[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const st: StructDef = { name: fresh("s"), fields: [] };
    const body: string[] = [];
    for (let k = rng.int(2, 6); k > 0; k--) {
      const kind = rng.pick(["scalar", "scalar", "bits", "bits", "bits", "array", "enum", "struct"] as const);
      const name = fresh("m");
      if (kind === "scalar") {
        const ty = rng.pick(SCALAR_TYPES);
        st.fields.push({ name, kind, ty });
        body.push(`${ty.name} ${name};`);
      } else if (kind === "bits") {
        const ty = rng.pick(BIT_BASES) as Ty & { k: "int" };
        const width = rng.int(1, ty.bits);
        if (rng.chance(0.15)) body.push(`${ty.name} : 0;`);
        st.fields.push({ name, kind, ty, width });
        body.push(`${ty.name} ${name} : ${width};`);
      } else if (kind === "array") {
        const ty = rng.pick(SCALAR_TYPES);
        const count = rng.int(2, 4);
        st.fields.push({ name, kind, ty, count });
        body.push(`${ty.name} ${name}[${count}];`);
      } else if (kind === "enum") {
        const en = rng.pick(enums);
        st.fields.push({ name, kind, en });
        body.push(`enum ${en.name} ${name};`);
      } else if (structs.length > 0) {
        const inner = rng.pick(structs);
        st.fields.push({ name, kind, st: inner });
        body.push(`struct ${inner.name} ${name};`);
      }
    }
    structs.push(st);
    decls.push(`struct ${st.name} { ${body.join(" ")} };`);
  }

  /** A brace initializer for st, adding the leaves under `path`. */
  const structInit = (st: StructDef, path: string): string => {
    const items = st.fields.map((f) => {
      const at = `${path}.${f.name}`;
      switch (f.kind) {
        case "scalar": {
          const v = randomValue(rng, f.ty!);
          leaves.push({ text: at, ty: f.ty!, value: v });
          return literal(v, f.ty!);
        }
        case "bits": {
          const base = f.ty! as Ty & { k: "int" };
          const w = f.width!;
          const raw = BigInt.asUintN(w, randomValue(rng, TY.ulong) as bigint);
          const v = base.signed ? BigInt.asIntN(w, raw) : raw;
          // gcc promotes a bit-field narrower than int to int, whatever its base. Wider ones (and a
          // long-based one of exactly 32 bits) have gcc's own N-bit arithmetic, which clang and the
          // console do in the base type: they are read through a cast (README's fuzzer exclusions).
          if (w < 32 || (w === 32 && base.bits === 32)) leaves.push({ text: at, ty: w < 32 || base.signed ? TY.int : TY.uint, value: v, bitField: true });
          else leaves.push({ text: `(${base.name})${at}`, ty: base, value: v });
          return `${v}${base.signed ? "L" : "UL"}`;
        }
        case "array": {
          const vs = Array.from({ length: f.count! }, () => randomValue(rng, f.ty!));
          vs.forEach((v, i) => leaves.push({ text: `${at}[${i}]`, ty: f.ty!, value: v }));
          return `{ ${vs.map((v) => literal(v, f.ty!)).join(", ")} }`;
        }
        case "enum": {
          const x = rng.pick(f.en!.values);
          leaves.push({ text: at, ty: f.en!.ty, value: x.value, isEnum: true });
          return x.name;
        }
        case "struct":
          return structInit(f.st!, at);
      }
    });
    return `{ ${items.join(", ")} }`;
  };

  /** One object (global or local) of a random kind; its declaration text. */
  const object = (local: boolean): string => {
    const name = fresh(local ? "l" : "g");
    const kind = rng.pick(["scalar", "scalar", "scalar", "enum", "struct", "struct", "array", "pointer"] as const);
    if (kind === "struct" && structs.length > 0) {
      const st = rng.pick(structs);
      return `struct ${st.name} ${name} = ${structInit(st, name)};`;
    }
    if (kind === "enum") {
      const en = rng.pick(enums);
      const x = rng.pick(en.values);
      leaves.push({ text: name, ty: en.ty, value: x.value, isEnum: true });
      return `enum ${en.name} ${name} = ${x.name};`;
    }
    if (kind === "array" || kind === "pointer") {
      const ty = rng.pick(SCALAR_TYPES);
      const count = rng.int(2, 5);
      const vs = Array.from({ length: count }, () => randomValue(rng, ty));
      vs.forEach((v, i) => leaves.push({ text: `${name}[${i}]`, ty, value: v }));
      let text = `${ty.name} ${name}[${count}] = { ${vs.map((v) => literal(v, ty)).join(", ")} };`;
      if (kind === "pointer") {
        // A pointer into the array: element k is p[k - j], *p is element j.
        const p = fresh(local ? "lp" : "gp");
        const j = rng.int(0, count - 1);
        text += ` ${ty.name} *${p} = &${name}[${j}];`;
        leaves.push({ text: `*${p}`, ty, value: vs[j]! });
        for (let k = 0; k < count; k++) {
          if (rng.chance(0.5)) leaves.push({ text: `${p}[${k - j}]`, ty, value: vs[k]! });
          // Pointer arithmetic and differences (ptrdiff_t, a long).
          if (rng.chance(0.3)) leaves.push({ text: `*(${p} + ${k - j})`, ty, value: vs[k]! });
          if (rng.chance(0.3)) leaves.push({ text: `(&${name}[${k}] - ${p})`, ty: TY.long, value: BigInt(k - j) });
          // Pointer comparisons (int).
          if (rng.chance(0.2)) leaves.push({ text: `(${p} == &${name}[${k}])`, ty: TY.int, value: k === j ? 1n : 0n });
          if (rng.chance(0.2)) leaves.push({ text: `(${p} < ${name} + ${k})`, ty: TY.int, value: j < k ? 1n : 0n });
        }
      }
      return text;
    }
    const ty = rng.pick(SCALAR_TYPES);
    const v = randomValue(rng, ty);
    leaves.push({ text: name, ty, value: v });
    // A local's value comes through a volatile read, so -O2 keeps it (in a register) instead of folding it away.
    return local && ty.k === "int" && !ty.bool ? `${ty.name} ${name} = ${literal(v, ty)} + fuzz_zero;` : `${ty.name} ${name} = ${literal(v, ty)};`;
  };

  for (let i = rng.int(3, 7); i > 0; i--) decls.push(object(false));
  for (let i = rng.int(2, 5); i > 0; i--) locals.push(object(true));
  // A pointer to a struct global: member reads through ->.
  const sg = leaves.find((l) => /^g\d+\.m\d+$/.test(l.text));
  if (sg) {
    const g = sg.text.split(".")[0]!;
    const st = decls.find((d) => new RegExp(`^struct s\\d+ ${g} =`).test(d))!.split(" ")[1]!;
    decls.push(`struct ${st} *gps = &${g};`);
    // Through the pointer: gps->m, (*gps).m, gps[0].m.
    for (const l of leaves.filter((x) => x.text.startsWith(`${g}.`))) if (rng.chance(0.5)) leaves.push({ ...l, text: l.text.replace(`${g}.`, rng.pick(["gps->", "(*gps).", "gps[0]."])) });
    leaves.push({ text: "!gps", ty: TY.int, value: 0n });
  }

  const source = `/* Generated by test/fuzz/program.ts. */
#include <stdio.h>

volatile int fuzz_zero;
${decls.join("\n")}

#define TN(e) _Generic((e), _Bool: "_Bool", char: "char", signed char: "signed char", unsigned char: "unsigned char", short: "short", unsigned short: "unsigned short", int: "int", unsigned int: "unsigned int", long: "long", unsigned long: "unsigned long", long long: "long long", unsigned long long: "unsigned long long", float: "float", double: "double", default: "other")
/* Not inlined: the twin's printing must not share the breakpoint's instructions (an inlined copy there would be frame 0). */
__attribute__((noinline)) static void show_s(int i, const char *t, long long v) { printf("T%d: %s %lld\\n", i, t, v); }
__attribute__((noinline)) static void show_u(int i, const char *t, unsigned long long v) { printf("T%d: %s %llu\\n", i, t, v); }
__attribute__((noinline)) static void show_f(int i, const char *t, double v) { printf("T%d: %s %.17g\\n", i, t, v); }
#define SHOW(i, e) _Generic((e), float: show_f, double: show_f, _Bool: show_u, unsigned char: show_u, unsigned short: show_u, unsigned int: show_u, unsigned long: show_u, unsigned long long: show_u, default: show_s)(i, TN(e), (e))

__attribute__((noinline)) void marker(void) { __asm__ volatile(""); }

__attribute__((noinline)) int probe(void) {
  ${locals.join("\n  ")}
  marker(); /* BREAK */
  /*TWIN*/
  return 0;
}

int main(void) { return probe(); }
`;
  return { source, leaves };
}
