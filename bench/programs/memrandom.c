/* Memory-random kernel: xorshift addresses, scattered read-modify-write stores over 16 MiB (argv[1] iterations, default 8 M). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS (1u << 22) /* 16 MiB of uint32_t */

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 8000000;
  uint32_t *buf = calloc(WORDS, sizeof *buf);
  if (!buf) return 2;
  uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;
  for (long i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[x & (WORDS - 1)] += (uint32_t)x;
    sum += buf[(x >> 32) & (WORDS - 1)];
  }
  printf("%016llx\n", (unsigned long long)sum);
  return 0;
}
