/* Syscall-heavy: small writes into a pipe and reads back out of it, one pair per iteration (argv[1] iterations, default 100,000). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int fds[2];
  if (pipe(fds) != 0) return 2;
  char out[64], in[64];
  unsigned long sum = 0;
  for (int i = 0; i < 64; i++) out[i] = (char)i;
  for (long i = 0; i < n; i++) {
    out[0] = (char)i;
    if (write(fds[1], out, sizeof out) != sizeof out) return 3;
    if (read(fds[0], in, sizeof in) != sizeof in) return 4;
    sum += (unsigned char)in[0] + (unsigned char)in[63];
  }
  printf("%lu\n", sum);
  return 0;
}
