/* cmd_version.c - `leakwatch version`. */
#include <stdio.h>

#include "commands.h"

int lw_cmd_version(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fputs("usage: leakwatch version\n", stderr);
    return LW_EXIT_USAGE;
  }
  printf("leakwatch %s\n", LW_VERSION_STRING);
  return LW_EXIT_OK;
}
