/** Every diagnostic the compiler gives: message, column, and suggestion. */
import { describe, expect, it } from "vitest";
import { compile } from "../../src/expr/compile.js";
import { ExprError } from "../../src/expr/errors.js";
import { harnessScope } from "./harness.js";

function diagnose(src: string): { code: string; message: string; column: number } {
  try {
    compile(src, harnessScope());
  } catch (e) {
    if (e instanceof ExprError) return { code: e.code, message: e.message, column: e.column };
    throw e;
  }
  throw new Error(`'${src}' compiled without error`);
}

const CASES: [string, string, number, string][] = [
  // source, message, column, code
  // long double and _Complex: what C does not allow, and what stays unsupported
  ["1 + 2i", "error: '2i' is an imaginary constant of type '_Complex int', and complex integer types are not supported; write a floating one ('2.0i')", 5, "EXPR_UNSUPPORTED"],
  ["(_Complex int)1", "error: complex integer types ('_Complex int') are not supported; use _Complex float, double or long double", 2, "EXPR_UNSUPPORTED"],
  ["(_Complex double)1 < 2", "error: invalid operands to binary < ('complex double' and 'int'): complex values have only + - * / == !=", 20, "EXPR_TYPE"],
  ["(_Complex double)1 << 2", "error: invalid operands to binary << ('complex double' and 'int'): complex values have only + - * / == !=", 20, "EXPR_TYPE"],
  ["({ _Complex double z = 1; z++; })", "error: cannot increment value of type 'complex double'", 28, "EXPR_TYPE"],
  ["({ _Complex double z = 2; z %= 2; })", "error: invalid operands to binary % ('complex double' and 'int')", 29, "EXPR_TYPE"],
  ["1.5L % 2", "error: invalid operands to binary % ('long double' and 'int')", 6, "EXPR_TYPE"],
  ["~1.5L", "error: invalid argument type 'long double' to unary expression '~'", 1, "EXPR_TYPE"],
  ["(int *)(_Complex float)1", "error: cannot cast 'complex float' to 'int *'", 1, "EXPR_TYPE"],
  ["(struct pair)(_Complex double)1", "error: cannot cast 'complex double' to 'struct pair'", 1, "EXPR_TYPE"],
  ["__real__ head", "error: invalid argument type 'struct item *' to '__real__': it takes an arithmetic value", 1, "EXPR_TYPE"],
  ["items[0].nmae", "error: no member named 'nmae' in 'struct item'; did you mean 'name'?", 10, "EXPR_NO_MEMBER"],
  ["head->wieght * 2", "error: no member named 'wieght' in 'struct item'; did you mean 'weight'?", 7, "EXPR_NO_MEMBER"],
  ["head->zzzzzz", "error: no member named 'zzzzzz' in 'struct item'", 7, "EXPR_NO_MEMBER"],
  ["lcoal + 1", "error: unknown identifier 'lcoal'; did you mean 'local'?", 1, "EXPR_UNKNOWN_IDENTIFIER"],
  ["1 + conter", "error: unknown identifier 'conter'; did you mean 'counter'?", 5, "EXPR_UNKNOWN_IDENTIFIER"],
  ["$rxa + 1", "error: unknown identifier '$rxa'; did you mean '$rax'?", 1, "EXPR_UNKNOWN_IDENTIFIER"],
  ["no_such_thing", "error: unknown identifier 'no_such_thing'", 1, "EXPR_UNKNOWN_IDENTIFIER"],
  ["(struct itme *)0", "error: unknown type 'struct itme'; did you mean 'item'?", 9, "EXPR_UNKNOWN_TYPE"],
  ["1 + (2 * 3", "error: expected ')' after the parenthesized expression, found end of input", 11, "EXPR_SYNTAX"],
  ["counter +", "error: expected an expression, found end of input", 10, "EXPR_SYNTAX"],
  ["counter 3", "error: expected end of input, found '3'", 9, "EXPR_SYNTAX"],
  ["add(1, 2", "error: expected ')' after the call arguments, found end of input", 9, "EXPR_SYNTAX"],
  ["numbers[1", "error: expected ']' after the subscript, found end of input", 10, "EXPR_SYNTAX"],
  ["counter # 2", "error: unexpected character '#'", 9, "EXPR_SYNTAX"],
  ["({ return 1; })", "error: 'return' cannot leave a statement expression: its value is its last expression statement", 4, "EXPR_SYNTAX"],
  ["({ break; })", "error: 'break' statement not in a loop or switch", 4, "EXPR_SYNTAX"],
  ["({ case 1: 2; })", "error: case label not within a switch statement", 4, "EXPR_SYNTAX"],
  ["({ int r = 0; switch (counter) { case 1: r = 1; case 1: r = 2; } r; })", "error: duplicate case value 1", 54, "EXPR_SYNTAX"],
  ["({ int r = 0; switch (counter) { case counter: r = 1; } r; })", "error: case label does not reduce to an integer constant", 39, "EXPR_TYPE"],
  ["({ switch (1.5) { default: 1; } 0; })", "error: switch quantity not an integer (it has type 'double')", 12, "EXPR_TYPE"],
  ["({ switch (counter) { default: 1; default: 2; } 0; })", "error: multiple default labels in one switch", 35, "EXPR_SYNTAX"],
  ["({ switch (counter) { case 1: continue; } 0; })", "error: 'continue' statement not in a loop", 31, "EXPR_SYNTAX"],
  ["({ int y = 1; y; ", "error: expected '}' at end of the block", 18, "EXPR_SYNTAX"],
  ["({ int y = 1; })+y", "error: unknown identifier 'y'", 18, "EXPR_UNKNOWN_IDENTIFIER"],
  ["(struct pair){1, 2, 3}", "error: excess elements in struct initializer", 21, "EXPR_TYPE"],
  ["(int[2]){1, 2, 3}", "error: excess elements in array initializer", 16, "EXPR_TYPE"],
  ["({ int x = {1, 2}; x; })", "error: excess elements in scalar initializer", 16, "EXPR_TYPE"],
  ["(struct item){.nmae = \"x\"}", "error: 'struct item' has no member named 'nmae'; did you mean 'name'?", 15, "EXPR_NO_MEMBER"],
  ["(int[2]){[2] = 1}", "error: array index 2 in initializer exceeds array bounds of 'int [2]'", 11, "EXPR_TYPE"],
  ["(int){}", "error: empty scalar initializer", 6, "EXPR_TYPE"],
  ["(int){.a = 1}", "error: field name not in record or union initializer (initializing 'int')", 7, "EXPR_TYPE"],
  ["(int[2]){[3 - 5] = 1}", "error: array index -2 in initializer exceeds array bounds of 'int [2]'", 11, "EXPR_TYPE"],
  ["(int[2]){[counter] = 1}", "error: nonconstant array index in initializer", 11, "EXPR_TYPE"],
  ["(struct pair){.b = 1, .a = head}", "error: initializing 'long' from incompatible type 'struct item *'", 28, "EXPR_TYPE"],
  ["(struct pair){head}", "error: initializing 'long' from incompatible type 'struct item *'", 15, "EXPR_TYPE"],
  ["(struct pair){[0] = 1}", "error: array index in non-array initializer (initializing 'struct pair')", 15, "EXPR_TYPE"],
  ["({ char b[2] = \"abc\"; b[0]; })", "error: initializer-string for array of 'char' is too long (3 chars into 2)", 16, "EXPR_TYPE"],
  ["({ char b[4] = 5; b[0]; })", "error: invalid initializer: an array takes a brace list or a string literal", 16, "EXPR_TYPE"],
  ["(struct pair){.a 1}", "error: expected '=' after the designator, found '1'", 18, "EXPR_SYNTAX"],
  ["counter = {1}", "error: a brace list can only be assigned to a struct, union or array, not 'int'", 11, "EXPR_TYPE"],
  ["add({1}, 2)", "error: a brace list argument needs a parameter of pointer type to say its element type (parameter 1 has type 'int')", 5, "EXPR_TYPE"],
  ["counter += {1}", "error: invalid operands to binary + ('int' and 'int *')", 9, "EXPR_TYPE"],
  ["1 + {}", "error: an empty brace list has no type: write a compound literal '(type){}'", 5, "EXPR_TYPE"],
  ["{1, .a = 2}", "error: a brace list with designators needs a type: write a compound literal '(type){…}'", 5, "EXPR_TYPE"],
  ["'ab", "error: missing terminating ' character", 1, "EXPR_SYNTAX"],
  ["\"abc", "error: missing terminating \" character", 1, "EXPR_SYNTAX"],
  ["12xyz", "error: invalid suffix 'xyz' on integer constant", 3, "EXPR_SYNTAX"],
  ["head->", "error: expected a member name after '->'", 7, "EXPR_SYNTAX"],
  ["*head + 1", "error: invalid operands to binary + ('struct item' and 'int')", 7, "EXPR_TYPE"],
  ["items[0] * 2", "error: invalid operands to binary * ('struct item' and 'int')", 10, "EXPR_TYPE"],
  ["ratio % 2", "error: invalid operands to binary % ('double' and 'int')", 7, "EXPR_TYPE"],
  ["head - 1.5", "error: invalid operands to binary - ('struct item *' and 'double')", 6, "EXPR_TYPE"],
  ["1 = counter", "error: expression is not assignable (not an lvalue)", 1, "EXPR_NOT_LVALUE"],
  ["counter + 1 = 3", "error: expression is not assignable (not an lvalue)", 1, "EXPR_NOT_LVALUE"],
  ["add(1, 2)++", "error: expression is not assignable (not an lvalue)", 1, "EXPR_NOT_LVALUE"],
  ["numbers = 0", "error: array type 'int [5]' is not assignable", 1, "EXPR_NOT_LVALUE"],
  ["&1", "error: cannot take the address of an rvalue", 2, "EXPR_NOT_LVALUE"],
  ["counter(3)", "error: called object type 'int' is not a function or function pointer", 1, "EXPR_NOT_FUNCTION"],
  ["head->name(1)", "error: called object type 'char [16]' is not a function or function pointer", 1, "EXPR_NOT_FUNCTION"],
  ["mystery(3)", "error: 'mystery' has no debug info and no known prototype; cast it to its type, e.g. '((int (*)(int))mystery)(...)'", 1, "EXPR_NO_PROTOTYPE"],
  ["raw_counter + 1", "error: 'raw_counter' has unknown type (no debug info); cast it to its declared type, e.g. '(int)raw_counter' or '*(int *)&raw_counter'", 1, "EXPR_NO_DEBUG_TYPE"],
  ["add(1)", "error: too few arguments to function call, expected 2, have 1", 4, "EXPR_TYPE"],
  ["add(1, 2, 3)", "error: too many arguments to function call, expected 2, have 3", 11, "EXPR_TYPE"],
  ["add(head, 2)", "error: passing to parameter 1 of type 'int' from incompatible type 'struct item *'", 5, "EXPR_TYPE"],
  ["head.id", "error: member reference type 'struct item *' is a pointer; did you mean to use '->'?", 5, "EXPR_TYPE"],
  ["litem->id", "error: member reference type 'struct item' is not a pointer; did you mean to use '.'?", 6, "EXPR_TYPE"],
  ["counter.x", "error: member reference base type 'int' is not a structure or union", 8, "EXPR_TYPE"],
  ["counter[1]", "error: subscripted value is not an array or pointer ('int')", 8, "EXPR_TYPE"],
  ["*counter", "error: indirection requires pointer operand ('int' invalid)", 1, "EXPR_TYPE"],
  ["counter / 0", "error: division by zero", 9, "EXPR_TYPE"],
  ["(struct item)counter", "error: cannot cast 'int' to 'struct item'", 1, "EXPR_TYPE"],
  ["sizeof(struct item) + _Alignof(void)", "error: invalid application of '_Alignof' to an incomplete type 'void'", 23, "EXPR_TYPE"],
  ["int f(int x) { return y; }", "error: unknown identifier 'y'", 23, "EXPR_UNKNOWN_IDENTIFIER"],
  ["int f(int x) { return local + x; }", "error: console function 'f' cannot use 'local', a variable of the stopped frame; pass it as a parameter", 23, "EXPR_UNSUPPORTED"],
  ["int f(int x) { break; }", "error: 'break' statement not in a loop or switch", 16, "EXPR_SYNTAX"],
  ["int f(int x) { return; }", "error: non-void function 'f' should return a value", 16, "EXPR_TYPE"],
  ["int f(int x) { x = 1 }", "error: expected ';' after the expression, found '}'", 22, "EXPR_SYNTAX"],
  // structs by value need their layout; bit-fields take integers and have no address
  ["use_opaque(*opaque_ptr)", "error: incomplete type 'struct opaque' has no known layout", 12, "EXPR_TYPE"],
  ["make_opaque(1)", "error: calling a function returning the incomplete type 'struct opaque'", 12, "EXPR_TYPE"],
  ["int f(struct opaque o) { return 1; }", "error: parameter 1 of 'f' has the incomplete type 'struct opaque'", 1, "EXPR_TYPE"],
  ["struct opaque g(int x) { return *opaque_ptr; }", "error: function 'g' returns the incomplete type 'struct opaque'", 1, "EXPR_TYPE"],
  ["add(make_pair(1, 2), 3)", "error: passing to parameter 1 of type 'int' from incompatible type 'struct pair'", 5, "EXPR_TYPE"],
  ["items[0].kind = head", "error: assigning to 'unsigned int' from incompatible type 'struct item *'", 15, "EXPR_TYPE"],
  ["&items[0].level", "error: cannot take the address of a bit-field", 1, "EXPR_TYPE"],
  ["int f(int x)", "error: expected a function definition ('{' after 'f(...)') or an expression", 13, "EXPR_SYNTAX"],
];

describe("expression diagnostics", () => {
  it.each(CASES)("%s", (src, message, column, code) => {
    expect(diagnose(src)).toEqual({ code, message, column });
  });

  it("renders the column with a caret under the source", () => {
    try {
      compile("items[0].nmae", harnessScope());
    } catch (e) {
      expect((e as ExprError).render("items[0].nmae")).toBe(
        "10: error: no member named 'nmae' in 'struct item'; did you mean 'name'?\n  items[0].nmae\n           ^",
      );
      return;
    }
    throw new Error("no error");
  });
});
