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

static const char usage[] =
    "usage: leakwatch config check FILE\n\n"
    "Checks a configuration file. Prints the effective configuration and exits 0,\n"
    "or prints FILE:LINE:COLUMN: what is wrong, and exits 2.\n";

static const struct lw_cli_opt cli_opts[] = {LW_CLI_END};
static const struct lw_cli_spec spec = {"config", cli_opts, NULL, 2, 2};

int lw_cmd_config(int argc, char **argv) {
  struct lw_cli_args a;
  struct lw_config cfg;
  char err[1024] = "";
  int rc = lw_cli_parse_or_usage(&spec, usage, LW_EXIT_USAGE, argc, argv, &a);
  if (rc != LW_CLI_GO)
    return rc;
  if (strcmp(a.operands[0], "check") != 0) {
    snprintf(err, sizeof err, "unknown action '%s' (the one action is check)", a.operands[0]);
    lw_cli_usage_error("config", err, usage);
    return LW_EXIT_USAGE;
  }
  if (lw_config_load(a.operands[1], &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return LW_EXIT_USAGE;
  }
  printf("# %s is valid. Effective configuration:\n", a.operands[1]);
  rc = lw_config_write_effective(&cfg, stdout);
  lw_config_free(&cfg);
  if (rc == 0)
    rc = lw_cli_output_end("config");
  return rc == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
}
