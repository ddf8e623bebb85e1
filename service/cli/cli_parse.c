/*
 * cli_parse.c - every command's argument line and the end of its output (see
 * commands.h): the portable parser (cli_args.h) with this machine's clock and
 * zone, the one form of a usage mistake, and a closed pipe ended quietly.
 */
#include <stdio.h>
#include <time.h>

#include "commands.h"
#include "console_io.h"
#include "error.h"

void lw_cli_clock(struct lw_clock *c) {
  c->now = (int64_t)time(NULL) * 1000;
  c->zone = lw_os_local_zone;
  c->zone_ctx = NULL;
}

void lw_cli_usage_error(const char *cmd, const char *why, const char *usage) {
  fprintf(stderr, "leakwatch %s: %s\n\n%s", cmd, why, usage);
}

int lw_cli_parse_or_usage(const struct lw_cli_spec *spec, const char *usage, int usage_status,
                          int argc, char **argv, struct lw_cli_args *a) {
  struct lw_clock clock;
  char err[512];
  lw_cli_clock(&clock);
  if (lw_cli_parse(spec, &clock, argc, argv, a, err, sizeof err) != 0) {
    lw_cli_usage_error(spec->cmd, err, usage);
    return usage_status;
  }
  if (a->help) {
    fputs(usage, stdout);
    return lw_cli_output_end(spec->cmd) == 0 ? LW_EXIT_OK : LW_EXIT_FAILURE;
  }
  return LW_CLI_GO;
}

bool lw_cli_reader_gone(void) {
  return ferror(stdout) && lw_os_stdout_reader_gone();
}

int lw_cli_output_end(const char *cmd) {
  if (fflush(stdout) == 0 && !ferror(stdout))
    return 0;
  if (lw_os_stdout_reader_gone())
    return 0;
  fprintf(stderr, "leakwatch %s: cannot write the output: %s\n", cmd, lw_strerror(LW_EIO));
  return LW_EIO;
}
