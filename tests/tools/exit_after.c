/*
 * exit_after MS CODE [ONCE_FILE [SAY]]: waits MS milliseconds, then exits CODE.
 * With ONCE_FILE: a run that finds the file prints "second run" and exits 0 at
 * once; a run that does not creates it first and prints "first run". Lets
 * tests/wine/test_wine_exec.sh tell a second run of wine-exec.sh from the
 * first. SAY, when not empty, goes to stderr before the exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: exit_after MS CODE [ONCE_FILE]\n");
    return 2;
  }
  if (argc > 3) {
    FILE *f = fopen(argv[3], "rb");
    if (f != NULL) {
      fclose(f);
      puts("second run");
      return 0;
    }
    f = fopen(argv[3], "wb");
    if (f != NULL)
      fclose(f);
    puts("first run");
  }
  fflush(stdout);
  Sleep((DWORD)strtoul(argv[1], NULL, 10));
  if (argc > 4 && argv[4][0] != '\0')
    fprintf(stderr, "%s\n", argv[4]);
  return atoi(argv[2]);
}
