/* cmd_version.c - `leakwatch version` (also `leakwatch --version`). */
#include <stdio.h>

#include "commands.h"

static const char usage[] = "usage: leakwatch version\n\n"
                            "Prints the version of leakwatch.exe.\n";

static const struct lw_cli_opt cli_opts[] = {LW_CLI_END};
static const struct lw_cli_spec spec = {"version", cli_opts, NULL, 0, 0};

int lw_cmd_version(int argc, char **argv) {
  struct lw_cli_args a;
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  printf("leakwatch %s\n", LW_VERSION_STRING);
  return lw_cli_output_end("version") == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
}
