/* Call-heavy, interpreter-like loop: a bytecode dispatcher calling small handlers through a table. */
#include <stdint.h>
#include <stdio.h>

typedef struct { int64_t stack[64]; int sp; } vm;
typedef void (*op_fn)(vm *, int64_t);

__attribute__((noinline)) static void op_push(vm *m, int64_t a) { m->stack[m->sp++] = a; }
__attribute__((noinline)) static void op_add(vm *m, int64_t a) { (void)a; m->sp--; m->stack[m->sp - 1] += m->stack[m->sp]; }
__attribute__((noinline)) static void op_mul(vm *m, int64_t a) { m->stack[m->sp - 1] = m->stack[m->sp - 1] * a + 1; }
__attribute__((noinline)) static void op_xor(vm *m, int64_t a) { m->stack[m->sp - 1] ^= a << 3; }
__attribute__((noinline)) static void op_dup(vm *m, int64_t a) { (void)a; m->stack[m->sp] = m->stack[m->sp - 1]; m->sp++; }
__attribute__((noinline)) static void op_drop(vm *m, int64_t a) { (void)a; m->sp--; }

static const op_fn table[] = {op_push, op_dup, op_mul, op_xor, op_add, op_drop};
static const uint8_t code[] = {0, 1, 2, 3, 4, 1, 3, 2, 4, 5};

__attribute__((noinline)) static int64_t run(vm *m, int64_t seed) {
  for (unsigned pc = 0; pc < sizeof code; pc++) table[code[pc]](m, seed + pc);
  return m->stack[m->sp]; /* the value the last op dropped */
}

int main(void) {
  vm m = {.sp = 1};
  int64_t acc = 0;
  for (int64_t i = 0; i < 1500000; i++) acc += run(&m, i);
  printf("%lld %d\n", (long long)acc, m.sp);
  return 0;
}
