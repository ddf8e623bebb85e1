/*
 * exit_after MS CODE [ONCE_FILE]: waits MS milliseconds, then exits CODE.
 * With ONCE_FILE: a run that finds the file exits 0 at once; a run that does
 * not creates it first. Lets tests/wine/test_wine_exec.sh tell a second run
 * of wine-exec.sh from the first.
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
      return 0;
    }
    f = fopen(argv[3], "wb");
    if (f != NULL)
      fclose(f);
  }
  Sleep((DWORD)strtoul(argv[1], NULL, 10));
  return atoi(argv[2]);
}
