import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compileSource, fixturesDir, runNative } from "../helpers/compile.js";
import type { ArrayType, EnumType, FunctionType, StructType, TypedefType } from "../../src/dwarf/index.js";
import { build, open, VARIANTS } from "./helpers.js";

const SRC = join(fixturesDir, "dwarf", "program.c");

/** Layout facts from the compiler itself: sizes, offsets and bit-field positions, as JSON. */
function nativeLayout(): Record<string, number> {
  const exe = compileSource(
    `#define main fixture_main
#include "${SRC}"
#undef main
#include <stddef.h>
#include <string.h>
static void bits(const char *name, const unsigned char *p, size_t n) {
  int lo = -1, count = 0;
  for (size_t i = 0; i < n * 8; i++) if (p[i / 8] >> (i % 8) & 1) { if (lo < 0) lo = (int)i; count++; }
  printf("\\"%s.bitOffset\\": %d, \\"%s.bitSize\\": %d, ", name, lo, name, count);
}
#define BF(f) do { struct flags s; memset(&s, 0, sizeof s); s.f = -1; bits(#f, (unsigned char *)&s, sizeof s); } while (0)
int main(void) {
  printf("{");
  BF(a); BF(b); BF(c); BF(e);
  printf("\\"d.offset\\": %zu, ", offsetof(struct flags, d));
  printf("\\"flags.size\\": %zu, \\"item.size\\": %zu, \\"number.size\\": %zu, \\"flex.size\\": %zu, ", sizeof(struct flags), sizeof(struct item), sizeof(union number), sizeof(struct flex));
  printf("\\"item.id\\": %zu, \\"item.name\\": %zu, \\"item.next\\": %zu, \\"item.weight\\": %zu, \\"item.color\\": %zu, \\"item.op\\": %zu, ",
    offsetof(struct item, id), offsetof(struct item, name), offsetof(struct item, next), offsetof(struct item, weight), offsetof(struct item, color), offsetof(struct item, op));
  printf("\\"flex.data\\": %zu, \\"matrix.size\\": %zu, \\"color.size\\": %zu", offsetof(struct flex, data), sizeof matrix, sizeof(enum color));
  printf("}\\n");
  return 0;
}
`,
    { flags: ["-O0"] },
    "dwarf-layout",
  );
  const r = runNative(exe);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe.each(VARIANTS)("types ($label)", (v) => {
  const { dwarf } = open(build("program.c", v));
  const layout = nativeLayout();

  it("lays out struct members and bit-fields as the compiler does", () => {
    const flags = dwarf.findType("struct flags") as StructType;
    expect(flags.kind).toBe("struct");
    expect(flags.name).toBe("struct flags");
    expect(flags.byteSize).toBe(layout["flags.size"]);
    for (const f of ["a", "b", "c", "e"]) {
      const m = flags.member(f)!;
      expect(m.bitSize, f).toBe(layout[`${f}.bitSize`]);
      expect(m.bitOffset, f).toBe(layout[`${f}.bitOffset`]);
    }
    const d = flags.member("d")!;
    expect(d.bitSize).toBeUndefined();
    expect(d.byteOffset).toBe(layout["d.offset"]);
    expect(d.type.name).toBe("unsigned char");
    expect(flags.member("c")!.type.name).toBe("int");

    const item = dwarf.findType("struct item") as StructType;
    expect(item.byteSize).toBe(layout["item.size"]);
    expect(item.members.map((m) => [m.name, m.byteOffset])).toEqual(
      ["id", "name", "next", "weight", "color", "op"].map((n) => [n, layout[`item.${n}`]]),
    );
    expect(item.members.map((m) => m.type.name)).toEqual(["int", "char [16]", "struct item *", "double", "enum color", "binop_fn"]);
    expect(item.member("name")!.type.byteSize).toBe(16);
  });

  it("models unions, flexible arrays, enums, typedefs and function pointers", () => {
    const num = dwarf.findType("union number") as StructType;
    expect(num.kind).toBe("union");
    expect(num.byteSize).toBe(layout["number.size"]);
    expect(num.members.every((m) => m.byteOffset === 0)).toBe(true);

    const flex = dwarf.findType("struct flex") as StructType;
    expect(flex.byteSize).toBe(layout["flex.size"]);
    const data = flex.member("data")!;
    expect(data.byteOffset).toBe(layout["flex.data"]);
    expect(data.type.name).toBe("int []");
    expect((data.type as ArrayType).dimensions).toEqual([undefined]);
    expect(data.type.byteSize).toBeUndefined();

    const color = dwarf.findType("enum color") as EnumType;
    expect(color.byteSize).toBe(layout["color.size"]);
    expect(color.enumerators.map((e) => [e.name, e.value])).toEqual([["RED", 0n], ["GREEN", 5n], ["BLUE", -2n]]);

    const op = dwarf.findType("binop_fn") as TypedefType;
    expect(op.kind).toBe("typedef");
    expect(op.target.name).toBe("int (*)(int, char *)");
    expect(op.byteSize).toBe(8);
    const fn = (op.target.kind === "pointer" ? op.target.target : op.target) as FunctionType;
    expect(fn.kind).toBe("function");
    expect(fn.returnType.name).toBe("int");
    expect(fn.params.map((p) => p.name)).toEqual(["int", "char *"]);
    expect(fn.name).toBe("int (int, char *)");

    expect(dwarf.findType("uint")?.stripped.name).toBe("unsigned int");
    expect(dwarf.findType("int")?.byteSize).toBe(4);
    expect(dwarf.findType("struct nosuch")).toBeUndefined();
  });

  it("names the types of globals as C prints them", () => {
    const t = (n: string): string | undefined => dwarf.findGlobalVariable(n)?.type.name;
    expect(t("matrix")).toBe("int [3][4]");
    expect(dwarf.findGlobalVariable("matrix")!.type.byteSize).toBe(layout["matrix.size"]);
    expect((dwarf.findGlobalVariable("matrix")!.type as ArrayType).indexed.name).toBe("int [4]");
    expect(t("items")).toBe("struct item [2]");
    expect(t("greeting")).toBe("const char * const");
    expect(t("vcount")).toBe("volatile uint");
    expect(t("global_op")).toBe("binop_fn");
    expect(t("flexp")).toBe("struct flex *");
    expect(t("tls_counter")).toBe("int");
  });
});

describe("array bounds in fixed-size data", () => {
  // gcc writes `char b[256]`'s bound as data1 0xff and `[65536]` as data2 0xffff (255, 65535: the
  // subrange's type is unsigned), clang a count; a zero-length array has count 0.
  const source = `static struct { char c; } anon[256];\nchar a256[256];\nchar a65536[65536];\nstruct z { int n; int none[0]; } zs;\nint main(void) { return anon[0].c + a256[0] + a65536[0] + zs.n; }\n`;
  for (const cc of ["gcc", "clang"]) {
    it(`${cc}: 256 and 65536 elements, an anonymous struct's array, a zero-length member`, () => {
      const { dwarf } = open(compileSource(source, { cc, flags: ["-g", "-O0"], object: true }, `bounds-${cc}`));
      const dims = (n: string) => (dwarf.findGlobalVariable(n)!.type.stripped as ArrayType).dimensions;
      expect(dims("a256")).toEqual([256]);
      expect(dims("a65536")).toEqual([65536]);
      expect(dims("anon")).toEqual([256]);
      expect(dwarf.findGlobalVariable("anon")!.type.byteSize).toBe(256);
      const none = (dwarf.findType("struct z") as StructType).members.find((m) => m.name === "none")!;
      expect((none.type as ArrayType).dimensions).toEqual([0]);
    });
  }
});
