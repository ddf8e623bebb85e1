/*
 * Linked into every unit test: stdout and stderr unbuffered from the start.
 * Under Wine a test's stdout is a pipe (block-buffered by msvcrt); a process
 * the wineserver ends would otherwise take all it printed with it, and ctest
 * would show a failure with no output at all.
 */
#include <stdio.h>

__attribute__((constructor)) static void lw_test_unbuffered(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  setvbuf(stderr, NULL, _IONBF, 0);
}
