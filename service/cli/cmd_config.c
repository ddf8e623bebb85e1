/*
 * cmd_config.c - `leakwatch config check FILE`: validates a configuration file
 * and prints the error (`file:line:column: message`, exit 2) or the effective
 * configuration (exit 0), so an operator can test an edit before
 * `sc control LeakWatch paramchange`.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"

static void usage(FILE *f) {
  fputs("usage: leakwatch config check FILE\n\n"
        "Checks a configuration file. Prints the effective configuration and exits 0,\n"
        "or prints FILE:LINE:COLUMN: what is wrong, and exits 2.\n",
        f);
}

int lw_cmd_config(int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    usage(stdout);
    return LW_EXIT_OK;
  }
  if (argc != 3 || strcmp(argv[1], "check") != 0) {
    usage(stderr);
    return LW_EXIT_USAGE;
  }
  struct lw_config cfg;
  char err[1024] = "";
  if (lw_config_load(argv[2], &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return LW_EXIT_USAGE;
  }
  printf("# %s is valid. Effective configuration:\n", argv[2]);
  int rc = lw_config_write_effective(&cfg, stdout);
  lw_config_free(&cfg);
  return rc == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
}
