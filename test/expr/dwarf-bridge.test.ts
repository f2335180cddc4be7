/** DWARF types (src/dwarf) bridged into the compiler's C types, checked against the harness. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Dwarf } from "../../src/dwarf/index.js";
import { ElfFile } from "../../src/elf/reader.js";
import { DwarfTypeBridge } from "../../src/expr/dwarf-bridge.js";
import { typeName, unqual } from "../../src/expr/types.js";
import { compileFixture } from "../helpers/compile.js";
import { item } from "./harness.js";

describe("DWARF → C type bridge", () => {
  const path = compileFixture("expr/harness.c", { object: true, flags: ["-g", "-O0"] });
  const dwarf = Dwarf.fromElf(ElfFile.parse(new Uint8Array(readFileSync(path)), path));
  const bridge = new DwarfTypeBridge();
  const typeOf = (name: string) => bridge.toC(dwarf.findGlobalVariable(name)!.type);

  it("gives the same struct layout the tests describe by hand, recursion included", () => {
    const head = unqual(typeOf("head"));
    expect(typeName(head)).toBe("struct item *");
    const rec = head.kind === "pointer" ? unqual(head.to) : undefined;
    expect(rec?.kind).toBe("struct");
    if (rec?.kind !== "struct") return;
    expect(rec.size).toBe(item.size);
    expect(rec.members.map((m) => [m.name, typeName(m.type), m.offset, m.bitOffset, m.bitSize])).toEqual(
      item.members.map((m) => [m.name, typeName(m.type), m.offset, m.bitOffset, m.bitSize]),
    );
    const next = unqual(rec.members[3]!.type);
    expect(next.kind === "pointer" && next.to).toBe(rec);
  });

  it("names other types as C does", () => {
    expect(typeName(typeOf("op_ptr"))).toBe("int (*)(int, int)");
    expect(typeName(typeOf("numbers"))).toBe("int [5]");
    expect(typeName(typeOf("greeting"))).toBe("char *");
    expect(typeName(typeOf("huge"))).toBe("unsigned long");
    const fav = unqual(typeOf("favorite"));
    expect(fav.kind === "enum" && fav.enumerators.map((e) => [e.name, e.value])).toEqual([["RED", 0n], ["GREEN", 5n], ["BLUE", 6n]]);
  });
});
