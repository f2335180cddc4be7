/* Syscall-heavy: small writes into a pipe and reads back out of it, one pair per iteration. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 2;
  char out[64], in[64];
  unsigned long sum = 0;
  for (int i = 0; i < 64; i++) out[i] = (char)i;
  for (int i = 0; i < 100000; i++) {
    out[0] = (char)i;
    if (write(fds[1], out, sizeof out) != sizeof out) return 3;
    if (read(fds[0], in, sizeof in) != sizeof in) return 4;
    sum += (unsigned char)in[0] + (unsigned char)in[63];
  }
  printf("%lu\n", sum);
  return 0;
}
